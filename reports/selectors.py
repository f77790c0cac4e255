"""Reads of computed figures for the API, the public pages and the admin. Pages read these; they
never aggregate loan data themselves (docs/JOBS.md describes the payloads)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from .models import ChartData, ExchangeRate, FigureSnapshot, JobRun


def snapshot_latest() -> FigureSnapshot | None:
    """The newest figure snapshot, or None before the first refresh."""
    return FigureSnapshot.objects.order_by("-created_at", "-pk").first()


def snapshot_by_hash(content_hash: str) -> FigureSnapshot | None:
    """The snapshot with this content hash (the full 64 hex digits), for permalinks. The same
    figures stored again later share the hash; the newest such row is returned. None if unknown."""
    return FigureSnapshot.objects.filter(content_hash=content_hash.lower()).order_by("-created_at", "-pk").first()


def snapshot_list() -> QuerySet[FigureSnapshot]:
    """Every snapshot, newest first, without the payload (a list of permalinks)."""
    return FigureSnapshot.objects.order_by("-created_at", "-pk").defer("payload")


def chart_data_latest() -> ChartData | None:
    """The chart data of the newest snapshot that has chart data, or None."""
    return ChartData.objects.select_related("snapshot").order_by("-snapshot__created_at", "-snapshot__pk").first()


def chart_data_head(content_hash: str | None = None) -> dict[str, Any] | None:
    """Without the payload, one query: id, build time, snapshot hash and as-of of the chart data of
    the latest snapshot, or of the newest snapshot with ``content_hash``. None if there is none yet.
    Pages use it to answer a revalidation (ETag) before reading anything larger."""
    rows = ChartData.objects.order_by("-snapshot__created_at", "-snapshot__pk")
    if content_hash is not None:
        rows = rows.filter(snapshot__content_hash=content_hash.lower())
    row = rows.values("pk", "created_at", "snapshot__content_hash", "snapshot__as_of").first()
    return dict(row) if row is not None else None


def chart_data_payload(pk: int) -> dict[str, Any] | None:
    """The stored payload of chart data ``pk`` (see reports/charts.py), or None if it is gone."""
    return ChartData.objects.filter(pk=pk).values_list("payload", flat=True).first()


def chart_data_for(snapshot: FigureSnapshot) -> ChartData | None:
    """The chart data built from ``snapshot``, or None if the charts job has not run for it yet."""
    return ChartData.objects.filter(snapshot=snapshot).first()


def rate_on(day: datetime.date, currency: str = "USD") -> tuple[datetime.date, Decimal] | None:
    """The ECB rate (units per 1 EUR) used for ``day``: that day's, or the last ECB business day's
    before it. Returns (date of the rate, rate), or None if no rate is stored up to that day."""
    row = (
        ExchangeRate.objects.filter(currency=currency.upper(), date__lte=day)
        .order_by("-date")
        .values_list("date", "rate")
        .first()
    )
    return (row[0], row[1]) if row else None


def job_runs_latest() -> dict[str, JobRun]:
    """Per job name, its latest run."""
    runs: dict[str, JobRun] = {}
    for name in JobRun.objects.order_by().values_list("job", flat=True).distinct():
        run = JobRun.objects.filter(job=name).order_by("-started_at", "-pk").first()
        if run is not None:
            runs[name] = run
    return runs


def job_failure_latest(job: str) -> JobRun | None:
    """The latest failed run of ``job``, or None."""
    return JobRun.objects.filter(job=job, status=JobRun.Status.FAILED).order_by("-started_at", "-pk").first()
