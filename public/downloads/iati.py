"""A release as an IATI 2.03 activity file: one ``iati-activity`` per instrument, with its budget,
planned disbursements (tranches with a date planned), transactions (tranches approved as
commitments, payments as disbursements), a document link per source behind its figures, and its
conditions. The tracker reports as a *secondary reporter* (it reproduces the EU's loans, it does
not make them), under the organisation identifier in ``IATI_REPORTING_ORG_REF``.

Elements come in the order the 2.03 schema's sequences demand; tests validate the file against the
official XSD (tests/data/iati-2.03). Built with the standard library's ElementTree (lxml is only a
test dependency). One query per kind of record; the same release always gives the same bytes."""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from tranches.models import PUBLISHED_MODEL, Publishable, Release, Stage
from tranches.selectors import public_versions

from .datapackage import utc_text

IATI_VERSION = "2.03"
# No registration agency is called XX: a placeholder that claims no IATI organisation identifier.
# Set IATI_REPORTING_ORG_REF to the identifier IATI assigns before publishing to the IATI Registry.
DEFAULT_REPORTING_ORG_REF = "XX-LOANTRACKER"
REPORTING_ORG_TYPE = "90"  # OrganisationType: Other
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LANGUAGE = "en"  # the tracker's own texts (names, notes, titles of sources as recorded) are English

# Codes of the IATI 2.03 codelists used here.
ROLE_FUNDING, ROLE_IMPLEMENTING = "1", "4"  # OrganisationRole
ORG_MULTILATERAL, ORG_GOVERNMENT = "40", "10"  # OrganisationType
STATUS_PIPELINE, STATUS_IMPLEMENTATION, STATUS_COMPLETION = "1", "2", "3"  # ActivityStatus
DATE_PLANNED_START, DATE_ACTUAL_START, DATE_PLANNED_END, DATE_ACTUAL_END = "1", "2", "3", "4"  # ActivityDateType
COMMITMENT, DISBURSEMENT = "2", "3"  # TransactionType: outgoing commitment, disbursement
BUDGET_ORIGINAL, BUDGET_COMMITTED = "1", "2"  # BudgetType, BudgetStatus
CONDITION_POLICY, CONDITION_PERFORMANCE, CONDITION_FIDUCIARY = "1", "2", "3"  # ConditionType
DOC_OBJECTIVES, DOC_CONDITIONS, DOC_ACTIVITY_PAGE = "A02", "A04", "A12"  # DocumentCategory
# An area that names one of these is a fiduciary condition; one that names performance or results a
# performance condition; any other (reform steps, a Memorandum's policy areas) a policy condition.
FIDUCIARY_WORDS = ("fiduciary", "audit", "fraud", "financial control", "financial management", "procurement")
PERFORMANCE_WORDS = ("performance", "result")
COMMITTED_STAGES = (Stage.APPROVED, Stage.DISBURSED)
# Characters XML 1.0 cannot hold (the value rules already refuse control characters).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def reporting_org_ref() -> str:
    return str(getattr(settings, "IATI_REPORTING_ORG_REF", "") or DEFAULT_REPORTING_ORG_REF)


def _text(value: Any) -> str:
    return NOT_XML.sub("\ufffd", str(value))


def _sub(parent: ET.Element, tag: str, attributes: dict[str, str] | None = None, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes or {})
    if text is not None:
        element.text = _text(text)
    return element


def _narrated(parent: ET.Element, tag: str, text: str, attributes: dict[str, str] | None = None) -> ET.Element:
    element = _sub(parent, tag, attributes)
    _sub(element, "narrative", text=text)
    return element


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _value(parent: ET.Element, amount: Decimal, day: datetime.date) -> None:
    _sub(parent, "value", {"currency": "EUR", "value-date": day.isoformat()}, _money(amount))


@dataclass
class PublishedState:
    """Release N's published rows by kind (model name: ``instrument``, ``condition`` …), by id, and
    the instrument each record belongs to."""

    rows: dict[str, dict[int, Any]]
    owner: dict[tuple[str, int], int]

    def of(self, kind: str) -> list[Any]:
        return list(self.rows.get(kind, {}).values())

    def owned(self, kind: str, instrument_id: int) -> list[Any]:
        return [row for row in self.of(kind) if self.owner.get((kind, row.id)) == instrument_id]


def _owner(state: PublishedState, row: Any, targets: dict[str, str]) -> int | None:
    """The instrument a record belongs to: a citation's is that of the record it backs; another
    record's is its own ``instrument_id``, else that of its component, tranche or payment."""
    if targets:
        for name, target in targets.items():
            target_id = getattr(row, f"{name}_id", None)
            if target_id is not None:
                return state.owner.get((target, target_id))
        return None
    if getattr(row, "instrument_id", None) is not None:
        return int(row.instrument_id)
    for parent in ("component", "tranche", "disbursement"):
        parent_id = getattr(row, f"{parent}_id", None)
        if parent_id is not None and (owner := state.owner.get((parent, parent_id))) is not None:
            return owner
    return None


def published_state(number: int) -> PublishedState:
    """Every kind of record as release ``number`` published it (one query per kind), parents first
    (the order of PUBLISHED_MODEL, citations last), and the instrument each record belongs to."""
    state = PublishedState(rows={}, owner={})
    for model in PUBLISHED_MODEL:
        kind = str(model._meta.model_name)
        state.rows[kind] = {row.id: row for row in public_versions(model, release=number).order_by("id")}
        # A citation backs one record of these kinds (Citation.TARGETS).
        targets = {name: _model_name(model, name) for name in getattr(model, "TARGETS", ())}
        for row in state.rows[kind].values():
            owner = row.id if kind == "instrument" else _owner(state, row, targets)
            if owner is not None:
                state.owner[(kind, row.id)] = owner
    return state


def _model_name(model: type[Publishable], field: str) -> str:
    related: Any = model._meta.get_field(field).related_model
    return str(related._meta.model_name)


def _activity_status(instrument: Any, day: datetime.date) -> str:
    if day < instrument.period_start:
        return STATUS_PIPELINE
    return STATUS_IMPLEMENTATION if day <= instrument.period_end else STATUS_COMPLETION


def _condition_type(area: str) -> str:
    text = area.lower()
    if any(word in text for word in FIDUCIARY_WORDS):
        return CONDITION_FIDUCIARY
    if any(word in text for word in PERFORMANCE_WORDS):
        return CONDITION_PERFORMANCE
    return CONDITION_POLICY


def _condition_text(condition: Any, tranches: dict[int, Any]) -> str:
    """A condition in words: its title and area, the payment it gates, and how it was assessed."""
    parts = [condition.title + (f" (area: {condition.area})" if getattr(condition, "area", "") else "")]
    tranche = tranches.get(getattr(condition, "tranche_id", None) or 0)
    if tranche is not None:
        parts.append(f"gates the tranche “{tranche.name}”")
    met, due = getattr(condition, "steps_met", None), getattr(condition, "steps_due", None)
    assessed = getattr(condition, "assessed_on", None)
    if met is not None and due is not None and assessed is not None:
        parts.append(f"{met} of {due} steps met, assessed {assessed.isoformat()}")
    elif due is not None:
        parts.append(f"{due} step(s) due, not assessed yet")
    withheld = getattr(condition, "amount_withheld", None)
    if withheld:
        until = getattr(condition, "recoverable_until", None)
        parts.append(f"EUR {_money(withheld)} withheld" + (f", recoverable until {until.isoformat()}" if until else ""))
    return "; ".join(parts) + "."


def _document_format(url: str) -> str:
    return "application/pdf" if url.lower().split("?")[0].endswith(".pdf") else "text/html"


def _organisations(parent: ET.Element, instrument: Any, *, provider: str, receiver: str) -> None:
    _narrated(parent, provider, instrument.lender, {"type": ORG_MULTILATERAL})
    _narrated(parent, receiver, instrument.borrower, {"type": ORG_GOVERNMENT})


def _transactions(activity: ET.Element, instrument: Any, state: PublishedState) -> None:
    components = state.rows.get("component", {})
    instruments = state.rows.get("instrument", {})
    found: list[tuple[datetime.date, str, int, Any]] = []
    for tranche in state.owned("tranche", instrument.id):
        if tranche.stage in COMMITTED_STAGES and tranche.approved_on is not None:
            found.append((tranche.approved_on, COMMITMENT, tranche.id, tranche))
    for payment in state.owned("disbursement", instrument.id):
        found.append((payment.value_date, DISBURSEMENT, payment.id, payment))
    tranches = state.rows.get("tranche", {})
    for day, code, pk, row in sorted(found, key=lambda item: item[:3]):
        if code == COMMITMENT:
            component = components.get(row.component_id)
            ref = f"tranche-{pk}"
            amount = row.amount
            text = f"Tranche “{row.name}” ({row.purpose}) approved" + (
                f", component {component.name}" if component else ""
            )
        else:
            tranche = tranches.get(row.tranche_id)
            ref = f"disbursement-{pk}"
            amount = row.amount_eur
            text = f"Payment of tranche “{tranche.name}”" if tranche else "Payment"
            precision = getattr(row, "value_date_precision", "day")
            if precision and precision != "day":
                text += f" (date known to: {row.get_value_date_precision_display()})"
            through = instruments.get(getattr(row, "paid_through_id", None) or 0)
            if through is not None:
                text += f"; paid through {through.name}, counted here only"
        transaction = _sub(activity, "transaction", {"ref": ref})
        _sub(transaction, "transaction-type", {"code": code})
        _sub(transaction, "transaction-date", {"iso-date": day.isoformat()})
        _value(transaction, amount, day)
        _narrated(transaction, "description", text + ".")
        _organisations(transaction, instrument, provider="provider-org", receiver="receiver-org")


def _document_links(activity: ET.Element, instrument: Any, state: PublishedState) -> None:
    sources = state.rows.get("source", {})
    cited: dict[int, set[str]] = defaultdict(set)
    for citation in state.owned("citation", instrument.id):
        cited[citation.source_id].add("condition" if getattr(citation, "condition_id", None) else "figure")
    for source_id in sorted(cited):
        source = sources.get(source_id)
        if source is None or not source.url:  # IATI links only to documents that are online
            continue
        link = _sub(activity, "document-link", {"url": _text(source.url), "format": _document_format(source.url)})
        _narrated(link, "title", source.title)
        _narrated(link, "description", f"{source.publisher}; reliability grade {source.get_grade_display()}.")
        _sub(link, "category", {"code": DOC_OBJECTIVES if source.grade == "A" else DOC_ACTIVITY_PAGE})
        if "condition" in cited[source_id]:
            _sub(link, "category", {"code": DOC_CONDITIONS})
        _sub(link, "language", {"code": LANGUAGE})
        if source.published_on is not None:
            _sub(link, "document-date", {"iso-date": source.published_on.isoformat()})


def _conditions(activity: ET.Element, instrument: Any, state: PublishedState) -> None:
    conditions = state.owned("condition", instrument.id)
    element = _sub(activity, "conditions", {"attached": "1" if conditions else "0"})
    tranches = state.rows.get("tranche", {})
    for condition in conditions:
        _narrated(
            element,
            "condition",
            _condition_text(condition, tranches),
            {"type": _condition_type(getattr(condition, "area", "") or "")},
        )


def _last_updated(instrument: Any, state: PublishedState) -> datetime.datetime:
    times = [instrument.published_at]
    for kind in state.rows:
        times += [row.published_at for row in state.owned(kind, instrument.id)]
    return max(times)


def _activity(instrument: Any, state: PublishedState, release: Release) -> ET.Element:
    day = release.published_at.astimezone(datetime.UTC).date()
    activity = ET.Element(
        "iati-activity",
        {
            "last-updated-datetime": utc_text(_last_updated(instrument, state)),
            XML_LANG: LANGUAGE,
            "default-currency": "EUR",
        },
    )
    ref = reporting_org_ref()
    _sub(activity, "iati-identifier", text=f"{ref}-instrument-{instrument.id}")
    reporter = {"ref": ref, "type": REPORTING_ORG_TYPE, "secondary-reporter": "1"}
    _narrated(activity, "reporting-org", settings.SITE_NAME, reporter)
    _narrated(activity, "title", f"{instrument.name} ({instrument.short_name})")
    description = instrument.description or f"{instrument.name}."
    _narrated(activity, "description", f"{description} Legal basis: {instrument.legal_basis}.", {"type": "1"})
    _narrated(activity, "participating-org", instrument.lender, {"role": ROLE_FUNDING, "type": ORG_MULTILATERAL})
    _narrated(activity, "participating-org", instrument.borrower, {"role": ROLE_IMPLEMENTING, "type": ORG_GOVERNMENT})
    _sub(activity, "activity-status", {"code": _activity_status(instrument, day)})
    _sub(activity, "activity-date", {"type": DATE_PLANNED_START, "iso-date": instrument.period_start.isoformat()})
    if instrument.period_start <= day:
        _sub(activity, "activity-date", {"type": DATE_ACTUAL_START, "iso-date": instrument.period_start.isoformat()})
    _sub(activity, "activity-date", {"type": DATE_PLANNED_END, "iso-date": instrument.period_end.isoformat()})
    if instrument.period_end < day:
        _sub(activity, "activity-date", {"type": DATE_ACTUAL_END, "iso-date": instrument.period_end.isoformat()})
    _sub(activity, "recipient-country", {"code": "UA"})
    budget = _sub(activity, "budget", {"type": BUDGET_ORIGINAL, "status": BUDGET_COMMITTED})
    _sub(budget, "period-start", {"iso-date": instrument.period_start.isoformat()})
    _sub(budget, "period-end", {"iso-date": instrument.period_end.isoformat()})
    _value(budget, instrument.amount, instrument.period_start)
    for tranche in sorted(
        (t for t in state.owned("tranche", instrument.id) if t.planned_on is not None),
        key=lambda t: (t.planned_on, t.id),
    ):
        planned = _sub(activity, "planned-disbursement", {"type": BUDGET_ORIGINAL})
        _sub(planned, "period-start", {"iso-date": tranche.planned_on.isoformat()})
        _value(planned, tranche.amount, tranche.planned_on)
    _transactions(activity, instrument, state)
    _document_links(activity, instrument, state)
    _conditions(activity, instrument, state)
    return activity


class NothingToReport(LookupError):
    """The release has no instrument published: an IATI file needs at least one activity."""


NO_ACTIVITY = "Release {number} has no instrument published, so there is no IATI activity to report."


def iati_build(release: Release) -> bytes:
    """The IATI 2.03 activity file of ``release`` (UTF-8 XML). One query per kind of record.
    Raises NothingToReport when the release has no instrument."""
    state = published_state(release.number)
    instruments = state.of("instrument")
    if not instruments:
        raise NothingToReport(NO_ACTIVITY.format(number=release.number))
    root = ET.Element(
        "iati-activities",
        {
            "version": IATI_VERSION,
            "generated-datetime": utc_text(release.published_at),
        },
    )
    for instrument in instruments:
        root.append(_activity(instrument, state, release))
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
