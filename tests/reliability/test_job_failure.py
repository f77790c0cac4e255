"""A job that raises half-way: the figures build (after several totals are computed) or the chart
data build (after its snapshot is stored). Nothing partial is stored, the run is recorded as failed
with the error and shown in the admin, the edit that triggered it is kept, and the next run —
beat's scheduled refresh — stores what was missing, with no one stepping in."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from reports import charts, figures, selectors, services
from reports.models import ChartData, FigureSnapshot, JobRun
from reports.tasks import figures_refresh_task
from tests.reliability.conftest import admin_pages, new_tranche, usl_committed
from tests.reports.conftest import latest
from tranches.models import Status, Tranche

pytestmark = pytest.mark.django_db


def raising_after(calls: int, function: Any, message: str) -> Any:
    """``function``, but raising RuntimeError(message) on its ``calls``-th call: a bug half-way."""
    count = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        if count >= calls:
            raise RuntimeError(message)
        return function(*args, **kwargs)

    return wrapper


def test_a_figures_build_that_raises_half_way_stores_nothing_and_the_next_run_succeeds(
    published_dataset: Any, monkeypatch: Any, admin_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    before, snapshots, charts_count = latest(), FigureSnapshot.objects.count(), ChartData.objects.count()
    monkeypatch.setattr(figures, "_totals", raising_after(3, figures._totals, "totals of a component failed"))

    with django_capture_on_commit_callbacks(execute=True):
        tranche = new_tranche("300000000.00")  # the publication asks for a refresh, which fails

    assert Tranche.objects.get(pk=tranche.pk).status == Status.PUBLISHED  # the edit is kept
    assert (FigureSnapshot.objects.count(), ChartData.objects.count()) == (snapshots, charts_count)
    assert latest().pk == before.pk  # readers keep the last good figures
    failure = selectors.job_failure_latest(services.JOB_REFRESH)
    assert failure is not None
    assert failure.error == "RuntimeError: totals of a component failed"
    assert failure.finished_at is not None
    assert "RuntimeError: totals of a component failed" in admin_pages(admin_client)

    monkeypatch.undo()  # the bug is fixed (or it was a passing fault)
    figures_refresh_task.delay()  # beat's scheduled refresh

    newest = latest()
    assert usl_committed(newest) == usl_committed(before) + 300_000_000
    assert ChartData.objects.filter(snapshot=newest).exists()
    assert JobRun.objects.filter(job=services.JOB_REFRESH).latest().status == JobRun.Status.OK


def test_a_chart_data_build_that_raises_leaves_no_chart_data_and_the_next_refresh_builds_it(
    published_dataset: Any, monkeypatch: Any, admin_client: Any
) -> None:
    new_tranche("300000000.00")  # published; the refresh below picks it up
    monkeypatch.setattr(services, "chart_data_build", raising_after(1, charts.chart_data_build, "chart 3 failed"))

    figures_refresh_task.delay()  # stores the snapshot, then its chart data job raises

    snapshot = latest()
    assert not ChartData.objects.filter(snapshot=snapshot).exists()  # no half-built chart data
    assert selectors.chart_data_latest() is not None  # readers keep the previous charts
    refresh = JobRun.objects.filter(job=services.JOB_REFRESH).latest()
    assert (refresh.status, refresh.detail["content_hash"]) == (JobRun.Status.OK, snapshot.content_hash)
    failure = selectors.job_failure_latest(services.JOB_CHARTS)
    assert failure is not None
    assert failure.error == "RuntimeError: chart 3 failed"
    assert "RuntimeError: chart 3 failed" in admin_pages(admin_client)

    monkeypatch.undo()
    figures_refresh_task.delay()  # the data did not change, but the snapshot lacks its chart data

    assert ChartData.objects.filter(snapshot=snapshot).exists()
    assert FigureSnapshot.objects.filter(content_hash=snapshot.content_hash).count() == 1
    assert JobRun.objects.filter(job=services.JOB_CHARTS).latest().status == JobRun.Status.OK


def test_runs_a_lost_worker_left_running_are_closed_by_the_next_run_of_the_job(
    published_dataset: Any, settings: Any, admin_client: Any
) -> None:
    settings.CELERY_TASK_TIME_LIMIT = 180
    now = timezone.now()

    def running(job: str, seconds_ago: int) -> JobRun:
        return JobRun.objects.create(job=job, started_at=now - datetime.timedelta(seconds=seconds_ago))

    lost, young, other_job = running(services.JOB_REFRESH, 181), running(services.JOB_REFRESH, 30), running("x", 900)

    figures_refresh_task.delay()

    for run in (lost, young, other_job):
        run.refresh_from_db()
    assert lost.status == JobRun.Status.FAILED
    assert lost.error.startswith("WorkerLost: still 'running' 18")  # 181 s, give or take the test's own
    assert "CELERY_TASK_TIME_LIMIT (180 s)" in lost.error
    assert young.status == other_job.status == JobRun.Status.RUNNING  # may still be running; another job
    assert "WorkerLost" in admin_pages(admin_client)
