"""Public versions of loan records for the API, with their parents' names and the USD rate."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
)

from reports.models import ExchangeRate
from tranches.models import Citation, Component, Disbursement, Instrument, Publishable, Source, Tranche
from tranches.selectors import public_versions

USD = "USD"


def _public(model: type[Publishable], as_of: datetime.datetime | None, field_name: str, ref: str) -> Subquery:
    """A subquery: ``field_name`` of the public version (at ``as_of``) whose id is ``OuterRef(ref)``."""
    return Subquery(public_versions(model, as_of=as_of).filter(id=OuterRef(ref)).values(field_name)[:1])


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
    """Published tranches with their component and instrument (ids, slugs, names; same ``as_of``)."""
    return (
        public_versions(Tranche, as_of=as_of)
        .annotate(
            component_slug=_public(Component, as_of, "slug", "component_id"),
            component_name=_public(Component, as_of, "name", "component_id"),
            instrument_id=_public(Component, as_of, "instrument_id", "component_id"),
        )
        .annotate(
            instrument_slug=_public(Instrument, as_of, "slug", "instrument_id"),
            instrument_short_name=_public(Instrument, as_of, "short_name", "instrument_id"),
        )
    )


def _usd_rate(field_name: str) -> Subquery:
    """The ECB rate (USD per 1 EUR) of the value date, or of the last ECB business day before it:
    the rule the figure snapshots use, so that both give the same dollars."""
    rates = ExchangeRate.objects.filter(currency=USD, date__lte=OuterRef("value_date")).order_by("-date")
    return Subquery(rates.values(field_name)[:1])


def disbursements_public(*, as_of: datetime.datetime | None = None) -> QuerySet[Any]:
    """Published disbursements (EUR) with their tranche, component and instrument, and the USD
    equivalent at the ECB rate of the value date (``usd_rate``, ``usd_rate_date``; None when no
    rate is stored for that day or before)."""
    return (
        public_versions(Disbursement, as_of=as_of)
        .annotate(
            tranche_name=_public(Tranche, as_of, "name", "tranche_id"),
            purpose=_public(Tranche, as_of, "purpose", "tranche_id"),
            budget_year=_public(Tranche, as_of, "budget_year", "tranche_id"),
            component_id=_public(Tranche, as_of, "component_id", "tranche_id"),
            usd_rate=_usd_rate("rate"),
            usd_rate_date=_usd_rate("date"),
        )
        .annotate(
            component_slug=_public(Component, as_of, "slug", "component_id"),
            component_name=_public(Component, as_of, "name", "component_id"),
            instrument_id=_public(Component, as_of, "instrument_id", "component_id"),
            amount_usd=ExpressionWrapper(
                F("amount_eur") * F("usd_rate"), output_field=DecimalField(max_digits=30, decimal_places=8)
            ),
        )
        .annotate(
            instrument_slug=_public(Instrument, as_of, "slug", "instrument_id"),
            instrument_short_name=_public(Instrument, as_of, "short_name", "instrument_id"),
        )
    )


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


def last_published(queryset: QuerySet[Any]) -> datetime.datetime | None:
    """When the newest version among ``queryset``'s rows was published (one query)."""
    return queryset.order_by().aggregate(last=Max("history_date"))["last"]
