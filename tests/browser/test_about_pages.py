"""The pages that explain the data are valid HTML and accessible (issue 14 items 4 and 5): on the
shipped dataset, the methodology page, the list of releases and the page of release 1, in English
and in Ukrainian, are checked by the Nu HTML checker (0 errors) and, drawn in Debian's chromium at
phone and desktop width, by axe-core (0 violations), with nothing wider than the phone's screen.
A screenshot of each at 375 px is saved under artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from tests.pages import DESKTOP, PHONE, assert_no_problems, axe_violations, reader_page, save_screenshot, vnu_errors
from tranches.dataset import dataset_load

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    "/methodology/",
    "/uk/methodology/",
    "/releases/",
    "/uk/releases/",
    "/releases/1/about/",
    "/uk/releases/1/about/",
]


def screenshot_name(path: str) -> str:
    return "about-" + path.strip("/").replace("/", "-")


@pytest.mark.parametrize("path", PAGES)
def test_the_page_is_valid_html_and_has_no_accessibility_violation_on_a_phone_or_a_desktop(
    browser: Any, live_server: Any, path: str
) -> None:
    # Given the shipped dataset, published as release 1
    dataset_load(path=settings.DATASET_PATH)
    found: dict[str, list[str]] = {}
    for size in (PHONE, DESKTOP):
        # When a reader opens the page at that width
        with reader_page(browser, f"{live_server.url}{path}", size) as (page, response):
            if size is PHONE:
                save_screenshot(page, f"{screenshot_name(path)}-375")
                # Then nothing makes the page scroll sideways on a phone
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                found["sideways scroll at 375 px"] = [f"{overflow} px"] if overflow > 0 else []
            # and the Nu HTML checker and axe-core find nothing
            found[f"vnu at {size['width']} px"] = vnu_errors(response.text())
            found[f"axe at {size['width']} px"] = axe_violations(page)
    assert_no_problems(path, found)


def test_a_reader_follows_a_term_from_the_release_list_to_the_methodology(browser: Any, live_server: Any) -> None:
    # Given the shipped dataset, published as release 1
    dataset_load(path=settings.DATASET_PATH)
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/releases/")
        # When a reader follows "What a release is"
        page.get_by_role("link", name="What a release is").click()
        page.wait_for_url("**/methodology/#release")
        # Then the methodology opens at its section on releases, in view
        heading = page.locator("#release")
        assert heading.inner_text() == "Releases"
        box = heading.bounding_box()
        assert box is not None
        assert 0 <= box["y"] < PHONE["height"]
    finally:
        context.close()
