"""URLs of the public pages (public/views.py; public/about.py for the pages that explain the data);
docs/DASHBOARD.md lists them. ``/releases/N/…`` and ``/snapshots/<hash>/…`` are permalinks: they
never change."""

from django.urls import path, re_path

from . import about, views

HASH = r"(?P<content_hash>[0-9a-fA-F]{64})"
CHART = r"(?P<chart>[a-z-]+)"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("embed/<slug:chart>/", views.embed, name="embed"),
    path("charts/<slug:chart>.csv", views.chart_csv, name="chart-csv"),
    re_path(rf"^snapshots/{HASH}/$", views.dashboard, name="snapshot-dashboard"),
    re_path(rf"^snapshots/{HASH}/embed/{CHART}/$", views.embed, name="snapshot-embed"),
    re_path(rf"^snapshots/{HASH}/charts/{CHART}\.csv$", views.chart_csv, name="snapshot-chart-csv"),
    path("methodology/", about.methodology, name="methodology"),
    path("releases/", about.release_list, name="release-list"),
    path("releases/<int:number>/about/", about.release_about, name="release-about"),
    path("releases/<int:number>/", views.dashboard, name="release-dashboard"),
    path("releases/<int:number>/embed/<slug:chart>/", views.embed, name="release-embed"),
    path("releases/<int:number>/charts/<slug:chart>.csv", views.chart_csv, name="release-chart-csv"),
]
