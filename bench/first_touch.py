"""What plotly.js costs when it does load: the main thread blocked at a page's load and after the
reader's first touch, side by side, on a phone-sized chromium with its CPU slowed 4× (Lighthouse's
mobile slowdown, applied through the DevTools protocol: measured, not simulated).

The public pages show each chart as the server's sketch and fetch plotly.js only at the reader's
first pointer, touch, wheel or key (public/static/public/charts.js); Lighthouse never touches a
page, so its scores measure the sketch alone. This measures the other half: the long tasks (over
50 ms, as total blocking time counts them) from the first pointer move until the charts within a
screen are drawn, and the script bytes fetched for them. bench/lighthouse.py runs it on each page
beside Lighthouse's mobile preset (docs/BENCHMARKS.md); alone:

    .venv/bin/python -m bench.first_touch http://127.0.0.1:8000/ [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from dataclasses import dataclass, field
from typing import Any

PHONE = {"width": 412, "height": 823}  # Lighthouse's mobile screen (a Moto G Power)
CPU_SLOWDOWN = 4
QUIET_MS = 2_000  # no new long task for this long: the page has settled

# Long tasks since the page started, kept by a buffered observer (installed before any script runs).
OBSERVE = """window.__longTasks = [];
new PerformanceObserver((list) => { window.__longTasks.push(...list.getEntries().map(
  (task) => ({start: task.startTime, duration: task.duration}))); }).observe({type: "longtask", buffered: true});"""
SETTLED = f"""() => new Promise((done) => {{
  let seen = window.__longTasks.length, quiet = performance.now();
  const check = () => {{
    if (window.__longTasks.length !== seen) {{ seen = window.__longTasks.length; quiet = performance.now(); }}
    if (performance.now() - quiet > {QUIET_MS}) {{ done(performance.now()); }} else {{ setTimeout(check, 100); }}
  }};
  check();
}})"""


@dataclass
class Touch:
    """One page: the median over runs of each figure (milliseconds, bytes)."""

    url: str
    load_blocking_ms: float = 0.0  # sum over long tasks of (duration − 50 ms), from navigation to the touch
    touch_blocking_ms: float = 0.0  # the same, from the first touch until the charts in reach are drawn
    touch_longest_ms: float = 0.0
    touch_script_bytes: int = 0  # encoded bytes of the scripts fetched after the touch (plotly.js)
    charts_drawn: int = 0
    runs: list[float] = field(default_factory=list)  # touch_blocking_ms of each run


def _blocking(tasks: list[dict[str, float]]) -> float:
    return sum(max(0.0, task["duration"] - 50) for task in tasks)


def measure_once(browser: Any, url: str) -> dict[str, float]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.add_init_script(OBSERVE)
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        page.goto(url, wait_until="load")
        touched = page.evaluate(SETTLED)
        page.mouse.move(PHONE["width"] / 2, PHONE["height"] / 2)  # the reader's first pointer move
        page.wait_for_selector("[data-drawn]", timeout=60_000)
        page.evaluate(SETTLED)
        tasks = page.evaluate("window.__longTasks")
        scripts = page.evaluate(
            """(after) => performance.getEntriesByType("resource")
                 .filter((r) => r.initiatorType === "script" && r.startTime >= after)
                 .reduce((sum, r) => sum + r.encodedBodySize, 0)""",
            touched,
        )
        after = [task for task in tasks if task["start"] >= touched]
        return {
            "load": _blocking([task for task in tasks if task["start"] < touched]),
            "touch": _blocking(after),
            "longest": max((task["duration"] for task in after), default=0.0),
            "bytes": scripts,
            "drawn": page.locator("[data-drawn]").count(),
        }
    finally:
        context.close()


def measure(url: str, runs: int = 3, chrome: str | None = None) -> Touch:
    from playwright.sync_api import sync_playwright

    chrome = chrome or os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chrome)
        try:
            measured = [measure_once(browser, url) for _ in range(runs)]
        finally:
            browser.close()

    def median(key: str) -> float:
        return float(statistics.median(run[key] for run in measured))

    return Touch(
        url=url,
        load_blocking_ms=median("load"),
        touch_blocking_ms=median("touch"),
        touch_longest_ms=median("longest"),
        touch_script_bytes=int(median("bytes")),
        charts_drawn=int(median("drawn")),
        runs=[round(run["touch"]) for run in measured],
    )


def report_lines(touches: list[tuple[str, Touch]]) -> list[str]:
    lines = [
        f"What plotly.js costs when the reader first touches the page (chromium at {PHONE['width']} × "
        f"{PHONE['height']} px, CPU slowed {CPU_SLOWDOWN}× through DevTools; medians):",
        "",
        "| page | blocking at load | blocking after the first touch (runs) | longest task then | scripts fetched then"
        " | charts drawn |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for page, t in touches:
        runs = ", ".join(f"{run:,.0f}" for run in t.runs)
        lines.append(
            f"| `{page}` | {t.load_blocking_ms:,.0f} ms | {t.touch_blocking_ms:,.0f} ms ({runs}) | "
            f"{t.touch_longest_ms:,.0f} ms | {t.touch_script_bytes:,} B | {t.charts_drawn} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("url", nargs="+", help="a page to measure (its charts must be built)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    touches = [(url, measure(url, args.runs)) for url in args.url]
    print("\n".join(report_lines(touches)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
