"""Light, phone-first pages (issue 14 items 1 and 2), in Debian's chromium on the shipped dataset.

At 375 px and 1366 px, on `/`, each chart's embed and the page of release 1 (in English and in
Ukrainian, whose words are longer), read from the element
boxes the browser lays out: the page never scrolls sideways, the headline cards neither overlap nor
clip their figures, every table fits or scrolls in a region the keyboard can reach, and inside each
drawn chart the legend and the axis titles keep apart, no y tick label is cut at the left edge and
the plot area keeps at least 150 px on a phone. Before the reader touches the page, each chart is
the server's sketch of it, whose labels keep apart and inside the plot. And plotly.js is not part of
the page load: it is fetched when the reader first points, touches, scrolls or types, and a PNG
asked for before then still arrives."""

from __future__ import annotations

from typing import Any

import pytest

from reports.charts import CHART_SLUGS
from tests.browser.test_pages_valid import shipped_dataset_charted
from tests.pages import DESKTOP, PHONE, assert_no_problems, draw_every_chart, open_every_fold, reader_page

pytestmark = pytest.mark.django_db(transaction=True)

ENGLISH_PAGES = ["/", *(f"/embed/{slug}/" for slug in CHART_SLUGS), "/releases/1/"]
# The same pages in Ukrainian: longer words, the same boxes to keep apart.
PAGES = [*ENGLISH_PAGES, *(f"/uk{path}" for path in ENGLISH_PAGES)]
MIN_PLOT_WIDTH_ON_A_PHONE = 150  # px

# The page's boxes: what scrolls sideways, what overlaps, what is clipped (after every <details> is open).
PAGE_PROBLEMS = """() => {
  const problems = [];
  const box = (element) => element.getBoundingClientRect();
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
    && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) {
    problems.push(`the page scrolls sideways: ${root.scrollWidth} px wide in a ${window.innerWidth} px window`);
  }
  const cards = [...document.querySelectorAll(".cards .card")];
  cards.forEach((card, i) => cards.slice(i + 1).forEach((other) => {
    if (overlap(box(card), box(other))) {
      const [one, two] = [card, other].map((element) => element.querySelector("dt").textContent);
      problems.push(`card "${one}" overlaps "${two}"`);
    }
  }));
  document.querySelectorAll(".cards dd").forEach((dd) => {
    if (dd.scrollWidth > dd.clientWidth) {
      problems.push(`card figure "${dd.textContent.trim()}" clipped: ${dd.scrollWidth} px in ${dd.clientWidth} px`);
    }
  });
  document.querySelectorAll("table").forEach((table) => {
    const name = (table.querySelector("caption") || table).textContent.trim().slice(0, 60);
    const container = table.parentElement;
    if (table.offsetWidth <= container.clientWidth && box(table).right <= window.innerWidth) {
      return;  // it fits
    }
    let region = container;
    while (region && !["auto", "scroll"].includes(getComputedStyle(region).overflowX)) {
      region = region.parentElement;
    }
    if (!region || region === document.body || region === root) {
      const widths = `${table.offsetWidth} px in ${container.clientWidth} px`;
      problems.push(`table "${name}" (${widths}) overflows with no scroll region`);
    } else if (region.tabIndex < 0) {
      problems.push(`table "${name}" scrolls in a region the keyboard cannot reach (no tabindex)`);
    }
  });
  return problems;
}"""

# The server's sketches of the charts (before plotly.js): tick labels apart and inside the plot.
SKETCH_PROBLEMS = """() => {
  const problems = [];
  document.querySelectorAll(".sketch").forEach((sketch) => {
    const plot = sketch.closest(".plot").getBoundingClientRect();
    const texts = [...sketch.querySelectorAll("text")]
      .map((text) => [text.textContent, text.getBoundingClientRect()]);
    texts.forEach(([label, r], i) => {
      if (r.left < plot.left - 1 || r.right > plot.right + 1) {
        const across = `${r.left.toFixed(0)}–${r.right.toFixed(0)} px`;
        problems.push(`${sketch.parentElement.id}: "${label}" runs out of the plot (${across})`);
      }
      texts.slice(i + 1).forEach(([other, o]) => {
        const across = Math.min(r.right, o.right) - Math.max(r.left, o.left);
        if (across > 1 && Math.min(r.bottom, o.bottom) - Math.max(r.top, o.top) > 1) {
          problems.push(`${sketch.parentElement.id}: "${label}" overlaps "${other}"`);
        }
      });
    });
  });
  return problems;
}"""

# Each drawn chart's boxes: legend against axis titles, y tick labels against the svg's left edge,
# the width of the plot area.
CHART_BOXES = """(plot) => {
  const box = (element) => {
    const r = element.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height};
  };
  const shown = (element) => element && box(element).width > 0 && box(element).height > 0;
  const svg = plot.querySelector("svg.main-svg");
  const legend = plot.querySelector(".legend");
  const area = plot.querySelector(".nsewdrag") || plot.querySelector(".bglayer rect");
  return {
    svg: box(svg),
    legend: shown(legend) ? box(legend) : null,
    titles: [...plot.querySelectorAll(".g-xtitle, .g-ytitle")].filter(shown)
      .map((title) => ({name: title.getAttribute("class"), text: title.textContent, ...box(title)})),
    yticks: [...plot.querySelectorAll(".ytick text")].filter(shown)
      .map((tick) => ({text: tick.textContent, ...box(tick)})),
    plotWidth: area ? box(area).width : 0,
  };
}"""


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    """Whether two boxes share more than a pixel each way (anti-aliasing is not an overlap)."""
    width = min(a["right"], b["right"]) - max(a["left"], b["left"])
    height = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return width > 1 and height > 1


def chart_problems(boxes: dict[str, Any], slug: str, phone: bool) -> list[str]:
    problems = []
    things = ([{"name": "legend", **boxes["legend"]}] if boxes["legend"] else []) + boxes["titles"]
    for i, first in enumerate(things):
        for second in things[i + 1 :]:
            if overlap(first, second):
                problems.append(
                    f"{slug}: {first['name']} ({first['top']:.0f}–{first['bottom']:.0f} px down, "
                    f"{first['left']:.0f}–{first['right']:.0f} across) overlaps {second['name']} "
                    f"{second.get('text', '')!r} ({second['top']:.0f}–{second['bottom']:.0f} down, "
                    f"{second['left']:.0f}–{second['right']:.0f} across)"
                )
    for tick in boxes["yticks"]:
        if tick["left"] < boxes["svg"]["left"] - 1:
            cut = boxes["svg"]["left"] - tick["left"]
            problems.append(f"{slug}: y tick label {tick['text']!r} cut by {cut:.0f} px at the left edge")
    if phone and boxes["plotWidth"] < MIN_PLOT_WIDTH_ON_A_PHONE:
        problems.append(f"{slug}: plot area {boxes['plotWidth']:.0f} px wide, under {MIN_PLOT_WIDTH_ON_A_PHONE} px")
    return problems


@pytest.mark.parametrize("path", PAGES)
def test_the_page_never_scrolls_sideways_and_its_cards_and_tables_fit(
    browser: Any, live_server: Any, path: str
) -> None:
    # Given the shipped dataset, published and charted
    shipped_dataset_charted()
    found: dict[str, list[str]] = {}
    for size in (PHONE, DESKTOP):
        # When a reader opens the page on a phone and on a desktop, and unfolds every data table,
        # before they touch it (the server's sketches) and after (every chart drawn)
        with reader_page(browser, f"{live_server.url}{path}", size) as (page, _):
            open_every_fold(page)
            found[f"{size['width']} px, sketched"] = page.evaluate(PAGE_PROBLEMS) + page.evaluate(SKETCH_PROBLEMS)
            draw_every_chart(page)
            found[f"{size['width']} px"] = page.evaluate(PAGE_PROBLEMS)
    # Then nothing scrolls sideways, overlaps or is clipped, and every wide table scrolls by keyboard
    assert_no_problems(path, found)


@pytest.mark.parametrize("path", PAGES)
def test_each_chart_keeps_its_legend_titles_and_tick_labels_apart_and_readable(
    browser: Any, live_server: Any, path: str
) -> None:
    # Given the shipped dataset, published and charted
    shipped_dataset_charted()
    found: dict[str, list[str]] = {}
    for size in (PHONE, DESKTOP):
        # When a reader opens the page and scrolls through its charts
        with reader_page(browser, f"{live_server.url}{path}", size, drawn=True) as (page, _):
            problems = []
            for plot in page.locator("[data-chart]").all():
                boxes = plot.evaluate(CHART_BOXES)
                problems += chart_problems(boxes, plot.get_attribute("data-chart") or "?", size is PHONE)
            found[f"{size['width']} px"] = problems
    # Then in every chart the legend and the axis titles keep apart, no tick label is cut, and on a
    # phone the plot area keeps room for the data
    assert_no_problems(path, found)


def test_plotly_js_waits_for_the_reader_and_each_chart_shows_its_sketch_until_then(
    browser: Any, live_server: Any
) -> None:
    # Given the shipped dataset on a phone
    shipped_dataset_charted()
    context = browser.new_context(viewport={"width": 375, "height": 740}, accept_downloads=True)
    try:
        page = context.new_page()
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url.rsplit("/", 1)[-1]))
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # When a reader follows a link to the first chart (the page opens scrolled to it) and has not
        # touched the page yet
        first = CHART_SLUGS[0]
        page.goto(f"{live_server.url}/#chart-{first}")
        page.wait_for_load_state("networkidle")
        # Then the page loaded without plotly.js, and every chart shows the server's sketch of it
        assert [name for name in fetched if name.startswith("plotly")] == []
        assert page.locator("[data-chart][data-drawn=true]").count() == 0
        for plot in page.locator("[data-chart]").all():
            assert plot.locator(".sketch").is_visible()
            assert plot.locator(".sketch rect, .sketch line").count() > 0, plot.get_attribute("id")
        sketch_box = page.locator(f"#figure-{first} .sketch").bounding_box()
        assert sketch_box is not None
        assert 0 <= sketch_box["y"] < 740, "the chart linked to is in view"
        # When they ask for the last chart's PNG before touching the page otherwise
        last = CHART_SLUGS[-1]
        with page.expect_download(timeout=30_000) as download_info:
            page.evaluate(f"document.querySelector('#chart-{last} button[data-png]').click()")
        # Then plotly.js is fetched once, that chart is drawn in its sketch's place and its PNG arrives
        assert len([name for name in fetched if name.startswith("plotly")]) == 1
        assert page.locator(f"#figure-{last}").get_attribute("data-drawn") == "true"
        assert page.locator(f"#figure-{last} .sketch").count() == 0
        assert download_info.value.suggested_filename.startswith(f"{last}-")
        # and the chart in view still shows its sketch
        assert page.locator(f"#figure-{first}").get_attribute("data-drawn") is None
        assert page.locator("body[data-charts-drawn=true]").count() == 0
        # When they point at the page and scroll through it, every chart is drawn, no sketch is left,
        # and plotly.js was still fetched once
        draw_every_chart(page)
        assert page.locator(".sketch").count() == 0
        assert len([name for name in fetched if name.startswith("plotly")]) == 1
        assert errors == []
    finally:
        context.close()


def test_a_page_in_ukrainian_has_its_chart_dates_in_ukrainian(browser: Any, live_server: Any) -> None:
    # Given the shipped dataset, and the pace chart's embed served as a page in Ukrainian (<html lang="uk">)
    shipped_dataset_charted()
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()

        def in_ukrainian(route: Any) -> None:
            response = route.fetch()
            html = response.text()
            start = html.index("<html")
            tag = html[start : html.index(">", start) + 1]
            route.fulfill(response=response, body=html.replace(tag, '<html lang="uk">', 1))

        page.route(f"{live_server.url}/embed/pace/", in_ukrainian)
        # When a reader opens it
        page.goto(f"{live_server.url}/embed/pace/")
        draw_every_chart(page)
        # Then the date axis names the months in Ukrainian
        ticks = " ".join(page.locator("#figure-pace .xtick text").all_text_contents())
        months = ("січ", "лют", "бер", "квіт", "трав", "черв", "лип", "серп", "вер", "жовт", "лист", "груд")
        assert any(month in ticks for month in months), ticks
        assert not any(month in ticks for month in ("Jan", "Mar", "May", "Jul", "Sep", "Nov")), ticks
    finally:
        context.close()
