"""Root URL configuration."""

import hashlib
from typing import Any

import drf_spectacular
from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpRequest
from django.urls import include, path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition, require_safe
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from public.answers import CODE_FINGERPRINT
from public.feeds import changes_feed
from reports.health import HealthView, WebHealthView

admin.site.site_header = "EU Ukraine-loan tracker"
admin.site.site_title = "Loan tracker admin"
admin.site.index_title = "Data entry and review"


def code_etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    """The schema and the docs change only with the code: their ETag is the code's fingerprint,
    drf-spectacular's version and the request's format (Accept, query)."""
    variant = (
        CODE_FINGERPRINT,
        drf_spectacular.__version__,
        request.META.get("HTTP_ACCEPT", ""),
        request.GET.urlencode(),
    )
    return hashlib.sha256(repr(variant).encode()).hexdigest()[:32]


def code_cached(view: Any) -> Any:
    """Conditional GET on ``code_etag`` and a public max-age (API_CACHE_MAX_AGE)."""
    return cache_control(public=True, max_age=settings.API_CACHE_MAX_AGE)(condition(etag_func=code_etag)(view))


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("public.api.urls")),
    path("api/schema/", code_cached(SpectacularAPIView.as_view()), name="api-schema"),
    # Swagger UI with its script in a separate file, so the strict Content-Security-Policy holds.
    path(
        "api/docs/",
        code_cached(SpectacularSwaggerSplitView.as_view(url_name="api-schema", http_method_names=["get", "head"])),
        name="api-docs",
    ),
    path("feeds/changes/", require_safe(changes_feed), name="feed-changes"),
    path("downloads/", include("public.downloads.urls")),
    # Health for monitoring (every check) and for the load balancer (what a web server needs):
    # reports/health.py, docs/DEPLOY.md "Health checks".
    path("healthz/", HealthView.as_view(), name="healthz"),
    path("healthz/web/", WebHealthView.as_view(), name="healthz-web"),
]
# The public pages in each language of settings.LANGUAGES, the language in the URL so that a link
# keeps it: English (the default) unprefixed at /, /embed/…, /releases/N/ (the permalinks never
# change), Ukrainian at /uk/…. The API, admin, feeds and downloads above stay unprefixed and English.
urlpatterns += i18n_patterns(path("", include("public.urls")), prefix_default_language=False)

# Under /api/, a 404 or 500 outside the API's views still answers in the API's one error format.
handler404 = "public.api.handlers.page_not_found"
handler500 = "public.api.handlers.server_error"
