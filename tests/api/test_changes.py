"""The change log and its Atom feed: publications old → new, newest first, each with the release that
published it; no drafts, no editors or reviewers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from tests.releases import released
from tranches import services
from tranches.models import Tranche

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


EDIT_REASON = "internal reason of the rename"


@pytest.fixture
def renamed(dataset, editor, reviewer):
    """The drones tranche renamed twice by an editor (with an internal reason), then published by a
    reviewer as Release 2."""
    tranche = Tranche.objects.get(slug="drones-1")
    tranche.name = "Draft name nobody should see"
    services.tranche_save(tranche=tranche, user=editor)
    tranche.name = "Drones: first payment"
    services.tranche_save(tranche=tranche, user=editor, reason=EDIT_REASON)
    released(tranche, user=reviewer, note="The drones tranche renamed")
    return tranche


def test_a_republished_record_shows_what_changed_from_its_previous_publication(client, renamed):
    latest = client.get("/api/v1/changes/?entity=tranche").json()["results"][0]
    assert (latest["entity"], latest["id"], latest["kind"], latest["release"]) == ("tranche", renamed.pk, "changed", 2)
    # The intermediate draft name is not an "old" value: only published versions are compared.
    assert latest["changes"] == [
        {"field": "name", "old": "First defence tranche: drones", "new": "Drones: first payment"}
    ]
    assert b"nobody should see" not in client.get("/api/v1/changes/?page_size=500").content


def test_first_publications_list_the_values_published(client, dataset):
    changes = client.get("/api/v1/changes/?entity=disbursement").json()["results"]
    assert {c["kind"] for c in changes} == {"added"}
    assert {c["release"] for c in changes} == {1}  # the dataset is Release 1
    amounts = {f["new"] for c in changes for f in c["changes"] if f["field"] == "amount_eur"}
    assert amounts == {"3900000000.00", "3200000000.00"}


def test_the_change_log_pages_by_cursor_without_gaps_or_repeats(client, renamed):
    everything = client.get("/api/v1/changes/?page_size=500").json()
    assert everything["next"] is None
    seen, url = [], "/api/v1/changes/?page_size=7"
    while url:
        page = client.get(url).json()
        seen += [(c["entity"], c["id"], c["published_at"]) for c in page["results"]]
        url = page["next"]
    assert seen == [(c["entity"], c["id"], c["published_at"]) for c in everything["results"]]
    assert len(seen) == len(set(seen)) == 37  # 36 first publications of the dataset and one correction
    dates = [c["published_at"] for c in everything["results"]]
    assert dates == sorted(dates, reverse=True)
    assert [c["release"] for c in everything["results"]] == [2] + [1] * 36


def test_the_change_log_never_names_editors_or_reviewers(client, renamed):
    body = client.get("/api/v1/changes/?page_size=500").content
    for secret in (b"editor", b"reviewer", EDIT_REASON.encode(), b"history_user", b"published_by"):
        assert secret not in body


def test_the_atom_feed_lists_publications_and_corrections(client, renamed):
    response = client.get("/feeds/changes/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 (our own response, not untrusted input)
    entries = feed.findall(f"{ATOM}entry")
    assert entries[0].find(f"{ATOM}title").text == "Corrected tranche: Drones: first payment"
    assert "First defence tranche: drones → Drones: first payment" in entries[0].find(f"{ATOM}summary").text
    assert entries[0].find(f"{ATOM}link").get("href").endswith(f"/api/v1/tranches/{renamed.pk}/")
    assert any(e.find(f"{ATOM}title").text.startswith("Published disbursement") for e in entries)
    assert b"reviewer" not in response.content
    assert EDIT_REASON.encode() not in response.content


def test_a_change_in_amount_is_shown_with_cents(client, dataset, editor, reviewer):
    tranche = Tranche.objects.get(slug="budget-2026-06")
    payment = tranche.disbursements.get()
    with services.checked_together():
        tranche.amount = payment.amount_eur = Decimal("3100000000.50")
        services.tranche_save(tranche=tranche, user=editor)
        services.disbursement_save(disbursement=payment, user=editor)
    released(tranche, payment, user=reviewer)
    latest = client.get("/api/v1/changes/?entity=tranche").json()["results"][0]
    assert latest["changes"] == [{"field": "amount", "old": "3200000000.00", "new": "3100000000.50"}]


def test_only_the_records_a_release_published_carry_its_number(client, renamed, editor, reviewer):
    # Given a third release that corrects one payment
    payment = Tranche.objects.get(slug="budget-2026-06").disbursements.get()
    payment.notes = "Value date confirmed by the Commission"
    services.disbursement_save(disbursement=payment, user=editor)
    released(payment, user=reviewer)
    # When the change log is read
    changes = client.get("/api/v1/changes/?page_size=500").json()["results"]
    # Then each release's changes carry its number, newest release first
    assert [(c["release"], c["entity"], c["id"]) for c in changes[:2]] == [
        (3, "disbursement", payment.pk),
        (2, "tranche", renamed.pk),
    ]
    assert {c["release"] for c in changes[2:]} == {1}
    # And the log as release 2 left it has no trace of release 3
    as_two = client.get("/api/v1/changes/?page_size=500&release=2").json()["results"]
    assert [c["release"] for c in as_two] == [2] + [1] * 36


def test_pages_of_the_change_log_go_from_the_newest_release_to_the_oldest(client, dataset):
    # Given the drones tranche renamed in Releases 2, 3 and 4
    tranche = Tranche.objects.get(slug="drones-1")
    for number in (2, 3, 4):
        tranche.refresh_from_db()
        tranche.name = f"Drones, release {number}"
        services.tranche_save(tranche=tranche)
        released(tranche, note=f"Rename {number}")
    # When the tranche changes are read two at a time
    first = client.get("/api/v1/changes/?entity=tranche&page_size=2").json()
    second = client.get(first["next"]).json()
    # Then the first page holds the two newest releases, and the next page carries on from there
    assert [change["release"] for change in first["results"]] == [4, 3]
    assert [change["release"] for change in second["results"]][:2] == [2, 1]
