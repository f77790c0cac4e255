"""Snapshots of the computed figures for the API, and the figures read from a snapshot's payload
(summary rows, time series): no loan table is read."""

from __future__ import annotations

import datetime
import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, F, Func, JSONField, Q, QuerySet, Value, When
from django.db.models.expressions import Expression

from reports.models import FigureSnapshot
from reports.selectors import snapshot_latest, snapshot_list


def snapshot_as_of(*, as_of: datetime.datetime | None = None) -> FigureSnapshot | None:
    """The snapshot that shows the data as published at ``as_of``: among the snapshots whose data
    was all published by then, the one with the newest data (then the newest computed). With no
    ``as_of``, the newest snapshot. None when there is none."""
    if as_of is None:
        return snapshot_latest()
    return FigureSnapshot.objects.filter(as_of__lte=as_of).order_by("-as_of", "-created_at", "-pk").first()


@dataclass(frozen=True)
class SnapshotHead:
    """A snapshot without its payload: what the API's figures cite (hash, times, schema)."""

    pk: int
    content_hash: str
    as_of: datetime.datetime
    created_at: datetime.datetime
    schema_version: int


# The payload's lists of records (tens of thousands of tranches at scale); summary and timeseries
# need only the rest: the instruments with their figures, the currency and the USD rule.
RECORD_LISTS = ("tranches", "disbursements", "sources", "citations")
FIGURES_KEPT = 16  # snapshots whose figures a worker keeps in memory (a few hundred kB each)
_figures: OrderedDict[tuple[int, str], dict[str, Any]] = OrderedDict()
_figures_lock = threading.Lock()


class _WithoutRecordLists(Func):
    """The payload without RECORD_LISTS, computed by the database (one read of the stored JSON)."""

    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} - %s::text[])", [*params, list(RECORD_LISTS)]

    def as_sql(  # SQLite (JSON1)
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, Any]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"json_remove({sql}, {', '.join(['%s'] * len(RECORD_LISTS))})", [
            *params, *(f"$.{key}" for key in RECORD_LISTS)
        ]  # fmt: skip


def _figures_unless_kept() -> Expression:
    """The figures of the payload, or NULL for a snapshot whose figures this worker keeps already:
    a new snapshot's figures are read once per worker, never the whole payload per request."""
    with _figures_lock:
        kept = list(_figures)
    if not kept:
        return _WithoutRecordLists(F("payload"))
    known = Q()
    for pk, content_hash in kept:
        known |= Q(pk=pk, content_hash=content_hash)
    return Case(When(known, then=Value(None, JSONField())), default=_WithoutRecordLists(F("payload")))


def snapshot_figures_as_of(*, as_of: datetime.datetime | None = None) -> tuple[SnapshotHead, dict[str, Any]] | None:
    """The snapshot ``snapshot_as_of`` picks, without its payload, and its figures (the payload
    without its lists of records: instruments with their totals, currency, USD rule). One query;
    the figures of a snapshot (immutable) are read from the database once per worker. None when
    there is no snapshot for ``as_of``."""
    rows = FigureSnapshot.objects.order_by("-created_at", "-pk")
    if as_of is not None:
        rows = FigureSnapshot.objects.filter(as_of__lte=as_of).order_by("-as_of", "-created_at", "-pk")
    row = (
        rows.annotate(figures=_figures_unless_kept())
        .values("pk", "content_hash", "as_of", "created_at", "schema_version", "figures")
        .first()
    )
    if row is None:
        return None
    figures = row.pop("figures")
    head = SnapshotHead(**row)
    key = (head.pk, head.content_hash)
    with _figures_lock:
        if figures is not None:
            _figures[key] = figures
            while len(_figures) > FIGURES_KEPT:
                _figures.popitem(last=False)
        else:
            figures = _figures.get(key)
            if figures is not None:
                _figures.move_to_end(key)
    if figures is None:  # evicted meanwhile by another thread of this worker
        figures = FigureSnapshot.objects.filter(pk=head.pk).values_list(_WithoutRecordLists(F("payload")), flat=True)[0]
    return head, figures


def snapshots_public(*, as_of: datetime.datetime | None = None) -> QuerySet[FigureSnapshot]:
    """Every snapshot (newest first) without its payload; with ``as_of``, those whose data was all
    published by then."""
    snapshots = snapshot_list()
    if as_of is not None:
        snapshots = snapshots.filter(as_of__lte=as_of)
    return snapshots


# ----------------------------------------------------------------------- figures from a snapshot

INTERVALS = ("month", "quarter", "year")


def _period(month: str, interval: str) -> tuple[str, datetime.date]:
    """('2026-06', 'quarter') -> ('2026-Q2', 2026-04-01)."""
    year, number = int(month[:4]), int(month[5:7])
    if interval == "year":
        return f"{year}", datetime.date(year, 1, 1)
    if interval == "quarter":
        quarter = (number - 1) // 3 + 1
        return f"{year}-Q{quarter}", datetime.date(year, 3 * quarter - 2, 1)
    return f"{year}-{number:02d}", datetime.date(year, number, 1)


def _points(months: list[dict[str, Any]], interval: str, cumulative: bool) -> list[dict[str, Any]]:
    """Monthly rows of a snapshot ({month, disbursed, cumulative}) grouped into periods (EUR)."""
    periods: dict[str, dict[str, Any]] = {}
    for row in sorted(months, key=lambda r: r["month"]):
        label, start = _period(row["month"], interval)
        point = periods.setdefault(label, {"period": label, "period_start": start, "paid": Decimal("0.00")})
        point["paid"] += Decimal(row["disbursed"])
        point["running"] = Decimal(row["cumulative"])
    return [
        {"period": p["period"], "period_start": p["period_start"], "value": p["running"] if cumulative else p["paid"]}
        for p in periods.values()
    ]


def timeseries_from_snapshot(
    payload: dict[str, Any],
    *,
    interval: str = "month",
    cumulative: bool = False,
    instrument: str | None = None,
    component: str | None = None,
) -> list[dict[str, Any]]:
    """Disbursed EUR per month, quarter or year (or running totals), one series per instrument and
    one per component, from a stored snapshot's ``cumulative_by_month`` (no loan table is read).
    ``instrument``/``component`` keep the series of that id or slug."""

    def matches(record: dict[str, Any], wanted: str | None) -> bool:
        return wanted is None or wanted in (str(record["id"]), record["slug"])

    series: list[dict[str, Any]] = []
    for inst in payload.get("instruments", []):
        if not matches(inst, instrument):
            continue
        if component is None:
            series.append(
                {
                    "instrument": inst["id"],
                    "instrument_slug": inst["slug"],
                    "component": None,
                    "component_slug": None,
                    "points": _points(inst.get("cumulative_by_month", []), interval, cumulative),
                }
            )
        for comp in inst.get("components", []):
            if matches(comp, component):
                series.append(
                    {
                        "instrument": inst["id"],
                        "instrument_slug": inst["slug"],
                        "component": comp["id"],
                        "component_slug": comp["slug"],
                        "points": _points(comp.get("cumulative_by_month", []), interval, cumulative),
                    }
                )
    return series


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary as a table: a row per instrument (component empty) and per component (EUR)."""
    rows: list[dict[str, Any]] = []
    for inst in payload.get("instruments", []):
        base = {"instrument": inst["id"], "instrument_slug": inst["slug"], "instrument_short_name": inst["short_name"]}
        rows.append({**base, "component": None, "component_slug": None, "component_name": None, **inst["totals"]})
        rows.extend(
            {**base, "component": c["id"], "component_slug": c["slug"], "component_name": c["name"], **c["totals"]}
            for c in inst.get("components", [])
        )
    return rows
