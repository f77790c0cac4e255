"""The public pages: the dashboard (latest figures, or a release's or snapshot's through their
permalinks; with the record around the money: EU money by instrument and year counted once, the
other instruments' payments, the conditions ledger, milestones, estimates, open questions), one
embeddable page per chart and the CSV of each chart. They only read what the jobs
stored (chart data built from a snapshot, reports/charts.py) and answer through public.answers: the
chart data shown (one indexed query) is their state, a revalidation costs that query alone, and a
page rendered once is kept in Django's cache under its ETag."""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from public import answers
from public.api.renderers import csv_cells
from public.api.selectors.snapshots import chart_state, release_state
from public.sketches import sketch
from reports import selectors
from reports.charts import CHART_SLUGS, CHARTS_SCHEMA_VERSION, MAIN_CHART_SLUGS, charts_for

# A deployment that changes how the pages look gives them a new ETag and cache key by itself.
PAGES_FINGERPRINT = answers.CODE_FINGERPRINT
# The terms each chart uses, linked under it to their explanation on the methodology page (its
# anchors, public/templates/public/methodology/).
TERMS = {
    "allocated": gettext_lazy("allocated"),
    "committed": gettext_lazy("committed"),
    "disbursed": gettext_lazy("disbursed"),
    "as-of": gettext_lazy("as of"),
    "grades": gettext_lazy("grades of sources"),
}
CHART_TERMS = {
    "stages": ("allocated", "committed", "disbursed", "as-of", "grades"),
    "pace": ("disbursed", "as-of", "grades"),
    "purposes": ("committed", "disbursed", "as-of", "grades"),
    "timeline": ("committed", "disbursed", "as-of", "grades"),
    "conditions": ("disbursed", "as-of", "grades"),
}
NO_RELEASE = "There is no release {number}."
NO_CHART = "No chart is called {chart!r}; the charts are {charts}."


def _page_state(
    request: HttpRequest, chart: str | None = None, content_hash: str | None = None, number: int | None = None
) -> answers.State:
    """The chart data the page shows (snapshot ``content_hash``, release ``number``, or the latest),
    without its payload, memoised on the request: one indexed query. A page of a snapshot or a
    release never changes (pinned); nothing built yet gives an empty state (503, never kept)."""
    head = chart_state(release=number, content_hash=content_hash, exact=number is not None)
    request._chart_head = head  # type: ignore[attr-defined]
    if head is None:
        if content_hash is not None and selectors.snapshot_by_hash(content_hash) is None:
            raise Http404("No snapshot has this hash.")
        if number is not None and release_state(release=number) is None:
            raise Http404(NO_RELEASE.format(number=number))
        return answers.State(key=())
    return answers.State(
        key=("charts", head["pk"], head["created_at"].isoformat(), head["snapshot__content_hash"]),
        changed_at=head["created_at"],
        pinned=content_hash is not None or number is not None,
    )


def _unavailable(request: HttpRequest, content_hash: str | None) -> HttpResponse:
    response = HttpResponse(
        render_to_string("public/unavailable.html", {"content_hash": content_hash}, request), status=503
    )
    response["Retry-After"] = "60"
    patch_cache_control(response, no_store=True)
    return response


def _charts_page(
    request: HttpRequest, template: str, chart: str | None, content_hash: str | None, number: int | None
) -> HttpResponse:
    """Render a page of the charts (public.answers keeps it)."""
    if chart is not None and chart not in CHART_SLUGS:
        raise Http404(NO_CHART.format(chart=chart, charts=", ".join(CHART_SLUGS)))
    head = request._chart_head  # type: ignore[attr-defined]
    if head is None:
        return _unavailable(request, content_hash)
    payload = selectors.chart_data_payload(head["pk"])
    if payload is None or payload.get("schema_version") != CHARTS_SCHEMA_VERSION or not payload["charts"]:
        return _unavailable(request, content_hash)
    pinned = content_hash is not None or number is not None
    return HttpResponse(render_to_string(template, _context(request, payload, head, pinned, chart), request))


def english_csv_url(name: str, args: list[Any]) -> str:
    """A chart's CSV, unprefixed whatever the page's language: downloads stay in English."""
    with translation.override(settings.LANGUAGE_CODE):
        return reverse(name, args=args)


def _context(
    request: HttpRequest, payload: dict[str, Any], head: dict[str, Any], pinned: bool, only: str | None
) -> dict[str, Any]:
    """The permalinks name the release the figures come from (the snapshot's hash for figures made
    before releases); the embed snippet follows the latest figures unless the page is pinned."""
    snapshot_hash = head["snapshot__content_hash"]
    number = head["snapshot__release"]
    pin = ("release", [number]) if number is not None else ("snapshot", [snapshot_hash])
    permalink = request.build_absolute_uri(reverse(f"{pin[0]}-dashboard", args=pin[1]))
    methodology = reverse("methodology")
    charts = []
    in_language = charts_for(payload, get_language())
    for slug in [only] if only else CHART_SLUGS:
        chart = dict(in_language[slug])
        embed_url = request.build_absolute_uri(
            reverse(f"{pin[0]}-embed", args=[*pin[1], slug]) if pinned else reverse("embed", args=[slug])
        )
        chart.update(
            figure_id=f"figure-{slug}",
            figure_json_id=f"figure-{slug}-json",
            sketch=sketch(chart["figure"]),
            embed_url=embed_url,
            embed_snippet=(
                f'<iframe src="{embed_url}" title="{chart["title"]}" width="100%" height="600" '
                'style="border:0" loading="lazy"></iframe>'
            ),
            csv_url=english_csv_url(f"{pin[0]}-chart-csv", [*pin[1], slug]),
            permalink=f"{permalink}#chart-{slug}",
            cite_text=chart["cite"].replace("{url}", f"{permalink}#chart-{slug}"),
            terms=[(f"{methodology}#{anchor}", TERMS[anchor]) for anchor in CHART_TERMS[slug]],
        )
        charts.append(chart)
    main = payload["instruments"][payload["main_instrument"]]
    return {
        # Which release the page shows and when it was published ("Release 3, published 1 Dec 2026
        # 14:05 UTC"), from the same row as the rest of the state: no query of its own.
        "release_published_at": head.get("snapshot__release__published_at"),
        # An embed shows the one chart it names; the dashboard draws the conditions chart in its section.
        "charts": charts if only else [chart for chart in charts if chart["slug"] in MAIN_CHART_SLUGS],
        "conditions_chart": next((chart for chart in charts if chart["slug"] == "conditions"), None),
        "record": payload.get("record") or {},
        "instrument": main,
        # Short names spelled out where the page shows them ("USL": the Ukraine Support Loan).
        "instrument_names": {i["short_name"]: i["name"] for i in payload["instruments"].values()},
        "headline": main["headline"],
        "context_instruments": [
            {**i, "slug": slug} for slug, i in payload["instruments"].items() if slug != payload["main_instrument"]
        ],
        "as_of": head["snapshot__as_of"],
        "snapshot_hash": snapshot_hash,
        "permalink": permalink,
        "is_permalink": pinned,
        "release": number,
    }


def _answered(view: str) -> Any:
    return answers.answered(view, _page_state)


@require_safe
@_answered("dashboard")
def dashboard(request: HttpRequest, content_hash: str | None = None, number: int | None = None) -> HttpResponse:
    """The dashboard: headline numbers, the four charts, the table of tranches with sources and the
    record around the money (reports.instruments.record_build), every figure with its sources."""
    return _charts_page(request, "public/dashboard.html", None, content_hash, number)


@require_safe
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@_answered("embed")
def embed(request: HttpRequest, chart: str, content_hash: str | None = None, number: int | None = None) -> HttpResponse:
    """One chart alone, for other sites to frame (the only pages that may be framed)."""
    return _charts_page(request, "public/embed.html", chart, content_hash, number)


@require_safe
@_answered("chart_csv")
def chart_csv(
    request: HttpRequest, chart: str, content_hash: str | None = None, number: int | None = None
) -> HttpResponse:
    """The CSV of exactly the numbers a chart shows: its table's columns and rows."""
    if chart not in CHART_SLUGS:
        raise Http404(NO_CHART.format(chart=chart, charts=", ".join(CHART_SLUGS)))
    head = request._chart_head  # type: ignore[attr-defined]
    payload = selectors.chart_data_payload(head["pk"]) if head else None
    if head is None or payload is None or payload.get("schema_version") != CHARTS_SCHEMA_VERSION:
        return _unavailable(request, content_hash)
    # A download stays English whatever the page's language: the default language's charts.
    spec = charts_for(payload, settings.LANGUAGE_CODE).get(chart)
    if spec is None:
        return _unavailable(request, content_hash)
    columns = [column["key"] for column in spec["columns"]]
    # The API's CSV writer: a cell that a spreadsheet would run as a formula (a tranche named
    # "=HYPERLINK(…)") is written as text, in the charts' CSVs as in the API's.
    response = HttpResponse(b"".join(csv_cells(columns, spec["rows"])), content_type="text/csv; charset=utf-8")
    as_of = head["snapshot__as_of"]
    name = f"{payload['main_instrument']}-{chart}-{as_of:%Y-%m-%d}-{head['snapshot__content_hash'][:12]}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
