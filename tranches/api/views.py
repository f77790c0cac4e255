"""Read-only views of the public API. Views parse parameters and pick a selector; the reading is in
``tranches.api.selectors``. Every response carries ETag, Last-Modified where known, Cache-Control
and ``Vary: Accept``; a request with a matching If-None-Match or If-Modified-Since gets a 304."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, cast

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.middleware.http import ConditionalGetMiddleware
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.decorators import decorator_from_middleware
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from loantracker import answers
from reports.selectors import snapshot_by_hash

from . import selectors
from .errors import InvalidParameter
from .export import ExportCursorPagination, ExportPageNumberPagination, csv_stream, export_page_size
from .filters import (
    CitationFilter,
    ComponentFilter,
    DisbursementFilter,
    InstrumentFilter,
    ReleaseFilter,
    SourceFilter,
    TrancheFilter,
)
from .pagination import CursorPagination, page_size_param
from .params import as_of_param, parse_date
from .renderers import CSVRenderer, XLSXRenderer, export_filename
from .serializers import (
    ChangeSerializer,
    CitationSerializer,
    ComponentSerializer,
    DisbursementSerializer,
    InstrumentSerializer,
    ReleaseSerializer,
    SnapshotDetailSerializer,
    SnapshotSerializer,
    SourceSerializer,
    SummarySerializer,
    TimeseriesSerializer,
    TrancheSerializer,
)

conditional_get = decorator_from_middleware(ConditionalGetMiddleware)
NO_SNAPSHOT = "No figures have been computed yet for this date; try again after the next refresh."
TABULAR = (CSVRenderer.format, XLSXRenderer.format)


class PublicAPIMixin:
    """Shared behaviour: ``as_of``, refusal of NUL bytes, caching headers, conditional GET."""

    as_of: datetime.datetime | None = None
    cache_max_age: str = "API_CACHE_MAX_AGE"

    @classmethod
    def as_view(cls, *args: Any, **kwargs: Any) -> Any:
        return conditional_get(super().as_view(*args, **kwargs))  # type: ignore[misc]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        for name, value in request.query_params.items():
            if "\x00" in name or "\x00" in value:
                raise InvalidParameter(name.replace("\x00", ""), "A NUL character is not allowed.")
        self.as_of = as_of_param(request)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if response.status_code < 400 and not response.has_header("Cache-Control"):
            patch_cache_control(response, public=True, max_age=getattr(settings, self.cache_max_age))
        patch_vary_headers(response, ["Accept"])
        return response

    @staticmethod
    def set_last_modified(response: Response, when: datetime.datetime | None) -> Response:
        if when is not None:
            response["Last-Modified"] = http_date(when.timestamp())
        return response


class ReplayMixin(PublicAPIMixin):
    """A GET answered already is replayed before DRF (loantracker.answers): no query, no rendering,
    only DRF's throttles, while what it shows is still current as far as this worker knows.
    If-Modified-Since takes the full path. ``answered`` is what the answer shows, once known."""

    answered: answers.Snapshot | None = None

    @classmethod
    def as_view(cls, *args: Any, **kwargs: Any) -> Any:
        view = super().as_view(*args, **kwargs)
        name = cls.__name__
        throttling_view = cls()

        def throttles_allow(request: HttpRequest) -> bool:
            # The same throttles as the full view (a refused request goes on to it: 429), on the
            # request as DRF sees it: without authentication, so a session's user is anonymous too.
            seen = Request(request)
            return all(throttle().allow_request(seen, throttling_view) for throttle in cls.throttle_classes)  # type: ignore[attr-defined]

        @functools.wraps(view)  # keeps cls, initkwargs, actions and csrf_exempt, which DRF and the schema read
        def replaying(request: HttpRequest, *view_args: Any, **view_kwargs: Any) -> Any:
            if request.method == "GET" and "HTTP_IF_MODIFIED_SINCE" not in request.META:
                key = answers.answer_key(request, name)
                replayed = answers.answer_replay_checked(request, key, cls.replay_pointer, lambda: cls.current(request))
                if replayed is not None and throttles_allow(request):
                    return replayed
            return view(request, *view_args, **view_kwargs)

        return replaying

    replay_pointer = ""  # the pointer naming what is current for these answers, if ``current`` reads it

    @classmethod
    def current(cls, request: HttpRequest) -> answers.Snapshot | None:
        """Hook: when no answer is trusted, what is current now (one cheap query), or None."""
        return None

    def answered_as(self) -> str:
        """The name of the pointer that says which ``answered`` is current (loantracker.answers)."""
        raise NotImplementedError

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        shown = self.answered
        if shown is None or response.status_code != 200 or request.method != "GET" or response.streaming:
            return response
        key = answers.answer_key(request._request, type(self).__name__)
        pointer = self.answered_as()

        def keep(rendered: Any) -> None:
            answers.answer_keep(key, shown, pointer, rendered)

        if hasattr(response, "add_post_render_callback") and not response.is_rendered:
            response.add_post_render_callback(keep)
        else:
            keep(response)
        return response


class RecordsReplayMixin(ReplayMixin):
    """Records, releases and the change log: an answer is current while the latest release and the
    exchange rates are unchanged (``selectors.published_state``, one query of indexed maxima),
    which a worker reads at most once per POINTER_SECONDS for all its answers."""

    replay_pointer = answers.RECORDS

    @classmethod
    def current(cls, request: HttpRequest) -> answers.Snapshot | None:
        # Read before the answer's own queries: a release in between makes it stale, never wrong.
        request._records_inputs = (0, *selectors.published_state())  # type: ignore[attr-defined]
        return request._records_inputs  # type: ignore[attr-defined]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.answered = getattr(request._request, "_records_inputs", None)

    def answered_as(self) -> str:
        return answers.RECORDS


class PublicReadOnlyViewSet(RecordsReplayMixin, viewsets.ReadOnlyModelViewSet):
    """A list and a detail of public versions; records are looked up by their stable id.

    A list is its page's query (plus the count for page numbers), ``prepare_rows`` (a fixed number
    of queries for the page's related rows) and the time of the newest version (for Last-Modified:
    of the whole list for page numbers, whose count it covers; of the page's rows for cursors). A
    CSV export larger than a page (up to EXPORT_MAX_ROWS rows) streams; every CSV page links the
    next in a ``Link: rel="next"`` header."""

    lookup_field = "id"
    lookup_value_regex = r"[0-9]{1,18}"
    ordering_tiebreak = "id"  # added to every ordering (StrictOrderingFilter): pages never overlap
    select = staticmethod(selectors.instruments_public)
    pagination_class: type[BasePagination] | None = ExportPageNumberPagination
    export_dicts = False  # prepare_rows and the serializer take dicts: a large export reads values()
    export_fields: tuple[str, ...] = ()  # ...of these columns (the serializer's and the orderings')

    def get_queryset(self) -> QuerySet[Any]:
        return self.select(as_of=self.as_of)

    def prepare_rows(self, rows: list[Any]) -> list[Any]:
        """Hook to attach related rows to a page in a fixed number of queries."""
        return rows

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response | StreamingHttpResponse:  # type: ignore[override]
        queryset = self.filter_queryset(self.get_queryset())
        streamed = (export_page_size(request) or 0) > settings.API_MAX_PAGE_SIZE
        if streamed and self.export_dicts:  # thousands of rows: the columns shown, as dicts
            queryset = queryset.values(*self.export_fields)
        if isinstance(self.paginator, CursorPagination):  # no count: the page's rows are the answer
            page = self.paginate_queryset(queryset)
            rows = self.prepare_rows(list(page if page is not None else queryset))
            last = max(
                (row["published_at"] if streamed and self.export_dicts else row.published_at for row in rows),
                default=None,
            )
        else:
            counted, last = selectors.count_and_last_published(queryset)
            queryset.counted = counted  # type: ignore[attr-defined]  # read by CountedPaginator
            page = self.paginate_queryset(queryset)
            rows = self.prepare_rows(list(page if page is not None else queryset))
        if streamed:
            return self.csv_stream(rows, last)
        data = self.get_serializer(rows, many=True).data
        response = self.get_paginated_response(data) if page is not None else Response(data)
        if getattr(request.accepted_renderer, "format", None) == CSVRenderer.format:
            self.link_next(response)
        return self.set_last_modified(response, last)

    def link_next(self, response: HttpResponseBase) -> None:
        """A CSV page has no room for the next page's link: it goes in a Link header."""
        next_link = self.paginator.get_next_link() if self.paginator is not None else None  # type: ignore[attr-defined]
        if next_link:
            response["Link"] = f'<{next_link}>; rel="next"'

    def csv_stream(self, rows: Sequence[Any], last: datetime.datetime | None) -> StreamingHttpResponse:
        response = csv_stream(self.get_serializer(), rows, filename=f"{export_filename(self)}.csv", last=last)
        self.link_next(response)
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row = self.prepare_rows([self.get_object()])[0]
        return self.set_last_modified(Response(self.get_serializer(row).data), row.published_at)


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
        "id", "tranche_id", "value_date", "amount_eur", "reported_amount", "reported_currency", "notes",
        "published_at",
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


class ReleaseViewSet(PublicReadOnlyViewSet):
    """Releases: the reviewed sets of changes published together, numbered 1, 2, 3… in the order
    they were published, newest first, each with its public note (what changed and why) and how
    many records of each kind it published. ``?release=N`` on any resource shows the data as
    release N left it. Who reviewed or published a release is never shown."""

    lookup_field = "number"
    lookup_value_regex = r"[0-9]{1,9}"
    ordering_tiebreak = "number"
    select = staticmethod(selectors.releases_public)
    serializer_class = ReleaseSerializer
    filterset_class = ReleaseFilter
    search_fields: ClassVar = ["note"]
    ordering_fields: ClassVar = ["number", "published_at"]
    ordering: ClassVar = ["-number"]

    def prepare_rows(self, rows: list[Any]) -> list[Any]:
        return selectors.releases_with_counts(rows)


# ------------------------------------------------------------------------------------ change log

ENTITY_PARAM = OpenApiParameter(
    "entity",
    OpenApiTypes.STR,
    enum=list(selectors.CHANGE_ENTITIES),
    many=True,
    explode=True,
    description="Only changes of these kinds of record; repeat for several.",
)
SINCE_PARAM = OpenApiParameter(
    "since", OpenApiTypes.DATE, description="Only changes published on or after this day (YYYY-MM-DD, UTC)."
)
CURSOR_PARAM = OpenApiParameter("cursor", OpenApiTypes.STR, description="Position; take it from the next link.")
PAGE_SIZE_PARAM = OpenApiParameter(
    "page_size", OpenApiTypes.INT, description="Rows per page (default 50, at most 500)."
)


class ChangesPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next (older) page, or null at the end.")
    results = ChangeSerializer(many=True, help_text="Publications, newest first.")


def changes_params(request: Request) -> dict[str, Any]:
    """The change-log parameters (entity, since, cursor), validated; 400 naming a bad one."""
    entities = request.query_params.getlist("entity") or list(selectors.CHANGE_ENTITIES)
    unknown = [entity for entity in entities if entity not in selectors.CHANGE_ENTITIES]
    if unknown:
        raise InvalidParameter(
            "entity", f"Unknown entity {', '.join(unknown)}; use: {', '.join(selectors.CHANGE_ENTITIES)}."
        )
    since = request.query_params.get("since")
    cursor = request.query_params.get("cursor")
    try:
        position = selectors.ChangeCursor.decode(cursor) if cursor else None
    except selectors.InvalidCursor as exc:
        raise InvalidParameter("cursor", "Unknown cursor; follow the next link.") from exc
    return {
        "entities": [e for e in selectors.CHANGE_ENTITIES if e in entities],
        "since": datetime.datetime.combine(parse_date("since", since), datetime.time.min, tzinfo=datetime.UTC)
        if since
        else None,
        "cursor": position,
    }


class ChangeListView(RecordsReplayMixin, APIView):
    """The public change log: each publication of a record, newest first, with what changed since
    its previous publication (old → new), the release that published it and when. Drafts never
    appear, neither as a change nor as an old value, and editors and reviewers are never named.
    Paged by cursor: follow ``next``."""

    export_name = "changes"

    @extend_schema(
        operation_id="changes_list",
        parameters=[ENTITY_PARAM, SINCE_PARAM, CURSOR_PARAM, PAGE_SIZE_PARAM],
        responses=ChangesPageSerializer,
    )
    def get(self, request: Request) -> Response:
        params = changes_params(request)
        limit = page_size_param(request)
        page = selectors.changes_page(limit=limit, as_of=self.as_of, **params)
        next_url = None
        if page.next_cursor is not None:
            query = request.query_params.copy()
            query["cursor"] = page.next_cursor.encode()
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        results = ChangeSerializer(page.changes, many=True).data
        response = Response({"next": next_url, "results": results})
        return self.set_last_modified(response, page.changes[0].published_at if page.changes else None)


# ------------------------------------------------------------------------- snapshots and figures


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
