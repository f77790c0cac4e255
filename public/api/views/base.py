"""The behaviour every public API view shares: ``as_of`` and ``release``, refusal of NUL bytes,
caching headers, conditional GET, and the read-only viewset of public versions that the record
resources are."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.middleware.http import ConditionalGetMiddleware
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.decorators import decorator_from_middleware
from django.utils.http import http_date
from rest_framework import viewsets
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

from public import answers

from .. import selectors
from ..errors import InvalidParameter
from ..export import ExportPageNumberPagination, csv_stream, export_page_size
from ..pagination import CursorPagination
from ..params import as_of_param
from ..renderers import CSVRenderer, XLSXRenderer, export_filename

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
    """A GET answered already is replayed before DRF (public.answers): no query, no rendering,
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
        """The name of the pointer that says which ``answered`` is current (public.answers)."""
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
