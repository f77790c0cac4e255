"""Pagination: page numbers with a capped page size for most lists; cursors for the lists that grow
(disbursements, changes), so that a page stays stable while rows are added.

``page_size`` is 1 to EXPORT_MAX_ROWS (a CSV export may be that large, streamed); JSON and XLSX pages
hold at most ``API_MAX_PAGE_SIZE`` rows, so a larger ``page_size`` gives that many (and a next link).
Outside 1…EXPORT_MAX_ROWS, or not a number, it is a 400 naming it. ``page`` is 1 to PAGE_MAX; a page
past the end is a 404 naming ``page`` (the request is well formed, the page does not exist)."""

from __future__ import annotations

from base64 import b64decode
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import InvalidPage
from django.db import models
from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.views import APIView

from .errors import InvalidParameter, ParameterNotFound
from .params import is_whole_number

# CSV exports may ask for this many rows in one answer (``?format=csv&page_size=``), streamed.
EXPORT_MAX_ROWS = 10_000
PAGE_MAX = 999_999_999
PAGE_SIZE_INVALID = "Enter a whole number from 1 to {max}; got {value!r}."
PAGE_INVALID = "Enter a page number from 1 to {max}; got {value!r}."
PAGE_PAST_THE_END = "There is no page {page}; the last page is {last}."
CURSOR_INVALID = "Unknown cursor; follow the next or previous link."
PAGE_SIZE_HELP = (
    "Rows per page: 1 to {export:,}. JSON and XLSX pages hold at most {max} rows (a larger page_size gives {max}); "
    "a CSV page may hold up to {export:,}, streamed. Default {default}."
)


def page_size_help() -> str:
    return PAGE_SIZE_HELP.format(export=EXPORT_MAX_ROWS, max=settings.API_MAX_PAGE_SIZE, default=settings.API_PAGE_SIZE)


def page_size_value(request: Request) -> int | None:
    """``?page_size=`` checked for its bounds (1…EXPORT_MAX_ROWS; 400 naming it otherwise); None
    when absent or empty."""
    value = request.query_params.get("page_size")
    if value is None or value == "":
        return None
    if not is_whole_number(value, 9) or not 1 <= int(value) <= EXPORT_MAX_ROWS:
        raise InvalidParameter("page_size", PAGE_SIZE_INVALID.format(max=EXPORT_MAX_ROWS, value=value))
    return int(value)


def page_size_param(request: Request, default: int | None = None) -> int:
    """The rows of a page (not a streamed export): ``?page_size=`` up to ``API_MAX_PAGE_SIZE``."""
    value = page_size_value(request)
    if value is None:
        return default or settings.API_PAGE_SIZE
    return min(value, settings.API_MAX_PAGE_SIZE)


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (default API_PAGE_SIZE, at most API_MAX_PAGE_SIZE)."""

    page_size_query_param = "page_size"
    page_query_description = "A page number: 1 (default) for the first page. A page past the end is a 404."
    last_page_strings = ()  # ``page=last`` is not a page number: the schema says an integer

    @property
    def page_size_query_description(self) -> str:  # type: ignore[override]
        return page_size_help()

    def get_page_size(self, request: Request) -> int:
        return page_size_param(request)

    def get_page_number(self, request: Request, paginator: Any) -> int:
        value = request.query_params.get(self.page_query_param)
        if value is None or value == "":
            return 1
        if not is_whole_number(str(value), 9) or int(value) < 1:
            raise InvalidParameter(self.page_query_param, PAGE_INVALID.format(max=PAGE_MAX, value=value))
        return int(value)

    def paginate_queryset(self, queryset: QuerySet[Any], request: Request, view: APIView | None = None) -> Any:
        """DRF's, with a 404 naming ``page`` (and the last page) for a page past the end."""
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(number)
        except InvalidPage as exc:
            last = paginator.num_pages
            raise ParameterNotFound(self.page_query_param, PAGE_PAST_THE_END.format(page=number, last=last)) from exc
        self.request = request
        return list(self.page)


class CursorPagination(pagination.CursorPagination):
    """``?cursor=`` (from the ``next``/``previous`` links) and ``?page_size=``. Ordered by the view's
    ``ordering``; a changed ``ordering`` starts again from the first page. A cursor that is not one
    of this list's (garbage, another list's, another ordering's, a position out of range) is a 400
    naming ``cursor``, checked before any query."""

    page_size_query_param = "page_size"
    cursor_query_description = "The position in the list; take it from the next or previous link."
    model: type[models.Model] | None = None

    @property
    def page_size_query_description(self) -> str:  # type: ignore[override]
        return page_size_help()

    def get_page_size(self, request: Request) -> int:
        return page_size_param(request)

    def paginate_queryset(self, queryset: QuerySet[Any], request: Request, view: APIView | None = None) -> Any:
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Any:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded and not self._well_formed(encoded):
            raise InvalidParameter(self.cursor_query_param, CURSOR_INVALID)
        try:
            cursor = super().decode_cursor(request)
        except (NotFound, ValueError, TypeError, OverflowError) as exc:
            raise InvalidParameter(self.cursor_query_param, CURSOR_INVALID) from exc
        if cursor is not None and cursor.position is not None and not self._valid_position(str(cursor.position)):
            raise InvalidParameter(self.cursor_query_param, CURSOR_INVALID)
        return cursor

    @staticmethod
    def _well_formed(encoded: str) -> bool:
        """The form DRF's own cursors have: base64 of a query string of o (offset, digits), r=1
        (reverse) and p (position), each at most once, at least one of them."""
        try:
            text = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            tokens = parse_qs(text, keep_blank_values=True, strict_parsing=True)
        except (ValueError, UnicodeError):
            return False
        return (
            bool(tokens)
            and set(tokens) <= {"o", "r", "p"}
            and all(len(values) == 1 for values in tokens.values())
            and is_whole_number(tokens.get("o", ["0"])[0], 9)
            and tokens.get("r", ["1"])[0] == "1"
        )

    def _valid_position(self, position: str) -> bool:
        """The position is a value of the first ordering field (a date for value_date, a number
        within the column's range for an amount or an id), as this list's own cursors hold."""
        name = self.ordering[0].lstrip("-") if self.ordering else ""
        try:
            field = self.model._meta.get_field(name) if self.model is not None else None
        except FieldDoesNotExist:
            return True
        if not isinstance(field, models.Field):
            return True
        try:
            value = field.to_python(position)
            field.run_validators(value)
        except (ValidationError, ValueError, TypeError, OverflowError):
            return False
        return not isinstance(value, Decimal) or value.is_finite()
