"""Routes of the public API under /api/v1/ (one router, read-only)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("instruments", views.InstrumentViewSet, basename="instrument")
router.register("components", views.ComponentViewSet, basename="component")
router.register("tranches", views.TrancheViewSet, basename="tranche")
router.register("disbursements", views.DisbursementViewSet, basename="disbursement")
router.register("sources", views.SourceViewSet, basename="source")
router.register("citations", views.CitationViewSet, basename="citation")
router.register("releases", views.ReleaseViewSet, basename="release")
router.register("snapshots", views.SnapshotViewSet, basename="snapshot")

urlpatterns = [
    path("summary/", views.SummaryView.as_view(), name="summary"),
    path("timeseries/", views.TimeseriesView.as_view(), name="timeseries"),
    path("changes/", views.ChangeListView.as_view(), name="changes"),
    *router.urls,
]
