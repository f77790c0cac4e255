"""The record resources: instruments, components, tranches, disbursements, sources, citations."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from rest_framework.settings import api_settings

from .. import selectors
from ..export import ExportCursorPagination
from ..filters import (
    CitationFilter,
    ComponentFilter,
    DisbursementFilter,
    InstrumentFilter,
    SourceFilter,
    TrancheFilter,
)
from ..serializers import (
    CitationSerializer,
    ComponentSerializer,
    DisbursementSerializer,
    InstrumentSerializer,
    SourceSerializer,
    TrancheSerializer,
)
from .base import PublicReadOnlyViewSet


class InstrumentViewSet(PublicReadOnlyViewSet):
    """Lending programmes: the Ukraine Support Loan and, as context, the Ukraine Facility and the EU
    share of the G7 ERA loans. Amounts in EUR; instruments are never added together."""

    select = staticmethod(selectors.instruments_public)
    serializer_class = InstrumentSerializer
    filterset_class = InstrumentFilter
    search_fields: ClassVar = ["name", "short_name", "legal_basis", "description"]
    ordering_fields: ClassVar = ["name", "short_name", "amount", "period_start", "id"]
    ordering: ClassVar = ["name"]


class ComponentViewSet(PublicReadOnlyViewSet):
    """Envelopes of an instrument, e.g. Defence (€60bn) and Budget support (€30bn) of the USL."""

    select = staticmethod(selectors.components_public)
    serializer_class = ComponentSerializer
    filterset_class = ComponentFilter
    search_fields: ClassVar = ["name", "description"]
    ordering_fields: ClassVar = ["name", "amount", "instrument_id", "id"]
    ordering: ClassVar = ["instrument_id", "-amount", "name"]


class TrancheViewSet(PublicReadOnlyViewSet):
    """Portions of a component with a purpose, an amount (EUR) and a stage: planned, approved,
    disbursed, withheld or cancelled, each with the date it was reached."""

    select = staticmethod(selectors.tranches_public)
    export_dicts = True
    export_fields = (
        "id", "component_id", "name", "slug", "purpose", "amount", "stage", "planned_on", "approved_on",
        "disbursed_on", "withheld_on", "cancelled_on", "budget_year", "notes", "published_at",
    )  # fmt: skip

    def prepare_rows(self, rows: list[Any]) -> list[Any]:
        return selectors.tranches_with_parents(rows, as_of=self.as_of)

    serializer_class = TrancheSerializer
    filterset_class = TrancheFilter
    search_fields: ClassVar = ["name", "purpose", "notes"]
    ordering_fields: ClassVar = [
        "name", "amount", "stage", "purpose", "budget_year", "planned_on", "approved_on", "disbursed_on", "id",
    ]  # fmt: skip
    ordering: ClassVar = ["component_id", "planned_on", "name"]


class DisbursementCursorPagination(ExportCursorPagination):
    ordering = ("value_date", "id")


class DisbursementViewSet(PublicReadOnlyViewSet):
    """Money actually paid: value date and amount in EUR (the figure every total uses), the amount
    as the source reported it, and the USD equivalent at the ECB rate of the value date. Paged by
    cursor: follow ``next``."""

    select = staticmethod(selectors.disbursements_public)
    serializer_class = DisbursementSerializer
    filterset_class = DisbursementFilter
    pagination_class = DisbursementCursorPagination
    search_fields: ClassVar = ["tranche_name", "purpose", "notes"]
    ordering_fields: ClassVar = ["value_date", "amount_eur", "id"]
    ordering: ClassVar = ["value_date", "id"]

    export_dicts = True
    export_fields = (
        "id", "tranche_id", "value_date", "value_date_precision", "amount_eur", "reported_amount",
        "reported_currency", "paid_through_id", "notes", "published_at",
    )  # fmt: skip

    def get_queryset(self) -> QuerySet[Any]:
        searching = bool(self.request.query_params.get(api_settings.SEARCH_PARAM))
        return selectors.disbursements_public(as_of=self.as_of, searchable=searching)

    def prepare_rows(self, rows: list[Any]) -> list[Any]:
        return selectors.disbursements_with_parents(rows, as_of=self.as_of)


class SourceViewSet(PublicReadOnlyViewSet):
    """Documents behind the figures, graded A (official text), B (established media) or C
    (secondary site), each with the quoted passages (citations) that back a figure. Conflicting
    claims stay visible: ``is_used`` is false for those the public figures do not use."""

    select = staticmethod(selectors.sources_public)
    serializer_class = SourceSerializer
    filterset_class = SourceFilter
    search_fields: ClassVar = ["publisher", "title", "notes"]
    ordering_fields: ClassVar = ["grade", "publisher", "title", "published_on", "id"]
    ordering: ClassVar = ["grade", "publisher", "title"]

    def prepare_rows(self, rows: list[Any]) -> list[Any]:
        grouped = selectors.citations_by_source(source_ids=[row.id for row in rows], as_of=self.as_of)
        for row in rows:
            row.public_citations = grouped.get(row.id, [])
        return rows


class CitationViewSet(PublicReadOnlyViewSet):
    """Claims: one source's figure for one record, with the passage quoted. Sources may disagree;
    every claim is listed and ``is_used`` marks the one the public figures use."""

    select = staticmethod(selectors.citations_public)
    serializer_class = CitationSerializer
    filterset_class = CitationFilter
    search_fields: ClassVar = ["quote", "figure", "locator"]
    ordering_fields: ClassVar = ["id", "source_id", "figure"]
    ordering: ClassVar = ["id"]
