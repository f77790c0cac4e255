"""The change log: publications old → new (in values and in words), newest first, each with the
release that published it and its note; ``?release=N`` lists what release N published; no drafts,
no editors or reviewers. The Atom feed is tested in test_feed.py."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.releases import released
from tranches import services
from tranches.models import Component, Tranche

pytestmark = pytest.mark.django_db


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
        {
            "field": "name",
            "name": "Name",
            "old": "First defence tranche: drones",
            "new": "Drones: first payment",
            "old_text": "First defence tranche: drones",
            "new_text": "Drones: first payment",
        }
    ]
    assert (latest["label"], latest["release_note"]) == ("Drones: first payment", "The drones tranche renamed")
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


def test_a_change_in_amount_is_shown_with_cents(client, dataset, editor, reviewer):
    tranche = Tranche.objects.get(slug="budget-2026-06")
    payment = tranche.disbursements.get()
    with services.checked_together():
        tranche.amount = payment.amount_eur = Decimal("3100000000.50")
        services.tranche_save(tranche=tranche, user=editor)
        services.disbursement_save(disbursement=payment, user=editor)
    released(tranche, payment, user=reviewer)
    latest = client.get("/api/v1/changes/?entity=tranche").json()["results"][0]
    assert latest["changes"] == [
        {
            "field": "amount",
            "name": "Amount",
            "old": "3200000000.00",
            "new": "3100000000.50",
            "old_text": "€3,200,000,000.00",
            "new_text": "€3,100,000,000.50",
        }
    ]


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
    # And ?release=N lists what release N published, nothing before or after it
    by_two = client.get("/api/v1/changes/?page_size=500&release=2").json()["results"]
    assert [(c["release"], c["entity"], c["id"]) for c in by_two] == [(2, "tranche", renamed.pk)]
    assert len(client.get("/api/v1/changes/?page_size=500&release=1").json()["results"]) == 36
    # while as_of lists everything published by a day
    assert len(client.get("/api/v1/changes/?page_size=500&as_of=2100-01-01").json()["results"]) == 38


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


def test_a_moved_record_names_its_old_and_new_parent_never_their_ids(client, dataset, editor, reviewer):
    # Given the drones tranche moved from Defence to Budget support
    tranche = Tranche.objects.get(slug="drones-1")
    tranche.component = Component.objects.get(slug="budget-support")
    services.tranche_save(tranche=tranche, user=editor)
    released(tranche, user=reviewer, note="The drones tranche belongs to budget support")
    # When the change log is read
    latest = client.get("/api/v1/changes/?entity=tranche").json()["results"][0]
    # Then the component is named by the field of the resource, with its id, and in words by its name
    component = next(c for c in latest["changes"] if c["field"] == "component")
    assert (component["name"], component["old_text"], component["new_text"]) == (
        "Component",
        "Defence",
        "Budget support",
    )
    assert (component["old"], component["new"]) == (
        Component.objects.get(slug="defence").pk,
        Component.objects.get(slug="budget-support").pk,
    )
    assert [c for c in latest["changes"] if c["field"].endswith("_id")] == []


def test_first_publications_are_described_in_words(client, dataset):
    payments = client.get("/api/v1/changes/?entity=disbursement").json()["results"]
    drones = next(p for p in payments if p["label"] == "Payment of 30 Jun 2026 to “First defence tranche: drones”")
    fields = {f["field"]: f for f in drones["changes"]}
    assert fields["tranche"]["name"] == "Tranche"
    assert (fields["tranche"]["old_text"], fields["tranche"]["new_text"]) == (None, "First defence tranche: drones")
    assert (fields["value_date"]["new"], fields["value_date"]["new_text"]) == ("2026-06-30", "30 Jun 2026")
    assert (fields["amount_eur"]["new"], fields["amount_eur"]["new_text"]) == ("3900000000.00", "€3,900,000,000.00")
    assert {c["release_note"] for c in payments} == {client.get("/api/v1/releases/1/").json()["note"]}


def test_a_bad_cursor_is_a_400_naming_it(client, dataset):
    response = client.get("/api/v1/changes/?cursor=bm9wZQ")
    assert response.status_code == 400
    assert list(response.json()["error"]["parameters"]) == ["cursor"]
