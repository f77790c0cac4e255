"""Django's 404 and 500 handlers: under /api/ they answer in the API's one error format, elsewhere
with Django's own pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from .errors import json_error


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_error(404, "No such resource; the index of resources is at /api/docs/.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_error(500, "Server error; it has been logged.")
    return defaults.server_error(request)
