"""A release asks for its figures after it commits (a draft save asks for nothing); without a broker
the refresh runs in-process; a broker that is down never makes a release fail; figures that were
not built (a failed or cut-off refresh) are built by the next refresh — in eager mode at the latest
by ``manage.py refresh_figures`` at the next start — and ``figures_status`` tells which."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports import figures, selectors, services
from reports.models import ChartData, FigureSnapshot, JobRun
from reports.tasks import REFRESH_PENDING_KEY, figures_refresh_task
from tests.factories import TrancheFactory
from tests.releases import released
from tests.reports.conftest import ROOT, latest
from tranches import services as tranche_services
from tranches.models import Release, Stage, Tranche

pytestmark = pytest.mark.django_db


def _new_tranche(amount: str = "2000000000.00") -> Tranche:
    """A draft: a new approved tranche of the Defence component."""
    defence = Tranche.objects.get(slug="drones-1").component
    return tranche_services.tranche_save(
        tranche=TrancheFactory.build(component=defence, amount=Decimal(amount), purpose="air defence",
                                     stage=Stage.APPROVED, approved_on=datetime.date(2026, 7, 15))
    )  # fmt: skip


def _new_published_tranche(amount: str = "2000000000.00") -> Tranche:
    tranche = _new_tranche(amount)
    released(tranche)
    return tranche


def _usl_committed(snapshot: FigureSnapshot) -> Decimal:
    usl = next(i for i in snapshot.payload["instruments"] if i["short_name"] == "USL")
    return Decimal(usl["totals"]["committed"])


def refresh_runs() -> int:
    return JobRun.objects.filter(job=services.JOB_REFRESH).count()


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every figures refresh sent to Celery (``delay`` and ``apply_async`` both end here), sent on."""
    calls: list[dict[str, Any]] = []
    send = figures_refresh_task.apply_async

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return send(*args, **kwargs)

    monkeypatch.setattr(figures_refresh_task, "apply_async", spy)
    return calls


def test_a_release_refreshes_its_figures_after_commit_without_a_broker(
    dataset: Any, django_capture_on_commit_callbacks: Any, queued: Any
) -> None:
    tranche = _new_tranche()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        release = released(tranche)

    assert release.number == 2
    assert len(callbacks) == 1  # release_published, after the release committed
    assert len(queued) == 1  # one refresh
    snapshot = latest()
    assert snapshot.release_id == 2
    assert snapshot.as_of == release.published_at
    assert _usl_committed(snapshot) == Decimal("9100000000.00")
    assert ChartData.objects.filter(snapshot=snapshot).exists()
    run = JobRun.objects.filter(job=services.JOB_REFRESH).latest()
    assert (run.status, run.detail["release"], run.detail["snapshot_id"]) == ("ok", 2, snapshot.pk)
    assert services.figures_status(release=2) == "built"


def test_a_draft_save_changes_nothing_public_and_queues_no_refresh(
    dataset: Any, django_capture_on_commit_callbacks: Any, editor: Any, queued: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        tranche = _new_published_tranche()
    runs, snapshots, sent = JobRun.objects.count(), FigureSnapshot.objects.count(), len(queued)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tranche.amount = Decimal("2500000000.00")  # an edit of a published tranche
        tranche_services.tranche_save(tranche=tranche, user=editor)
        _new_tranche("500000000.00")  # and a new draft

    assert callbacks == []  # a draft announces nothing
    assert len(queued) == sent  # so no refresh is asked for
    assert (JobRun.objects.count(), FigureSnapshot.objects.count()) == (runs, snapshots)
    assert not services.snapshot_inputs_changed()  # the figures are those of the latest release still
    assert services.snapshot_refresh().skipped
    assert _usl_committed(latest()) == Decimal("9100000000.00")


def test_a_release_queues_one_refresh_on_the_broker(
    dataset: Any, django_capture_on_commit_callbacks: Any, broker: Any, test_redis_url: str, queued: Any, editor: Any
) -> None:
    broker(test_redis_url)
    client = redis.Redis.from_url(test_redis_url)

    with django_capture_on_commit_callbacks(execute=True):
        tranche = _new_tranche()
    assert queued == []  # the draft queued nothing
    assert client.llen("celery") == 0

    with django_capture_on_commit_callbacks(execute=True):
        released(tranche)

    assert queued == [{"countdown": django_settings.FIGURES_REFRESH_DEBOUNCE}]
    assert client.llen("celery") == 1  # one message on the default queue, for a worker
    assert client.exists(REFRESH_PENDING_KEY)
    assert services.figures_status(release=2) == "pending"


def test_a_release_succeeds_when_the_broker_is_down_and_the_next_refresh_catches_up(
    dataset: Any, django_capture_on_commit_callbacks: Any, broker: Any, private_redis: Any
) -> None:
    services.snapshot_refresh()
    broker(private_redis["url"])
    private_redis["process"].terminate()
    private_redis["process"].wait(10)

    with django_capture_on_commit_callbacks(execute=True):
        tranche = _new_published_tranche()

    assert Tranche.objects.filter(pk=tranche.pk, status="published").exists()
    assert Release.objects.filter(number=2).exists()
    failure = selectors.job_failure_latest(services.JOB_ENQUEUE)
    assert failure is not None
    assert "Connection" in failure.error
    assert failure.detail == {"release": 2}
    assert services.figures_status(release=2) == "failed"  # nothing is coming for it until the next refresh
    assert services.figures_status(release=1) == "built"
    # Beat's scheduled refresh (here run in this process) catches up.
    figures_refresh_task.apply()
    assert latest().release_id == 2
    assert _usl_committed(latest()) == Decimal("9100000000.00")
    assert services.figures_status(release=2) == "built"


def _happened_ago(delta: datetime.timedelta) -> None:
    """Move every release and job run back in time by ``delta``, keeping their order."""
    Release.objects.update(published_at=F("published_at") - delta)
    JobRun.objects.update(started_at=F("started_at") - delta)
    JobRun.objects.filter(finished_at__isnull=False).update(finished_at=F("finished_at") - delta)


def _failing_build(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("figures of a release failed")


def test_figures_status_says_built_pending_or_failed_for_each_release(
    dataset: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.CELERY_TASK_TIME_LIMIT = 180
    assert services.figures_status(release=1) == "pending"  # loaded, never built
    figures_refresh_task.delay()
    assert services.figures_status(release=1) == "built"

    _new_published_tranche()  # release 2; its refresh is queued, not yet run
    assert services.figures_status(release=2) == "pending"
    assert services.figures_status(release=1) == "built"

    monkeypatch.setattr(services, "figures_build", _failing_build)
    with pytest.raises(RuntimeError):
        figures_refresh_task.delay()
    assert services.figures_status(release=2) == "failed"
    assert services.figures_status(release=1) == "built"  # its snapshot is still the public one

    _new_published_tranche("100000000.00")  # release 3: the failure came before it
    assert services.figures_status(release=3) == "pending"
    assert services.figures_status(release=2) == "failed"

    JobRun.objects.create(job=services.JOB_REFRESH, started_at=timezone.now())  # a retry, running
    assert services.figures_status(release=3) == "pending"  # being built
    _happened_ago(datetime.timedelta(seconds=181))  # and still running, past CELERY_TASK_TIME_LIMIT
    assert services.figures_status(release=3) == "failed"  # cut off: its worker was killed

    monkeypatch.undo()
    figures_refresh_task.delay()  # the next refresh builds the latest release
    assert latest().release_id == 3
    assert [services.figures_status(release=n) for n in (1, 2, 3)] == ["built", "built", "built"]
    assert services.figures_status(release=4) == "pending"  # no such release yet


def test_figures_a_failed_refresh_missed_are_built_by_refresh_figures_at_the_next_start(
    dataset: Any, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """Without Redis there is no beat: `make run` runs refresh_figures at each start, which builds
    the latest release when its snapshot is missing, whatever stopped the refresh after it."""
    settings.CELERY_TASK_TIME_LIMIT = 180
    call_command("refresh_figures", stdout=io.StringIO())
    built = latest()
    monkeypatch.setattr(services, "figures_build", _failing_build)
    with django_capture_on_commit_callbacks(execute=True):
        _new_published_tranche()  # release 2: the in-process refresh after it fails
    # Release 3's refresh was cut off: its process was killed mid-build, its run never ended.
    with django_capture_on_commit_callbacks(execute=False):
        _new_published_tranche("100000000.00")
    lost = JobRun.objects.create(job=services.JOB_REFRESH, started_at=timezone.now(), detail={"pid": 1})
    _happened_ago(datetime.timedelta(minutes=10))  # then the site stopped; it starts again now
    assert Release.objects.count() == 3
    assert latest().pk == built.pk  # the public figures are still release 1's
    failed = JobRun.objects.get(job=services.JOB_REFRESH, status=JobRun.Status.FAILED)
    assert failed.error == "RuntimeError: figures of a release failed"
    assert not JobRun.objects.filter(job=services.JOB_ENQUEUE).exists()  # it was asked for, and it ran
    assert services.figures_status(release=2) == services.figures_status(release=3) == "failed"
    monkeypatch.undo()  # the next start (the fault was passing, or fixed)

    out = io.StringIO()
    call_command("refresh_figures", stdout=out)

    newest = latest()
    assert newest.release_id == 3
    assert _usl_committed(newest) == Decimal("9200000000.00")  # both new tranches
    assert ChartData.objects.filter(snapshot=newest).exists()
    assert [services.figures_status(release=n) for n in (1, 2, 3)] == ["built", "built", "built"]
    assert "Building the figures of release 3" in out.getvalue()
    assert f"New snapshot {newest.content_hash}" in out.getvalue()
    assert "The figures of release 3 are built." in out.getvalue()
    lost.refresh_from_db()
    assert lost.status == JobRun.Status.FAILED  # closed as WorkerLost
    assert lost.error.startswith("WorkerLost")

    again = io.StringIO()
    call_command("refresh_figures", stdout=again)  # the start after: nothing missing, nothing built
    assert f"Inputs unchanged: latest snapshot {newest.content_hash} kept." in again.getvalue()
    assert FigureSnapshot.objects.count() == 2


def test_make_run_builds_missing_figures_at_each_start() -> None:
    """The retry without Redis (docs/JOBS.md): `make run` runs refresh_figures after loading the
    data and before serving, and a failure there is not ignored."""
    makefile = (Path(ROOT) / "Makefile").read_text()
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    commands = [line.strip() for line in recipe.splitlines()[1:]]
    refresh = commands.index("$(BIN)/python manage.py refresh_figures")
    assert commands.index("$(BIN)/python manage.py load_dataset") < refresh
    assert refresh < next(i for i, c in enumerate(commands) if "runserver" in c or "honcho" in c)
    jobs = (Path(ROOT) / "docs" / "JOBS.md").read_text()
    assert re.search(r"## Retried without a person", jobs)


def test_refresh_figures_command_prints_progress_and_is_idempotent(dataset: Any, capsys: Any) -> None:
    call_command("refresh_figures")
    first = capsys.readouterr().out
    call_command("refresh_figures", "--force")
    second = capsys.readouterr().out

    assert "Building the figures of release 1" in first
    assert "New snapshot" in first
    assert "nothing stored" in second
    assert FigureSnapshot.objects.count() == 1
    assert ChartData.objects.count() == 1
    assert latest().release_id == 1


def test_refresh_figures_before_the_first_release_builds_nothing(db: Any, capsys: Any) -> None:
    call_command("refresh_figures")
    assert "Nothing is published yet" in capsys.readouterr().out
    assert not FigureSnapshot.objects.exists()
    assert refresh_runs() == 0


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


def test_rates_that_change_make_the_figures_of_the_same_release_stale(dataset: Any) -> None:
    """'Current' is the release number plus the exchange rates: new rates rebuild release 1."""
    first = services.snapshot_refresh().snapshot
    assert first is not None
    assert not services.snapshot_inputs_changed()

    services.rates_store({(datetime.date(2026, 6, 30), "USD"): Decimal("1.1394")})

    assert services.snapshot_inputs_changed()
    second = services.snapshot_refresh().snapshot
    assert second is not None
    assert second.pk != first.pk
    assert second.release_id == first.release_id == 1
    drones = next(d for d in second.payload["disbursements"] if d["value_date"] == "2026-06-30")
    assert drones["usd_rate"] == "1.1394"
    assert not services.snapshot_inputs_changed()


def test_a_deployment_that_changes_the_payloads_shape_rebuilds_the_figures_of_the_same_release(
    dataset: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Figures built by the previous code (an older SCHEMA_VERSION) are stale: the next refresh
    rebuilds them, so the pages do not keep leaving out what the new code shows."""
    # Given the figures of release 1 built by code whose payload had one version less
    monkeypatch.setattr(figures, "SCHEMA_VERSION", figures.SCHEMA_VERSION - 1)
    old = services.snapshot_refresh().snapshot
    assert old is not None
    monkeypatch.undo()
    # When the current code refreshes
    assert services.snapshot_inputs_changed()
    new = services.snapshot_refresh().snapshot
    # Then it rebuilt release 1's figures in the current shape
    assert new is not None
    assert new.pk != old.pk
    assert (new.release_id, new.schema_version) == (1, figures.SCHEMA_VERSION)


def test_figures_current_ignores_publication_times(dataset: Any) -> None:
    """The figures of the latest release stay current when release times are moved (clock skew,
    a backdated release): only release numbers and rates say whether they are current."""
    snapshot = services.snapshot_refresh().snapshot
    assert snapshot is not None
    Release.objects.filter(number=1).update(published_at=timezone.now() + datetime.timedelta(days=3))

    assert not services.snapshot_inputs_changed()
    assert services.snapshot_refresh().skipped
    assert figures.figures_fingerprint() == snapshot.inputs_fingerprint


def test_the_release_list_shows_whether_each_releases_figures_are_built(
    dataset: Any, admin_client: Any, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_command("refresh_figures", stdout=io.StringIO())
    monkeypatch.setattr(services, "figures_build", _failing_build)
    with django_capture_on_commit_callbacks(execute=True):
        _new_published_tranche()  # release 2, whose refresh fails

    def figures_column() -> list[str]:
        page = admin_client.get(reverse("admin:tranches_release_changelist")).content.decode()
        return re.findall(r'<td class="field-figures">([^<]*)</td>', page)

    assert figures_column() == ["last build failed (retried)", "built"]  # newest first
    monkeypatch.undo()
    call_command("refresh_figures", stdout=io.StringIO())
    assert figures_column() == ["built", "built"]


def test_the_release_list_reads_the_figures_status_in_a_constant_number_of_queries(
    dataset: Any, admin_client: Any
) -> None:
    # Given a release with its figures built, then eleven more with theirs built
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(reverse("admin:tranches_release_changelist")).status_code == 200
        return len(captured.captured_queries)

    _new_published_tranche()
    services.snapshot_refresh()
    few = queries()
    for _ in range(11):
        _new_published_tranche()
    services.snapshot_refresh()
    # Then listing twelve releases costs what listing one did
    assert queries() == few
