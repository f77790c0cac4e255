"""Pagination: page numbers with a capped page size for most lists; cursors for the lists that grow
(disbursements, changes), so that a page stays stable while rows are added."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.views import APIView

from .errors import InvalidParameter
from .params import is_whole_number

POSITIVE = "Enter a whole number from 1 to {max}; got {value!r}."


def page_size_param(request: Request, default: int | None = None) -> int:
    """``?page_size=``, at most ``API_MAX_PAGE_SIZE``; 400 naming the parameter if it is not a number."""
    value = request.query_params.get("page_size")
    maximum = settings.API_MAX_PAGE_SIZE
    if value is None or value == "":
        return default or settings.API_PAGE_SIZE
    if not is_whole_number(value, 9) or not 1 <= int(value) <= maximum:
        raise InvalidParameter("page_size", POSITIVE.format(max=maximum, value=value))
    return int(value)


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (default API_PAGE_SIZE, at most API_MAX_PAGE_SIZE)."""

    page_size_query_param = "page_size"
    page_size_query_description = "Rows per page (default 50, at most 500)."

    def get_page_size(self, request: Request) -> int:
        return page_size_param(request)

    def paginate_queryset(self, queryset: QuerySet[Any], request: Request, view: APIView | None = None) -> Any:
        value = request.query_params.get(self.page_query_param)
        if value not in (None, "", "last") and not is_whole_number(str(value), 9):
            raise InvalidParameter(self.page_query_param, f"Enter a page number; got {value!r}.")
        self.max_page_size = settings.API_MAX_PAGE_SIZE
        return super().paginate_queryset(queryset, request, view)


class CursorPagination(pagination.CursorPagination):
    """``?cursor=`` (from the ``next``/``previous`` links) and ``?page_size=``. Ordered by the view's
    ``ordering``; a changed ``ordering`` starts again from the first page."""

    page_size_query_param = "page_size"
    page_size_query_description = "Rows per page (default 50, at most 500)."
    cursor_query_description = "The position in the list; take it from the next or previous link."

    def get_page_size(self, request: Request) -> int:
        return page_size_param(request)

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise InvalidParameter(
                self.cursor_query_param, "Unknown cursor; follow the next or previous link."
            ) from exc
