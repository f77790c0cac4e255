"""The API's documentation, /api/docs/ (Swagger UI from drf-spectacular's sidecar), is valid HTML and
accessible (issue 14 item 4): the served page passes the Nu HTML checker, and axe-core, in Debian's
chromium at phone and desktop width, finds nothing once Swagger UI has drawn the operations, with one
operation open, after trying it out, and with the schemas open. The settings that make it so are in
loantracker/settings/api.py (SWAGGER_UI_SETTINGS) and loantracker/static/api-docs.css."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.pages import DESKTOP, PHONE, SCREENSHOTS, axe_violations, vnu_errors

pytestmark = pytest.mark.django_db(transaction=True)

OPERATION = "#operations-tranches-tranches_list"  # a list: query parameters, selects, several responses


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["375px", "1366px"])
def test_the_api_docs_are_valid_html_and_have_no_accessibility_violation(
    browser: Any, live_server: Any, size: dict[str, int]
) -> None:
    found: dict[str, list[str]] = {}
    context = browser.new_context(viewport=size)
    try:
        page = context.new_page()
        console_errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
        # When a developer opens the API's documentation at that width and Swagger UI draws the operations
        response = page.goto(f"{live_server.url}/api/docs/")
        assert response is not None
        assert response.status == 200
        page.wait_for_selector(".opblock")
        found["vnu"] = vnu_errors(response.text())
        found["axe, operations drawn"] = axe_violations(page)
        # and opens one operation
        operation = page.locator(OPERATION)
        operation.locator(".opblock-summary-control").click()
        operation.locator(".parameters").wait_for()
        operation.locator(".responses-table").first.wait_for()
        if size is PHONE:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "api-docs-375.png"), full_page=True)
        found["axe, one operation open"] = axe_violations(page)
        # and tries it out: sends the request and reads the answer
        operation.locator(".try-out__btn").click()
        operation.locator(".execute").click()
        operation.locator(".live-responses-table").wait_for()
        found["axe, after trying it out"] = axe_violations(page)
        # and opens every schema
        schemas = page.locator(".models .model-box-control[aria-expanded=false]").all()
        assert len(schemas) > 10
        for schema in schemas:
            schema.click()
        found["axe, schemas open"] = axe_violations(page)
        found["console errors"] = console_errors
    finally:
        context.close()
    # Then the Nu HTML checker and axe-core find nothing, and nothing failed in the browser
    problems = {check: listed for check, listed in found.items() if listed}
    assert not problems, json.dumps(problems, indent=1)


def test_the_api_docs_name_their_parts_for_a_screen_reader(browser: Any, live_server: Any) -> None:
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        # When a screen reader opens the API's documentation and one operation
        page.goto(f"{live_server.url}/api/docs/")
        page.wait_for_selector(".opblock")
        operation = page.locator(OPERATION)
        operation.locator(".opblock-summary-control").click()
        operation.locator(".parameters").wait_for()
        headings = page.locator("h1, h2, h3").evaluate_all("nodes => nodes.map(n => n.tagName + ' ' + n.textContent)")
        # Then the page is in landmarks: the title in a banner, the operations in the main part
        assert page.get_by_role("banner").get_by_role("heading", level=1).count() == 1
        assert page.get_by_role("main").get_by_role("heading", name="tranches").count() == 1
        # and its headings go title, "Endpoints", then one per group of operations
        assert headings[:3] == ["H1 EU Ukraine-loan tracker API 1.0.0 OAS 3.0", "H2 Endpoints", "H3 default"]
        # and each of the operation's fields is named by its parameter
        assert operation.get_by_role("textbox", name="as_of", exact=True).count() == 1
        assert operation.get_by_role("combobox", name="format", exact=True).count() == 1
        assert operation.get_by_role("listbox", name="stage", exact=True).count() == 1
        # and an operation's button holds no link (a link inside a button cannot be reached)
        assert operation.locator(".opblock-summary-control a[href]").count() == 0
    finally:
        context.close()
