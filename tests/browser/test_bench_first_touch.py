"""bench/first_touch.py measures what it says (docs/BENCHMARKS.md, Lighthouse): on the shipped
dataset, the scripts a page fetches after the reader's first touch are plotly.js, and the charts in
reach are then drawn. Its timings are printed by the benchmark, never asserted here."""

from __future__ import annotations

from typing import Any

import pytest

from bench.first_touch import measure_once
from tests.browser.test_pages_valid import shipped_dataset_charted

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_first_touch_fetches_plotly_js_and_draws_the_charts_in_reach(browser: Any, live_server: Any) -> None:
    # Given the shipped dataset, published and charted
    shipped_dataset_charted()
    # When the benchmark loads / on a slowed phone and moves the pointer once
    measured = measure_once(browser, f"{live_server.url}/")
    # Then plotly.js (over 200 KB, whatever the compression) was fetched after the touch,
    # and at least the chart in view was drawn
    assert measured["bytes"] > 200_000, measured
    assert measured["drawn"] >= 1, measured
