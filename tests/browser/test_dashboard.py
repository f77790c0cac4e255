"""The public pages in a real browser (Debian's chromium): every chart drawn, no console errors,
no request leaving the test server, embeds inside another site's iframe, downloads that hold the
chart's numbers, and markup in the data shown as text (the phone layout: test_phone_layout.py)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from reports.charts import CHART_SLUGS
from reports.selectors import chart_data_latest
from tests.pages import draw_every_chart
from tests.reports.conftest import HOSTILE_NAME, charted_dataset

pytestmark = pytest.mark.django_db(transaction=True)


def open_dashboard(watched: Any, path: str = "/") -> Any:
    page = watched.page
    page.goto(f"{watched.base_url}{path}")
    draw_every_chart(page)
    return page


def test_the_dashboard_draws_every_chart_with_no_errors_and_nothing_from_elsewhere(watched_page: Any) -> None:
    charted_dataset()
    page = open_dashboard(watched_page)
    for slug in CHART_SLUGS:
        plot = page.locator(f"#figure-{slug}")
        assert plot.get_attribute("data-drawn") == "true"
        assert plot.locator("svg.main-svg").count() >= 1
        assert plot.locator("g.trace").count() >= 1, f"{slug} drew no data"
    assert sorted(page.locator("#figure-stages .ytick text").all_text_contents()) == ["Budget support", "Defence"]
    assert "€7.10bn of €90.00bn paid" in page.locator("h1").inner_text()
    watched_page.screenshot("dashboard")
    assert watched_page.console_errors == []
    assert watched_page.foreign_requests == []


def test_markup_in_a_tranche_name_is_shown_as_text_and_never_runs(watched_page: Any) -> None:
    charted_dataset()
    dialogs: list[str] = []
    watched_page.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page = open_dashboard(watched_page)
    # The timeline labels each row above it (an annotation, wrapped on a narrow plot)
    labels = " ".join(page.locator("#figure-timeline .annotation-text").all_text_contents())
    assert HOSTILE_NAME in labels, labels
    assert "(€1.50bn)" in labels, labels
    assert HOSTILE_NAME in page.locator(".tranche h3").all_inner_texts()
    assert "<b>air</b> & sea" in page.locator("#figure-purposes .ytick text").all_text_contents()
    assert dialogs == []
    assert watched_page.console_errors == []


def test_an_embed_page_renders_inside_another_sites_iframe(watched_page: Any, httpserver: Any) -> None:
    charted_dataset()
    embed_url = f"{watched_page.base_url}/embed/pace/"
    httpserver.expect_request("/article.html").respond_with_data(
        f'<!doctype html><title>An article</title><p>Our chart:</p><iframe src="{embed_url}" width="600" height="520">'
        "</iframe>",
        content_type="text/html",
    )
    httpserver.expect_request("/favicon.ico").respond_with_data("", status=204)
    page = watched_page.page
    page.goto(httpserver.url_for("/article.html"))  # another origin: another port
    frame = page.frame_locator("iframe")
    frame.locator("[data-chart]").hover()  # the reader points at the chart: plotly.js draws it
    frame.locator("body[data-charts-drawn=true]").wait_for(timeout=30_000)
    assert frame.locator("h1").inner_text() == "How fast the money is paid"
    assert frame.locator("#figure-pace svg.main-svg").count() >= 1
    watched_page.screenshot("embed-in-iframe")
    assert watched_page.console_errors == []


def test_the_csv_and_png_downloads_hold_the_charts_numbers(watched_page: Any, tmp_path: Path) -> None:
    charted_dataset()
    chart_data = chart_data_latest()
    assert chart_data is not None
    page = open_dashboard(watched_page)
    for slug in CHART_SLUGS:
        with page.expect_download() as download_info:
            page.locator(f"#chart-{slug} a[download]").click()
        text = Path(download_info.value.path()).read_text(encoding="utf-8")
        chart = chart_data.payload["charts"][slug]
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == [column["key"] for column in chart["columns"]]
        assert rows[1:] == [[str(value) for value in row] for row in chart["rows"]]
    with page.expect_download() as download_info:
        page.locator("#chart-stages button[data-png]").click()
    download = download_info.value
    assert download.suggested_filename.startswith("stages-")
    assert download.suggested_filename.endswith(".png")
    assert Path(download.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert watched_page.console_errors == []
