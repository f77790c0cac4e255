"""Public versions of loan records for the API, with their parents' names and the USD rate.

A list is one query for its rows (parents' fields that filters need are aliases, computed only
when a filter uses them); the parents' names and the USD rate of a page are attached afterwards in
a fixed number of queries (``*_with_parents``), never by a subquery per row."""

from __future__ import annotations

import datetime
from bisect import bisect_right
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from reports.models import ExchangeRate
from tranches.models import Citation, Component, Disbursement, Instrument, Publishable, Source, Tranche
from tranches.selectors import public_versions

USD = "USD"


def _public(model: type[Publishable], as_of: datetime.datetime | None, field_name: str, ref: str) -> Subquery:
    """A subquery: ``field_name`` of the public version (at ``as_of``) whose id is ``OuterRef(ref)``."""
    return Subquery(public_versions(model, as_of=as_of).filter(id=OuterRef(ref)).order_by().values(field_name)[:1])


def instruments_public(*, as_of: datetime.datetime | None = None) -> QuerySet[Any]:
    """Published instruments as of ``as_of`` (amounts in EUR)."""
    return public_versions(Instrument, as_of=as_of)


def components_public(*, as_of: datetime.datetime | None = None) -> QuerySet[Any]:
    """Published components, each with its instrument's slug and short name (same ``as_of``)."""
    return public_versions(Component, as_of=as_of).annotate(
        instrument_slug=_public(Instrument, as_of, "slug", "instrument_id"),
        instrument_short_name=_public(Instrument, as_of, "short_name", "instrument_id"),
    )


def tranches_public(*, as_of: datetime.datetime | None = None) -> QuerySet[Any]:
    """Published tranches (EUR). The names of a page's components and instruments are attached by
    ``tranches_with_parents``."""
    return public_versions(Tranche, as_of=as_of)


def _components_by_id(ids: Iterable[int], as_of: datetime.datetime | None) -> dict[int, dict[str, Any]]:
    """Public components (same ``as_of``) by id, with their instrument's slug and short name."""
    wanted = {pk for pk in ids if pk is not None}
    if not wanted:
        return {}
    rows = components_public(as_of=as_of).filter(id__in=wanted).order_by()
    return {row["id"]: row for row in rows.values(*PARENT_FIELDS["component"])}


PARENT_FIELDS = {
    "component": ("id", "slug", "name", "instrument_id", "instrument_slug", "instrument_short_name"),
    "tranche": ("id", "name", "purpose", "budget_year", "component_id"),
}


def _get(row: Any, name: str) -> Any:
    """A field of a row: a published version (a model instance), or a dict (a streamed export's ``values()``)."""
    return row[name] if isinstance(row, dict) else getattr(row, name)


def _put(row: Any, **values: Any) -> None:
    if isinstance(row, dict):
        row.update(values)
    else:
        for name, value in values.items():
            setattr(row, name, value)


def _set_component(row: Any, component: dict[str, Any]) -> None:
    _put(
        row,
        component_slug=component.get("slug"),
        component_name=component.get("name"),
        instrument_id=component.get("instrument_id"),
        instrument_slug=component.get("instrument_slug"),
        instrument_short_name=component.get("instrument_short_name"),
    )


def tranches_with_parents(rows: list[Any], *, as_of: datetime.datetime | None = None) -> list[Any]:
    """Sets on each public tranche version (a model instance or a dict) its component's slug and name
    and its instrument's id, slug and short name, from their public versions at ``as_of`` (None
    where not public). One query."""
    components = _components_by_id((_get(row, "component_id") for row in rows), as_of)
    for row in rows:
        _set_component(row, components.get(_get(row, "component_id"), {}))
    return rows


def usd_rates_on(days: Iterable[datetime.date]) -> dict[datetime.date, tuple[datetime.date, Decimal]]:
    """For each day, the ECB rate (USD per 1 EUR) of that day or of the last ECB business day
    before it, with the date of the rate: the rule the figure snapshots use. Days with no rate
    stored up to them are left out. One query, whatever the number of days."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    rates = ExchangeRate.objects.filter(currency=USD)
    first = rates.filter(date__lte=wanted[0]).order_by("-date").values("date")[:1]
    stored = list(
        rates.filter(date__lte=wanted[-1], date__gte=Coalesce(Subquery(first), Value(wanted[0])))
        .order_by("date")
        .values_list("date", "rate")
    )
    dates = [day for day, _ in stored]
    found = {}
    for day in wanted:
        index = bisect_right(dates, day) - 1
        if index >= 0:
            found[day] = stored[index]
    return found


def disbursements_public(*, as_of: datetime.datetime | None = None, searchable: bool = False) -> QuerySet[Any]:
    """Published disbursements (EUR); ``disbursements_with_parents`` attaches a page's tranche,
    component and instrument and the USD equivalent at the ECB rate of the value date. With
    ``searchable``, the tranche's name and purpose can be searched (a subquery per row searched)."""
    rows = public_versions(Disbursement, as_of=as_of)
    if searchable:
        rows = rows.alias(
            tranche_name=_public(Tranche, as_of, "name", "tranche_id"),
            purpose=_public(Tranche, as_of, "purpose", "tranche_id"),
        )
    return rows


def disbursements_with_parents(rows: list[Any], *, as_of: datetime.datetime | None = None) -> list[Any]:
    """Sets on each public disbursement version (a model instance or a dict) its tranche's name,
    purpose, budget year and component, the component's and instrument's ids, slugs and names
    (public versions at ``as_of``; None where not public), the USD equivalent: ``usd_rate`` and
    ``usd_rate_date`` (the ECB rate of the value date, or of the last ECB business day before it)
    and ``amount_usd`` = amount_eur × rate (None without a rate), and ``paid_through_slug``, the
    slug of the instrument a payment went through (None if none). Three queries, whatever the
    number of rows, and a fourth when a payment of the page went through another instrument."""
    tranche_ids = {pk for row in rows if (pk := _get(row, "tranche_id")) is not None}
    tranches = (
        {
            row["id"]: row
            for row in public_versions(Tranche, as_of=as_of)
            .filter(id__in=tranche_ids)
            .order_by()
            .values(*PARENT_FIELDS["tranche"])
        }
        if tranche_ids
        else {}
    )
    components = _components_by_id((tranche["component_id"] for tranche in tranches.values()), as_of)
    rates = usd_rates_on(_get(row, "value_date") for row in rows)
    through_ids = {pk for row in rows if (pk := _get(row, "paid_through_id")) is not None}
    through = (
        dict(public_versions(Instrument, as_of=as_of).filter(id__in=through_ids).order_by().values_list("id", "slug"))
        if through_ids
        else {}
    )
    for row in rows:
        tranche = tranches.get(_get(row, "tranche_id"), {})
        rate = rates.get(_get(row, "value_date"))
        amount_eur = _get(row, "amount_eur")
        _put(
            row,
            tranche_name=tranche.get("name"),
            purpose=tranche.get("purpose"),
            budget_year=tranche.get("budget_year"),
            component_id=tranche.get("component_id"),
            usd_rate_date=rate[0] if rate is not None else None,
            usd_rate=rate[1] if rate is not None else None,
            amount_usd=amount_eur * rate[1] if rate is not None else None,
            paid_through_slug=through.get(_get(row, "paid_through_id")),
        )
        _set_component(row, components.get(tranche.get("component_id", 0), {}))
    return rows


def sources_public(*, as_of: datetime.datetime | None = None) -> QuerySet[Any]:
    """Published sources (documents with a reliability grade)."""
    return public_versions(Source, as_of=as_of)


def citations_public(*, as_of: datetime.datetime | None = None) -> QuerySet[Any]:
    """Published citations whose source is published too. Conflicting claims about one figure are
    all kept; ``is_used`` marks the claim the public figures use."""
    return public_versions(Citation, as_of=as_of).filter(
        source_id__in=public_versions(Source, as_of=as_of).values("id")
    )


def citations_by_source(*, source_ids: Iterable[int], as_of: datetime.datetime | None = None) -> dict[int, list[Any]]:
    """The public citations of these sources, grouped by source id, in one query."""
    grouped: dict[int, list[Any]] = {}
    for citation in citations_public(as_of=as_of).filter(source_id__in=list(source_ids)).order_by("id"):
        grouped.setdefault(citation.source_id, []).append(citation)
    return grouped


def count_and_last_published(queryset: QuerySet[Any]) -> tuple[int, datetime.datetime | None]:
    """How many rows ``queryset`` has and when the newest of them was published: one pass."""
    found = queryset.order_by().aggregate(count=Count("pk"), last=Max("published_at"))
    return found["count"], found["last"]


def last_published(queryset: QuerySet[Any]) -> datetime.datetime | None:
    """When the newest version among ``queryset``'s rows was published (one query)."""
    return queryset.order_by().aggregate(last=Max("published_at"))["last"]
