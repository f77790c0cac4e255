"""Celery tasks: thin and idempotent; each records a JobRun and calls a service. Enqueued after
commit (reports.receivers) and on beat's schedule (settings CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging
import os
from typing import Any

import redis
from celery import current_app as celery_app
from celery import shared_task
from django.conf import settings

from . import services
from .charts import CHARTS_SCHEMA_VERSION
from .models import ChartData
from .rates import RatesDownloadError

logger = logging.getLogger(__name__)

# Set while a refresh is queued and not yet started: further saves need no second refresh.
REFRESH_PENDING_KEY = "loantracker:figures-refresh-pending"


def _redis() -> redis.Redis:
    """A client of the broker's Redis, failing fast (seconds) when it is down."""
    return redis.Redis.from_url(celery_app.conf.broker_url, socket_connect_timeout=1, socket_timeout=2)


def figures_refresh_request() -> bool:
    """Ask for the figures of the latest release (sent after each release commits, and after rates
    change). Without a broker (eager) it runs now, in-process. With Redis,
    a burst of calls coalesces: the first sets a pending key and queues one refresh that starts
    FIGURES_REFRESH_DEBOUNCE seconds later; calls while it is pending queue nothing. Returns True
    if a refresh was queued or run (in-process, even if it failed: its run records that). Raises
    redis/kombu errors when the broker is down."""
    if celery_app.conf.task_always_eager:
        # In-process: it runs now, so skip it when the latest release and rates are built already.
        if not services.snapshot_inputs_changed():
            return False
        try:
            figures_refresh_task.delay()
        except Exception:
            # It was asked for and ran: its run recorded the failure (a failed figures_refresh),
            # and the next refresh retries it (docs/JOBS.md, "Retried without a person").
            logger.exception("the in-process figures refresh failed; the next refresh retries it")
        return True
    ttl = int(settings.FIGURES_REFRESH_DEBOUNCE + settings.CELERY_TASK_TIME_LIMIT + 60)
    client = _redis()
    if not client.set(REFRESH_PENDING_KEY, "1", nx=True, ex=ttl):
        return False
    try:
        figures_refresh_task.apply_async(countdown=settings.FIGURES_REFRESH_DEBOUNCE)
    except BaseException:
        client.delete(REFRESH_PENDING_KEY)
        raise
    return True


@shared_task(name="reports.tasks.figures_refresh_task", bind=True)
def figures_refresh_task(self: Any, force: bool = False) -> int | None:
    """Build the figures of the latest release unless its snapshot is stored (services.snapshot_refresh);
    when a new one is stored, queue its chart data. Returns the snapshot id (None before the first
    release). Idempotent: the same release and rates store nothing."""
    if not celery_app.conf.task_always_eager:
        # Cleared before reading the data: a save committed after this point queues a new refresh.
        try:
            _redis().delete(REFRESH_PENDING_KEY)
        except redis.RedisError:
            logger.warning("could not clear %s; it expires by itself", REFRESH_PENDING_KEY)
    with services.job_run(services.JOB_REFRESH, task_id=self.request.id, pid=os.getpid(), force=force) as outcome:
        result = services.snapshot_refresh(force=force)
        snapshot = result.snapshot
        outcome.detail.update(
            created=result.created,
            skipped=result.skipped,
            snapshot_id=snapshot.pk if snapshot else None,
            content_hash=snapshot.content_hash if snapshot else None,
            release=snapshot.release_id if snapshot else None,
        )
    if snapshot is not None and (
        result.created
        # none yet, or of an older schema: built (again)
        or not ChartData.objects.filter(snapshot=snapshot, payload__schema_version=CHARTS_SCHEMA_VERSION).exists()
    ):
        try:
            chart_data_refresh_task.delay(snapshot.pk)
        except Exception:  # the next refresh queues it again: a snapshot without chart data is retried
            logger.exception("chart data of snapshot %s not queued", snapshot.pk)
    return snapshot.pk if snapshot else None


@shared_task(name="reports.tasks.chart_data_refresh_task", bind=True)
def chart_data_refresh_task(self: Any, snapshot_id: int) -> int:
    """Build the chart data of snapshot ``snapshot_id`` (once). Returns the ChartData id."""
    with services.job_run(services.JOB_CHARTS, task_id=self.request.id, snapshot_id=snapshot_id) as outcome:
        chart, created = services.chart_data_refresh(snapshot_id=snapshot_id)
        outcome.detail.update(created=created, chart_data_id=chart.pk)
    return chart.pk


@shared_task(
    name="reports.tasks.rates_fetch_task",
    bind=True,
    autoretry_for=(RatesDownloadError,),
    retry_backoff=30,  # seconds, doubling each retry
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=settings.ECB_RATES_MAX_RETRIES,
)
def rates_fetch_task(self: Any, which: str = "hist") -> int:
    """Fetch ECB rates ('hist', 'daily' or 'auto', see services.rates_fetch) and upsert them;
    network errors are retried with exponential backoff and jitter, a finite number of times.
    A failed run keeps the old rates and is recorded. When rates changed, queues a figures
    refresh. Returns the rows written."""
    with services.job_run(services.JOB_RATES, task_id=self.request.id, which=which, attempt=self.request.retries) as o:
        result = services.rates_fetch(which=which)
        o.detail.update(parsed=result.parsed, written=result.written, first=str(result.first), last=str(result.last))
    if result.written:
        figures_refresh_request()
    return result.written
