"""A whole Celery worker (its main process and its pool) killed with SIGKILL in the middle of a
figures refresh, as when its machine dies. Nothing partial is stored; a new worker gets the job
again from Redis once the visibility timeout has passed; the run the dead worker left 'running' is
closed as failed and shown in the admin; the edit is in the next snapshot. No person steps in."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from reports import services
from reports.models import ChartData, FigureSnapshot, JobRun
from tests.reliability.conftest import (
    admin_pages,
    new_tranche,
    pg_connect,
    usl_committed,
    wait_for,
    waiting_on_lock,
)
from tests.reports.conftest import latest

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]

VISIBILITY_TIMEOUT = 6  # seconds; the new worker's CELERY_VISIBILITY_TIMEOUT
TIME_LIMIT = 4  # seconds; its CELERY_TASK_TIME_LIMIT, below the visibility timeout as in production


def gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie waiting to be reaped counts as exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def test_a_worker_killed_whole_mid_refresh_is_redelivered_to_a_new_worker_and_the_lost_run_closed(
    published_on_postgres: Any,
    test_redis_url: str,
    broker: Any,
    start_worker: Any,
    admin_client: Any,
    settings: Any,
    monkeypatch: Any,
) -> None:
    settings.FIGURES_REFRESH_DEBOUNCE = 0.2
    broker(test_redis_url)
    first = start_worker(test_redis_url, "first")
    before = latest()
    snapshots = FigureSnapshot.objects.count()

    # A lock that lets the refresh read and compute but not insert: the worker is caught inside
    # its transaction, right before storing the snapshot.
    with pg_connect() as blocker, blocker.transaction():
        blocker.execute("LOCK TABLE reports_figuresnapshot IN SHARE ROW EXCLUSIVE MODE")
        new_tranche("250000000.00")  # commits; its refresh is delivered to the first worker
        delivered = time.time()
        wait_for(lambda: waiting_on_lock(blocker, 'INSERT INTO "reports_figuresnapshot"'), what="the refresh's insert")
        lost_run = JobRun.objects.get(job=services.JOB_REFRESH, status=JobRun.Status.RUNNING)

        assert first.process is not None
        first.process.kill()  # SIGKILL to the main process; its pool process dies with it
        first.process.wait(10)
        wait_for(lambda: gone(lost_run.detail["pid"]), 10, "the pool process to die")
    # The lock is released. The dead worker's transaction never committed: nothing was stored.
    assert FigureSnapshot.objects.count() == snapshots
    assert JobRun.objects.get(pk=lost_run.pk).status == JobRun.Status.RUNNING  # nobody could record its end

    # A new worker (e.g. on another machine) starts once Redis may hand the job out again.
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", str(VISIBILITY_TIMEOUT))
    monkeypatch.setenv("CELERY_TASK_TIME_LIMIT", str(TIME_LIMIT))
    monkeypatch.setenv("CELERY_TASK_SOFT_TIME_LIMIT", str(TIME_LIMIT - 1))
    time.sleep(max(0.0, delivered + VISIBILITY_TIMEOUT + 0.5 - time.time()))
    second = start_worker(test_redis_url, "second")

    wait_for(lambda: FigureSnapshot.objects.count() == snapshots + 1, 30, "the redelivered refresh", second.log)
    newest = latest()
    assert usl_committed(newest) == usl_committed(before) + 250_000_000  # the edit is in it
    wait_for(lambda: ChartData.objects.filter(snapshot=newest).exists(), 30, "its chart data", second.log)
    assert FigureSnapshot.objects.count() == snapshots + 1  # nothing partial, nothing twice

    closed = JobRun.objects.get(pk=lost_run.pk)
    assert closed.status == JobRun.Status.FAILED
    assert closed.error.startswith("WorkerLost:")
    assert closed.finished_at is not None
    wait_for(lambda: not JobRun.objects.filter(status=JobRun.Status.RUNNING).exists(), 10, "no run left running")
    redelivered = JobRun.objects.filter(job=services.JOB_REFRESH, status=JobRun.Status.OK).latest()
    assert redelivered.detail["task_id"] == lost_run.detail["task_id"]  # the same message, not a new one
    page = admin_pages(admin_client)
    assert newest.content_hash in page
    assert "WorkerLost: still 'running'" in page
