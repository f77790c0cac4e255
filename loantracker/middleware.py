"""Middleware of the project's own."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils.cache import patch_vary_headers


class LanguageFromPathMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, without the ``Vary: Accept-Language`` it adds to every answer whose
    address has no language prefix. Here the language comes from the address alone (``/uk/…``, else
    English; LocaleMiddleware never reads Accept-Language when the default language has no prefix),
    so those answers do not vary by it, and a shared cache keeps one copy, not one per browser
    language. A Vary a view set itself is kept."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        vary = [field.strip() for field in response.get("Vary", "").split(",") if field.strip()]
        response = super().process_response(request, response)
        if not any(field.lower() == "accept-language" for field in vary):
            del response["Vary"]
            if vary:
                patch_vary_headers(response, vary)
        return response
