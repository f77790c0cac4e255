"""Saves trigger a refresh after commit; without a broker it runs in-process; a broker that is
down never makes a save fail, and the next refresh catches up."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from reports import selectors, services
from reports.models import ChartData, FigureSnapshot, JobRun
from reports.tasks import figures_refresh_task
from tests.factories import TrancheFactory
from tests.reports.conftest import latest
from tranches import services as tranche_services
from tranches.models import Stage, Tranche

pytestmark = pytest.mark.django_db


def _new_published_tranche(amount: str = "2000000000.00") -> Tranche:
    defence = Tranche.objects.get(slug="drones-1").component
    tranche = tranche_services.tranche_save(
        tranche=TrancheFactory.build(component=defence, amount=Decimal(amount), purpose="air defence",
                                     stage=Stage.APPROVED, approved_on=datetime.date(2026, 7, 15))
    )  # fmt: skip
    tranche_services.record_publish(record=tranche, user=None)
    return tranche


def _usl_committed(snapshot: FigureSnapshot) -> Decimal:
    usl = next(i for i in snapshot.payload["instruments"] if i["short_name"] == "USL")
    return Decimal(usl["totals"]["committed"])


def test_publishing_refreshes_the_figures_after_commit_without_a_broker(
    dataset: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _new_published_tranche()

    snapshot = latest()
    assert snapshot is not None
    assert _usl_committed(snapshot) == Decimal("9100000000.00")
    assert ChartData.objects.filter(snapshot=snapshot).exists()


def test_a_draft_save_changes_nothing_public_and_runs_no_refresh(
    dataset: Any, django_capture_on_commit_callbacks: Any, editor: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _new_published_tranche()
    runs = JobRun.objects.count()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tranche = Tranche.objects.get(slug="drones-1")
        tranche.notes = "draft note"
        tranche_services.tranche_save(tranche=tranche, user=editor)

    assert len(callbacks) == 1  # the change was announced
    assert JobRun.objects.count() == runs  # but nothing published changed, so no refresh ran


def test_a_save_succeeds_when_the_broker_is_down_and_the_next_refresh_catches_up(
    dataset: Any, django_capture_on_commit_callbacks: Any, broker: Any, private_redis: Any
) -> None:
    services.snapshot_refresh()
    broker(private_redis["url"])
    private_redis["process"].terminate()
    private_redis["process"].wait(10)

    with django_capture_on_commit_callbacks(execute=True):
        tranche = _new_published_tranche()

    assert Tranche.objects.filter(pk=tranche.pk, status="published").exists()
    failure = selectors.job_failure_latest(services.JOB_ENQUEUE)
    assert failure is not None
    assert "Connection" in failure.error
    # Beat's scheduled refresh (here run in this process) catches up.
    figures_refresh_task.apply()
    assert _usl_committed(latest()) == Decimal("9100000000.00")


def test_refresh_figures_command_prints_progress_and_is_idempotent(dataset: Any, capsys: Any) -> None:
    call_command("refresh_figures")
    first = capsys.readouterr().out
    call_command("refresh_figures", "--force")
    second = capsys.readouterr().out

    assert "New snapshot" in first
    assert "nothing stored" in second
    assert FigureSnapshot.objects.count() == 1
    assert ChartData.objects.count() == 1


def test_the_admin_shows_the_latest_snapshot_and_each_jobs_last_failure(
    dataset: Any, admin_client: Any, settings: Any, httpserver: Any
) -> None:
    call_command("refresh_figures")
    httpserver.expect_request("/eurofxref-hist.zip").respond_with_data("gone", status=404)
    settings.ECB_RATES_HIST_URL = httpserver.url_for("/eurofxref-hist.zip")
    with pytest.raises(Exception, match="404"):
        call_command("fetch_rates")

    page = admin_client.get(reverse("admin:reports_figuresnapshot_changelist")).content.decode()

    assert latest().content_hash in page
    assert "rates_fetch" in page
    assert "HTTP 404" in page
