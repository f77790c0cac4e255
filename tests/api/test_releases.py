"""/api/v1/releases/: every release, newest first, with its time, its public note and how many records
of each kind it published; /api/v1/releases/N/ with the records it published, old → new in values
and in words, a page at a time; never who reviewed or published it."""

from __future__ import annotations

import datetime
import html
import io
import zipfile
from decimal import Decimal

import pytest

from public.api.selectors.releases import RELEASE_KINDS
from tests.api.conftest import DAY_ONE, backdate, results
from tests.releases import released
from tranches import services
from tranches.models import Component, Disbursement, Tranche

pytestmark = pytest.mark.django_db
DAY_TWO = datetime.datetime(2026, 7, 15, 12, 0, tzinfo=datetime.UTC)
CORRECTION = "Budget support paid in June corrected to €3.0bn (Commission press release of 14 July)"
NOTHING = dict.fromkeys(RELEASE_KINDS, 0)


@pytest.fixture
def two_releases(dataset, editor, reviewer):
    """The dataset as Release 1 (1 July 2026), and Release 2 (15 July) by a reviewer correcting the
    budget-support tranche and its payment together."""
    backdate(1, DAY_ONE)
    tranche = Tranche.objects.get(slug="budget-2026-06")
    payment = Disbursement.objects.get(tranche=tranche)
    with services.checked_together():
        tranche.amount = payment.amount_eur = Decimal("3000000000.00")
        services.tranche_save(tranche=tranche, user=editor)
        services.disbursement_save(disbursement=payment, user=editor)
    released(tranche, payment, user=reviewer, note=CORRECTION)
    backdate(2, DAY_TWO)


def test_releases_are_listed_newest_first_with_their_note_and_time(client, two_releases):
    rows = results(client.get("/api/v1/releases/"))
    assert [(row["number"], row["published_at"]) for row in rows] == [
        (2, "2026-07-15T12:00:00Z"),
        (1, "2026-07-01T12:00:00Z"),
    ]
    assert rows[0]["note"] == CORRECTION
    assert rows[1]["note"].startswith("Initial dataset")
    assert set(rows[0]) == {"number", "published_at", "note", "published", "downloads"}


def test_each_release_counts_the_records_it_published_by_kind(client, two_releases):
    rows = {row["number"]: row["published"] for row in results(client.get("/api/v1/releases/"))}
    assert rows[2] == NOTHING | {"tranches": 1, "disbursements": 1}
    # Release 1 published the whole dataset: as many of each kind as are public in it.
    for kind, count in rows[1].items():
        listed = client.get(f"/api/v1/{kind.replace('_', '-')}/?release=1&page_size=500").json()["results"]
        assert count == len(listed), kind
    assert rows[1]["tranches"] > 0


def test_a_release_is_shown_by_its_number(client, two_releases):
    response = client.get("/api/v1/releases/2/")
    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["note"], body["published"]["tranches"]) == (2, CORRECTION, 1)
    assert response["Last-Modified"] == "Wed, 15 Jul 2026 12:00:00 GMT"
    assert client.get("/api/v1/releases/1/").json()["published_at"] == "2026-07-01T12:00:00Z"


@pytest.mark.parametrize("path", ["/api/v1/releases/3/", "/api/v1/releases/0/", "/api/v1/releases/999999999/"])
def test_an_unknown_release_is_a_404_in_the_api_error_format(client, two_releases, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_release"  # the same answer as ?release=N names no release


def test_as_of_and_release_list_the_releases_published_by_then(client, two_releases):
    assert [row["number"] for row in results(client.get("/api/v1/releases/?as_of=2026-07-14"))] == [1]
    assert [row["number"] for row in results(client.get("/api/v1/releases/?as_of=2026-07-15"))] == [2, 1]
    assert [row["number"] for row in results(client.get("/api/v1/releases/?release=1"))] == [1]
    assert client.get("/api/v1/releases/2/?release=1").status_code == 404  # not yet published in release 1


def test_releases_filter_by_day_search_their_notes_and_order_explicitly(client, two_releases):
    numbers = lambda query: [row["number"] for row in results(client.get(f"/api/v1/releases/?{query}"))]  # noqa: E731
    assert numbers("published_on_after=2026-07-02") == [2]
    assert numbers("published_on_before=2026-07-01") == [1]
    assert numbers("search=commission+press") == [2]
    assert numbers("ordering=number") == [1, 2]
    assert numbers("ordering=-published_at") == [2, 1]
    response = client.get("/api/v1/releases/?ordering=published_by")
    assert response.status_code == 400
    assert list(response.json()["error"]["parameters"]) == ["ordering"]


def text_of(response) -> str:
    """What a reader receives, an XLSX workbook unzipped."""
    body = response.content
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        with zipfile.ZipFile(io.BytesIO(body)) as workbook:
            xml = b"".join(workbook.read(name) for name in workbook.namelist()).decode("utf-8")
        return html.unescape(xml)  # openpyxl writes € as &#8364;
    return body.decode("utf-8")


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_releases_never_name_who_reviewed_or_published_them(client, two_releases, reviewer, fmt):
    secrets = [reviewer.username, reviewer.email, reviewer.first_name, reviewer.last_name, "published_by", "editor"]
    for path in ("/api/v1/releases/", "/api/v1/releases/2/"):
        response = client.get(f"{path}?format={fmt}")
        assert response.status_code == 200
        received = text_of(response)
        assert CORRECTION in received  # the check reads the text the reader gets
        assert [secret for secret in secrets if secret and secret in received] == [], path


def test_a_new_release_is_listed_at_once(client, two_releases, editor, reviewer):
    first = client.get("/api/v1/releases/")
    tranche = Tranche.objects.get(slug="drones-1")
    tranche.notes = "Value date confirmed"
    services.tranche_save(tranche=tranche, user=editor)
    assert client.get("/api/v1/releases/").content == first.content  # a draft is no release
    released(tranche, user=reviewer, note="Drones value date confirmed")
    rows = results(client.get("/api/v1/releases/"))
    assert [(row["number"], row["note"]) for row in rows[:1]] == [(3, "Drones value date confirmed")]
    assert rows[0]["published"] == NOTHING | {"tranches": 1}


def test_a_release_lists_the_records_it_published_old_to_new_in_words(client, two_releases):
    response = client.get("/api/v1/releases/2/")
    assert "immutable" in response["Cache-Control"]  # a published release never changes
    body = response.json()
    assert set(body) == {"number", "published_at", "note", "published", "downloads", "changes", "next"}
    assert body["next"] is None
    changes = {change["entity"]: change for change in body["changes"]}
    assert set(changes) == {"tranche", "disbursement"}
    tranche = changes["tranche"]
    assert (tranche["label"], tranche["kind"]) == ("Budget support, June 2026", "changed")
    assert tranche["changes"] == [
        {
            "field": "amount",
            "name": "Amount",
            "old": "3200000000.00",
            "new": "3000000000.00",
            "old_text": "€3,200,000,000.00",
            "new_text": "€3,000,000,000.00",
        }
    ]
    assert changes["disbursement"]["label"] == "Payment of 25 Jun 2026 to “Budget support, June 2026”"


def test_a_release_names_parents_as_they_stood_in_it_and_never_changes(client, two_releases, editor, reviewer):
    # Given Release 1's detail as published
    first = client.get("/api/v1/releases/1/?page_size=500")
    tranche = next(c for c in first.json()["changes"] if c["label"] == "First defence tranche: drones")
    component = next(f for f in tranche["changes"] if f["field"] == "component")
    assert (component["name"], component["old_text"], component["new_text"]) == ("Component", None, "Defence")
    # When a later release renames that component
    defence = Component.objects.get(slug="defence")
    defence.name = "Defence and security"
    services.component_save(component=defence, user=editor)
    released(defence, user=reviewer, note="Defence renamed")
    # Then Release 1 reads as it did, and the new release says what changed
    assert client.get("/api/v1/releases/1/?page_size=500").content == first.content
    renamed = client.get("/api/v1/releases/3/").json()["changes"]
    assert [(c["label"], c["changes"][0]["old_text"], c["changes"][0]["new_text"]) for c in renamed] == [
        ("Defence and security", "Defence", "Defence and security")
    ]


def test_a_large_release_is_paged_without_gaps_or_repeats(client, two_releases):
    whole = client.get("/api/v1/releases/1/?page_size=500").json()
    assert len(whole["changes"]) == sum(whole["published"].values()) == 36
    seen, url = [], "/api/v1/releases/1/?page_size=7"
    while url:
        page = client.get(url).json()
        assert (page["number"], page["note"]) == (1, whole["note"])
        seen += [(c["entity"], c["id"]) for c in page["changes"]]
        url = page["next"]
    assert seen == [(c["entity"], c["id"]) for c in whole["changes"]]
    assert len(set(seen)) == 36


def test_a_cursor_of_another_release_or_a_bad_page_size_is_a_400(client, two_releases):
    cursor = client.get("/api/v1/releases/1/?page_size=1").json()["next"].split("cursor=")[1].split("&")[0]
    for query, parameter in ((f"cursor={cursor}", "cursor"), ("cursor=xyz", "cursor"), ("page_size=0", "page_size")):
        response = client.get(f"/api/v1/releases/2/?{query}")
        assert response.status_code == 400, query
        assert list(response.json()["error"]["parameters"]) == [parameter]


@pytest.mark.parametrize("number", [1, 2])
def test_a_release_costs_the_same_queries_whatever_its_size(client, two_releases, django_assert_num_queries, number):
    # the release and its counts, then one query per kind of record (their old values and the names
    # of their parents are subqueries), plus what the published data is (the answers' key)
    with django_assert_num_queries(13):
        response = client.get(f"/api/v1/releases/{number}/?page_size=500")
    assert len(response.json()["changes"]) == {1: 36, 2: 2}[number]


def test_a_release_exports_one_row_per_record_with_its_note(client, two_releases):
    response = client.get("/api/v1/releases/1/?format=csv&page_size=5")
    lines = response.content.decode().splitlines()
    assert lines[0] == "entity,id,label,kind,changes,release,published_at,release_note"
    assert len(lines) == 1 + 5
    assert response["Link"].startswith("<http://testserver/api/v1/releases/1/?")


def test_a_release_page_keeps_its_etag_and_stays_immutable_after_later_releases(client, two_releases):
    # Given a reader who has release 1's page
    first = client.get("/api/v1/releases/1/")
    assert "immutable" in first["Cache-Control"]

    # When a third release is published
    released(services.tranche_save(tranche=Tranche.objects.get(slug="drones-1")), note="Release three.")

    # Then release 1's page is unchanged: the same ETag, a 304 that says it may be kept for good
    again = client.get("/api/v1/releases/1/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert "immutable" in again["Cache-Control"]
    assert client.get("/api/v1/releases/").json()["results"][0]["number"] == 3


def test_each_release_links_its_downloads_and_they_answer(client, two_releases):
    # Given release 2 in the list of releases
    row = next(row for row in results(client.get("/api/v1/releases/")) if row["number"] == 2)
    # When a journalist follows its download links
    package = client.get(row["downloads"]["datapackage"])
    iati = client.get(row["downloads"]["iati"])
    # Then they are release 2's data package and IATI file
    assert row["downloads"]["datapackage"].endswith("/downloads/releases/2/datapackage.zip")
    assert package.status_code == 200
    assert "datapackage.json" in zipfile.ZipFile(io.BytesIO(b"".join(package))).namelist()
    assert iati.status_code == 200
    assert b"<iati-activities" in b"".join(iati)
