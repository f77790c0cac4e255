"""Releases and the change log: what each release published, and each record's publications."""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

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
from ..params import parse_date
from ..serializers import (
    ChangeSerializer,
    ReleaseSerializer,
)
from .base import PublicReadOnlyViewSet, RecordsReplayMixin


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
