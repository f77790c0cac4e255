"""The deployment of docs/DEPLOY.md, in small: two workers and exactly one beat (real Celery
processes) on one Redis and one PostgreSQL, and gunicorn with the production settings behind a
reverse proxy that says the client came in over HTTPS."""

from __future__ import annotations

import concurrent.futures
import datetime
from decimal import Decimal
from typing import Any

import pytest
import requests

from reports import services
from reports.models import ChartData, FigureSnapshot, JobRun
from reports.tasks import figures_refresh_task
from tests.factories import TrancheFactory
from tests.releases import released
from tests.reliability.conftest import usl_committed, wait_for
from tests.reports.conftest import latest
from tranches import services as tranche_services
from tranches.models import Stage, Status, Tranche

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]


def refresh_runs(since: datetime.datetime) -> Any:
    return JobRun.objects.filter(job=services.JOB_REFRESH, started_at__gte=since)


def test_two_workers_and_one_beat_turn_a_burst_of_published_edits_into_exactly_one_snapshot(
    published_on_postgres: Any, test_redis_url: str, broker: Any, start_worker: Any, start_beat: Any, settings: Any
) -> None:
    settings.FIGURES_REFRESH_DEBOUNCE = 0.5
    broker(test_redis_url)
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        starting = [pool.submit(start_worker, test_redis_url, f"worker-{n}") for n in (1, 2)]
        starting.append(pool.submit(start_beat, test_redis_url, 1.0))  # a scheduled refresh every second
        workers, beat = [future.result() for future in starting[:2]], starting[2].result()
    wait_for(lambda: beat.sends() >= 2, 20, "beat's scheduled refreshes", beat.log)
    before, snapshots = latest(), FigureSnapshot.objects.count()
    burst = datetime.datetime.now(tz=datetime.UTC)

    # Five editors save a tranche each (five commits; drafts ask for no refresh, nothing public yet) ...
    defence = Tranche.objects.get(slug="drones-1").component
    drafts = []
    for n in range(5):
        tranche = TrancheFactory.build(component=defence, amount=Decimal("100000000.00"), purpose=f"burst {n}",
                                       stage=Stage.APPROVED, approved_on=datetime.date(2026, 7, 15))  # fmt: skip
        drafts.append(tranche_services.tranche_save(tranche=tranche))
    assert FigureSnapshot.objects.count() == snapshots
    # ... a reviewer publishes them together as one release, and refreshes run on both workers at once.
    release = released(*drafts, note="Five tranches")
    assert Tranche.objects.filter(pk__in=[d.pk for d in drafts], status=Status.PUBLISHED).count() == 5
    for _ in range(4):
        figures_refresh_task.delay(force=True)

    wait_for(lambda: FigureSnapshot.objects.count() > snapshots, 30, "the new snapshot", workers[0].log)
    pids = lambda: {run.detail.get("pid") for run in refresh_runs(burst)}  # noqa: E731
    wait_for(lambda: len(pids()) >= 2, 30, "refreshes on both workers", workers[1].log)
    sends = beat.sends()
    wait_for(lambda: beat.sends() >= sends + 2, 20, "two more scheduled refreshes", beat.log)
    wait_for(lambda: not refresh_runs(burst).filter(status=JobRun.Status.RUNNING).exists(), 20, "the runs to end")

    assert FigureSnapshot.objects.count() == snapshots + 1  # exactly one new snapshot
    newest = latest()
    assert newest.release_id == release.number
    assert usl_committed(newest) == usl_committed(before) + 500_000_000  # with all five tranches
    assert refresh_runs(burst).filter(detail__created=True).count() == 1
    assert not refresh_runs(burst).filter(status=JobRun.Status.FAILED).exists()
    wait_for(lambda: ChartData.objects.filter(snapshot=newest).exists(), 20, "its chart data", workers[1].log)
    assert beat.process is not None
    assert beat.process.poll() is None  # the one beat keeps running


def test_gunicorn_with_the_production_settings_behind_an_https_proxy(
    published_on_postgres: Any, start_web: Any
) -> None:
    web = start_web(
        "production",
        DJANGO_SETTINGS_MODULE="loantracker.settings.production",
        SECRET_KEY="deploy-test-only-not-secret-" + "x7Qz" * 10,
        ALLOWED_HOSTS="tracker.example.org",
        CSRF_TRUSTED_ORIGINS="https://tracker.example.org",
    )
    proxied = {"Host": "tracker.example.org", "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    summary = web.url("/api/v1/summary/")

    plain = requests.get(summary, headers={"Host": "tracker.example.org"}, allow_redirects=False, timeout=10)
    https = requests.get(summary, headers=proxied, allow_redirects=False, timeout=10)
    wrong_host = requests.get(summary, headers={**proxied, "Host": "evil.example"}, allow_redirects=False, timeout=10)

    assert plain.status_code == 301  # the proxy did not say https: redirected there
    assert plain.headers["Location"] == "https://tracker.example.org/api/v1/summary/"
    assert https.status_code == 200, web.log.read_text()[-2000:]
    assert latest().content_hash in https.text  # the figures, with their snapshot hash
    assert "max-age=31536000" in https.headers["Strict-Transport-Security"]
    assert wrong_host.status_code == 400
