"""The plotly.js the pages load: the vendored partial bundle (public/vendor-src/README.md), found at
the path charts.js fetches it from when a chart comes near (the data-plotly-src of its <script>; the
bundle is no script of the page itself), small enough over the wire, at the plotly.js version of the
Python package that builds the figures, and with a trace module for every trace the charts draw."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import plotly
import pytest
from django.contrib.staticfiles import finders
from whitenoise.compress import Compressor

from reports.charts import chart_data_build
from reports.models import FigureSnapshot

BUNDLE = "public/vendor/plotly.min.js"
LIMIT = 400_000  # bytes over the wire, gzip or brotli (issue 14: JavaScript ≤ 400 KB per page)
VERSION = re.compile(rb"\A/\*\*\s*\*\s*plotly\.js(?: \([^)]*\))? v(\d+\.\d+\.\d+)\s")
TRACE_MODULE = re.compile(rb'moduleType:"trace",name:"(\w+)"')


def served() -> bytes:
    """The bytes of the file the static finders give for the templates' path."""
    path = finders.find(BUNDLE)
    assert path, f"no static finder finds {BUNDLE}"
    return Path(path).read_bytes()


def header_version(bundle: bytes, where: str) -> str:
    match = VERSION.match(bundle)
    assert match, f"{where} does not start with a plotly.js header: {bundle[:80]!r}"
    return match.group(1).decode()


def test_the_bundle_is_at_most_400_kb_gzipped_and_brotli_compressed() -> None:
    bundle = served()
    # As whitenoise writes the .gz and .br at collectstatic (gzip level 9, brotli quality 11).
    gzipped = len(Compressor.compress_gzip(bundle))
    brotli = len(Compressor.compress_brotli(bundle))
    assert gzipped <= LIMIT, f"{BUNDLE} is {gzipped:,} bytes gzipped, over the {LIMIT:,} allowed"
    assert brotli <= LIMIT, f"{BUNDLE} is {brotli:,} bytes brotli-compressed, over the {LIMIT:,} allowed"


def test_the_bundle_is_the_plotly_js_version_of_the_python_package() -> None:
    package_bundle = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    python_side = header_version(package_bundle, "the plotly package's plotly.min.js")
    assert python_side == plotly.offline.get_plotlyjs_version()
    assert header_version(served(), BUNDLE) == python_side, (
        f"{BUNDLE} is not plotly.js {python_side}, the version the plotly package builds figures for: "
        "update it as public/vendor-src/README.md says"
    )


@pytest.mark.django_db
def test_every_trace_the_charts_draw_has_its_module_in_the_bundle(charted: FigureSnapshot) -> None:
    # Given the charts built from a published dataset, as the chart job builds them
    charts = chart_data_build(charted.payload, snapshot_hash=charted.content_hash)["charts"]
    drawn = {trace["type"] for chart in charts.values() for trace in chart["figure"]["data"]}
    assert drawn, "the charts drew no trace"
    # When the served bundle's trace modules are read
    bundled = {name.decode() for name in TRACE_MODULE.findall(served())}
    # Then every trace type drawn is there, and the bundle is a partial one: besides what the charts
    # draw, only the official basic bundle's pie (the full bundle has 49 trace modules).
    assert drawn <= bundled, f"the charts draw {sorted(drawn - bundled)}, which {BUNDLE} lacks"
    assert bundled - drawn <= {"pie"}, f"{BUNDLE} carries trace modules no chart uses: {sorted(bundled - drawn)}"


def test_the_vendored_bundle_is_what_the_static_url_serves(client, db) -> None:
    # The URL charts.js loads the bundle from (static 'public/vendor/plotly.min.js') answers with it.
    response = client.get(f"/static/{BUNDLE}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == served()


@pytest.mark.django_db
def test_a_page_loads_only_charts_js_which_names_the_bundle_to_fetch_when_a_chart_comes_near(client) -> None:
    # Given a public page (here the one shown before any figures exist: it has the same <head>)
    page = lxml.html.fromstring(client.get("/").content)
    # Then its only script is charts.js, deferred, and plotly.js is not loaded with the page: charts.js
    # fetches it from data-plotly-src (the static files' URL) when the first chart comes near
    scripts = page.xpath("//script[@src]")
    assert [script.get("src") for script in scripts] == ["/static/public/charts.js"]
    assert scripts[0].get("defer") is not None
    assert scripts[0].get("data-plotly-src") == f"/static/{BUNDLE}"
