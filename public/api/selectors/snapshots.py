"""Snapshots of the computed figures for the API, the figures read from a snapshot's payload
(summary rows, time series), and what a public answer shows (``release_state``, ``figures_state``,
``chart_state``): one indexed query each, which public.answers keys answers by. No loan table is
read, and nothing is kept in memory between requests."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, Func, JSONField, QuerySet, Subquery
from django.db.models.expressions import OrderBy

from reports.models import ChartData, ExchangeRate, FigureSnapshot
from reports.selectors import snapshot_latest, snapshot_list
from tranches.models import Release
from tranches.selectors import release_as_of


def snapshot_as_of(*, as_of: datetime.datetime | None = None) -> FigureSnapshot | None:
    """The snapshot that shows the data as published at ``as_of``: the newest snapshot of the
    latest release published by then (or of an earlier one, if its figures are not built yet).
    With no ``as_of``, the newest snapshot. None when there is none."""
    if as_of is None:
        return snapshot_latest()
    return _by_release(FigureSnapshot.objects.filter(release__lte=release_as_of(as_of))).first()


@dataclass(frozen=True)
class SnapshotHead:
    """A snapshot without its payload: what the API's figures cite (hash, times, schema, release)."""

    pk: int
    content_hash: str
    as_of: datetime.datetime
    created_at: datetime.datetime
    schema_version: int
    release: int | None = None


@dataclass(frozen=True)
class ReleaseState:
    """What every public read of the records shows: a release and the exchange rates (USD
    equivalents) as they are now. ``number`` 0: nothing is published yet."""

    number: int
    published_at: datetime.datetime | None
    rates_changed: datetime.datetime | None  # the newest rate's updated_at (rates are only upserted)

    @property
    def changed_at(self) -> datetime.datetime | None:
        """When an answer showing this state last changed: the release's or the rates' time."""
        times = [when for when in (self.published_at, self.rates_changed) if when is not None]
        return max(times, default=None)


# The payload's lists of records (tens of thousands of tranches at scale); summary and timeseries
# need only the rest: the instruments with their figures, the currency and the USD rule.
RECORD_LISTS = ("tranches", "disbursements", "sources", "citations")
HEAD_FIELDS = ("pk", "content_hash", "as_of", "created_at", "schema_version", "release")


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


def _by_release(rows: QuerySet[Any], prefix: str = "") -> QuerySet[Any]:
    """Newest release first (snapshots made before releases last), then the newest computed."""
    return rows.order_by(
        OrderBy(F(f"{prefix}release"), descending=True, nulls_last=True), f"-{prefix}created_at", f"-{prefix}pk"
    )


def _release_filter(release: int | None, as_of: datetime.datetime | None, prefix: str = "") -> dict[str, Any]:
    if release is not None:  # nothing if release ``release`` does not exist
        return {f"{prefix}release__lte": Subquery(Release.objects.filter(number=release).values("number")[:1])}
    if as_of is not None:
        return {f"{prefix}release__lte": release_as_of(as_of)}
    return {}


def figures_state(*, release: int | None = None, as_of: datetime.datetime | None = None) -> SnapshotHead | None:
    """The snapshot a figure answer shows, without its payload: the newest snapshot of release
    ``release``, or of the latest release published by ``as_of``, or (neither) of the latest
    release with figures built; a release whose figures are not built yet shows the latest
    earlier one's. One indexed query; None when there is none."""
    row = _by_release(FigureSnapshot.objects.filter(**_release_filter(release, as_of))).values(*HEAD_FIELDS).first()
    return SnapshotHead(**row) if row is not None else None


def snapshot_head_by_hash(content_hash: str) -> SnapshotHead | None:
    """The newest snapshot with this content hash, without its payload (a permalink). One query."""
    row = (
        FigureSnapshot.objects.filter(content_hash=content_hash.lower())
        .order_by("-created_at", "-pk")
        .values(*HEAD_FIELDS)
        .first()
    )
    return SnapshotHead(**row) if row is not None else None


def snapshot_figures(pk: int) -> dict[str, Any]:
    """The figures of snapshot ``pk``: its payload without the lists of records (instruments with
    their totals, currency, USD rule), cut by the database. One query."""
    figures = FigureSnapshot.objects.filter(pk=pk).values_list(_WithoutRecordLists(F("payload")), flat=True).first()
    return figures or {}


def snapshot_figures_as_of(*, as_of: datetime.datetime | None = None) -> tuple[SnapshotHead, dict[str, Any]] | None:
    """The snapshot ``figures_state`` picks for ``as_of`` and its figures (two queries), or None."""
    head = figures_state(as_of=as_of)
    return None if head is None else (head, snapshot_figures(head.pk))


def chart_state(
    *, release: int | None = None, content_hash: str | None = None, exact: bool = False
) -> dict[str, Any] | None:
    """The chart data a page shows, without its payload (id, build time, snapshot hash, as-of and
    release): of snapshot ``content_hash``, or of the newest snapshot of release ``release`` (of
    that release only with ``exact``, else of the latest built up to it), or of the latest release
    with charts built. One indexed query; None if there is none."""
    rows = ChartData.objects.all()
    if content_hash is not None:
        rows = rows.filter(snapshot__content_hash=content_hash.lower())
    elif exact:
        rows = rows.filter(snapshot__release=release)
    else:
        rows = rows.filter(**_release_filter(release, None, prefix="snapshot__"))
    row = (
        _by_release(rows, prefix="snapshot__")
        .values(
            "pk",
            "created_at",
            "snapshot__content_hash",
            "snapshot__as_of",
            "snapshot__release",
            "snapshot__release__published_at",
        )
        .first()
    )
    return dict(row) if row is not None else None


def release_state(*, release: int | None = None, as_of: datetime.datetime | None = None) -> ReleaseState | None:
    """What a public read of the records shows: release ``release``, or the latest published by
    ``as_of``, or the latest; with the newest exchange rate's update time. One query of index
    probes. None when there is no such release (``ReleaseState(0, …)`` for the latest before the
    first release: nothing is public)."""
    changed = ExchangeRate.objects.order_by("-updated_at").values("updated_at")[:1]  # an index probe
    releases = Release.objects.order_by("-number")
    if release is not None:
        releases = releases.filter(number=release)
    elif as_of is not None:
        releases = releases.filter(published_at__lte=as_of)
    row = (
        releases.annotate(rates_changed=Subquery(changed))
        .values_list("number", "published_at", "rates_changed")
        .first()
    )
    if row is None:
        return None if release is not None or as_of is not None else ReleaseState(0, None, None)
    return ReleaseState(*row)


def release_bounds() -> tuple[tuple[int, datetime.datetime] | None, int | None]:
    """The first release (number, time) and the latest release's number; (None, None) before any.
    For the answers that say a release or date is out of range."""
    first = Release.objects.order_by("number").values_list("number", "published_at").first()
    latest = Release.objects.order_by("-number").values_list("number", flat=True).first()
    return first, latest


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


def instrument_year_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """EU money by instrument and year as a table: a row per instrument and year with a payment, then
    a row per year for all instruments together (instrument empty): each euro counted once."""
    view = payload.get("instrument_years") or {}
    rows: list[dict[str, Any]] = []
    for inst in view.get("instruments", []):
        base = {"instrument": inst["id"], "instrument_slug": inst["slug"], "instrument_short_name": inst["short_name"]}
        rows.extend(
            {**base, "year": year["year"], "paid": year["paid"], "count": year["count"],
             "linked_in_amount": year["linked_in"]["amount"], "linked_in_count": year["linked_in"]["count"]}
            for year in inst.get("years", [])
        )  # fmt: skip
    all_years = (view.get("total") or {}).get("years", [])
    empty = {"instrument": None, "instrument_slug": None, "instrument_short_name": "all instruments"}
    rows.extend(
        {**empty, "year": year["year"], "paid": year["paid"], "count": year["count"],
         "linked_in_amount": None, "linked_in_count": None}
        for year in all_years
    )  # fmt: skip
    return rows
