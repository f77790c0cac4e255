"""Every public page and embed is valid HTML and accessible (issue 14 items 4 and 8): on the shipped
dataset, `/`, each chart's embed and the page of release 1 are served, checked by the Nu HTML checker
(0 errors) and, drawn in Debian's chromium at phone and desktop width, by axe-core (0 violations).
Each page says which release it shows and when that release was published. A screenshot of each
page at 375 px is saved under artifacts/screenshots/."""

from __future__ import annotations

import datetime
from typing import Any

import lxml.html
import pytest
from django.conf import settings

from reports import services
from reports.charts import CHART_SLUGS
from tests.pages import (
    DESKTOP,
    PHONE,
    assert_no_problems,
    axe_violations,
    draw_every_chart,
    open_every_fold,
    reader_page,
    save_screenshot,
    vnu_errors,
)
from tests.reports.conftest import new_tranche, refreshed
from tranches.dataset import dataset_load
from tranches.models import Release

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [  # in English and in Ukrainian
    f"{language}{path}"
    for language in ("", "/uk")
    for path in ["/", *(f"/embed/{slug}/" for slug in CHART_SLUGS), "/releases/1/"]
]


def shipped_dataset_charted() -> Release:
    """The shipped dataset, published as release 1, with its snapshot and chart data built as the jobs build them."""
    dataset_load(path=settings.DATASET_PATH)
    services.chart_data_refresh(snapshot_id=refreshed().pk)
    return Release.objects.get(number=1)


def screenshot_name(path: str) -> str:
    return "valid-" + (path.strip("/").replace("/", "-") or "dashboard")


@pytest.mark.parametrize("path", PAGES)
def test_the_page_is_valid_html_and_has_no_accessibility_violation_on_a_phone_or_a_desktop(
    browser: Any, live_server: Any, path: str
) -> None:
    # Given the shipped dataset, published and charted
    shipped_dataset_charted()
    found: dict[str, list[str]] = {}
    for size in (PHONE, DESKTOP):
        # When a reader opens the page at that width
        with reader_page(browser, f"{live_server.url}{path}", size) as (page, response):
            # (the charts as the server sketched them, before the reader touches the page)
            found[f"axe at {size['width']} px, sketched"] = axe_violations(page)
            draw_every_chart(page)
            if size is PHONE:
                save_screenshot(page, f"{screenshot_name(path)}-375")
            # and opens every folded part (data tables, embed code, quoted passages)
            open_every_fold(page)
            # Then the Nu HTML checker and axe-core find nothing
            found[f"vnu at {size['width']} px"] = vnu_errors(response.text())
            found[f"axe at {size['width']} px"] = axe_violations(page)
    assert_no_problems(path, found)


def release_stamp(client: Any, path: str) -> tuple[str, list[str], str | None]:
    """The line of the page at ``path`` that names its release: (its text, its links, its time's datetime)."""
    response = client.get(path)
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    stamps = lxml.html.fromstring(response.content).find_class("release-stamp")
    assert len(stamps) == 1, f"{path}: expected one line naming the release, found {len(stamps)}"
    time = stamps[0].find(".//time")
    links = [a.get("href") for a in stamps[0].iter("a")]
    return " ".join(stamps[0].text_content().split()), links, time.get("datetime") if time is not None else None


def test_every_page_and_embed_says_which_release_it_shows_and_when_it_was_published(client: Any) -> None:
    # Given release 1 (the shipped dataset) and release 2 (one more tranche), each charted
    first = shipped_dataset_charted()
    new_tranche("1000000000.00")
    services.chart_data_refresh(snapshot_id=refreshed().pk)
    second = Release.objects.get(number=2)
    # When a reader opens the latest pages and those of release 1
    latest = [path for path in PAGES if not path.startswith(("/uk/", "/releases/"))]  # in English
    pages = {second: latest, first: ["/releases/1/", *(f"/releases/1/embed/{slug}/" for slug in CHART_SLUGS)]}
    for release, paths in pages.items():
        published = release.published_at.astimezone(datetime.UTC)
        for path in paths:
            text, links, when = release_stamp(client, path)
            # Then each names the release it shows and the minute it was published, linking to that release
            assert f"Release {release.number}, published {published:%-d %b %Y %H:%M} UTC" in text, f"{path}: {text!r}"
            assert links[0] == f"http://testserver/releases/{release.number}/", path
            # and to what the release published, in words
            assert links[1:] == [f"/releases/{release.number}/about/"], path
            assert when == f"{published:%Y-%m-%dT%H:%M:%S}Z", path


def test_the_api_docs_page_declares_its_language(client: Any) -> None:
    # When a reader (or a screen reader) opens the API's documentation
    page = lxml.html.fromstring(client.get("/api/docs/").content)
    # Then the page says which language it is in
    assert page.get("lang") == "en"
