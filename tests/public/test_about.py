"""The pages that explain the data (public/about.py): the methodology page in English and Ukrainian
with a stable anchor for each term, the list of releases and each release's readable page, read
as a reader reads them; their query counts, 404s and conditional GETs."""

from __future__ import annotations

import datetime
import re
import tomllib
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from public import about
from public.api.selectors import RELEASE_KINDS, changes_of_releases, releases_with_counts
from reports import services as reports_services
from reports.charts import CHART_SLUGS
from tests.releases import released
from tests.reports.conftest import refreshed
from tranches import services
from tranches.dataset import dataset_load
from tranches.models import Component, Release, Tranche

pytestmark = pytest.mark.django_db

TEMPLATES = Path(about.__file__).resolve().parent / "templates" / "public"
TERMS = {
    "allocated", "committed", "disbursed", "grades", "conflicting-claims", "release", "as-of", "snapshot",
    "not-known", "other-instruments", "numbers",
}  # fmt: skip
FIRST_TIME = datetime.datetime(2026, 7, 1, 12, 0, tzinfo=datetime.UTC)
SECOND_TIME = datetime.datetime(2026, 7, 10, 9, 30, tzinfo=datetime.UTC)


def page(response: Any) -> Any:
    return lxml.html.fromstring(response.content)


def text_of(element: Any) -> str:
    return " ".join(element.text_content().split())


def in_ukrainian(name: str, *args: Any) -> str:
    """The Ukrainian address of the page ``name`` (under /uk/)."""
    with translation.override("uk"):
        return reverse(name, args=args)


@pytest.fixture
def two_releases(db: Any) -> tuple[Release, Release]:
    """Release 1 the shipped dataset (1 Jul 2026, 12:00 UTC); release 2 one new drone tranche with
    its citation and source, and a note of two lines (10 Jul 2026, 09:30 UTC)."""
    dataset_load(path=settings.DATASET_PATH)
    Release.objects.filter(number=1).update(published_at=FIRST_TIME)
    tranche = services.tranche_save(
        tranche=Tranche(
            component=Component.objects.get(slug="defence"), name="Second drone tranche", slug="drones-2",
            purpose="drones", amount="1000000000.00", stage="planned", planned_on=datetime.date(2026, 9, 1),
        )
    )  # fmt: skip
    released(tranche, note="Second drone tranche planned\nAs the Commission announced in July.")
    Release.objects.filter(number=2).update(published_at=SECOND_TIME)
    return Release.objects.get(number=1), Release.objects.get(number=2)


def another_release() -> None:
    """Release 3: the new drone tranche with a note of its own."""
    tranche = Tranche.objects.get(slug="drones-2")
    tranche.notes = "Planned for September"
    services.tranche_save(tranche=tranche)
    released(tranche, note="Drone tranche planned for September")


# ---------------------------------------------------------------- the methodology


def test_the_methodology_page_explains_each_term_under_its_own_anchor(client: Any) -> None:
    # When a reader opens the methodology page
    response = client.get("/methodology/")
    # Then it is one page with one title, a way home and its text in <main>
    assert response.status_code == 200
    html = page(response)
    assert [text_of(h1) for h1 in html.iter("h1")] == ["How to read the figures"]
    assert html.xpath("//header//a[@href='/']"), "a link home in the header"
    main = html.find(".//main")
    assert main is not None
    # and each term a chart or a page links to has its anchor, with words under it
    ids = set(main.xpath(".//@id"))
    assert ids >= TERMS, f"missing anchors: {sorted(TERMS - ids)}"
    assert "Not used by the figures" in text_of(main.get_element_by_id("conflicting-claims").getparent())
    # and the table of contents links to each of them
    assert {href.removeprefix("#") for href in main.xpath(".//nav//a/@href")} >= TERMS


def shipped_quotes() -> dict[str, list[str]]:
    """The passages quoted in the shipped record, by the publisher of their source."""
    record = tomllib.loads(Path(settings.DATASET_PATH).read_text())
    publisher = {source["key"]: source["publisher"] for source in record["sources"]}
    quotes: dict[str, list[str]] = {}
    for citation in record["citations"]:
        quotes.setdefault(publisher[citation["source"]], []).append(" ".join(citation["quote"].split()))
    return quotes


GRADE_EXAMPLES = {
    "Grade A: official text": "European Parliament Legislative Observatory",
    "Grade B: established media": "Ukrainska Pravda",
    "Grade C: aggregator or secondary site": "rbtfl.xyz",
}


def test_the_methodology_quotes_a_real_passage_for_each_grade_with_its_publisher(client: Any) -> None:
    # When a reader reads the section on grades
    grades = page(client.get("/methodology/")).get_element_by_id("grades").getparent()
    examples = {text_of(dt): dt.getnext() for dt in grades.iter("dt")}
    # Then each grade is explained with an example: its publisher and a passage it is quoted saying
    assert list(examples) == list(GRADE_EXAMPLES)
    quotes = shipped_quotes()
    for grade, publisher in GRADE_EXAMPLES.items():
        assert publisher in text_of(examples[grade])
        quoted = text_of(examples[grade].find(".//blockquote"))
        assert any(quoted in quote for quote in quotes[publisher]), f"{grade}: {quoted!r} is not on file"


def test_both_languages_carry_the_same_anchors(client: Any) -> None:
    # Given the two texts of the methodology
    anchors = {
        language: set(re.findall(r'\bid="([^"]+)"', (TEMPLATES / "methodology" / f"{language}.html").read_text()))
        for language in ("en", "uk")
    }
    # Then a link to a term works in either language
    assert anchors["en"] == anchors["uk"]
    assert anchors["en"] >= TERMS


@pytest.mark.parametrize("language_prefix", ["", "/uk"])
def test_each_chart_links_the_terms_it_uses_to_their_explanation(client: Any, language_prefix: str) -> None:
    # Given the shipped dataset, published and charted
    dataset_load(path=settings.DATASET_PATH)
    reports_services.chart_data_refresh(snapshot_id=refreshed().pk)
    explained = set(page(client.get(f"{language_prefix}/methodology/")).xpath("//main//*/@id"))

    # When a reader looks under each chart of the dashboard and of each embed
    dashboard = page(client.get(f"{language_prefix}/"))
    for slug in CHART_SLUGS:
        for document in (dashboard, page(client.get(f"{language_prefix}/embed/{slug}/"))):
            links = document.xpath(f"//figure[@id='chart-{slug}']//p[@class='terms']/a")
            # Then it finds the terms the chart uses, each linking to its explanation in the page's language
            assert links, f"{slug}: no term linked"
            for link in links:
                path, _, anchor = link.get("href").partition("#")
                assert path == f"{language_prefix}/methodology/", (slug, path)
                assert anchor in explained, f"{slug}: #{anchor} is not on the methodology page"
    assert [a.text for a in dashboard.xpath("//figure[@id='chart-stages']//p[@class='terms']/a")][:3] == (
        ["allocated", "committed", "disbursed"] if not language_prefix else ["розподілено", "затверджено", "виплачено"]
    )


def test_the_methodology_in_ukrainian_keeps_quoted_passages_in_their_language(client: Any) -> None:
    # When a reader opens the Ukrainian methodology
    response = client.get(in_ukrainian("methodology"))
    assert response.status_code == 200
    html = page(response)
    # Then the prose is Ukrainian, in the glossary's words
    assert text_of(html.get_element_by_id("disbursed")) == "Виплачено"
    assert text_of(html.get_element_by_id("committed")) == "Затверджено"
    assert text_of(html.get_element_by_id("release")) == "Випуски"
    # and the passages quoted stay in English, marked as English for screen readers
    quotes = html.xpath("//main//blockquote")
    assert quotes
    assert all(quote.get("lang") == "en" for quote in quotes)
    assert "aiming for the first EU disbursement in early April" in [text_of(q) for q in quotes]


def test_the_methodology_is_cached_by_the_code_and_reads_no_data(client: Any, django_assert_num_queries: Any) -> None:
    # When a reader opens the methodology, then comes back with its ETag
    with django_assert_num_queries(0):
        first = client.get("/methodology/")
        again = client.get("/methodology/", HTTP_IF_NONE_MATCH=first["ETag"])
    # Then the page is public for a minute and the second visit is a 304
    assert first["Cache-Control"] == f"public, max-age={settings.API_CACHE_MAX_AGE}"
    assert again.status_code == 304
    # and each language has its own ETag
    assert client.get(in_ukrainian("methodology"))["ETag"] != first["ETag"]


# ---------------------------------------------------------------- the list of releases


def test_the_release_list_shows_every_release_newest_first_with_its_links(client: Any, two_releases: Any) -> None:
    # When a reader opens the list of releases
    response = client.get("/releases/")
    assert response.status_code == 200
    html = page(response)
    releases = html.find_class("about-release")
    # Then each release is there, newest first, with its time (UTC), its note and what it published
    assert [text_of(r.find("h2")) for r in releases] == ["Release 2", "Release 1"]
    second = releases[0]
    assert second.find(".//time").get("datetime") == "2026-07-10T09:30:00Z"
    assert "10 Jul 2026 09:30 UTC" in text_of(second)
    note = second.find_class("about-note")[0]
    assert [line.strip() for line in note.itertext()] == [
        "Second drone tranche planned",
        "As the Commission announced in July.",
    ]
    assert "It published 3 records: 1 tranche, 1 source, 1 citation." in text_of(second)
    # and links to its page, its figures and its downloads
    assert second.xpath(".//a/@href") == [
        "/releases/2/about/",
        "/releases/2/",
        "/downloads/releases/2/datapackage.zip",
        "/downloads/releases/2/iati.xml",
    ]
    # and to the Atom feed of releases
    assert html.xpath("//main//a[@href='/feeds/changes/']")


@pytest.mark.parametrize("path", ["/releases/", "/releases/2/about/"])
def test_release_pages_announce_the_atom_feed_to_feed_readers(client: Any, two_releases: Any, path: str) -> None:
    # When a feed reader (or a browser) looks for the page's feed
    links = page(client.get(path)).xpath("//head/link[@rel='alternate'][@type='application/atom+xml']/@href")
    # Then it finds the Atom feed of releases
    assert links == ["/feeds/changes/"]


def test_the_release_list_costs_the_same_queries_whatever_the_releases(
    client: Any, two_releases: Any, django_assert_num_queries: Any
) -> None:
    # the latest release (ETag), the count, the page of releases and their counts
    with django_assert_num_queries(4):
        assert client.get("/releases/").status_code == 200
    another_release()
    with django_assert_num_queries(4):
        assert len(page(client.get("/releases/")).find_class("about-release")) == 3


def test_the_release_list_comes_a_page_at_a_time(client: Any, two_releases: Any, monkeypatch: Any) -> None:
    # Given one release a page
    monkeypatch.setattr(about, "RELEASES_PER_PAGE", 1)
    # When a reader opens the second page
    second = page(client.get("/releases/?page=2"))
    # Then it shows the older release and a way back to the newer
    assert [text_of(r.find("h2")) for r in second.find_class("about-release")] == ["Release 1"]
    assert second.xpath("//a[@rel='prev']/@href") == ["?page=1"]
    assert "Page 2 of 2" in text_of(second)
    # and a page beyond the last is a 404
    assert client.get("/releases/?page=3").status_code == 404
    assert client.get("/releases/?page=two").status_code == 404


def test_the_release_list_before_any_release_says_so(client: Any) -> None:
    response = client.get("/releases/")
    assert response.status_code == 200
    assert "Nothing has been published yet." in text_of(page(response).find(".//main"))


def test_every_kind_of_record_a_release_publishes_has_words() -> None:
    assert set(about.KIND_WORDS) == set(RELEASE_KINDS)
    assert about.counts_in_words(dict.fromkeys(RELEASE_KINDS, 1))[-1] == "1 citation"
    assert about.counts_in_words({"tranches": 1234, "sources": 0}) == ["1,234 tranches"]


# ---------------------------------------------------------------- a release's page


def test_a_release_page_says_what_it_published_in_the_feeds_words(client: Any, two_releases: Any) -> None:
    # When a reader opens the page of release 2
    response = client.get("/releases/2/about/")
    assert response.status_code == 200
    html = page(response)
    # Then it names the release, its time and its note
    assert [text_of(h1) for h1 in html.iter("h1")] == ["Release 2"]
    assert html.find(".//header//time").get("datetime") == "2026-07-10T09:30:00Z"
    assert "As the Commission announced in July." in text_of(html.find(".//main"))
    # and what it published, each change worded as the Atom feed words it
    listed = [text_of(li) for li in html.find_class("about-changes")[0].iter("li")]
    assert listed == [change.sentence for change in changes_of_releases([2], per_release=100)[2]]
    assert listed[0] == "Added tranche “Second drone tranche”"
    assert "3 records: 1 tranche, 1 source, 1 citation." in text_of(html.find_class("about-counts")[0])
    # and links to its figures, its downloads and the release before it (it is the latest)
    hrefs = html.xpath("//main//a/@href")
    for href in ["/releases/2/", "/downloads/releases/2/datapackage.zip", "/downloads/releases/2/iati.xml"]:
        assert href in hrefs
    assert html.xpath("//a[@rel='prev']/@href") == ["/releases/1/about/"]
    assert not html.xpath("//a[@rel='next']")
    assert "This is the latest release." in text_of(html)


def test_a_large_release_lists_some_changes_and_links_to_the_rest(client: Any, two_releases: Any) -> None:
    # When a reader opens the page of release 1 (the whole shipped dataset)
    html = page(client.get("/releases/1/about/"))
    total = sum(releases_with_counts([Release.objects.get(number=1)])[0].published_counts.values())  # type: ignore[attr-defined]
    # Then it lists the first RELEASE_PAGE_CHANGES changes, and says how many more the API has
    assert len(html.find_class("about-changes")[0].findall("li")) == about.RELEASE_PAGE_CHANGES
    more = total - about.RELEASE_PAGE_CHANGES
    assert f"… and {more} more changes" in text_of(html)
    assert html.xpath("//main//a[@href='/api/v1/releases/1/']")
    assert html.xpath("//a[@rel='next']/@href") == ["/releases/2/about/"]


def test_a_release_page_costs_a_fixed_number_of_queries(
    client: Any, two_releases: Any, django_assert_num_queries: Any
) -> None:
    # the latest release (ETag), the release with its neighbours, its counts, one per kind of record
    for number in (1, 2):
        with django_assert_num_queries(3 + len(RELEASE_KINDS)):
            assert client.get(f"/releases/{number}/about/").status_code == 200


def test_a_release_that_does_not_exist_is_a_404_that_says_so(client: Any, two_releases: Any) -> None:
    # When a reader asks for a release that was never published
    response = client.get("/releases/7/about/")
    # Then the page says there is no such release and which is the latest
    assert response.status_code == 404
    main = text_of(page(response).find(".//main"))
    assert "There is no release 7" in main
    assert "The latest is release 2." in main


def test_a_release_page_in_ukrainian_keeps_its_language_in_links(client: Any, two_releases: Any) -> None:
    response = client.get(in_ukrainian("release-about", 2))
    assert response.status_code == 200
    hrefs = page(response).xpath("//main//a/@href")
    assert "/uk/releases/2/" in hrefs
    assert "/downloads/releases/2/iati.xml" in hrefs  # downloads have no language


def test_a_release_page_in_ukrainian_says_its_changes_are_the_change_logs_english_words(
    client: Any, two_releases: Any
) -> None:
    # When a reader opens the page of release 2 in Ukrainian, and in English
    ukrainian, english = (page(client.get(path)) for path in (in_ukrainian("release-about", 2), "/releases/2/about/"))
    # Then in Ukrainian the changes are listed as the feed words them, marked English, and a line in
    # Ukrainian says so; in English no such line is needed
    changes = ukrainian.find_class("about-changes")[0]
    assert changes.get("lang") == "en"
    assert text_of(changes.find("li")) == "Added tranche “Second drone tranche”"
    said = "Зміни нижче наведено англійською"
    assert said in text_of(changes.getprevious())
    assert said not in text_of(english)
    assert "are in English" not in text_of(english)


# ---------------------------------------------------------------- caching


@pytest.mark.parametrize("path", ["/releases/", "/releases/1/about/"])
def test_release_pages_answer_304_until_a_new_release(
    client: Any, two_releases: Any, django_assert_num_queries: Any, path: str
) -> None:
    # Given a reader who has the page
    first = client.get(path)
    assert first["Cache-Control"] == f"public, max-age={settings.API_CACHE_MAX_AGE}"
    # When they come back with its ETag, then it is a 304 after one read of the latest release
    with django_assert_num_queries(1):
        again = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    # And after a new release the page is sent again, with a new ETag
    another_release()
    later = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert later.status_code == 200
    assert later["ETag"] != first["ETag"]


def test_the_languages_of_a_release_page_have_their_own_etags(client: Any, two_releases: Any) -> None:
    english = client.get("/releases/2/about/")
    ukrainian = client.get(in_ukrainian("release-about", 2), HTTP_IF_NONE_MATCH=english["ETag"])
    assert ukrainian.status_code == 200
    assert ukrainian["ETag"] != english["ETag"]
