"""The public pages: the dashboard (latest figures, or a snapshot's through its permalink), one
embeddable page per chart and the CSV of each chart. They only read what the jobs stored (chart data
built from a snapshot, reports/charts.py) and answer revalidations with one small query."""

from __future__ import annotations

import csv
import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from csp.decorators import csp_replace
from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import condition, require_safe

from public import answers
from reports import selectors
from reports.charts import CHART_SLUGS, CHARTS_SCHEMA_VERSION

APP_DIR = Path(__file__).resolve().parent
# A new release that changes how the pages look gives them a new ETag and cache key by itself.
PAGES_FINGERPRINT = hashlib.sha256(
    b"".join(
        path.read_bytes()
        for folder in ("templates/public", "static/public")
        for path in sorted((APP_DIR / folder).glob("*"))
        if path.is_file()
    )
).hexdigest()[:12]


def _head(request: HttpRequest, content_hash: str | None = None, **_: Any) -> dict[str, Any] | None:
    """The chart data the request shows, without its payload; memoised on the request."""
    if not hasattr(request, "_chart_head"):
        request._chart_head = selectors.chart_data_head(content_hash)  # type: ignore[attr-defined]
    return request._chart_head  # type: ignore[attr-defined]


def _etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str | None:
    head = _head(request, **kwargs)
    if head is None:
        return None
    return f"{head['snapshot__content_hash'][:20]}-{head['pk']}-{_built(head)}-{PAGES_FINGERPRINT}"


def _built(head: dict[str, Any]) -> int:
    """When the chart data was (re)built, in microseconds: part of the page's ETag and cache key."""
    return int(head["created_at"].timestamp() * 1_000_000)


def _replayed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view, behind the pages this process answered already (public.answers): replayed
    without a query while the chart data they show is still the one the URL picks, which a
    process reads at most once per POINTER_SECONDS. HEAD and If-Modified-Since take the full path."""

    @functools.wraps(view)
    def replaying(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "GET" or "HTTP_IF_MODIFIED_SINCE" in request.META:
            return view(request, *args, **kwargs)
        key = answers.answer_key(request, view.__name__)
        pointer = f"page:{kwargs.get('content_hash') or ''}"

        def shown() -> answers.Snapshot | None:
            head = _head(request, **kwargs)  # memoised on the request: the view reuses it
            return None if head is None else (head["pk"], _built(head))

        if (replayed := answers.answer_replay_checked(request, key, pointer, shown)) is not None:
            return replayed
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and (chart_data := shown()) is not None:
            answers.answer_keep(key, chart_data, pointer, response)
        return response

    return replaying


def _unavailable(request: HttpRequest, content_hash: str | None) -> HttpResponse:
    if content_hash is not None and selectors.snapshot_by_hash(content_hash) is None:
        raise Http404("No snapshot has this hash.")
    response = HttpResponse(
        render_to_string("public/unavailable.html", {"content_hash": content_hash}, request), status=503
    )
    response["Retry-After"] = "60"
    patch_cache_control(response, no_store=True)
    return response


def _cacheable(response: HttpResponse, content_hash: str | None) -> HttpResponse:
    """The latest figures may change at the next publication; a permalink never changes."""
    max_age = settings.API_SNAPSHOT_MAX_AGE if content_hash else settings.API_CACHE_MAX_AGE
    patch_cache_control(response, public=True, max_age=max_age)
    return response


def _charts_page(request: HttpRequest, template: str, content_hash: str | None, chart: str | None) -> HttpResponse:
    """Render (once per chart data, host and release, then from the cache) a page of the charts."""
    if chart is not None and chart not in CHART_SLUGS:
        raise Http404(f"No chart is called {chart!r}; the charts are {', '.join(CHART_SLUGS)}.")
    head = _head(request, content_hash)
    if head is None:
        return _unavailable(request, content_hash)
    parts = (template, head["pk"], _built(head), chart, content_hash, request.get_host(), request.scheme)
    key = ":".join(["reports:page", *map(str, parts), PAGES_FINGERPRINT])
    html = cache.get(key)
    if html is None:
        payload = selectors.chart_data_payload(head["pk"])
        if payload is None or payload.get("schema_version") != CHARTS_SCHEMA_VERSION or not payload["charts"]:
            return _unavailable(request, content_hash)
        html = render_to_string(template, _context(request, payload, head, content_hash, chart), request)
        cache.set(key, html, timeout=None if content_hash else 24 * 3600)
    return _cacheable(HttpResponse(html), content_hash)


def _context(
    request: HttpRequest, payload: dict[str, Any], head: dict[str, Any], content_hash: str | None, only: str | None
) -> dict[str, Any]:
    snapshot_hash = head["snapshot__content_hash"]
    permalink = request.build_absolute_uri(reverse("snapshot-dashboard", args=[snapshot_hash]))
    charts = []
    for slug in [only] if only else CHART_SLUGS:
        chart = dict(payload["charts"][slug])
        embed_url = request.build_absolute_uri(reverse("embed", args=[slug]))
        chart.update(
            figure_id=f"figure-{slug}",
            figure_json_id=f"figure-{slug}-json",
            embed_url=embed_url,
            embed_snippet=(
                f'<iframe src="{embed_url}" title="{chart["title"]}" width="100%" height="600" '
                'style="border:0" loading="lazy"></iframe>'
            ),
            csv_url=reverse("snapshot-chart-csv", args=[snapshot_hash, slug]),
            permalink=f"{permalink}#chart-{slug}",
            cite_text=chart["cite"].replace("{url}", f"{permalink}#chart-{slug}"),
        )
        charts.append(chart)
    main = payload["instruments"][payload["main_instrument"]]
    return {
        "charts": charts,
        "instrument": main,
        "headline": main["headline"],
        "context_instruments": [i for slug, i in payload["instruments"].items() if slug != payload["main_instrument"]],
        "as_of": head["snapshot__as_of"],
        "snapshot_hash": snapshot_hash,
        "permalink": permalink,
        "is_permalink": content_hash is not None,
    }


@require_safe
@_replayed
@condition(etag_func=_etag)
def dashboard(request: HttpRequest, content_hash: str | None = None) -> HttpResponse:
    """The dashboard: headline numbers, the four charts and the table of tranches with sources."""
    return _charts_page(request, "public/dashboard.html", content_hash, None)


@require_safe
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@_replayed
@condition(etag_func=_etag)
def embed(request: HttpRequest, chart: str, content_hash: str | None = None) -> HttpResponse:
    """One chart alone, for other sites to frame (the only pages that may be framed)."""
    return _charts_page(request, "public/embed.html", content_hash, chart)


@require_safe
@_replayed
@condition(etag_func=_etag)
def chart_csv(request: HttpRequest, chart: str, content_hash: str | None = None) -> HttpResponse:
    """The CSV of exactly the numbers a chart shows: its table's columns and rows."""
    if chart not in CHART_SLUGS:
        raise Http404(f"No chart is called {chart!r}; the charts are {', '.join(CHART_SLUGS)}.")
    head = _head(request, content_hash)
    payload = selectors.chart_data_payload(head["pk"]) if head else None
    if head is None or payload is None or payload.get("schema_version") != CHARTS_SCHEMA_VERSION:
        return _unavailable(request, content_hash)
    spec = payload["charts"].get(chart)
    if spec is None:
        return _unavailable(request, content_hash)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    as_of = head["snapshot__as_of"]
    name = f"{payload['main_instrument']}-{chart}-{as_of:%Y-%m-%d}-{head['snapshot__content_hash'][:12]}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow([column["key"] for column in spec["columns"]])
    writer.writerows(spec["rows"])
    return _cacheable(response, content_hash)
