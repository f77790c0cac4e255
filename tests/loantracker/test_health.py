"""Health endpoints (reports/health.py; docs/DEPLOY.md "Health checks"): ``/healthz/`` checks the
database, the cache, the broker and the age of the latest release's figures; ``/healthz/web/``
only what a web server needs (the load balancer's). JSON with each check, 200 when healthy and 503
otherwise; nothing secret in it, never throttled or cached, the security headers intact."""

from __future__ import annotations

import datetime
import json
import os
from typing import Any

import pytest
import requests
from django.core.cache import cache
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.utils import timezone

from reports import health, services
from tests.factories import InstrumentFactory
from tests.releases import released
from tests.skips import skip_or_fail
from tranches.models import Release

pytestmark = pytest.mark.django_db

SECRET = "s3cret-Pa55word"  # a password in a service URL: never in an answer


def healthz(path: str = "/healthz/", **headers: Any) -> tuple[int, dict[str, Any]]:
    response = Client().get(path, **headers)
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


@pytest.fixture
def embedded(settings: Any) -> Any:
    """No broker (REDIS_URL unset), as ``make run`` without Redis."""
    settings.REDIS_URL = ""
    return settings


@pytest.fixture
def a_release(embedded: Any) -> Release:
    """Release 1, published now, its figures not built yet."""
    return released(InstrumentFactory(), note="Health test release")


def age(release: Release, seconds: int) -> None:
    Release.objects.filter(pk=release.pk).update(published_at=timezone.now() - datetime.timedelta(seconds=seconds))


def test_a_healthy_site_answers_200_with_every_check(a_release: Release) -> None:
    services.snapshot_refresh()

    status, body = healthz()

    assert status == 200
    assert body == {
        "healthy": True,
        "checks": {
            "database": "OK",
            "cache": "OK",
            "broker": health.BROKER_NOT_USED,
            "figures": "OK: the figures of release 1 are built",
        },
    }


def test_before_the_first_release_there_is_nothing_to_build(embedded: Any) -> None:
    status, body = healthz()

    assert status == 200
    assert body["checks"]["figures"] == health.NO_RELEASE


def test_figures_not_built_are_healthy_until_figures_max_age_then_not(a_release: Release, settings: Any) -> None:
    settings.FIGURES_MAX_AGE = 600
    age(a_release, 60)

    early_status, early = healthz()
    age(a_release, 601)
    late_status, late = healthz()
    web_status, web = healthz("/healthz/web/")

    assert early_status == 200
    assert early["checks"]["figures"].startswith("OK: release 1 was published 60 s ago and its figures are not built")
    assert late_status == 503
    assert late["healthy"] is False
    assert late["checks"]["figures"] == (
        "Unavailable: release 1 was published 601 s ago and its figures are still not built, past "
        "FIGURES_MAX_AGE (600 s): see the admin's Job runs"
    )
    assert late["checks"]["database"] == "OK"
    # The load balancer's check keeps the web servers in: they still serve the last figures.
    assert web_status == 200
    assert web == {"healthy": True, "checks": {"database": "OK"}}

    services.snapshot_refresh()
    assert healthz()[0] == 200


def test_a_failed_build_is_named(a_release: Release, settings: Any) -> None:
    settings.FIGURES_MAX_AGE = 60
    with pytest.raises(RuntimeError), services.job_run(services.JOB_REFRESH):
        raise RuntimeError("boom")
    age(a_release, 120)

    status, body = healthz()

    assert status == 503
    assert (
        "figures are still not built (the last build failed), past FIGURES_MAX_AGE (60 s)" in body["checks"]["figures"]
    )


def test_a_cache_that_does_not_answer_fails_monitoring_but_not_the_load_balancer(embedded: Any, settings: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://:{SECRET}@127.0.0.1:1/0",  # nothing listens on port 1
        }
    }

    response = Client().get("/healthz/")
    web = Client().get("/healthz/web/")

    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["checks"]["cache"] == "Unexpected Result: Connection Error"
    assert SECRET not in response.content.decode()
    assert "127.0.0.1:1" not in response.content.decode()
    # The web servers still answer without the cache (public/answers.py): they stay in rotation.
    assert web.status_code == 200
    assert json.loads(web.content) == {"healthy": True, "checks": {"database": "OK"}}


def test_a_database_that_does_not_answer_fails_without_naming_it(
    embedded: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(self: Any) -> Any:
        raise OperationalError(
            f'connection failed: connection to server at "10.0.0.20", port 5432 failed: password {SECRET}'
        )

    # The library's check opens a connection of its own (in a worker thread): refuse that one.
    monkeypatch.setattr(BaseDatabaseWrapper, "temporary_connection", refused)

    response = Client().get("/healthz/web/")

    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["database"] == "Unavailable: connection failed"
    assert SECRET not in response.content.decode()
    assert "10.0.0.20" not in response.content.decode()


@pytest.fixture
def broker_url(settings: Any) -> str:
    """REDIS_URL set to the Redis the tests may use (TEST_REDIS_URL)."""
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        skip_or_fail("needs Redis: set TEST_REDIS_URL=redis://127.0.0.1:6379/<db>")
    settings.REDIS_URL = url
    return url


def test_with_redis_the_broker_is_pinged(broker_url: str) -> None:
    status, body = healthz()

    assert body["checks"]["broker"] == "OK"
    assert status in (200, 503)  # the figures depend on the database's state; the broker is what counts here


def test_a_broker_that_does_not_answer_fails_monitoring_but_not_the_load_balancer(settings: Any) -> None:
    settings.REDIS_URL = f"redis://:{SECRET}@127.0.0.1:1/0"

    response = Client().get("/healthz/")
    web_status, _ = healthz("/healthz/web/")

    assert response.status_code == 503
    assert (
        json.loads(response.content)["checks"]["broker"] == "Unavailable: Unable to connect to Redis: Connection Error"
    )
    assert SECRET not in response.content.decode()
    assert web_status == 200


def test_never_throttled_cached_or_framed(a_release: Any, settings: Any) -> None:
    settings.API_THROTTLE_ANON = "3/min"
    cache.clear()
    client = Client()

    answers = [client.get("/healthz/", REMOTE_ADDR="198.51.100.7") for _ in range(10)]
    api = [client.get("/api/v1/instruments/", REMOTE_ADDR="198.51.100.7").status_code for _ in range(4)]

    assert {response.status_code for response in answers} == {200}
    assert api == [200, 200, 200, 429]  # the API's throttle still counts, apart
    response = answers[-1]
    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not response.cookies


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_only_reads(method: str, embedded: Any) -> None:
    assert getattr(Client(), method)("/healthz/").status_code == 405


@pytest.mark.postgres
@pytest.mark.timeout(120)
def test_through_gunicorn_every_probe_answers_and_leaves_no_connection_open(
    require_postgres: Any, transactional_db: Any, tmp_path: Any
) -> None:
    from tests.reliability.conftest import WebServer, pg_connect

    released(InstrumentFactory(), note="Health test release")
    services.snapshot_refresh()
    server = WebServer(tmp_path / "web.log", REDIS_URL="")
    server.start()
    try:

        def connections() -> int:
            with pg_connect() as admin:
                row = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchone()
            assert row is not None
            return int(row[0])

        before = connections()
        answers = [requests.get(server.url(path), timeout=10) for path in ("/healthz/", "/healthz/web/") * 10]
        after = connections()
    finally:
        server.stop()

    assert {answer.status_code for answer in answers} == {200}, server.log.read_text()[-2000:]
    assert answers[0].json()["checks"]["figures"] == "OK: the figures of release 1 are built"
    assert after <= before + 1  # the probes' connections are closed, not left behind (at most gunicorn's own)
