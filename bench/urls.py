"""The benchmark's URLs: the whole application (loantracker.urls) plus two views that exist only
here, never in production: the floor (fixed bytes through the same middleware) and the plain DRF
ModelSerializer list most projects ship, for comparison."""

from django.urls import path

from loantracker import urls as application
from loantracker.urls import handler404, handler500  # noqa: F401 (the same error pages)

from . import views

urlpatterns = [
    path("bench/floor/", views.floor, name="bench-floor"),
    path("bench/drf-modelserializer/", views.TrancheModelListView.as_view(), name="bench-drf-modelserializer"),
    # The application's own patterns, not include()d: its public pages are i18n_patterns, which
    # Django allows in the root URLconf only.
    *application.urlpatterns,
]
