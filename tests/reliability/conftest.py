"""Fixtures of the fault and deployment tests: those of tests/reports (the real dataset, the ECB's
files on a local server, Redis, real Celery workers), plus real `celery beat` and gunicorn processes
and a redis-server that can be stopped and started again on the same port."""

from __future__ import annotations

import concurrent.futures
import html
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from django.db import connection
from django.urls import reverse

from reports import receivers, services
from reports.models import FigureSnapshot
from tests.reports.conftest import (  # noqa: F401  (fixtures re-exported for this folder)
    ROOT,
    Worker,
    broker,
    ecb_daily_zip,
    ecb_hist_zip,
    ecb_server,
    new_tranche,
    private_redis,
    test_redis_url,
)
from tests.skips import skip_or_fail
from tranches.dataset import dataset_load


def wait_for(predicate: Callable[[], Any], timeout: float = 30, what: str = "it", log: Path | None = None) -> None:
    """Poll ``predicate`` every 0.1 s; on timeout fail, with the tail of ``log`` if given."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    tail = f"\n--- {log} ---\n{log.read_text(errors='replace')[-3000:]}" if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{tail}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url(**query: str) -> str:
    """DATABASE_URL of this test's PostgreSQL database, for a subprocess (a server, a worker)."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def pg_connect() -> psycopg.Connection:
    """A connection of the test's own to its PostgreSQL database, beside Django's."""
    db = connection.settings_dict
    return psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=True)


def waiting_on_lock(blocker: psycopg.Connection, query_prefix: str) -> int | None:
    """The backend pid of a statement starting with ``query_prefix`` that waits for a lock."""
    blocker.execute("SELECT pg_stat_clear_snapshot()")  # else the view is frozen for the transaction
    row = blocker.execute(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
        [query_prefix.replace("%", r"\%") + "%"],
    ).fetchone()
    return int(row[0]) if row else None


def service_env(**extra: str) -> dict[str, str]:
    """The environment of a subprocess with the test settings, on this test's database unless
    ``DATABASE_URL`` is given."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "loantracker.settings.test", **extra}
    if "DATABASE_URL" not in extra:
        env["DATABASE_URL"] = database_url()
    return env


def published(settings: Any, monkeypatch: Any) -> Any:
    """Load and publish the dataset, then build its snapshot and chart data once, here (the load's
    dozens of commits would each ask for a refresh)."""
    with monkeypatch.context() as patch:
        patch.setattr(receivers, "figures_refresh_request", lambda: False)
        result = dataset_load(path=settings.DATASET_PATH)
    snapshot = services.snapshot_refresh().snapshot
    assert snapshot is not None
    services.chart_data_refresh(snapshot_id=snapshot.pk)
    return result


def stop_all(processes: Sequence[Worker | Beat | WebServer]) -> None:
    """Stop them side by side (each may take seconds to shut down)."""
    with concurrent.futures.ThreadPoolExecutor(max(1, len(processes))) as pool:
        for stopped in pool.map(lambda process: process.stop(), processes):
            assert stopped is None


@pytest.fixture
def published_on_postgres(require_postgres: Any, transactional_db: Any, settings: Any, monkeypatch: Any) -> Any:
    """The dataset published and committed (other processes see it), with its snapshot and chart
    data, all before any broker is switched on."""
    return published(settings, monkeypatch)


@pytest.fixture
def published_dataset(db: Any, settings: Any, monkeypatch: Any) -> Any:
    """The same on any database, in the test's transaction."""
    return published(settings, monkeypatch)


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start real `celery worker` processes (tests/reports/conftest.py Worker); all stopped after."""
    started: list[Worker] = []

    def start(broker_url: str, name: str = "worker") -> Worker:
        worker = Worker(broker_url, tmp_path / f"{name}.log")
        started.append(worker)
        worker.start()
        return worker

    yield start
    stop_all(started)


def terminate(process: subprocess.Popen | None) -> None:
    """SIGTERM a service process and wait; kill it if it has not exited within 10 s."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


class Beat:
    """A real `celery beat` process: exactly one per deployment; it sends the scheduled refresh."""

    def __init__(self, broker_url: str, tmp_path: Path, every: float) -> None:
        self.broker_url, self.every = broker_url, every
        self.log, self.schedule = tmp_path / "beat.log", tmp_path / "beat-schedule"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = service_env(REDIS_URL=self.broker_url, FIGURES_REFRESH_EVERY=str(self.every), ECB_RATES_EVERY="86400")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "loantracker", "beat", "--loglevel=INFO",
             f"--schedule={self.schedule}", "--max-interval=1"],
            cwd=ROOT, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for(lambda: b"beat: Starting" in self.log.read_bytes(), 30, "beat to start", self.log)

    def sends(self) -> int:
        """How many scheduled figures refreshes it has sent."""
        return self.log.read_text(errors="replace").count("Sending due task figures-refresh")

    def stop(self) -> None:
        terminate(self.process)


@pytest.fixture
def start_beat(tmp_path: Path) -> Iterator[Callable[..., Beat]]:
    started: list[Beat] = []

    def start(broker_url: str, every: float = 1.0) -> Beat:
        beat = Beat(broker_url, tmp_path, every)
        started.append(beat)
        beat.start()
        return beat

    yield start
    stop_all(started)


class WebServer:
    """gunicorn serving loantracker.wsgi on a free port, as in production (one sync worker)."""

    def __init__(self, log: Path, **env: str) -> None:
        self.log, self.env = log, env
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "loantracker.wsgi:application", f"--bind=127.0.0.1:{self.port}",
             "--workers=1", "--threads=1", "--timeout=60", "--graceful-timeout=2", "--error-logfile=-"],
            cwd=ROOT, env=service_env(**self.env), stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip

        def answers() -> bool:
            try:
                urllib.request.urlopen(self.url("/admin/login/"), timeout=2)  # noqa: S310 (a local test server)
            except urllib.error.HTTPError:
                return True
            except OSError:
                return False
            return True

        wait_for(answers, 30, "gunicorn to answer", self.log)

    def stop(self) -> None:
        terminate(self.process)


@pytest.fixture
def start_web(tmp_path: Path) -> Iterator[Callable[..., WebServer]]:
    started: list[WebServer] = []

    def start(name: str = "web", **env: str) -> WebServer:
        server = WebServer(tmp_path / f"{name}.log", **env)
        started.append(server)
        server.start()
        return server

    yield start
    stop_all(started)


class RedisServer:
    """Stop and start again the redis-server of the `private_redis` fixture, on the same port."""

    def __init__(self, private: dict, tmp_path: Path) -> None:
        self.url: str = private["url"]
        self.process: subprocess.Popen = private["process"]
        self.port = int(re.findall(r":(\d+)/", self.url)[0])
        self.dir = tmp_path

    def up(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)

    def start(self) -> None:
        binary = shutil.which("redis-server") or "redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.up, 10, "redis-server to start again")


@pytest.fixture
def restartable_redis(private_redis: dict, tmp_path: Path) -> Iterator[RedisServer]:  # noqa: F811
    server = RedisServer(private_redis, tmp_path)
    yield server
    if server.process.poll() is None:
        server.process.terminate()
        server.process.wait(10)


@pytest.fixture
def pg_tools() -> None:
    for tool in ("pg_dump", "pg_restore"):
        if not shutil.which(tool):
            skip_or_fail(f"needs {tool} on PATH (postgresql-client)")


def usl_committed(snapshot: FigureSnapshot) -> Decimal:
    """The committed EUR total of the Ukraine Support Loan in a snapshot."""
    usl = next(i for i in snapshot.payload["instruments"] if i["short_name"] == "USL")
    return Decimal(usl["totals"]["committed"])


def admin_pages(client: Any) -> str:
    """What an operator reads in the admin: the snapshot list with each job's last run and last
    failure, and the list of job runs (text, HTML entities decoded)."""
    pages = [client.get(reverse(f"admin:reports_{model}_changelist")) for model in ("figuresnapshot", "jobrun")]
    assert all(page.status_code == 200 for page in pages)
    return html.unescape("".join(page.content.decode() for page in pages))
