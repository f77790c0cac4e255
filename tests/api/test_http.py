"""HTTP behaviour: revalidation (304), caching headers, CORS for GET, throttling (429 + Retry-After)."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.utils import timezone

from public import answers
from tests.releases import released
from tranches import services
from tranches.models import PublishedTranche, Release, Tranche

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/api/v1/tranches/", "/api/v1/tranches/?format=csv", "/api/v1/summary/", "/api/v1/changes/", "/api/v1/releases/"],
)
def test_an_unchanged_resource_revalidates_with_a_304(client, snapshot, path):
    first = client.get(path)
    assert first.status_code == 200
    assert first["ETag"]
    assert "max-age=60" in first["Cache-Control"]
    assert "public" in first["Cache-Control"]
    assert "Accept" in first["Vary"]
    again = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    since = client.get(path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304


def test_a_published_change_gives_a_new_etag_but_a_draft_does_not(client, dataset, editor, reviewer):
    first = client.get("/api/v1/tranches/")
    tranche = Tranche.objects.get(slug="drones-1")
    tranche.notes = "an editor's unreviewed note"
    services.tranche_save(tranche=tranche, user=editor)
    assert client.get("/api/v1/tranches/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    released(tranche, user=reviewer)
    changed = client.get("/api/v1/tranches/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_a_publication_elsewhere_shows_within_a_second_and_one_here_at_once(client, dataset, reviewer, monkeypatch):
    """Answers are replayed while the published data is the same as far as this worker knows: it
    checks at most once per POINTER_SECONDS; a publication by this process is seen at once."""
    monkeypatch.setattr(answers, "POINTER_SECONDS", 3)  # 1 s in use; 3 leaves room for a slow machine
    first = client.get("/api/v1/tranches/")
    # Another process publishes Release 2: its rows written without this process's signals.
    release = Release.objects.bulk_create(
        [Release(number=2, published_at=timezone.now(), note="Published by another worker")]
    )[0]
    row = PublishedTranche.objects.get(slug="drones-1", left__isnull=True)
    PublishedTranche.objects.filter(row_id=row.row_id).update(left=release)
    row.row_id, row.entered, row.left, row.name = None, release, None, "Drones, as another worker published it"
    PublishedTranche.objects.bulk_create([row])
    assert client.get("/api/v1/tranches/").content == first.content  # trusted for a moment
    time.sleep(answers.POINTER_SECONDS + 0.1)
    second = client.get("/api/v1/tranches/")
    assert b"as another worker published it" in second.content
    assert second["ETag"] != first["ETag"]
    # This process publishes: no wait.
    tranche = Tranche.objects.get(slug="drones-1")
    tranche.name = "Drones, as published here"
    services.tranche_save(tranche=tranche)
    released(tranche, user=reviewer)
    assert b"as published here" in client.get("/api/v1/tranches/").content


def test_cors_lets_any_origin_read(client, dataset):
    response = client.get("/api/v1/instruments/", HTTP_ORIGIN="https://newsroom.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/api/v1/instruments/",
        HTTP_ORIGIN="https://newsroom.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert preflight.status_code == 200
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "POST" not in preflight["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in client.get("/admin/login/", HTTP_ORIGIN="https://x.example")


def test_an_anonymous_burst_is_throttled_with_retry_after(client, dataset, settings):
    settings.API_THROTTLE_ANON = "3/min"
    cache.clear()
    statuses = [client.get("/api/v1/instruments/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/v1/instruments/")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["error"]["code"] == "throttled"
    # Another client (another address) is not affected.
    assert client.get("/api/v1/instruments/", REMOTE_ADDR="203.0.113.9").status_code == 200
