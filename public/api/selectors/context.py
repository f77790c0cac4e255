"""Public versions of the record around the money, for the API: milestones (planned vs actual),
conditions (and the ledger of the payments they gate), estimates (costs and needs) and open
questions. Each row is shown with its instrument, its tranche when it has one and its citations,
attached to a page in a fixed number of queries (``with_context``), never by a query per row.

A condition's outcome is derived, never stored: ``condition_outcome`` for a row, and
``OUTCOME_WHERE``, the same rule as a database condition, for the ``outcome`` filter."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from tranches.models import (
    OUTCOME_WHERE,
    Citation,
    Condition,
    Disbursement,
    Estimate,
    Instrument,
    Milestone,
    OpenQuestion,
    Source,
    Tranche,
    condition_outcome,
)
from tranches.selectors import public_versions

from .records import _components_by_id, citations_public

ZERO = Decimal("0.00")
SOURCE_FIELDS = ("id", "publisher", "title", "published_on", "grade", "url")


def milestones_public(*, as_of: datetime.datetime | None = None) -> QuerySet[Any]:
    """Published milestones, each with ``date``: the day it happened, else the day planned (the
    place a timeline gives it)."""
    return public_versions(Milestone, as_of=as_of).annotate(date=Coalesce("happened_on", "planned_on"))


def conditions_public(*, as_of: datetime.datetime | None = None) -> QuerySet[Any]:
    """Published conditions; their outcome is derived from steps met and due (``condition_outcome``)."""
    return public_versions(Condition, as_of=as_of)


def conditions_with_outcome(rows: QuerySet[Any], outcomes: Iterable[str]) -> QuerySet[Any]:
    """The conditions among ``rows`` whose derived outcome is one of ``outcomes``."""
    where = Q(pk__in=[])
    for outcome in outcomes:
        where |= OUTCOME_WHERE[outcome]
    return rows.filter(where)


def estimates_public(*, as_of: datetime.datetime | None = None) -> QuerySet[Any]:
    """Published estimates of costs and needs (EUR): shown beside the figures, never added to them."""
    return public_versions(Estimate, as_of=as_of)


def open_questions_public(*, as_of: datetime.datetime | None = None) -> QuerySet[Any]:
    """Published open questions, still open or answered by a release."""
    return public_versions(OpenQuestion, as_of=as_of)


def _by_id(rows: QuerySet[Any], ids: set[int], *fields: str) -> dict[int, dict[str, Any]]:
    """``fields`` of the rows whose id is in ``ids``, by id: one query, none when ``ids`` is empty."""
    if not ids:
        return {}
    return {row["id"]: row for row in rows.filter(id__in=ids).order_by().values(*fields)}


def citations_of(model: type[Any], ids: Iterable[int], *, as_of: datetime.datetime | None) -> dict[int, list[Any]]:
    """The public citations of these records of ``model`` (a draft model: Milestone…), grouped by
    the record's id, each with its source's publisher, title, date, grade and link
    (``source_publisher``…). Two queries, none when ``ids`` is empty."""
    wanted = set(ids)
    if not wanted:
        return {}
    field = f"{Citation.target_field(model)}_id"
    citations = list(citations_public(as_of=as_of).filter(**{f"{field}__in": wanted}).order_by("id"))
    sources = _by_id(public_versions(Source, as_of=as_of), {c.source_id for c in citations}, *SOURCE_FIELDS)
    grouped: dict[int, list[Any]] = {}
    for citation in citations:
        source = sources.get(citation.source_id, {})
        for name in SOURCE_FIELDS[1:]:
            setattr(citation, f"source_{name}", source.get(name))
        grouped.setdefault(getattr(citation, field), []).append(citation)
    return grouped


def with_context(rows: list[Any], *, as_of: datetime.datetime | None = None) -> list[Any]:
    """Sets on each public version of a milestone, condition, estimate or open question its
    instrument's slug and short name, its tranche's name (when the kind has tranches), and
    ``public_citations``, from the public versions at ``as_of`` (None where not public). A
    milestone also gets ``days_late``. At most four queries, whatever the number of rows."""
    if not rows:
        return rows
    published = type(rows[0])
    has_tranche = any(f.attname == "tranche_id" for f in published._meta.concrete_fields)
    instruments = _by_id(
        public_versions(Instrument, as_of=as_of),
        {row.instrument_id for row in rows if row.instrument_id is not None},
        "id",
        "slug",
        "short_name",
    )
    tranches = (
        _by_id(
            public_versions(Tranche, as_of=as_of),
            {row.tranche_id for row in rows if row.tranche_id is not None},
            "id",
            "name",
        )
        if has_tranche
        else {}
    )
    citations = citations_of(published.record_model, (row.id for row in rows), as_of=as_of)
    for row in rows:
        instrument = instruments.get(row.instrument_id, {})
        row.instrument_slug = instrument.get("slug")
        row.instrument_short_name = instrument.get("short_name")
        if has_tranche:
            row.tranche_name = tranches.get(row.tranche_id, {}).get("name")
        row.public_citations = citations.get(row.id, [])
        if published.record_model is Milestone:
            row.days_late = days_late(row.planned_on, row.happened_on)
    return rows


def days_late(planned_on: datetime.date | None, happened_on: datetime.date | None) -> int | None:
    """Days from the date planned to the date it happened (negative: early); None unless both are known."""
    if planned_on is None or happened_on is None:
        return None
    return (happened_on - planned_on).days


def condition_ledger(conditions: QuerySet[Any], *, as_of: datetime.datetime | None = None) -> list[dict[str, Any]]:
    """The ledger of the payments conditions gate: for each tranche that ``conditions`` (public
    versions, filtered) gate, its conditions and how many were assessed, the steps due and met
    (sums), its outcome (``condition_outcome`` of the sums once every condition is assessed), the
    money at stake and withheld (sums), the earliest day the money withheld can be recovered, and
    the tranche's paid amount (the sum of its published payments; 0.00 for none), with its name,
    amount and instrument; by instrument, then tranche id. Four queries, whatever the number of tranches.
    ``last_published`` is the newest version read (Last-Modified)."""
    groups = list(
        conditions.filter(tranche_id__isnull=False)
        .order_by()
        .values("tranche_id")
        .annotate(
            conditions=Count("pk"),
            conditions_assessed=Count("steps_met"),
            steps_due=Sum("steps_due"),
            steps_met=Sum("steps_met"),
            amount_at_stake=Sum("amount_at_stake"),
            amount_withheld=Sum("amount_withheld"),
            recoverable_until=Min("recoverable_until"),
            last_published=Max("published_at"),
        )
    )
    ids = {group["tranche_id"] for group in groups}
    tranches = _by_id(public_versions(Tranche, as_of=as_of), ids, "id", "name", "amount", "component_id")
    components = _components_by_id((tranche["component_id"] for tranche in tranches.values()), as_of)
    paid = (
        {
            row["tranche_id"]: row
            for row in public_versions(Disbursement, as_of=as_of)
            .filter(tranche_id__in=ids)
            .order_by()
            .values("tranche_id")
            .annotate(paid=Sum("amount_eur"), last_published=Max("published_at"))
        }
        if ids
        else {}
    )
    ledger = []
    for group in groups:
        tranche = tranches.get(group["tranche_id"], {})
        component = components.get(tranche.get("component_id", 0), {})
        payments = paid.get(group["tranche_id"], {})
        all_assessed = group["conditions_assessed"] == group["conditions"]
        ledger.append(
            {
                **group,
                "tranche": group["tranche_id"],
                "tranche_name": tranche.get("name"),
                "tranche_amount": tranche.get("amount"),
                "instrument": component.get("instrument_id"),
                "instrument_slug": component.get("instrument_slug"),
                "instrument_short_name": component.get("instrument_short_name"),
                "steps_met": group["steps_met"] if group["conditions_assessed"] else None,
                "outcome": condition_outcome(group["steps_due"], group["steps_met"] if all_assessed else None),
                "paid": payments.get("paid", ZERO),
                "last_published": max(
                    (when for when in (group["last_published"], payments.get("last_published")) if when), default=None
                ),
            }
        )
    ledger.sort(key=lambda row: (row["instrument"] or 0, row["tranche"]))
    return ledger
