"""The only writers of computed figures, chart data, exchange rates and job runs. Tasks and the
management commands call these; each is idempotent, so running one twice changes nothing more."""

from __future__ import annotations

import contextlib
import datetime
import logging
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from tranches.models import Release

from .charts import CHARTS_SCHEMA_VERSION, chart_data_build
from .figures import figures_build, figures_fingerprint, payload_hash
from .models import ChartData, ExchangeRate, FigureSnapshot, JobRun
from .rates import rates_download, rates_parse

logger = logging.getLogger(__name__)

JOB_REFRESH = "figures_refresh"
JOB_CHARTS = "charts_build"
JOB_RATES = "rates_fetch"
JOB_ENQUEUE = "refresh_enqueue"
# Serialises snapshot writers on PostgreSQL (two workers, or a worker and a command).
SNAPSHOT_LOCK_KEY = 0x10A7_F16


@dataclass
class JobOutcome:
    """What a job reports to its JobRun row (``detail``) and to the command's progress output."""

    detail: dict[str, Any] = field(default_factory=dict)


WORKER_LOST = (
    "WorkerLost: still 'running' {seconds} s after it started, longer than CELERY_TASK_TIME_LIMIT "
    "({limit} s); its process was killed or its machine lost before it could record the end"
)


def job_runs_close_lost(job: str) -> int:
    """Mark the runs of ``job`` still 'running' longer than CELERY_TASK_TIME_LIMIT seconds as
    failed (WORKER_LOST): the hard limit kills any task by then, so such a run's worker died
    (SIGKILL, a lost machine) without recording its end. Returns how many were closed. A run
    that does finish later (a slow management command) still records its real outcome."""
    now = timezone.now()
    limit = int(settings.CELERY_TASK_TIME_LIMIT)
    lost = JobRun.objects.filter(
        job=job, status=JobRun.Status.RUNNING, started_at__lt=now - datetime.timedelta(seconds=limit)
    )
    closed = 0
    for run in lost.only("pk", "started_at"):
        seconds = int((now - run.started_at).total_seconds())
        closed += JobRun.objects.filter(pk=run.pk, status=JobRun.Status.RUNNING).update(
            status=JobRun.Status.FAILED, finished_at=now, error=WORKER_LOST.format(seconds=seconds, limit=limit)
        )
    if closed:
        logger.warning("%s: %d run(s) left 'running' by a lost worker marked failed", job, closed)
    return closed


@contextlib.contextmanager
def job_run(job: str, **detail: Any) -> Iterator[JobOutcome]:
    """Record a run of ``job``: a 'running' row committed at the start (so the admin shows a run
    that never finished, e.g. a killed worker), then 'ok' or 'failed' with the error. Re-raises.
    Runs of the same job that a lost worker left 'running' are closed first (job_runs_close_lost)."""
    job_runs_close_lost(job)
    run = JobRun.objects.create(job=job, started_at=timezone.now(), detail=detail)
    outcome = JobOutcome(detail=dict(detail))
    try:
        yield outcome
    except BaseException as exc:
        run.status = JobRun.Status.FAILED
        run.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        run.finished_at = timezone.now()
        run.detail = outcome.detail
        run.save(update_fields=["status", "error", "finished_at", "detail"])
        raise
    run.status = JobRun.Status.OK
    run.finished_at = timezone.now()
    run.detail = outcome.detail
    run.save(update_fields=["status", "finished_at", "detail"])


def job_failure_record(*, job: str, error: str, detail: dict[str, Any] | None = None) -> JobRun:
    """Record a failure that happened outside a job (e.g. the broker refused a refresh)."""
    now = timezone.now()
    return JobRun.objects.create(
        job=job, started_at=now, finished_at=now, status=JobRun.Status.FAILED, error=error, detail=detail or {}
    )


@dataclass(frozen=True)
class RefreshResult:
    snapshot: FigureSnapshot | None
    created: bool
    skipped: bool  # inputs unchanged since the latest snapshot: nothing was rebuilt


def snapshot_inputs_changed() -> bool:
    """True unless the latest snapshot was built from the latest release and the current exchange
    rates (compared by release number and the rates' count and last change, never by history
    rows or publication times); True when there is no snapshot yet and a release exists. A draft
    save changes neither. Reads only; three queries."""
    latest = FigureSnapshot.objects.order_by("-created_at", "-pk").only("inputs_fingerprint").first()
    if latest is None:
        return Release.objects.exists()
    return latest.inputs_fingerprint != figures_fingerprint()


class FiguresStatus:
    """What ``figures_status`` answers (reports.admin shows it in the list of releases)."""

    BUILT = "built"
    PENDING = "pending"
    FAILED = "failed"


def figures_status(*, release: int) -> str:
    """Whether the figures of release ``release`` are built:

    - 'built': a snapshot of it or of a later release is stored (the public figures show it or
      what replaced it);
    - 'failed': not built, and the last attempt since the release was published failed: its
      refresh raised, could not be queued (``refresh_enqueue``), or was cut off (a run still
      'running' after CELERY_TASK_TIME_LIMIT: its worker was killed). The next refresh retries
      it (docs/JOBS.md, "Retried without a person");
    - 'pending': not built and no attempt since it was published has failed (queued, running).

    An unknown release number is 'pending'."""
    if FigureSnapshot.objects.filter(release__gte=release).exists():
        return FiguresStatus.BUILT
    published_at = Release.objects.filter(number=release).values_list("published_at", flat=True).first()
    if published_at is None:
        return FiguresStatus.PENDING
    last = (
        JobRun.objects.filter(job__in=(JOB_REFRESH, JOB_ENQUEUE), started_at__gte=published_at)
        .order_by("-started_at", "-pk")
        .only("status", "started_at")
        .first()
    )
    if last is None:
        return FiguresStatus.PENDING
    if last.status == JobRun.Status.FAILED:
        return FiguresStatus.FAILED
    limit = datetime.timedelta(seconds=int(settings.CELERY_TASK_TIME_LIMIT))
    if last.status == JobRun.Status.RUNNING and last.started_at < timezone.now() - limit:
        return FiguresStatus.FAILED
    return FiguresStatus.PENDING


def _lock_snapshots() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SNAPSHOT_LOCK_KEY])


def snapshot_refresh(*, force: bool = False) -> RefreshResult:
    """Build the figures of the latest release and store them as a new FigureSnapshot that records
    the release, unless the latest snapshot shows that release with the same figures (same content
    hash: no new row). With ``force=False`` nothing is rebuilt while the latest snapshot was built
    from the latest release and the same exchange rates (``figures_fingerprint``: the release
    number and the rates). Before the first release: no snapshot.

    The release is chosen once the snapshot lock is held, so a refresh that waited for another
    never stores an older release after a newer one; its figures are that release's published rows
    only, whatever release commits while they are built. Atomic: a failure or a killed process
    leaves no partial snapshot. Raises database errors."""
    # A read-only shortcut before taking the lock; without the payload (megabytes at scale).
    latest = FigureSnapshot.objects.order_by("-created_at", "-pk").defer("payload").first()
    if not Release.objects.exists():
        return RefreshResult(snapshot=latest, created=False, skipped=True)
    if latest is not None and not force and latest.inputs_fingerprint == figures_fingerprint():
        return RefreshResult(snapshot=latest, created=False, skipped=True)
    with transaction.atomic():
        _lock_snapshots()
        release = Release.objects.order_by("-number").first()
        assert release is not None  # noqa: S101 (releases are never deleted: PROTECT)
        latest = FigureSnapshot.objects.order_by("-created_at", "-pk").defer("payload").first()
        if latest is not None and latest.release_id is not None and latest.release_id > release.number:
            # Only without the lock (SQLite): another process stored a newer release meanwhile.
            return RefreshResult(snapshot=latest, created=False, skipped=True)
        # Read before the figures: rates that change meanwhile make it stale (rebuilt), never wrong.
        fingerprint = figures_fingerprint(release.number)
        if latest is not None and not force and latest.inputs_fingerprint == fingerprint:
            return RefreshResult(snapshot=latest, created=False, skipped=True)  # built while we waited
        payload, as_of = figures_build(release=release)
        digest = payload_hash(payload)
        if latest is not None and latest.content_hash == digest and latest.release_id == release.number:
            return RefreshResult(snapshot=latest, created=False, skipped=False)
        now = timezone.now()
        snapshot = FigureSnapshot(
            release=release,
            content_hash=digest,
            as_of=as_of,
            created_at=now,
            schema_version=payload["schema_version"],
            payload=payload,
            inputs_fingerprint=fingerprint,
        )
        snapshot.save()
    return RefreshResult(snapshot=snapshot, created=True, skipped=False)


def chart_data_refresh(*, snapshot_id: int) -> tuple[ChartData, bool]:
    """Build and store the chart data of snapshot ``snapshot_id`` once; returns (row, built).
    Chart data of an older schema (a new release draws the charts differently) is rebuilt in
    place. Raises FigureSnapshot.DoesNotExist for an unknown id."""
    with transaction.atomic():
        snapshot = FigureSnapshot.objects.get(pk=snapshot_id)
        existing = ChartData.objects.select_for_update().filter(snapshot=snapshot).first()
        if existing is not None and existing.payload.get("schema_version") == CHARTS_SCHEMA_VERSION:
            return existing, False
        payload = chart_data_build(snapshot.payload, snapshot_hash=snapshot.content_hash)
        chart, _ = ChartData.objects.update_or_create(
            snapshot=snapshot, defaults={"created_at": timezone.now(), "payload": payload}
        )
    return chart, True


@dataclass(frozen=True)
class RatesResult:
    url: str
    parsed: int  # rates in the file (of the configured currencies)
    written: int  # rows inserted or changed
    first: datetime.date
    last: datetime.date


def rates_store(rates: dict[tuple[datetime.date, str], Decimal]) -> int:
    """Upsert rates (units per 1 EUR) by (date, currency); rows whose rate is unchanged are not
    touched, so a second run writes nothing. Returns how many rows were inserted or changed."""
    if not rates:
        return 0
    days = [day for day, _ in rates]
    with transaction.atomic():
        stored = {
            (row.date, row.currency): row.rate
            for row in ExchangeRate.objects.filter(date__gte=min(days), date__lte=max(days)).only(
                "date", "currency", "rate"
            )
        }
        changed = [
            ExchangeRate(date=day, currency=currency, rate=rate)
            for (day, currency), rate in rates.items()
            if stored.get((day, currency)) != rate
        ]
        ExchangeRate.objects.bulk_create(
            changed,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["date", "currency"],
            update_fields=["rate", "updated_at"],
        )
    return len(changed)


# With no rate newer than this, the daily file (one day) is not enough to fill the gap.
DAILY_ENOUGH = datetime.timedelta(days=4)


def rates_which() -> str:
    """'daily' if a USD rate of the last few days is stored, else 'hist' (the whole history)."""
    latest = ExchangeRate.objects.order_by("-date").values_list("date", flat=True).first()
    return "daily" if latest is not None and timezone.now().date() - latest <= DAILY_ENOUGH else "hist"


def rates_fetch(*, which: str = "hist") -> RatesResult:
    """Download the ECB file (``which`` is 'hist', the whole history, 'daily', the latest day, or
    'auto', daily unless the stored rates are more than a few days old;
    URLs ECB_RATES_HIST_URL / ECB_RATES_DAILY_URL), parse it and upsert the rates of
    ECB_RATES_CURRENCIES. Raises RatesDownloadError or RatesFormatError; then no rate is changed."""
    if which == "auto":
        which = rates_which()
    url = settings.ECB_RATES_HIST_URL if which == "hist" else settings.ECB_RATES_DAILY_URL
    body = rates_download(url, timeout=settings.ECB_RATES_TIMEOUT)
    rates = rates_parse(body, [c.upper() for c in settings.ECB_RATES_CURRENCIES])
    written = rates_store(rates)
    days = [day for day, _ in rates]
    return RatesResult(url=url, parsed=len(rates), written=written, first=min(days), last=max(days))
