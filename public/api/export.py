"""Exports of the lists: a CSV page may hold up to EXPORT_MAX_ROWS rows (``?format=csv&page_size=``),
streamed by the views; other formats keep the usual page size. The paginations of the public lists,
whose page-number count comes from the list's own aggregate when the view made it."""

from __future__ import annotations

import datetime
import gc
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.utils.functional import cached_property
from django.utils.http import http_date
from rest_framework import serializers
from rest_framework.fields import get_attribute
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer

from .pagination import EXPORT_MAX_ROWS as EXPORT_MAX_ROWS  # where the views and tests look for it
from .pagination import CursorPagination, PageNumberPagination, page_size_value
from .renderers import CSVRenderer, csv_cells, csv_lines, serializer_columns

EXPORT_CHUNK = 500  # rows serialized at a time while the CSV streams


def export_page_size(request: Request) -> int | None:
    """``?page_size=`` of a CSV export: up to EXPORT_MAX_ROWS (400 naming it otherwise); None for
    other formats and when not given (the usual page size and limit apply)."""
    if getattr(getattr(request, "accepted_renderer", None), "format", None) != CSVRenderer.format:
        return None
    return page_size_value(request)


class CountedPaginator(Paginator):
    """Takes the count from the list's own aggregate (``counted``) when the view made it: one
    pass over the filtered rows gives the count and the newest version (Last-Modified)."""

    @cached_property
    def count(self) -> int:
        known = getattr(self.object_list, "counted", None)
        return int(known) if known is not None else super().count


class ExportPageNumberPagination(PageNumberPagination):
    django_paginator_class = CountedPaginator

    def get_page_size(self, request: Request) -> int:
        return export_page_size(request) or super().get_page_size(request)


class ExportCursorPagination(CursorPagination):
    def get_page_size(self, request: Request) -> int:
        return export_page_size(request) or super().get_page_size(request)


Cell = Callable[[Any], Any]


def _columns(serializer: BaseSerializer, prefix: str = "") -> list[tuple[str, Cell]] | None:
    """The CSV columns of ``serializer`` (dotted names for a nested serializer, as CSVRenderer
    flattens them), each with a function giving the cell's value from a row: the field's own
    ``to_representation``, so the text is the same, without the serializer's per-row machinery.
    None for a serializer whose rows are not flat (lists, mappings, nested lists of objects)."""
    columns: list[tuple[str, Cell]] = []
    for name, field in serializer.fields.items():  # type: ignore[attr-defined]
        if field.write_only:
            continue
        if isinstance(field, BaseSerializer):
            if getattr(field, "many", False) or field.source != "*":
                return None
            nested = _columns(field, f"{prefix}{name}.")
            if nested is None:
                return None
            columns += nested
        elif isinstance(field, serializers.SerializerMethodField | serializers.ListField | serializers.DictField
                        | serializers.JSONField | serializers.HiddenField):  # fmt: skip
            return None
        else:
            columns.append((f"{prefix}{name}", _cell(field)))
    return columns


def _cell(field: serializers.Field) -> Cell:
    attrs, represent = field.source_attrs, field.to_representation
    key = attrs[0] if len(attrs) == 1 else None

    def value(row: Any) -> Any:
        # A dict row (an export's values()) with a plain source: the key itself, no DRF lookup.
        found = row[key] if key is not None and type(row) is dict else get_attribute(row, attrs)
        return None if found is None else represent(found)

    return value


def _then_collected(body: Iterator[Any]) -> Iterator[Any]:
    """The body, then a full garbage collection. The rows of a page are held by a reference cycle
    (DRF's request and view refer to each other), which Python frees only at a full collection:
    without one a worker grew by 9 MB at each 10,000-row export until one happened (measured)."""
    try:
        yield from body
    finally:
        gc.collect()


def csv_stream(
    serializer: BaseSerializer, rows: Sequence[Any], *, filename: str, last: datetime.datetime | None
) -> StreamingHttpResponse:
    """``rows`` as CSV, serialized and written EXPORT_CHUNK rows at a time while the answer streams:
    a worker's memory does not grow with the export. The same text as CSVRenderer. Last-Modified,
    and no ETag (the body is not built when the headers go)."""
    columns = _columns(serializer)
    if columns is None:

        def serialized() -> Iterator[Any]:
            for start in range(0, len(rows), EXPORT_CHUNK):
                yield from [serializer.to_representation(row) for row in rows[start : start + EXPORT_CHUNK]]

        body = csv_lines(serialized(), columns=serializer_columns(serializer))
    else:
        body = csv_cells([name for name, _ in columns], ([cell(row) for _, cell in columns] for row in rows))
    response = StreamingHttpResponse(_then_collected(body), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    if last is not None:
        response["Last-Modified"] = http_date(last.timestamp())
    return response
