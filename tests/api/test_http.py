"""HTTP behaviour: revalidation (304), caching headers, CORS for GET, throttling (429 + Retry-After)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone

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


def test_a_publication_by_another_process_is_seen_by_the_next_request(client, dataset, reviewer):
    """Answers are kept by release in Django's cache, never in a process: a release written by
    another process (no signal reaches this one) is seen at once, and one published here too."""
    first = client.get("/api/v1/tranches/")
    # Another process publishes Release 2: its rows written without this process's signals.
    release = Release.objects.bulk_create(
        [Release(number=2, published_at=timezone.now(), note="Published by another worker")]
    )[0]
    row = PublishedTranche.objects.get(slug="drones-1", left__isnull=True)
    PublishedTranche.objects.filter(row_id=row.row_id).update(left=release)
    row.row_id, row.entered, row.left, row.name = None, release, None, "Drones, as another worker published it"
    PublishedTranche.objects.bulk_create([row])
    second = client.get("/api/v1/tranches/")
    assert b"as another worker published it" in second.content
    assert second["ETag"] != first["ETag"]
    assert client.get("/api/v1/tranches/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200
    # This process publishes: seen at once too.
    tranche = Tranche.objects.get(slug="drones-1")
    tranche.name = "Drones, as published here"
    services.tranche_save(tranche=tranche)
    released(tranche, user=reviewer)
    assert b"as published here" in client.get("/api/v1/tranches/").content


def test_answers_pinned_to_a_release_are_immutable_and_the_latest_revalidate(client, dataset):
    latest = client.get("/api/v1/tranches/")
    assert latest["Cache-Control"] == "public, max-age=60"
    pinned = client.get("/api/v1/tranches/?release=1")
    assert "immutable" in pinned["Cache-Control"]
    assert "max-age=86400" in pinned["Cache-Control"]
    again = client.get("/api/v1/tranches/?release=1", HTTP_IF_NONE_MATCH=pinned["ETag"])
    assert again.status_code == 304
    assert "immutable" in again["Cache-Control"]


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
