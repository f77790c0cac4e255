"""Redis, the broker, stops and comes back while a worker and beat run. A reviewer's publication
during the outage is saved; the refresh that could not be queued is recorded and shown in the
admin; once Redis is back (empty: it keeps nothing on disk), the worker and beat reconnect by
themselves and beat's scheduled refresh puts the edit into a new snapshot."""

from __future__ import annotations

from typing import Any

import pytest

from reports import services
from reports.models import ChartData, FigureSnapshot, JobRun
from tests.reliability.conftest import admin_pages, new_tranche, usl_committed, wait_for
from tests.reports.conftest import latest
from tranches.models import Status, Tranche

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]


def test_an_edit_published_while_redis_is_down_reaches_the_figures_when_it_is_back(
    published_on_postgres: Any,
    restartable_redis: Any,
    broker: Any,
    start_worker: Any,
    start_beat: Any,
    admin_client: Any,
) -> None:
    broker(restartable_redis.url)
    worker = start_worker(restartable_redis.url)
    beat = start_beat(restartable_redis.url, every=1.0)
    wait_for(lambda: beat.sends() >= 1, 15, "beat's first scheduled refresh", beat.log)
    before = latest()
    snapshots = FigureSnapshot.objects.count()

    restartable_redis.stop()
    tranche = new_tranche("500000000.00")  # the reviewer's publication commits anyway

    assert Tranche.objects.get(pk=tranche.pk).status == Status.PUBLISHED
    failure = JobRun.objects.filter(job=services.JOB_ENQUEUE, status=JobRun.Status.FAILED).latest()
    assert "Connection" in failure.error
    assert FigureSnapshot.objects.count() == snapshots
    page = admin_pages(admin_client)
    assert f"{services.JOB_ENQUEUE}" in page
    assert failure.error[:60] in page

    restartable_redis.start()
    sends = beat.sends()

    wait_for(lambda: FigureSnapshot.objects.count() == snapshots + 1, 45, "the catch-up refresh", worker.log)
    assert beat.sends() > sends  # beat reconnected and sent its scheduled refresh
    newest = latest()
    assert usl_committed(newest) == usl_committed(before) + 500_000_000
    wait_for(lambda: ChartData.objects.filter(snapshot=newest).exists(), 30, "its chart data", worker.log)
    runs = JobRun.objects.filter(job=services.JOB_REFRESH, status=JobRun.Status.OK)
    assert runs.filter(detail__created=True, detail__content_hash=newest.content_hash).count() == 1
    assert newest.content_hash in admin_pages(admin_client)
