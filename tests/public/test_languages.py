"""The public pages in English and Ukrainian (issue 14 item 7): the language is in the URL (English
at /, Ukrainian at /uk/…), a visible switch keeps the page, the interface text, numbers and dates
follow the page's language while the data stays as entered, and an answer kept for one language is
never served for the other."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import lxml.html
import pytest
from django.conf import settings
from django.utils import translation

from reports import services
from tests.reports.conftest import refreshed
from tranches.dataset import dataset_load
from tranches.money import eur_compact

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(db: Any) -> None:
    """The shipped dataset published as release 1, with its figures and charts built."""
    dataset_load(path=settings.DATASET_PATH)
    services.chart_data_refresh(snapshot_id=refreshed().pk)


UKRAINIAN_MONTHS = re.compile(
    r"\b\d{1,2} (січня|лютого|березня|квітня|травня|червня|липня|серпня|вересня|жовтня|листопада|грудня) \d{4}\b"
)


def page(client: Any, path: str) -> Any:
    response = client.get(path)
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    return lxml.html.fromstring(response.content)


def text(element: Any) -> str:
    return " ".join(" ".join(element.itertext()).split())


def switch_links(document: Any) -> dict[str, Any]:
    """The language switch's links by their language."""
    nav = document.xpath("//nav[@class='language-switch']")
    assert len(nav) == 1, "one language switch"
    return {link.get("hreflang"): link for link in nav[0].xpath(".//a")}


def test_the_ukrainian_dashboard_speaks_ukrainian_with_ukrainian_numbers_and_dates(client, charted):
    # Given the shipped dataset, published and charted
    # When a reader opens /uk/
    document = page(client, "/uk/")

    # Then the page is in Ukrainian: its language, headline, cards and section titles
    assert document.get("lang") == "uk"
    heading = text(document.xpath("//h1")[0])
    assert "виплачено" in heading
    cards = [text(dt) for dt in document.xpath("//dl[@class='cards']//dt")]
    assert cards == ["Позика", "Виплачено", "Затверджено", "Залишок", "Остання виплата"]
    titles = {text(h2) for h2 in document.xpath("//section/h2")}
    assert {"Транші та їхні джерела", "Умови, від яких залежать виплати"} <= titles
    # and its amounts are written the Ukrainian way: decimal comma, "млрд €" after the number
    with translation.override("uk"):
        amount = eur_compact(Decimal("90000000000.00"))
    assert amount == "90,00 млрд €"
    assert amount in heading
    assert re.search(r"\d,\d\d млрд €", text(document.xpath("//dl[@class='cards']")[0]))
    # and its dates name the month in Ukrainian, in the genitive ("25 червня 2026")
    assert UKRAINIAN_MONTHS.search(text(document.xpath("//main")[0]))
    assert "€" not in heading.split("млрд")[0], "no euro sign before a Ukrainian amount"


def test_the_english_dashboard_is_unprefixed_and_says_so(client, charted):
    # When a reader opens /
    response = client.get("/")
    document = lxml.html.fromstring(response.content)

    # Then it is in English, its amounts compact in € billions with two decimals
    assert document.get("lang") == "en-GB"
    assert response["Content-Language"] == "en-gb"
    heading = text(document.xpath("//h1")[0])
    assert re.search(r"€\d+\.\d\dbn of €90\.00bn paid", heading), heading
    # and its switch marks English as the current language and offers Ukrainian
    links = switch_links(document)
    assert links["en-GB"].get("aria-current") == "true"
    assert links["uk"].get("aria-current") is None
    assert links["uk"].get("href") == "/uk/"
    assert links["uk"].get("lang") == "uk"
    assert text(links["uk"]) == "Українська"
    # and the head names both versions for search engines
    alternates = {link.get("hreflang"): link.get("href") for link in document.xpath("//link[@rel='alternate']")}
    assert alternates == {
        "en-GB": "http://testserver/",
        "uk": "http://testserver/uk/",
        "x-default": "http://testserver/",
    }


def test_the_switch_keeps_the_page_a_reader_is_on(client, shipped):
    # Given the permalink of release 1 in English
    english = page(client, "/releases/1/")
    # When the reader follows the switch to Ukrainian
    to_ukrainian = switch_links(english)["uk"].get("href")
    # Then they are on release 1 in Ukrainian
    assert to_ukrainian == "/uk/releases/1/"
    ukrainian = page(client, to_ukrainian)
    assert ukrainian.get("lang") == "uk"
    assert "Випуск 1" in text(ukrainian.xpath("//p[@class='release-stamp']")[0])
    # and the switch back leads to the English permalink, unchanged
    links = switch_links(ukrainian)
    assert links["uk"].get("aria-current") == "true"
    assert links["en-GB"].get("href") == "/releases/1/"


def test_a_ukrainian_embed_is_in_ukrainian_and_links_in_ukrainian(client, charted):
    # When a site frames the Ukrainian embed of the stages chart
    response = client.get("/uk/embed/stages/")

    # Then it answers, in Ukrainian, and its links keep the language
    assert response.status_code == 200
    assert response["Content-Language"] == "uk"
    document = lxml.html.fromstring(response.content)
    assert document.get("lang") == "uk"
    assert "дані (CSV)" in text(document.xpath("//p[@class='source']")[0])
    assert switch_links(document)["en-GB"].get("href") == "/embed/stages/"
    stamp = document.xpath("//p[@class='release-stamp']/a")[0]
    assert re.search(r"/uk/releases/\d+/$", stamp.get("href"))
    # and the downloads stay English: the CSV is the unprefixed one
    csv = document.xpath("//p[@class='source']/a[@download]")[0].get("href")
    assert re.fullmatch(r"/releases/\d+/charts/stages\.csv", csv), csv


def test_an_english_answer_is_never_served_for_a_ukrainian_url_nor_the_reverse(client, charted):
    # Given the English dashboard, answered once and kept, with its ETag
    english = client.get("/")
    assert english.status_code == 200

    # When the Ukrainian one is asked for with the English ETag
    ukrainian = client.get("/uk/", HTTP_IF_NONE_MATCH=english["ETag"])

    # Then it is not "not modified": it is a 200 in Ukrainian under its own ETag
    assert ukrainian.status_code == 200
    assert ukrainian["ETag"] != english["ETag"]
    assert ukrainian["Content-Language"] == "uk"
    assert 'lang="uk"' in ukrainian.content.decode()
    # and the Ukrainian answer does not claim to vary by Accept-Language: its language is its path
    assert "Accept-Language" not in ukrainian.get("Vary", "")
    # and each language revalidates against its own ETag only
    assert client.get("/uk/", HTTP_IF_NONE_MATCH=ukrainian["ETag"]).status_code == 304
    assert client.get("/", HTTP_IF_NONE_MATCH=ukrainian["ETag"]).status_code == 200
    # and the English page, now kept beside the Ukrainian one, is still English
    again = client.get("/")
    assert again.content == english.content
    assert 'lang="en-GB"' in again.content.decode()


def test_the_language_prefix_is_for_the_pages_only(client, charted):
    # The API, feeds and downloads stay unprefixed and English: there is no /uk/api/
    assert client.get("/uk/api/v1/instruments/").status_code == 404
    assert client.get("/api/v1/instruments/").status_code == 200
    # and an English page does not name a language in its URL: /en-gb/ is not a page
    assert client.get("/en-gb/").status_code == 404


def test_a_ukrainian_page_marks_english_data_for_screen_readers(client, charted):
    # When a reader opens /uk/
    document = page(client, "/uk/")
    # Then the tranche names and quoted passages (kept in English) say so
    tranche = document.xpath("//article[@class='tranche']/h3")[0]
    assert tranche.get("lang") == "en"
    quotes = document.xpath("//article[@class='tranche']//q")
    assert quotes
    assert all(q.get("lang") == "en" for q in quotes)
    # and nothing on the English page is marked as another language than the page's
    assert not page(client, "/").xpath("//main//*[@lang]")


def test_no_quoted_passage_is_a_placeholder_a_source_without_one_says_so_in_plain_words(client, charted):
    # When a reader opens the dashboard
    document = page(client, "/")
    # Then no quotation is the record's own note that it holds no passage
    assert not [q for q in document.xpath("//q") if text(q).startswith("No passage")]
    # and the placeholder marks of the old record never reach the page
    body = text(document.xpath("//body")[0])
    assert "[summary in" not in body
    assert "seed article" not in body


@pytest.mark.parametrize(("path", "kept"), [("/", "Accept-Encoding"), ("/api/v1/releases/", "Accept")])
def test_an_address_without_a_language_answers_in_english_whatever_the_browser_prefers(client, charted, path, kept):
    # Given a browser that prefers Ukrainian
    # When it asks for an address with no language prefix
    answer = client.get(path, HTTP_ACCEPT_LANGUAGE="uk", HTTP_ACCEPT_ENCODING="gzip")

    # Then the answer is English, the address's language
    assert answer.status_code == 200
    assert answer["Content-Language"] == "en-gb"
    # and does not claim to vary by Accept-Language, so a shared cache keeps one copy for every browser
    assert "Accept-Language" not in answer["Vary"]
    # while what it does vary by is still said
    assert kept in [field.strip() for field in answer["Vary"].split(",")]


def test_a_page_not_found_says_so_in_the_language_of_its_address(client, db):
    # When a reader follows a broken link, in English and in Ukrainian
    english = client.get("/releases/1/no-such-page/")
    ukrainian = client.get("/uk/releases/1/no-such-page/")

    # Then each is a 404 page in the address's language, linking to the readable pages
    assert english.status_code == ukrainian.status_code == 404
    assert "<h1>Not found</h1>" in english.content.decode()
    assert "<h1>Сторінку не знайдено</h1>" in ukrainian.content.decode()
    assert 'href="/uk/releases/"' in ukrainian.content.decode()
