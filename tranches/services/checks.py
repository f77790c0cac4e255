"""The checks a release must pass: run on the whole published state as the release would leave it,
inside its transaction, before it commits. Each problem names the records and the numbers.

Reads only the current published rows (``left`` is null), so a constant number of queries whatever
the size of the data; money is summed by the database and compared here (Decimal EUR).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils.text import capfirst

from ..models import (
    PUBLISHED_MODEL,
    Citation,
    Component,
    Condition,
    Disbursement,
    Estimate,
    Instrument,
    Milestone,
    OpenQuestion,
    Publishable,
    Purpose,
    Source,
    Stage,
    Tranche,
)
from ..money import eur

ZERO = Decimal("0.00")
COMMITTED_STAGES = (Stage.APPROVED, Stage.DISBURSED)
PAYABLE_STAGES = COMMITTED_STAGES
NAMED = 5  # records named in one problem; more are counted

PARENT_NOT_PUBLIC = "{model} “{record}” would be published, but its {parent} (id {parent_id}) is not: publish it too."
COMPONENTS_OVER = "Published components of {parent} would total {total}, more than its {limit}."
TRANCHES_OVER = "Published tranches of {parent} would total {total}, more than the component's {limit}."
PAYMENTS_OVER = "Published payments of tranche “{parent}” would total {total}, more than the tranche's {limit}."
COMMITTED_BELOW_DISBURSED = "{level} “{record}” would show {disbursed} disbursed but only {committed} committed."
PAYMENT_ON_UNAPPROVED = (
    "Tranche “{tranche}” is {stage}, but {count} published payment(s) totalling {total} are on it: "
    "payments belong to approved or disbursed tranches."
)
PAYMENT_OUTSIDE_PERIOD = (
    "Payment {payment} of tranche “{tranche}” is dated {date:%d %b %Y}, outside {instrument}'s period "
    "({start:%d %b %Y} – {end:%d %b %Y})."
)
PAYMENT_BEFORE_APPROVAL = (
    "Payment {payment} of tranche “{tranche}” is dated {date:%d %b %Y}, before the tranche was approved "
    "({approved:%d %b %Y})."
)
PAYMENT_IN_FUTURE = "Payment {payment} of tranche “{tranche}” is dated {date:%d %b %Y}, after today ({today:%d %b %Y})."
DISBURSED_NOT_PAID = (
    "Tranche “{tranche}” would be published as disbursed, but its published payments total {total} of its {limit}."
)
NOT_CITED = (
    "{count} published {model} would have no citation of a published source (every published amount, date "
    "and stage needs one): {records}."
)
CITATION_ORPHAN = "Citation {citation} would be published, but its {what} (id {target_id}) is not published."
PURPOSE_NOT_LISTED = (
    "Tranche “{tranche}” has the purpose “{purpose}”, which is not on the list of purposes; a reviewer adds it "
    "under Purposes (or the tranche uses one that is)."
)


def current(model: type[Publishable]) -> QuerySet[Any]:
    """The current published rows of ``model`` (as the latest release, or this one, leaves them)."""
    return PUBLISHED_MODEL[model].objects.filter(left__isnull=True)


@dataclass
class _Sums:
    total: Decimal = ZERO
    committed: Decimal = ZERO
    disbursed: Decimal = ZERO


def _named(rows: list[str], count: int) -> str:
    shown = ", ".join(rows[:NAMED])
    return shown + (f" and {count - NAMED} more" if count > NAMED else "")


def _label(row: Any) -> str:
    """How a problem names a published row: its name, title or question, or a payment's amount and date."""
    for name in ("name", "title", "question"):
        if hasattr(row, name):
            return str(getattr(row, name))
    return f"{eur(row.amount_eur)} on {row.value_date:%d %b %Y}"


# (record, parent, reference): every reference of a published row names a published row.
PARENT_LINKS: tuple[tuple[type[Publishable], type[Publishable], str], ...] = (
    (Component, Instrument, "instrument_id"),
    (Tranche, Component, "component_id"),
    (Disbursement, Tranche, "tranche_id"),
    (Disbursement, Instrument, "paid_through_id"),
    (Milestone, Instrument, "instrument_id"),
    (Milestone, Tranche, "tranche_id"),
    (Condition, Instrument, "instrument_id"),
    (Condition, Tranche, "tranche_id"),
    (Estimate, Instrument, "instrument_id"),
    (OpenQuestion, Instrument, "instrument_id"),
)
TRANCHE_OF_OTHER_INSTRUMENT = (
    "{model} “{record}” would be published for the tranche “{tranche}”, which belongs to another instrument."
)
PAID_THROUGH_OWN = (
    "Payment {payment} of tranche “{tranche}” would be published as paid through its own instrument; "
    "“paid through” names another instrument, or stays empty."
)


def _parents(problems: list[str]) -> None:
    for model, parent_model, fk in PARENT_LINKS:
        orphans = current(model).filter(**{f"{fk}__isnull": False})
        orphans = orphans.filter(~Exists(current(parent_model).filter(id=OuterRef(fk))))
        for row in orphans.order_by("id")[:NAMED]:
            problems.append(
                PARENT_NOT_PUBLIC.format(
                    model=capfirst(model._meta.verbose_name),
                    record=_label(row),
                    parent=parent_model._meta.verbose_name,
                    parent_id=getattr(row, fk),
                )
            )
    citations = current(Citation)
    targets: list[tuple[str, type[Publishable]]] = [("source", Source)]
    targets += [
        (name, cast(type[Publishable], Citation._meta.get_field(name).related_model)) for name in Citation.TARGETS
    ]
    for what, target in targets:
        fk = f"{what}_id"
        missing = citations.filter(**{f"{fk}__isnull": False}).filter(~Exists(current(target).filter(id=OuterRef(fk))))
        for row in missing.order_by("id")[:NAMED]:
            problems.append(
                CITATION_ORPHAN.format(citation=row.id, what=what.replace("_", " "), target_id=getattr(row, fk))
            )
    for row in _against_own_instrument(current(Disbursement), "paid_through_id", equal=True):
        tranche = current(Tranche).filter(id=row.tranche_id).values_list("name", flat=True).first()
        problems.append(PAID_THROUGH_OWN.format(payment=_label(row), tranche=tranche))
    for model in (Milestone, Condition):
        for row in _against_own_instrument(current(model).filter(tranche_id__isnull=False), "instrument_id"):
            tranche = current(Tranche).filter(id=row.tranche_id).values_list("name", flat=True).first()
            problems.append(
                TRANCHE_OF_OTHER_INSTRUMENT.format(
                    model=capfirst(model._meta.verbose_name), record=_label(row), tranche=tranche
                )
            )


def _against_own_instrument(rows: QuerySet[Any], field: str, *, equal: bool = False) -> list[Any]:
    """The rows whose ``field`` (an instrument id) is (``equal``) or is not the instrument of their
    tranche, as the published state has it: a rule a draft's form checks, held again at release
    time, when a tranche may have moved to another component meanwhile. One query."""
    component = current(Tranche).filter(id=OuterRef(OuterRef("tranche_id"))).values("component_id")[:1]
    owner = Subquery(current(Component).filter(id=Subquery(component)).values("instrument_id")[:1])
    rows = rows.filter(**{f"{field}__isnull": False}).annotate(owner=owner)
    matched = rows.filter(owner=F(field)) if equal else rows.exclude(owner=F(field))
    return list(matched.order_by("id")[:NAMED])


def _money(problems: list[str], today: datetime.date) -> None:
    instruments = {row.id: row for row in current(Instrument)}
    components = {row.id: row for row in current(Component)}
    tranches = {
        row["id"]: row
        for row in current(Tranche).values("id", "name", "component_id", "amount", "stage", "approved_on", "purpose")
    }
    paid = {
        row["tranche_id"]: row
        for row in current(Disbursement)
        .values("tranche_id")
        .annotate(total=Sum("amount_eur"), count=Count("id"), first=Min("value_date"), last=Max("value_date"))
        .order_by()
    }
    component_sums = {pk: _Sums() for pk in components}
    instrument_sums = {pk: _Sums() for pk in instruments}
    for component in components.values():
        if component.instrument_id in instrument_sums:
            instrument_sums[component.instrument_id].total += component.amount
    for tranche in tranches.values():
        own = paid.get(tranche["id"])
        disbursed = own["total"] if own else ZERO
        committed = tranche["amount"] if tranche["stage"] in COMMITTED_STAGES else ZERO
        sums = component_sums.get(tranche["component_id"])
        if sums is not None:
            sums.total += tranche["amount"]
            sums.committed += committed
            sums.disbursed += disbursed
        if own is None:
            if tranche["stage"] == Stage.DISBURSED:
                problems.append(
                    DISBURSED_NOT_PAID.format(tranche=tranche["name"], total=eur(ZERO), limit=eur(tranche["amount"]))
                )
            continue
        _tranche_payments(problems, tranche, own, components, instruments, today)
    for pk, sums in component_sums.items():
        component = components[pk]
        _level(problems, "Component", component.name, component.amount, sums, TRANCHES_OVER)
        if component.instrument_id in instrument_sums:
            instrument_sums[component.instrument_id].committed += sums.committed
            instrument_sums[component.instrument_id].disbursed += sums.disbursed
    for pk, sums in instrument_sums.items():
        instrument = instruments[pk]
        _level(problems, "Instrument", instrument.short_name, instrument.amount, sums, COMPONENTS_OVER)


def _level(problems: list[str], level: str, name: str, amount: Decimal, sums: _Sums, over: str) -> None:
    """A component's or instrument's own rules: its children within it, committed ≥ disbursed."""
    if sums.total > amount:
        problems.append(over.format(parent=name, total=eur(sums.total), limit=eur(amount)))
    if sums.disbursed > sums.committed:
        problems.append(
            COMMITTED_BELOW_DISBURSED.format(
                level=level, record=name, disbursed=eur(sums.disbursed), committed=eur(sums.committed)
            )
        )


def _payments_where(tranche_id: int, condition: Q) -> str:
    """The ids of the published payments of a tranche that break a rule (only read on a refusal)."""
    rows = list(current(Disbursement).filter(condition, tranche_id=tranche_id).order_by("value_date", "id"))
    return _named([f"#{row.id} ({eur(row.amount_eur)})" for row in rows], len(rows))


def _tranche_payments(
    problems: list[str],
    tranche: dict[str, Any],
    own: dict[str, Any],
    components: dict[int, Any],
    instruments: dict[int, Any],
    today: datetime.date,
) -> None:
    name, amount, total = tranche["name"], tranche["amount"], own["total"]
    if total > amount:
        problems.append(PAYMENTS_OVER.format(parent=name, total=eur(total), limit=eur(amount)))
    if tranche["stage"] not in PAYABLE_STAGES:
        problems.append(
            PAYMENT_ON_UNAPPROVED.format(tranche=name, stage=tranche["stage"], count=own["count"], total=eur(total))
        )
    if tranche["stage"] == Stage.DISBURSED and total != amount:
        problems.append(DISBURSED_NOT_PAID.format(tranche=name, total=eur(total), limit=eur(amount)))
    component = components.get(tranche["component_id"])
    instrument = instruments.get(component.instrument_id) if component is not None else None
    if instrument is not None and (own["first"] < instrument.period_start or own["last"] > instrument.period_end):
        outside = Q(value_date__lt=instrument.period_start) | Q(value_date__gt=instrument.period_end)
        date = own["first"] if own["first"] < instrument.period_start else own["last"]
        problems.append(
            PAYMENT_OUTSIDE_PERIOD.format(
                payment=_payments_where(tranche["id"], outside),
                tranche=name,
                date=date,
                instrument=instrument.short_name,
                start=instrument.period_start,
                end=instrument.period_end,
            )
        )
    approved = tranche["approved_on"]
    if approved is not None and own["first"] < approved:
        problems.append(
            PAYMENT_BEFORE_APPROVAL.format(
                payment=_payments_where(tranche["id"], Q(value_date__lt=approved)),
                tranche=name,
                date=own["first"],
                approved=approved,
            )
        )
    if own["last"] > today:
        problems.append(
            PAYMENT_IN_FUTURE.format(
                payment=_payments_where(tranche["id"], Q(value_date__gt=today)),
                tranche=name,
                date=own["last"],
                today=today,
            )
        )


def _citations(problems: list[str]) -> None:
    cited_by = current(Citation).filter(source_id__in=current(Source).values("id"))
    for model in CITED_MODELS:
        field = Citation.target_field(model)
        uncited = current(model).filter(~Exists(cited_by.filter(**{f"{field}_id": OuterRef("id")})))
        count = uncited.count()
        if count:
            rows = list(uncited.order_by("id")[:NAMED])
            names = [
                f"#{row.id} ({_label(row)})" if isinstance(row, PUBLISHED_MODEL[Disbursement]) else f"“{_label(row)}”"
                for row in rows
            ]
            problems.append(
                NOT_CITED.format(count=count, model=model._meta.verbose_name_plural, records=_named(names, count))
            )


# Every published record of these kinds is backed by a citation (open questions may have none).
CITED_MODELS: tuple[type[Publishable], ...] = (
    Instrument,
    Component,
    Tranche,
    Disbursement,
    Milestone,
    Condition,
    Estimate,
)


def _purposes(problems: list[str]) -> None:
    unlisted = current(Tranche).exclude(purpose__in=Purpose.objects.values("name")).order_by("id")
    for row in unlisted[:NAMED]:
        problems.append(PURPOSE_NOT_LISTED.format(tranche=row.name, purpose=row.purpose))


def release_problems(*, today: datetime.date) -> list[str]:
    """Every rule the current published state breaks, each as a message naming the records and
    the numbers; empty when it keeps them all. A constant number of queries."""
    problems: list[str] = []
    _parents(problems)
    _money(problems, today)
    _citations(problems)
    _purposes(problems)
    return problems
