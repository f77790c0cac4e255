"""Figures from the stored snapshots: summary, timeseries and the snapshots themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from public import answers
from reports.selectors import snapshot_by_hash

from .. import selectors
from ..errors import InvalidParameter
from ..serializers import (
    SnapshotDetailSerializer,
    SnapshotSerializer,
    SummarySerializer,
    TimeseriesSerializer,
)
from .base import NO_SNAPSHOT, TABULAR, PublicAPIMixin, ReplayMixin


class SnapshotMixin(ReplayMixin):
    """Summary and timeseries: figures read from a snapshot, rendered once per worker and request
    variant, and replayed before DRF while the snapshot is still the one its ``as_of`` picks."""

    def snapshot(self) -> tuple[selectors.SnapshotHead, dict[str, Any]]:
        """The snapshot for the request's ``as_of`` (without its payload) and its figures. One query."""
        found = selectors.snapshot_figures_as_of(as_of=self.as_of)
        if found is None:
            raise NotFound(NO_SNAPSHOT)
        head = found[0]
        self.answered = (head.pk, head.content_hash)
        answers.pointer_set(cast(Any, self).request.query_params.get("as_of", ""), self.answered)
        return found

    @staticmethod
    def tabular(request: Request) -> bool:
        renderer = getattr(request, "accepted_renderer", None)
        return getattr(renderer, "format", None) in TABULAR

    def rendered(self, request: Request, head: selectors.SnapshotHead, build: Callable[[], Any]) -> Any:
        """The answer for ``head`` and this request variant: rendered before, or ``build()``-ed now
        (its Last-Modified the snapshot's time) and kept once rendered."""
        query = tuple(sorted((name, tuple(values)) for name, values in request.query_params.lists()))
        media = (request.accepted_media_type, getattr(request.accepted_renderer, "format", None))
        key = (type(self).__name__, head.pk, head.content_hash, *media, request.scheme, request.get_host(), query)
        if (replayed := answers.rendered_get(key)) is not None:
            return replayed
        response = self.set_last_modified(Response(build()), head.created_at)
        response.add_post_render_callback(
            lambda rendered: answers.rendered_keep(key, rendered) if rendered.status_code == 200 else None
        )
        return response

    def answered_as(self) -> str:
        return cast(Any, self).request.query_params.get("as_of", "")


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

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.snapshots_public(as_of=self.as_of)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return SnapshotDetailSerializer if self.action == "retrieve" else SnapshotSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        snapshot = snapshot_by_hash(self.kwargs["hash"])
        if snapshot is None:
            raise NotFound("No snapshot has this hash.")
        response = Response(SnapshotDetailSerializer(snapshot, context={"request": request}).data)
        patch_cache_control(response, max_age=settings.API_SNAPSHOT_MAX_AGE, immutable=True)
        return self.set_last_modified(response, snapshot.created_at)
