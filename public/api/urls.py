"""Routes of the public API under /api/v1/ (one router, read-only), and its index at /api/v1/."""

from typing import Any

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views
from .handlers import IndexView

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("instruments", views.InstrumentViewSet, basename="instrument")
router.register("components", views.ComponentViewSet, basename="component")
router.register("tranches", views.TrancheViewSet, basename="tranche")
router.register("disbursements", views.DisbursementViewSet, basename="disbursement")
router.register("sources", views.SourceViewSet, basename="source")
router.register("citations", views.CitationViewSet, basename="citation")
router.register("milestones", views.MilestoneViewSet, basename="milestone")
router.register("conditions", views.ConditionViewSet, basename="condition")
router.register("estimates", views.EstimateViewSet, basename="estimate")
router.register("open-questions", views.OpenQuestionViewSet, basename="open-question")
router.register("releases", views.ReleaseViewSet, basename="release")
router.register("snapshots", views.SnapshotViewSet, basename="snapshot")

VIEWS: dict[str, Any] = {
    "summary": views.SummaryView,
    "instrument-years": views.InstrumentYearsView,
    "timeseries": views.TimeseriesView,
    "changes": views.ChangeListView,
}


def resources() -> list[tuple[str, str, Any]]:
    """(name, route name, view class) of every resource, in the order the index lists them."""
    routed = [(prefix, f"{basename}-list", viewset) for prefix, viewset, basename in router.registry]
    return [*routed, *((name, name, view) for name, view in VIEWS.items())]


urlpatterns = [
    path("", IndexView.as_view(), name="index"),
    *(path(f"{name}/", view.as_view(), name=name) for name, view in VIEWS.items()),
    *router.urls,
]
