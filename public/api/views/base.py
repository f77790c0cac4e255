"""The behaviour every public API view shares: ``as_of`` and ``release`` (and one answer when they
point before the first release or at no release), refusal of NUL bytes, and the one way out of
public.answers: ETag and Last-Modified from what the answer shows, 304s, answers kept in Django's
cache by release, Cache-Control. The read-only viewset of public versions that the record resources
are is here too."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponseBase, StreamingHttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date
from rest_framework import viewsets
from rest_framework.exceptions import MethodNotAllowed, NotFound
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

from public import answers

from .. import selectors
from ..errors import InvalidParameter
from ..export import ExportPageNumberPagination, csv_stream, export_page_size
from ..pagination import CursorPagination
from ..params import (
    AS_OF,
    RELEASE,
    RELEASE_AND_AS_OF,
    RELEASE_INVALID,
    RELEASE_UNKNOWN,
    end_of_day,
    is_whole_number,
    parse_date,
)
from ..renderers import CSVRenderer, XLSXRenderer, export_filename
from ..selectors.snapshots import ReleaseState, figures_state, release_bounds, release_state

NO_SNAPSHOT = "The figures of this release are not built yet; try again in a minute."
NO_RELEASE_YET = "No release has been published yet."
BEFORE_FIRST_RELEASE = (
    "No release was published by {day:%Y-%m-%d}. The first release, number {number}, was published on {first:%Y-%m-%d}."
)
TABULAR = (CSVRenderer.format, XLSXRenderer.format)


class BeforeFirstRelease(NotFound):
    """``as_of`` before the first release: nothing was public then (404)."""

    default_code = "before_first_release"


class UnknownRelease(NotFound):
    """``release=N`` names no release (404)."""

    default_code = "unknown_release"


class FiguresNotBuilt(NotFound):
    """The release exists, but no figures of it (or of an earlier release) are built yet (404)."""

    default_code = "figures_not_built"


def release_params(request: Request) -> tuple[int | None, datetime.datetime | None]:
    """``?release=N`` (a number) and ``?as_of=YYYY-MM-DD`` (the end of that day, UTC), checked for
    their form only; 400 naming the parameter for a bad value or both given."""
    value = request.query_params.get(AS_OF) or None
    number = request.query_params.get(RELEASE) or None
    if value is not None and number is not None:
        raise InvalidParameter(RELEASE, RELEASE_AND_AS_OF)
    if number is not None:
        if not is_whole_number(number, max_digits=9):
            raise InvalidParameter(RELEASE, RELEASE_INVALID.format(value=number))
        return int(number), None
    return None, end_of_day(parse_date(AS_OF, value)) if value is not None else None


def out_of_range(release: int | None, as_of: datetime.datetime | None) -> NotFound:
    """The one answer for a release number that does not exist or a date before the first
    release, the same on every resource (two more queries, on this error only)."""
    first, latest = release_bounds()
    if first is None:
        return UnknownRelease(NO_RELEASE_YET) if release is not None else BeforeFirstRelease(NO_RELEASE_YET)
    if release is not None:
        return UnknownRelease(RELEASE_UNKNOWN.format(number=release, latest=latest))
    assert as_of is not None  # noqa: S101 (only a pinned request can be out of range)
    return BeforeFirstRelease(BEFORE_FIRST_RELEASE.format(day=as_of, number=first[0], first=first[1]))


class PublicAPIMixin:
    """Shared behaviour: ``as_of``/``release``, refusal of NUL bytes, the answer's state and the
    one way out (public.answers) for GET and HEAD, once DRF has run its throttles and content
    negotiation (``initial``): a throttled request is refused before anything is read."""

    as_of: datetime.datetime | None = None
    release: int | None = None  # the release number asked for, if any
    state: answers.State

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if (request.method or "").lower() not in ("get", "head", "options"):
            raise MethodNotAllowed(request.method or "")  # 405 before any parameter is read
        for name, value in request.query_params.items():
            if "\x00" in name or "\x00" in value:
                raise InvalidParameter(name.replace("\x00", ""), "A NUL character is not allowed.")
        self.release, self.as_of = release_params(request)
        method = (request.method or "").lower()
        if method in ("get", "head") and hasattr(self, method):
            self.state = answers.state_of(request, lambda: self.read_state(*args, **kwargs))
            handler = getattr(self, method)
            setattr(self, method, answers.answered(type(self).__name__, lambda *_, **__: self.state)(handler))

    def read_state(self, *args: Any, **kwargs: Any) -> answers.State:
        """What this answer shows (one indexed query); raises NotFound when there is nothing."""
        raise NotImplementedError

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        patch_vary_headers(response, ["Accept"])
        return response

    @staticmethod
    def set_last_modified(response: Response, when: datetime.datetime | None) -> Response:
        if when is not None:
            response["Last-Modified"] = http_date(when.timestamp())
        return response


class ReplayMixin(PublicAPIMixin):
    """Answers of the figures: the state is the snapshot shown (``figures_state``): the newest of
    the release asked for (or the one ``as_of`` picks), else of the latest release with figures."""

    shown: selectors.SnapshotHead  # not "head": DRF answers HEAD with self.head

    def read_state(self, *args: Any, **kwargs: Any) -> answers.State:
        head = figures_state(release=self.release, as_of=self.as_of)
        if head is None:
            pinned = self.release is not None or self.as_of is not None
            if pinned and release_state(release=self.release, as_of=self.as_of) is None:
                raise out_of_range(self.release, self.as_of)
            raise FiguresNotBuilt(NO_SNAPSHOT)
        self.shown = head
        return answers.State(
            key=("snapshot", head.pk, head.content_hash, head.created_at.isoformat()),
            changed_at=head.created_at,
            pinned=self.release is not None and head.release == self.release,
        )


class RecordsReplayMixin(PublicAPIMixin):
    """Records, releases and the change log: the state is the release shown (``?release=N``, the
    one ``as_of`` picks, or the latest) and the exchange rates (USD equivalents), one query of
    indexed maxima. ``as_of`` is then the moment of the release asked for."""

    shown: ReleaseState

    def read_state(self, *args: Any, **kwargs: Any) -> answers.State:
        shown = release_state(release=self.release, as_of=self.as_of)
        if shown is None:
            raise out_of_range(self.release, self.as_of)
        self.shown = shown
        if self.release is not None:
            self.as_of = shown.published_at
        return answers.State(
            key=(
                "release",
                shown.number,
                shown.published_at.isoformat() if shown.published_at else None,
                shown.rates_changed.isoformat() if shown.rates_changed else None,
            ),
            changed_at=shown.changed_at,
            pinned=self.release is not None,
        )


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
