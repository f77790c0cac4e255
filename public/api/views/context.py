"""The record around the money: milestones (planned vs actual), conditions (and the ledger of the
payments they gate), estimates (costs and needs) and open questions. Each row comes with its
instrument, its tranche when it has one, and the citations that back it (their sources' publisher,
title, grade and link), attached to the page in a fixed number of queries."""

from __future__ import annotations

from typing import Any, ClassVar

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from .. import selectors
from ..filters import ConditionFilter, ConditionLedgerFilter, EstimateFilter, MilestoneFilter, OpenQuestionFilter
from ..serializers import (
    ConditionLedgerSerializer,
    ConditionSerializer,
    EstimateSerializer,
    MilestoneSerializer,
    OpenQuestionSerializer,
)
from .base import PublicReadOnlyViewSet


class _ContextViewSet(PublicReadOnlyViewSet):
    def prepare_rows(self, rows: list[Any]) -> list[Any]:
        return selectors.with_context(rows, as_of=self.as_of)


class MilestoneViewSet(_ContextViewSet):
    """Dated events of each instrument (proposal, Parliament's consent, regulation, financing
    strategy, memorandum, payments), a payment's with its tranche: the day planned beside the day
    it happened (days_late), each with the sources that date it."""

    select = staticmethod(selectors.milestones_public)
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilter
    search_fields: ClassVar = ["title", "planned_note", "notes"]
    ordering_fields: ClassVar = ["date", "planned_on", "happened_on", "kind", "title", "id"]
    ordering: ClassVar = ["instrument_id", "date"]


class ConditionViewSet(_ContextViewSet):
    """Conditions that gate money (a Memorandum's areas, a Facility payment's reform steps), each
    linked to the payment (tranche) it gates: steps met out of those due, its outcome (derived:
    met, partly met, not met, not assessed), the money at stake and withheld, and until when the
    money withheld can be recovered. ``ledger/`` sums them per payment."""

    select = staticmethod(selectors.conditions_public)
    serializer_class = ConditionSerializer
    filterset_class = ConditionFilter
    search_fields: ClassVar = ["title", "area", "notes"]
    ordering_fields: ClassVar = [
        "assessed_on", "steps_due", "steps_met", "amount_at_stake", "amount_withheld", "recoverable_until", "title",
        "id",
    ]  # fmt: skip
    ordering: ClassVar = ["instrument_id", "tranche_id"]
    export_name: str | None = None  # the ledger's download is named apart

    @extend_schema(operation_id="conditions_ledger", responses=ConditionLedgerSerializer(many=True))
    @action(
        detail=False,
        url_path="ledger",
        serializer_class=ConditionLedgerSerializer,
        filterset_class=ConditionLedgerFilter,
        filter_backends=[DjangoFilterBackend],
        pagination_class=None,
        export_name="condition-ledger",
    )
    def ledger(self, request: Request) -> Response:
        """The conditions ledger: each payment (tranche) gated by published conditions, with the
        steps met out of those due (sums over its conditions), its outcome once every condition is
        assessed, the money at stake and withheld (sums), the earliest day the money withheld can
        be recovered until, and what the tranche has been paid (the sum of its published
        payments). By instrument, then tranche; one list, no pages. A fixed number of queries."""
        conditions = self.filter_queryset(selectors.conditions_public(as_of=self.as_of))
        rows = selectors.condition_ledger(conditions, as_of=self.as_of)
        response = Response(ConditionLedgerSerializer(rows, many=True).data)
        return self.set_last_modified(response, max((row["last_published"] for row in rows), default=None))


class EstimateViewSet(_ContextViewSet):
    """Estimates of costs (the interest the EU budget pays) and needs (Ukraine's financing needs),
    each graded by its sources: shown beside the figures, never added to money paid or committed."""

    select = staticmethod(selectors.estimates_public)
    serializer_class = EstimateSerializer
    filterset_class = EstimateFilter
    search_fields: ClassVar = ["title", "notes"]
    ordering_fields: ClassVar = ["kind", "period_start", "amount", "title", "id"]
    ordering: ClassVar = ["kind", "period_start"]


class OpenQuestionViewSet(_ContextViewSet):
    """What is not known yet: each open question with since when it is open and what would answer
    it; a release that answers it gives the answer and the day, and the question stays listed."""

    select = staticmethod(selectors.open_questions_public)
    serializer_class = OpenQuestionSerializer
    filterset_class = OpenQuestionFilter
    search_fields: ClassVar = ["question", "would_answer", "answer", "notes"]
    ordering_fields: ClassVar = ["open_since", "answered_on", "id"]
    ordering: ClassVar = ["open_since"]
