"""Read-only views of the public API. Views parse parameters and pick a selector; the reading is in
``public.api.selectors``. Every response carries ETag, Last-Modified where known, Cache-Control
and ``Vary: Accept``; a request with a matching If-None-Match or If-Modified-Since gets a 304."""

from .changes import ChangeListView, ReleaseViewSet
from .context import ConditionViewSet, EstimateViewSet, MilestoneViewSet, OpenQuestionViewSet
from .figures import InstrumentYearsView, SnapshotViewSet, SummaryView, TimeseriesView
from .records import (
    CitationViewSet,
    ComponentViewSet,
    DisbursementViewSet,
    InstrumentViewSet,
    SourceViewSet,
    TrancheViewSet,
)

__all__ = [
    "ChangeListView",
    "CitationViewSet",
    "ComponentViewSet",
    "ConditionViewSet",
    "DisbursementViewSet",
    "EstimateViewSet",
    "InstrumentViewSet",
    "InstrumentYearsView",
    "MilestoneViewSet",
    "OpenQuestionViewSet",
    "ReleaseViewSet",
    "SnapshotViewSet",
    "SourceViewSet",
    "SummaryView",
    "TimeseriesView",
    "TrancheViewSet",
]
