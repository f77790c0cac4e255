"""With a real Redis and a real Celery worker process on the test's PostgreSQL database."""

from __future__ import annotations

import os
import signal
import time
from decimal import Decimal
from typing import Any

import psycopg
import pytest
import redis
from django.db import connection

from reports import services
from reports.models import ChartData, FigureSnapshot, JobRun
from reports.tasks import REFRESH_PENDING_KEY, figures_refresh_task
from tests.reports.conftest import latest, new_tranche
from tranches.dataset import dataset_load
from tranches.models import Tranche

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]


def wait_for(predicate: Any, timeout: float = 30, what: str = "the worker") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def refresh_runs(status: str | None = None) -> int:
    runs = JobRun.objects.filter(job=services.JOB_REFRESH, detail__command__isnull=True)
    return runs.filter(status=status).count() if status else runs.count()


@pytest.fixture
def loaded(celery_worker: Any, settings: Any) -> Any:
    settings.FIGURES_REFRESH_DEBOUNCE = 0.3
    dataset_load(path=settings.DATASET_PATH)  # Release 1: its commit queues one refresh
    client = redis.Redis.from_url(celery_worker.broker_url)

    def settled() -> bool:  # no refresh queued or running, and the latest snapshot has its charts
        newest = FigureSnapshot.objects.order_by("-created_at", "-pk").first()
        return (
            newest is not None
            and not client.exists(REFRESH_PENDING_KEY)
            and refresh_runs("running") == 0
            and ChartData.objects.filter(snapshot=newest).exists()
        )

    try:
        wait_for(settled, what="the dataset's snapshot and its chart data")
    except AssertionError:
        print(celery_worker.log.read_text()[-4000:])
        raise
    return celery_worker


def test_a_release_leads_to_a_snapshot_of_it_and_a_burst_of_releases_coalesces(loaded: Any, settings: Any) -> None:
    # The default debounce: five releases take ~0.4 s on a loaded 2-core machine, longer than the
    # fixture's short one, and must still give one refresh, of the latest.
    settings.FIGURES_REFRESH_DEBOUNCE = 2.0
    first = latest()
    snapshots = FigureSnapshot.objects.count()
    runs_before = refresh_runs()

    for n in range(5):  # five releases in quick succession
        new_tranche("100000000.00", n)

    wait_for(lambda: FigureSnapshot.objects.count() == snapshots + 1, what="the new snapshot")
    wait_for(lambda: refresh_runs("running") == 0)
    newest = latest()
    usl = next(i for i in newest.payload["instruments"] if i["short_name"] == "USL")
    assert Decimal(usl["totals"]["committed"]) == Decimal("7600000000.00")
    assert newest.content_hash != first.content_hash
    assert (first.release_id, newest.release_id) == (1, 6)  # the latest of the five
    assert refresh_runs() - runs_before == 1  # one refresh for the burst of five
    assert all(services.figures_status(release=n) == "built" for n in range(1, 7))
    wait_for(lambda: ChartData.objects.filter(snapshot=newest).exists(), what="the chart data")


def test_the_same_job_twice_gives_one_snapshot(loaded: Any) -> None:
    runs_before, snapshots = refresh_runs("ok"), FigureSnapshot.objects.count()
    figures_refresh_task.delay(force=True)
    figures_refresh_task.delay(force=True)

    wait_for(lambda: refresh_runs("ok") == runs_before + 2, what="both runs")
    assert FigureSnapshot.objects.count() == snapshots


def test_releases_succeed_with_the_broker_down_and_the_next_run_catches_up(
    loaded: Any, broker: Any, private_redis: Any, test_redis_url: Any
) -> None:
    snapshots = FigureSnapshot.objects.count()
    broker(private_redis["url"])
    private_redis["process"].terminate()
    private_redis["process"].wait(10)

    tranche = new_tranche("500000000.00")  # commits although no refresh can be queued

    assert Tranche.objects.filter(pk=tranche.pk, status="published").exists()
    assert JobRun.objects.filter(job=services.JOB_ENQUEUE, status="failed").exists()
    assert FigureSnapshot.objects.count() == snapshots
    assert services.figures_status(release=2) == "failed"
    broker(test_redis_url)  # the broker is back: beat's scheduled refresh runs
    figures_refresh_task.delay()
    wait_for(lambda: FigureSnapshot.objects.count() == snapshots + 1, what="the catch-up refresh")
    assert latest().release_id == 2
    assert services.figures_status(release=2) == "built"


def test_a_worker_killed_mid_refresh_leaves_no_partial_snapshot_and_the_task_is_redelivered(loaded: Any) -> None:
    snapshots = FigureSnapshot.objects.count()
    db = connection.settings_dict
    # Another connection holds a lock that lets the refresh read and compute but not insert, so
    # the worker's pool process is caught inside its transaction, right before storing the snapshot.
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]) as blocker:
        blocker.execute("LOCK TABLE reports_figuresnapshot IN SHARE ROW EXCLUSIVE MODE")
        new_tranche("250000000.00")  # release 2; its refresh is what gets killed

        def waiting_insert() -> bool:
            blocker.execute("SELECT pg_stat_clear_snapshot()")  # else the view is frozen for the transaction
            row = blocker.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'INSERT INTO \"reports_figuresnapshot\"%'"
            ).fetchone()
            return bool(row and row[0])

        wait_for(waiting_insert, what="the refresh to reach its insert")
        run = JobRun.objects.get(job=services.JOB_REFRESH, status="running")
        os.kill(run.detail["pid"], signal.SIGKILL)
        wait_for(lambda: b"WorkerLostError" in loaded.log.read_bytes(), what="the worker to notice")
        blocker.rollback()

    wait_for(lambda: FigureSnapshot.objects.count() == snapshots + 1, what="the redelivered refresh")
    wait_for(lambda: refresh_runs("running") == 1, what="the redelivered run to finish")
    assert FigureSnapshot.objects.count() == snapshots + 1  # nothing partial, nothing twice
    assert JobRun.objects.get(pk=run.pk).status == "running"  # the killed run never finished
    assert latest().release_id == 2
    usl = next(i for i in latest().payload["instruments"] if i["short_name"] == "USL")
    assert Decimal(usl["totals"]["committed"]) == Decimal("7350000000.00")
