"""Releases and the change log: what each release published (``/releases/N/``, old → new in values
and in words), and each record's publications (``/changes/``, where ``release=N`` means "published
by release N")."""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.utils.cache import patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors
from ..errors import InvalidParameter
from ..filters import (
    ReleaseFilter,
)
from ..pagination import page_size_param
from ..params import RELEASE, parse_date
from ..serializers import ChangeSerializer, ReleaseDetailSerializer, ReleaseSerializer
from .base import TABULAR, PublicReadOnlyViewSet, RecordsReplayMixin

UNKNOWN_CURSOR = "Unknown cursor; follow the next link."


CURSOR_PARAM = OpenApiParameter("cursor", OpenApiTypes.STR, description="Position; take it from the next link.")
PAGE_SIZE_PARAM = OpenApiParameter(
    "page_size", OpenApiTypes.INT, description="Rows per page (default 50, at most 500)."
)
RELEASE_CHANGES_PARAM = OpenApiParameter(
    RELEASE,
    OpenApiTypes.INT,
    description="Only the changes release N published (1, 2, 3…; see /api/v1/releases/{number}/). Unlike on "
    "the other resources, where it means the data as release N left it, here it picks the release whose "
    "changes are listed; as_of picks the changes published by a day.",
)


def cursor_param(request: Request) -> selectors.ChangeCursor | None:
    """``?cursor=`` of the change log, decoded; 400 naming it if this API did not make it."""
    cursor = request.query_params.get("cursor")
    try:
        return selectors.ChangeCursor.decode(cursor) if cursor else None
    except selectors.InvalidCursor as exc:
        raise InvalidParameter("cursor", UNKNOWN_CURSOR) from exc


def next_link(request: Request, cursor: selectors.ChangeCursor | None) -> str | None:
    """The URL of the page after ``cursor`` (this request's URL with it), or None at the end."""
    if cursor is None:
        return None
    query = request.query_params.copy()
    query["cursor"] = cursor.encode()
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


class ReleaseViewSet(PublicReadOnlyViewSet):
    """Releases: the reviewed sets of changes published together, numbered 1, 2, 3… in the order
    they were published, newest first, each with its public note (what changed and why) and how
    many records of each kind it published. ``?release=N`` on the resources shows the data as
    release N left it (on the change log: what release N published). Who reviewed or published a
    release is never shown.

    A release (``/releases/N/``) lists the records it published, old → new, a page at a time (the
    change log's cursor, ``next``); a published release never changes."""

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

    def read_state(self, *args: Any, **kwargs: Any) -> Any:
        """A release's own page shows release N whatever is published later: pinned to N, so its
        ETag, its 304s and its caching headers never change."""
        if self.action == "retrieve" and self.release is None:
            self.release = int(kwargs["number"])
        return super().read_state(*args, **kwargs)

    @extend_schema(parameters=[CURSOR_PARAM, PAGE_SIZE_PARAM], responses=ReleaseDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A release: its number, time, note and counts, and a page of the records it published, each
        old → new in values and in words. CSV and XLSX: one row per record, with the release's
        number, time and note. A fixed number of queries, whatever the size of the release."""
        release = self.prepare_rows([self.get_object()])[0]
        cursor = cursor_param(request)
        if cursor is not None and cursor.release != release.number:
            raise InvalidParameter("cursor", UNKNOWN_CURSOR)
        page = selectors.changes_page(limit=page_size_param(request), release=release.number, cursor=cursor)
        next_url = next_link(request, page.next_cursor)
        if getattr(request.accepted_renderer, "format", None) in TABULAR:
            response = Response({"next": next_url, "results": ChangeSerializer(page.changes, many=True).data})
            if next_url and request.accepted_renderer.format == "csv":
                response["Link"] = f'<{next_url}>; rel="next"'
        else:
            release.changes, release.next = page.changes, next_url
            response = Response(ReleaseDetailSerializer(release, context=self.get_serializer_context()).data)
        # A published release never changes: its detail may be kept as long as a snapshot permalink.
        patch_cache_control(response, public=True, max_age=settings.API_SNAPSHOT_MAX_AGE, immutable=True)
        return self.set_last_modified(response, release.published_at)


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


class ChangesPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next (older) page, or null at the end.")
    results = ChangeSerializer(many=True, help_text="Publications, newest first.")


def changes_params(request: Request) -> dict[str, Any]:
    """The change-log parameters (entity, since, cursor, release), validated; 400 naming a bad one.
    ``release`` was checked with ``as_of`` (an unknown number is a 400 already)."""
    entities = [e for e in request.query_params.getlist("entity") if e] or list(selectors.CHANGE_ENTITIES)
    unknown = [entity for entity in entities if entity not in selectors.CHANGE_ENTITIES]
    if unknown:
        raise InvalidParameter(
            "entity", f"Unknown entity {', '.join(unknown)}; use: {', '.join(selectors.CHANGE_ENTITIES)}."
        )
    since = request.query_params.get("since")
    release = request.query_params.get(RELEASE)
    return {
        "entities": [e for e in selectors.CHANGE_ENTITIES if e in entities],
        "since": datetime.datetime.combine(parse_date("since", since), datetime.time.min, tzinfo=datetime.UTC)
        if since
        else None,
        "cursor": cursor_param(request),
        "release": int(release) if release else None,
    }


class ChangeListView(RecordsReplayMixin, APIView):
    """The public change log: each publication of a record, newest first, with what changed since
    its previous publication (old → new, in values and in words), the release that published it,
    when, and its note. ``?release=N``: only what release N published. Drafts never appear, neither
    as a change nor as an old value, and editors and reviewers are never named. Paged by cursor:
    follow ``next``."""

    export_name = "changes"

    @extend_schema(
        operation_id="changes_list",
        parameters=[ENTITY_PARAM, SINCE_PARAM, CURSOR_PARAM, PAGE_SIZE_PARAM, RELEASE_CHANGES_PARAM],
        responses=ChangesPageSerializer,
    )
    def get(self, request: Request) -> Response:
        params = changes_params(request)
        limit = page_size_param(request)
        page = selectors.changes_page(limit=limit, as_of=self.as_of, **params)
        results = ChangeSerializer(page.changes, many=True).data
        response = Response({"next": next_link(request, page.next_cursor), "results": results})
        return self.set_last_modified(response, page.changes[0].published_at if page.changes else None)
