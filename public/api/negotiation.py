"""Content negotiation: ``?format=json|csv|xlsx`` or the Accept header. An unknown ``format`` is a
400 naming the parameter (DRF would answer 404)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import Http404
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from .errors import InvalidParameter


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> Any:
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404 as exc:
            formats = ", ".join(str(renderer.format) for renderer in renderers)
            value = request.query_params.get(self.settings.URL_FORMAT_OVERRIDE or "format")
            raise InvalidParameter("format", f"Unknown format {value!r}; use one of: {formats}.") from exc
