"""The Atom feed of releases (/feeds/changes/): valid Atom 1.0 (RFC 4287, checked against the RFC's
own RELAX NG schema), one entry per release, newest first, with the publisher as author, ids and
links on SITE_URL whatever the Host, hostile text kept as text, and conditional GET."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html

from tests.releases import released
from tranches import services
from tranches.models import Component, Tranche

from .conftest import DAY_ONE, backdate

pytestmark = pytest.mark.django_db
ATOM = "http://www.w3.org/2005/Atom"
NS = {"atom": ATOM}
SCHEMA = Path(__file__).resolve().parent.parent / "data" / "atom.rng"
HOSTILE = "<script>alert(1)</script>"
UKRAINIAN = "Дрони: перший транш, ґ є ї"
FEED = "/feeds/changes/"


@pytest.fixture(scope="module")
def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


@pytest.fixture
def three_releases(dataset, editor, reviewer):
    """Release 1 the dataset; Release 2 a tranche with a hostile name and a hostile note; Release 3
    the drones tranche renamed in Ukrainian, with a note of several lines."""
    backdate(1, DAY_ONE)
    hostile = Tranche(
        component=Component.objects.get(slug="defence"),
        name=HOSTILE,
        slug="hostile",
        purpose="drones",
        amount="1000000000.00",
        stage="planned",
        planned_on=datetime.date(2026, 6, 1),
    )
    services.tranche_save(tranche=hostile, user=editor)
    released(hostile, user=reviewer, note=f"{HOSTILE} & <b>bold</b>\nSecond line of the note")
    backdate(2, datetime.datetime(2026, 7, 10, 12, 0, tzinfo=datetime.UTC))
    drones = Tranche.objects.get(slug="drones-1")
    drones.name = UKRAINIAN
    services.tranche_save(tranche=drones, user=editor)
    released(drones, user=reviewer, note=f"Перейменовано: {UKRAINIAN}\nДругий рядок")
    backdate(3, datetime.datetime(2026, 7, 15, 12, 0, tzinfo=datetime.UTC))
    return hostile, drones


def parse(response) -> etree._Element:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    return etree.fromstring(response.content)


def test_the_feed_is_valid_atom_under_the_rfc_schema(client, three_releases, atom_schema):
    feed = parse(client.get(FEED))
    assert atom_schema.validate(feed), atom_schema.error_log
    # The schema's two Schematron rules, which RELAX NG validators ignore:
    entries = feed.findall("atom:entry", NS)
    assert len(entries) == 3
    for entry in entries:
        assert entry.findall("atom:author", NS), "an entry without an author"
        assert entry.xpath("atom:link[@rel='alternate'] or atom:content", namespaces=NS)


def test_one_entry_per_release_newest_first_titled_by_the_first_line_of_its_note(client, three_releases):
    entries = parse(client.get(FEED)).findall("atom:entry", NS)
    titles = [entry.findtext("atom:title", namespaces=NS) for entry in entries]
    assert titles == [
        f"Release 3: Перейменовано: {UKRAINIAN}",
        f"Release 2: {HOSTILE} & <b>bold</b>",
        "Release 1: Initial dataset: the figures and sources of initial_dataset.toml, as first loaded.",
    ]


def test_entries_list_the_changes_in_plain_words(client, three_releases):
    newest = parse(client.get(FEED)).find("atom:entry", NS)
    content = lxml_html.fromstring(newest.findtext("atom:content", namespaces=NS))
    items = [li.text_content() for li in content.iter("li")]
    assert items == [f"Changed tranche “{UKRAINIAN}”: Name First defence tranche: drones → {UKRAINIAN}"]
    assert "Другий рядок" in content.text_content()  # the whole note, every line


def test_hostile_text_reaches_a_reader_as_text_never_as_markup(client, three_releases):
    entry = parse(client.get(FEED)).findall("atom:entry", NS)[1]
    for element in ("atom:summary", "atom:content"):
        # A reader decodes the XML (once), then reads the text as HTML
        shown = lxml_html.fragment_fromstring(entry.findtext(element, namespaces=NS), create_parent="div")
        assert shown.xpath("//script | //b") == [], element
        assert f"{HOSTILE} & <b>bold</b>" in shown.text_content(), element
    content = lxml_html.fragment_fromstring(entry.findtext("atom:content", namespaces=NS), create_parent="div")
    assert next(li.text_content() for li in content.iter("li")) == f"Added tranche “{HOSTILE}”"


def test_ids_and_links_come_from_site_url_never_from_the_host_header(client, three_releases, settings):
    # Given a site that answers to another name too (a mirror, an address behind a proxy)
    settings.SITE_URL = "https://loans.example.org"
    settings.ALLOWED_HOSTS = ["testserver", "mirror.example"]
    feed = parse(client.get(FEED, HTTP_HOST="mirror.example"))
    assert feed.findtext("atom:id", namespaces=NS) == "https://loans.example.org/feeds/changes/"
    assert feed.find("atom:link[@rel='self']", NS).get("href") == "https://loans.example.org/feeds/changes/"
    newest = feed.find("atom:entry", NS)
    assert newest.findtext("atom:id", namespaces=NS) == "https://loans.example.org/releases/3/"
    assert newest.find("atom:link[@rel='alternate']", NS).get("href") == "https://loans.example.org/releases/3/"
    assert newest.find("atom:link[@rel='related']", NS).get("href") == "https://loans.example.org/api/v1/releases/3/"
    assert b"mirror.example" not in client.get(FEED, HTTP_HOST="mirror.example").content


def test_the_publisher_is_the_author_never_a_reviewer(client, three_releases, reviewer, settings):
    settings.FEED_AUTHOR_NAME = "The loans desk"
    response = client.get(FEED)
    feed = parse(response)
    authors = [name.text for name in feed.iterfind(".//atom:author/atom:name", NS)]
    assert authors == ["The loans desk"] * 4  # the feed and its three entries
    for secret in (reviewer.username, reviewer.email, "published_by", "component_id", "tranche_id"):
        assert not secret or secret.encode() not in response.content, secret


def test_feed_changes_items_bounds_the_entries(client, three_releases, settings):
    settings.FEED_CHANGES_ITEMS = 2
    entries = parse(client.get(FEED)).findall("atom:entry", NS)
    assert [e.findtext("atom:id", namespaces=NS).rsplit("/", 2)[1] for e in entries] == ["3", "2"]


def test_a_large_release_lists_some_changes_and_links_to_the_rest(client, three_releases, settings):
    settings.FEED_ENTRY_CHANGES = 5
    first = parse(client.get(FEED)).findall("atom:entry", NS)[-1]
    content = lxml_html.fragment_fromstring(first.findtext("atom:content", namespaces=NS), create_parent="div")
    assert len(list(content.iter("li"))) == 5
    assert "… and 31 more" in content.text_content()
    assert content.xpath("//a/@href") == ["http://127.0.0.1:8000/api/v1/releases/1/"]


def test_the_feed_costs_the_same_queries_whatever_the_releases(client, three_releases, django_assert_num_queries):
    # the latest release (for the ETag and Last-Modified), the releases and their counts, and one
    # query per kind of record for their changes
    with django_assert_num_queries(13):
        parse(client.get(FEED))


def test_a_conditional_get_is_a_304_after_one_query(client, three_releases, django_assert_num_queries):
    first = client.get(FEED)
    assert first["Last-Modified"] == "Wed, 15 Jul 2026 12:00:00 GMT"  # the latest release's time
    with django_assert_num_queries(1):
        assert client.get(FEED, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    with django_assert_num_queries(1):
        assert client.get(FEED, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304


def test_a_new_release_changes_the_etag_and_the_feed(client, three_releases, editor, reviewer):
    first = client.get(FEED)
    tranche = Tranche.objects.get(slug="hostile")
    tranche.notes = "Planned for the autumn"
    services.tranche_save(tranche=tranche, user=editor)
    released(tranche, user=reviewer, note="Hostile tranche planned for the autumn")
    again = client.get(FEED, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert parse(again).find("atom:entry/atom:title", NS).text == "Release 4: Hostile tranche planned for the autumn"


def test_an_empty_feed_is_valid_atom(client, db, atom_schema):
    feed = parse(client.get(FEED))
    assert feed.findall("atom:entry", NS) == []
    assert atom_schema.validate(feed), atom_schema.error_log
