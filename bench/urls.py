"""The benchmark's URLs: the whole application (loantracker.urls) plus two views that exist only
here, never in production: the floor (fixed bytes through the same middleware) and the plain DRF
ModelSerializer list most projects ship, for comparison."""

from django.urls import include, path

from loantracker.urls import handler404, handler500  # noqa: F401 (the same error pages)

from . import views

urlpatterns = [
    path("bench/floor/", views.floor, name="bench-floor"),
    path("bench/drf-modelserializer/", views.TrancheModelListView.as_view(), name="bench-drf-modelserializer"),
    path("", include("loantracker.urls")),
]
