"""Reads of loan data. Public reads use the latest *published* version of each record, taken from
its history, so a draft edit never changes a public figure and ``as_of`` rebuilds any past state."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum

from .models import Component, Disbursement, Instrument, Publishable, Stage, Status, Tranche

ZERO = Decimal("0.00")
COMMITTED_STAGES = (Stage.APPROVED, Stage.DISBURSED)


@functools.cache
def history_model(model: type[Publishable]) -> type[Any]:
    """The history model of ``model``. Cached: simple_history builds a new manager class each time
    ``Model.history`` is read (a fraction of a millisecond, many times per request)."""
    return model.history.model


def public_versions(model: type[Publishable], *, as_of: datetime.datetime | None = None) -> QuerySet[Any]:
    """The latest published history row of each record of ``model`` as it stood at ``as_of``
    (default: now). Rows carry the model's fields plus ``history_date`` and ``history_user``.

    Written as "a published row with no newer published row of the same record" (NOT EXISTS), not
    as ``history_id IN (SELECT MAX(history_id) … GROUP BY id)``: the database then checks only the
    rows a query needs (a page of 50 probes 50 rows through the partial index on (id, history_id)
    of published rows) instead of grouping the whole history first, and a full scan becomes one
    anti-join. Same rows; docs/BENCHMARKS.md has the measurements."""
    history = history_model(model)
    rows = history.objects.filter(status=Status.PUBLISHED)
    newer = history.objects.filter(id=OuterRef("id"), status=Status.PUBLISHED, history_id__gt=OuterRef("history_id"))
    if as_of is not None:
        rows = rows.filter(history_date__lte=as_of)
        newer = newer.filter(history_date__lte=as_of)
    return rows.filter(~Exists(newer))


@dataclass(frozen=True)
class Totals:
    """Money in EUR: committed = approved (or paid) tranche amounts; remaining = amount − disbursed."""

    amount: Decimal
    allocated: Decimal
    committed: Decimal
    disbursed: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.disbursed

    @property
    def percent_disbursed(self) -> Decimal:
        return (self.disbursed * 100 / self.amount).quantize(Decimal("0.1")) if self.amount else ZERO


def _sum(queryset: QuerySet[Any], field: str) -> Decimal:
    return queryset.aggregate(total=Sum(field))["total"] or ZERO


def _totals(amount: Decimal, tranches: QuerySet[Any], disbursements: QuerySet[Any]) -> Totals:
    sums = tranches.aggregate(
        allocated=Sum("amount", filter=~Q(stage=Stage.CANCELLED)),
        committed=Sum("amount", filter=Q(stage__in=COMMITTED_STAGES)),
    )
    return Totals(
        amount=amount,
        allocated=sums["allocated"] or ZERO,
        committed=sums["committed"] or ZERO,
        disbursed=_sum(disbursements, "amount_eur"),
    )


def component_totals(*, component: Component, public: bool = False) -> Totals:
    """Totals of one component; ``public`` counts only published versions, else every saved row."""
    if public:
        tranches = public_versions(Tranche).filter(component_id=component.pk)
        disbursements = public_versions(Disbursement).filter(tranche_id__in=tranches.values("id"))
    else:
        tranches = Tranche.objects.filter(component=component)
        disbursements = Disbursement.objects.filter(tranche__component=component)
    return _totals(component.amount, tranches, disbursements)


def instrument_totals(*, instrument: Instrument, public: bool = False) -> Totals:
    """Totals of one instrument, never mixed with another instrument's."""
    if public:
        components = public_versions(Component).filter(instrument_id=instrument.pk)
        tranches = public_versions(Tranche).filter(component_id__in=components.values("id"))
        disbursements = public_versions(Disbursement).filter(tranche_id__in=tranches.values("id"))
    else:
        tranches = Tranche.objects.filter(component__instrument=instrument)
        disbursements = Disbursement.objects.filter(tranche__component__instrument=instrument)
    return _totals(instrument.amount, tranches, disbursements)
