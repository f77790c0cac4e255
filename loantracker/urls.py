"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from public.feeds import ChangesFeed
from reports.health import HealthView, WebHealthView

admin.site.site_header = "EU Ukraine-loan tracker"
admin.site.site_title = "Loan tracker admin"
admin.site.index_title = "Data entry and review"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("public.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI with its script in a separate file, so the strict Content-Security-Policy holds.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", http_method_names=["get", "head"]),
        name="api-docs",
    ),
    path("feeds/changes/", require_safe(ChangesFeed()), name="feed-changes"),
    # Health for monitoring (every check) and for the load balancer (what a web server needs):
    # reports/health.py, docs/DEPLOY.md "Health checks".
    path("healthz/", HealthView.as_view(), name="healthz"),
    path("healthz/web/", WebHealthView.as_view(), name="healthz-web"),
    path("", include("public.urls")),
]

# Under /api/, a 404 or 500 outside the API's views still answers in the API's one error format.
handler404 = "public.api.handlers.page_not_found"
handler500 = "public.api.handlers.server_error"
