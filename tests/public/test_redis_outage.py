"""With CACHE_URL=redis://…, public reads keep answering when Redis is hung (SIGSTOP) or down: the
answers cache and the API throttle fail open after a bounded timeout, with a logged warning."""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

import pytest

from tests.reports.conftest import private_redis  # noqa: F401  (a redis-server of the test's own)

pytestmark = pytest.mark.django_db

PATHS = ("/api/v1/summary/", "/api/v1/tranches/", "/", "/embed/stages/")


@pytest.fixture
def on_private_redis(settings: Any, private_redis: dict) -> dict:  # noqa: F811
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": private_redis["url"],
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.5},
        }
    }
    settings.API_THROTTLE_ANON = "1000/min"  # the throttle reads the same cache
    return private_redis


def test_public_reads_answer_while_redis_is_hung_then_down(client, charted, on_private_redis, caplog):
    process = on_private_redis["process"]
    kept = {path: client.get(path) for path in PATHS}
    assert {path: response.status_code for path, response in kept.items()} == dict.fromkeys(PATHS, 200)

    os.kill(process.pid, signal.SIGSTOP)  # hung: connections open, nothing answers
    try:
        with caplog.at_level(logging.WARNING):
            hung = {path: client.get(path) for path in PATHS}
        assert {path: response.status_code for path, response in hung.items()} == dict.fromkeys(PATHS, 200)
        assert all(hung[path].content == kept[path].content for path in PATHS)
        assert any(record.levelno >= logging.WARNING for record in caplog.records)
    finally:
        os.kill(process.pid, signal.SIGCONT)

    process.terminate()  # down: connections refused
    process.wait(10)
    down = {path: client.get(path).status_code for path in PATHS}
    assert down == dict.fromkeys(PATHS, 200)
