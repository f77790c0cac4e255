"""Figures from the stored snapshots: summary, timeseries and the snapshots themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from public import answers
from reports.selectors import snapshot_by_hash, snapshot_list

from .. import selectors
from ..errors import InvalidParameter
from ..selectors.snapshots import release_state, snapshot_figures, snapshot_head_by_hash
from ..serializers import (
    InstrumentYearsSerializer,
    SnapshotDetailSerializer,
    SnapshotSerializer,
    SummarySerializer,
    TimeseriesRowSerializer,
    TimeseriesSerializer,
)
from .base import TABULAR, PublicAPIMixin, ReplayMixin, out_of_range

NO_SNAPSHOT_WITH_HASH = "No snapshot has this hash."


class SnapshotMixin(ReplayMixin):
    """Summary and timeseries: figures read from the snapshot the request shows (its head is the
    answer's state, read once; its figures are read only when the answer is not kept)."""

    def snapshot(self) -> tuple[selectors.SnapshotHead, dict[str, Any]]:
        """The snapshot for the request (its head, already read) and its figures. One query."""
        return self.shown, snapshot_figures(self.shown.pk)

    @staticmethod
    def tabular(request: Request) -> bool:
        renderer = getattr(request, "accepted_renderer", None)
        return getattr(renderer, "format", None) in TABULAR

    def rendered(self, request: Request, head: selectors.SnapshotHead, build: Callable[[], Any]) -> Any:
        """The answer for ``head``: ``build()``-ed now (public.answers keeps it)."""
        return self.set_last_modified(Response(build()), head.created_at)


class SummaryView(SnapshotMixin, APIView):
    """The headline figures from the latest stored snapshot (or the one for ``as_of``): for each
    instrument and component, committed, disbursed, remaining and more, in EUR, with USD at ECB
    rates. As CSV/XLSX, one row per instrument and per component. Computed by the background job;
    this endpoint never reads the loan tables."""

    export_name = "summary"

    @extend_schema(operation_id="summary_retrieve", responses=SummarySerializer)
    def get(self, request: Request) -> Response | HttpResponse:
        snapshot, payload = self.snapshot()

        def build() -> Any:
            if self.tabular(request):
                return selectors.summary_rows(payload)
            return SummarySerializer(
                {
                    "snapshot": snapshot,
                    "currency": payload.get("currency", "EUR"),
                    "usd": payload.get("usd"),
                    "instruments": payload.get("instruments", []),
                },
                context={"request": request},
            ).data

        return self.rendered(request, snapshot, build)


class InstrumentYearsView(SnapshotMixin, APIView):
    """EU money to Ukraine by instrument and calendar year, each euro counted once: a payment counts
    under its own tranche's instrument only; one paid through another instrument (budget support of
    the loan paid as extra Ukraine Facility loans under Regulation (EU) 2026/468) is shown there as
    ``linked_in``, never added to its ``paid``. ``total`` adds the distinct payments of every
    instrument. Estimates (costs, needs) are never money paid. From the stored snapshot; as CSV/XLSX,
    a row per instrument and year, then a row per year for all instruments together."""

    export_name = "instrument-years"

    @extend_schema(operation_id="instrument_years_retrieve", responses=InstrumentYearsSerializer)
    def get(self, request: Request) -> Response | HttpResponse:
        snapshot, payload = self.snapshot()

        def build() -> Any:
            if self.tabular(request):
                return selectors.instrument_year_rows(payload)
            view = payload.get("instrument_years") or {}
            return InstrumentYearsSerializer(
                {
                    "snapshot": snapshot,
                    "currency": payload.get("currency", "EUR"),
                    "rules": view.get("rules", []),
                    "years": view.get("years", []),
                    "instruments": view.get("instruments", []),
                    "total": view.get("total") or {"years": [], "paid": "0.00", "count": 0},
                },
                context={"request": request},
            ).data

        return self.rendered(request, snapshot, build)


INTERVAL_PARAM = OpenApiParameter(
    "interval", OpenApiTypes.STR, enum=list(selectors.INTERVALS), description="month (default), quarter or year."
)
CUMULATIVE_PARAM = OpenApiParameter(
    "cumulative", OpenApiTypes.BOOL, description="true: running totals; false (default): paid in each period."
)
INSTRUMENT_PARAM = OpenApiParameter("instrument", OpenApiTypes.STR, description="Id or slug of an instrument.")
COMPONENT_PARAM = OpenApiParameter("component", OpenApiTypes.STR, description="Id or slug of a component.")
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class TimeseriesView(SnapshotMixin, APIView):
    """Money disbursed per month, quarter or year, or the running total, for each instrument and
    each of its components (EUR), from the stored snapshot. As CSV/XLSX, one row per series and
    period."""

    export_name = "timeseries"
    export_serializer_class = TimeseriesRowSerializer  # the columns of an export, even an empty one

    @extend_schema(
        operation_id="timeseries_retrieve",
        parameters=[INTERVAL_PARAM, CUMULATIVE_PARAM, INSTRUMENT_PARAM, COMPONENT_PARAM],
        responses=TimeseriesSerializer,
    )
    def get(self, request: Request) -> Response | HttpResponse:
        interval = request.query_params.get("interval") or "month"
        if interval not in selectors.INTERVALS:
            raise InvalidParameter("interval", f"Use one of: {', '.join(selectors.INTERVALS)}; got {interval!r}.")
        cumulative_text = (request.query_params.get("cumulative") or "false").lower()
        if cumulative_text not in BOOLEANS:
            raise InvalidParameter("cumulative", f"Use true or false; got {cumulative_text!r}.")
        cumulative = BOOLEANS[cumulative_text]
        snapshot, payload = self.snapshot()

        def build() -> Any:
            series = selectors.timeseries_from_snapshot(
                payload,
                interval=interval,
                cumulative=cumulative,
                instrument=request.query_params.get("instrument") or None,
                component=request.query_params.get("component") or None,
            )
            if self.tabular(request):
                return [
                    {**{k: v for k, v in one.items() if k != "points"}, **point, "value": str(point["value"])}
                    for one in series
                    for point in one["points"]
                ]
            return TimeseriesSerializer(
                {
                    "snapshot": snapshot,
                    "interval": interval,
                    "cumulative": cumulative,
                    "currency": "EUR",
                    "series": series,
                },
                context={"request": request},
            ).data

        return self.rendered(request, snapshot, build)


class SnapshotViewSet(PublicAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Stored, content-hashed versions of the computed figures, newest first. The detail, by hash,
    is the permalink of a dated version: it never changes and may be cited."""

    lookup_field = "content_hash"
    lookup_url_kwarg = "hash"
    lookup_value_regex = r"[0-9a-fA-F]{64}"
    filter_backends = ()
    export_name = "snapshots"

    def read_state(self, *args: Any, **kwargs: Any) -> answers.State:
        if "hash" in kwargs:  # a permalink: immutable
            head = snapshot_head_by_hash(kwargs["hash"])
            if head is None:
                raise NotFound(NO_SNAPSHOT_WITH_HASH)
            return answers.State(key=("snapshot", head.pk, head.content_hash), changed_at=head.created_at, pinned=True)
        if self.release is not None or self.as_of is not None:  # the list as that release left it
            shown = release_state(release=self.release, as_of=self.as_of)
            if shown is None:
                raise out_of_range(self.release, self.as_of)
            self.as_of = shown.published_at if self.release is not None else self.as_of
        newest = snapshot_list().values_list("pk", "created_at").first()
        return answers.State(
            key=("snapshots", *(newest or (None, None)), self.as_of.isoformat() if self.as_of else None),
            changed_at=newest[1] if newest else None,
        )

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.snapshots_public(as_of=self.as_of)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return SnapshotDetailSerializer if self.action == "retrieve" else SnapshotSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        snapshot = snapshot_by_hash(self.kwargs["hash"])
        if snapshot is None:
            raise NotFound(NO_SNAPSHOT_WITH_HASH)
        response = Response(SnapshotDetailSerializer(snapshot, context={"request": request}).data)
        return self.set_last_modified(response, snapshot.created_at)
