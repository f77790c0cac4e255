"""The interactive docs in a real browser (Debian's chromium driven by Playwright): Swagger UI
renders every operation from this server alone (no CDN), under the strict Content-Security-Policy,
without console errors, and a request tried from the page gets the real data."""

from __future__ import annotations

import pytest
from django.conf import settings

from reports import services as report_services
from tranches.dataset import dataset_load

OPERATION = "#operations-disbursements-disbursements_list"


@pytest.mark.django_db(transaction=True)
def test_the_docs_render_offline_and_try_a_request(watched_page):
    dataset_load(path=settings.DATASET_PATH)
    report_services.snapshot_refresh()
    page = watched_page.page
    page.goto(f"{watched_page.base_url}/api/docs/")
    page.wait_for_selector(".opblock-summary-path", timeout=15000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/disbursements/" in paths
    assert "/api/v1/snapshots/{hash}/" in paths
    page.locator(f"{OPERATION} .opblock-summary").click()
    page.locator(f"{OPERATION} .try-out__btn").click()
    page.locator(f"{OPERATION} .execute").click()
    live = page.locator(f"{OPERATION} .live-responses-table")
    live.filter(has_text="3900000000.00").wait_for(timeout=15000)
    assert '"amount_eur": "3900000000.00"' in live.inner_text()
    watched_page.screenshot("api-docs")
    assert watched_page.console_errors == []
    assert watched_page.foreign_requests == []
