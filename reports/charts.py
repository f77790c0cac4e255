"""The public charts, built from one snapshot's payload by pure functions (no database reads), so
that pages never aggregate: first the data of each chart (``chart_data_build``), then for the main
instrument the ready-to-draw Plotly figures with their titles, source line and the table of exactly
the numbers shown (``charts_build``), once per language of settings.LANGUAGES; pages read them
through ``charts_for``. Amounts stay EUR decimal strings except inside the Plotly figures, which
draw € billions. docs/JOBS.md describes the payload, docs/DASHBOARD.md the charts."""

from __future__ import annotations

import calendar
import datetime
import textwrap
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
from django.conf import settings
from django.utils import dateformat, translation
from django.utils.formats import get_format
from django.utils.translation import gettext, gettext_lazy, pgettext, pgettext_lazy

from tranches.money import eur_compact

from .instruments import payment_when, record_build

# 5: the pages come in English and Ukrainian and never build a chart, so the job builds the charts in
# every language of settings.LANGUAGES: ``charts`` in ``charts_language`` (the default, read by the
# CSVs), ``chart_texts`` the other languages' texts only (the numbers are not copied). Also the pace
# chart steps at each payment's value date (``cumulative.actual`` has dates: it showed €0 on the day
# €3.2bn was paid), each chart's ``cell_labels`` word its table's coded cells, and the layouts are
# legible at phone width. Chart data of version 4 is rebuilt in place by the next refresh.
# 4: the record's sections (``record``), the chart of reform steps met per payment, payments' dates
# as exactly as they are known.
CHARTS_SCHEMA_VERSION = 5
MAIN_INSTRUMENT_SLUG = "ukraine-support-loan"
STAGE_BARS = ("disbursed", "approved_not_disbursed", "planned", "withheld", "not_allocated")
# The charts of the main instrument, drawn together at the top of the dashboard; then the chart of
# the conditions ledger, drawn in its section. Each has an embed page and a CSV.
MAIN_CHART_SLUGS = ("stages", "pace", "purposes", "timeline")
CHART_SLUGS = (*MAIN_CHART_SLUGS, "conditions")
BN = Decimal(1_000_000_000)


def _d(value: str) -> Decimal:
    return Decimal(value)


def _stage_bars(totals: dict[str, str]) -> dict[str, str]:
    """One stacked bar: its parts add up to the amount. Approved-not-disbursed is committed minus
    paid, never below zero; withheld and planned tranches are shown apart from unallocated money."""
    disbursed = _d(totals["disbursed"])
    approved_open = max(_d(totals["committed"]) - disbursed, Decimal("0.00"))
    return {
        "disbursed": str(disbursed),
        "approved_not_disbursed": str(approved_open),
        "planned": totals["planned"],
        "withheld": totals["withheld"],
        "not_allocated": totals["not_allocated"],
    }


def chart_data_build(payload: dict[str, Any], *, snapshot_hash: str) -> dict[str, Any]:
    """Chart data from a snapshot payload (see docs/JOBS.md): the headline and the summed splits of
    every instrument, and for the main instrument, the one the pages draw, also the timeline and
    the table of its tranches with their payments and sources; the record's sections
    (``reports.instruments.record_build``). Raises KeyError if the payload is not of the documented
    shape."""
    slugs = {instrument["slug"] for instrument in payload["instruments"]}
    main = MAIN_INSTRUMENT_SLUG if MAIN_INSTRUMENT_SLUG in slugs else None
    instruments = {}
    for instrument in payload["instruments"]:
        instruments[instrument["slug"]] = {
            "name": instrument["name"],
            "short_name": instrument["short_name"],
            "amount": instrument["totals"]["amount"],
            "headline": _headline(instrument),
            "by_component_and_stage": [
                {"component": c["name"], "slug": c["slug"], "amount": c["totals"]["amount"], **_stage_bars(c["totals"])}
                for c in instrument["components"]
            ],
            "cumulative": _cumulative(instrument, payload),
            "by_purpose": instrument["by_purpose"],
        }
        if instrument["slug"] == main:
            instruments[main].update(_tranche_rows(instrument, payload))
    record = record_build(payload, main)
    charts, chart_texts = (
        charts_in_languages(instruments[main], as_of=payload["as_of"], snapshot_hash=snapshot_hash, record=record)
        if main
        else ({}, {})
    )
    return {
        "schema_version": CHARTS_SCHEMA_VERSION,
        "snapshot_hash": snapshot_hash,
        "as_of": payload["as_of"],
        "main_instrument": main,
        "instruments": instruments,
        "record": record,
        "charts_language": settings.LANGUAGE_CODE,
        "charts": charts,
        "chart_texts": chart_texts,
    }


def _cumulative(instrument: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """The money paid so far (EUR): at each payment's value date while the payload lists every
    payment (``disbursements_listed``, true for any real dataset), else at each month's end, the
    only dates the monthly sums of a larger payload give (``steps`` says which); and the straight
    line that pays the whole amount evenly from the start to the end of the period."""
    pace = [
        {"date": instrument["period_start"], "cumulative": "0.00"},
        {"date": instrument["period_end"], "cumulative": instrument["totals"]["amount"]},
    ]
    if not payload.get("disbursements_listed", True):  # a schema 1 payload listed every payment
        actual = [
            {"date": _month_end(m["month"]).isoformat(), "cumulative": m["cumulative"]}
            for m in instrument["cumulative_by_month"]
        ]
        return {"steps": "month_end", "actual": actual, "pace": pace}
    tranche_ids = {t["id"] for t in payload["tranches"] if t["instrument_id"] == instrument["id"]}
    paid_on: dict[str, Decimal] = {}
    for payment in payload["disbursements"]:
        if payment["tranche_id"] in tranche_ids:
            day = payment["value_date"]
            paid_on[day] = paid_on.get(day, Decimal("0.00")) + Decimal(payment["amount_eur"])
    running = Decimal("0.00")
    actual = []
    for day in sorted(paid_on):
        running += paid_on[day]
        actual.append({"date": day, "cumulative": str(running)})
    return {"steps": "payment", "actual": actual, "pace": pace}


def _tranche_rows(instrument: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """The timeline and the table of one instrument's tranches. Each tranche carries its payments'
    sum, count and first and last value dates; the payments themselves while the payload lists
    them all (``disbursements_listed``, true for any real dataset); the sources of the tranche and
    of its payments."""
    tranches = [t for t in payload["tranches"] if t["instrument_id"] == instrument["id"]]
    ids = {t["id"] for t in tranches}
    sources = {s["id"]: s for s in payload["sources"]}
    citations_of: dict[int, list[dict[str, Any]]] = {}
    for citation in payload["citations"]:
        target = citation["target"] or {}
        tranche_id = target.get("id") if target.get("type") == "tranche" else target.get("tranche_id")
        if isinstance(tranche_id, int) and tranche_id in ids and citation["source_id"] in sources:
            citations_of.setdefault(tranche_id, []).append(citation)
    payments_of: dict[int, list[dict[str, Any]]] = {}
    if payload.get("disbursements_listed", True):  # a schema 1 payload listed every payment
        for payment in payload["disbursements"]:
            if payment["tranche_id"] in ids:
                payments_of.setdefault(payment["tranche_id"], []).append(payment)
    components = {c["id"]: c["name"] for c in instrument["components"]}
    citation_keys = ("figure", "quote", "claimed_amount", "claimed_currency", "is_used")
    payment_keys = ("value_date", "amount_eur", "usd", "usd_rate", "usd_rate_date")
    short_names = {i["id"]: i["short_name"] for i in payload["instruments"]}
    return {
        "timeline": [
            {
                "tranche_id": t["id"],
                "name": t["name"],
                "component_id": t["component_id"],
                "stage": t["stage"],
                "amount": t["amount"],
                "events": [
                    {"stage": field.removesuffix("_on"), "date": t[field]}
                    for field in ("planned_on", "approved_on", "disbursed_on", "withheld_on", "cancelled_on")
                    if t[field] is not None
                ],
            }
            for t in tranches
        ],
        "table": [
            {
                **{k: t[k] for k in ("id", "name", "purpose", "stage", "amount", "budget_year")},
                **{k: t[k] for k in ("disbursed", "disbursement_count", "first_value_date", "last_value_date")},
                "component": components.get(t["component_id"], ""),
                "stage_date": t[f"{t['stage']}_on"],
                "planned_on": t["planned_on"],
                "disbursements": [
                    {
                        **{k: p[k] for k in payment_keys},
                        "when": payment_when(p["value_date"], p.get("value_date_precision")),
                        "precision": p.get("value_date_precision") or "day",
                        "paid_through": short_names.get(p.get("paid_through_id"), ""),
                    }
                    for p in payments_of.get(t["id"], [])
                ],
                "sources": [
                    {**{k: c[k] for k in citation_keys}, "source": sources[c["source_id"]]}
                    for c in citations_of.get(t["id"], [])
                ],
            }
            for t in tranches
        ],
    }


def _headline(instrument: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers of one instrument: its totals, its last payment and each component's."""

    def numbers(totals: dict[str, str]) -> dict[str, str]:
        keep = ("amount", "committed", "disbursed", "remaining", "percent_disbursed", "not_allocated")
        return {key: totals[key] for key in keep}

    return {
        **numbers(instrument["totals"]),
        "last_disbursement_on": instrument["last_value_date"],
        "period_end": instrument["period_end"],
        "components": [
            {"name": c["name"], "slug": c["slug"], **numbers(c["totals"])} for c in instrument["components"]
        ],
    }


# Plotly draws a few HTML-like tags in its texts (<b>, <br>, <a href>) and decodes entities; every
# text taken from the data is escaped, so a tranche named "<b>x</b>" is drawn as typed.
def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _wrapped(value: str, width: int = 40) -> str:
    """A label escaped for Plotly, in lines of at most ``width`` characters (a phone's plot width
    at 13 px) broken between words."""
    return "<br>".join(_text(line) for line in textwrap.wrap(value, width) or [""])


def _bn(amount: str) -> float:
    """€ billions for drawing only; the tables and CSV keep the exact decimal amounts."""
    return float(Decimal(amount) / BN)


def _day(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value[:10])


def _long_date(day: datetime.date) -> str:
    """'1 December 2026', in the active language ('1 грудня 2026': a month's name in a date)."""
    return dateformat.format(day, "j E Y")


def _money(amount: str | Decimal) -> str:
    """An amount in a chart's texts, as the pages write it in the active language ('€3.90bn')."""
    return eur_compact(Decimal(amount))


STAGE_LABELS = {
    "disbursed": gettext_lazy("Disbursed"),
    "approved_not_disbursed": gettext_lazy("Approved, not yet paid"),
    "planned": gettext_lazy("Planned"),
    "withheld": gettext_lazy("Withheld"),
    "not_allocated": gettext_lazy("Not yet allocated"),
    "approved": gettext_lazy("Approved"),
    "cancelled": gettext_lazy("Cancelled"),
}
# Plotly hover texts: Plotly fills %{y} (the bar's component or purpose), %{x} (a date) and
# %{customdata} (an amount such as "€3.90bn"); a whole sentence per stage, so that each language
# orders its words.
BAR_HOVERS = {
    # Translators: a hover text of the charts; keep %{y} and %{customdata} (an amount) as they are.
    "disbursed": gettext_lazy("%{y}: %{customdata} disbursed"),
    "approved_not_disbursed": gettext_lazy("%{y}: %{customdata} approved, not yet paid"),
    "planned": gettext_lazy("%{y}: %{customdata} planned"),
    "withheld": gettext_lazy("%{y}: %{customdata} withheld"),
    "not_allocated": gettext_lazy("%{y}: %{customdata} not yet allocated"),
}
EVENT_HOVERS = {
    # Translators: a hover text of the timeline chart; %{x} is the date.
    "planned": pgettext_lazy("timeline hover", "planned on %{x}"),
    "approved": pgettext_lazy("timeline hover", "approved on %{x}"),
    "disbursed": pgettext_lazy("timeline hover", "disbursed on %{x}"),
    "withheld": pgettext_lazy("timeline hover", "withheld on %{x}"),
    "cancelled": pgettext_lazy("timeline hover", "cancelled on %{x}"),
}
# The pace chart's series as its rows and CSV name them (stable English data); the table shows
# them in the page's language (``cell_labels``).
ACTUAL_SERIES = "Disbursed, cumulative"
PACE_SERIES = "Straight line to the end"
NO_PURPOSE = "(no purpose given)"
STAGE_COLOURS = {
    "disbursed": "#1f5fa8",
    "approved_not_disbursed": "#6fa0d8",
    "approved": "#6fa0d8",
    "planned": "#f0b429",
    "withheld": "#c2410c",
    "cancelled": "#7a7a7a",
    "not_allocated": "#d9dde3",
}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
# A date in a hover: Plotly's month names of the page's locale (public/static/public/charts.js
# registers Ukrainian ones), so "25 Jun 2026" / "25 черв 2026".
HOVER_DAY = "%-d %b %Y"
# Horizontal rows with their label drawn above the bar or line, over the plot's whole width (a
# label on the y axis left a 64 px plot on a phone): the px a row takes, and one more line of label.
ROW_PX = 52
NBSP = "\xa0"
LINE_PX = 16


def _layout(**extra: Any) -> dict[str, Any]:
    """The house layout: no template (small JSON), readable at phone width, numbers written as the
    active language writes them. The legend sits above the plot, where no axis title can meet it
    (below it, it covered the "€ billion" title on a phone)."""
    return {
        "template": "none",
        "font": {"family": FONT, "size": 13, "color": "#1b1f24"},
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1,
            "yanchor": "bottom",
            "traceorder": "normal",
        },
        "hoverlabel": {"font": {"family": FONT}},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "height": 360,
        "separators": _separators(),
        **extra,
    }


def _separators() -> str:
    """Plotly's decimal and thousands separators, those Django writes numbers with in the active
    language ('.,'; in Ukrainian a decimal comma and a no-break space)."""
    return f"{get_format('DECIMAL_SEPARATOR')}{get_format('THOUSAND_SEPARATOR')}"


def _figure(traces: list[Any], **layout: Any) -> dict[str, Any]:
    """Plotly's own validation, then plain JSON for the page (``json_script``) and the embed."""
    figure: dict[str, Any] = go.Figure(data=traces, layout=_layout(**layout)).to_plotly_json()
    return figure


def _money_axis(title: str) -> dict[str, Any]:
    """An axis of € billions, its ticks "€20bn" ("20 млрд": short enough for four on a phone; the
    axis title names the currency)."""
    # Translators: the ticks of an axis of € billions, whose title names the currency; keep it short.
    prefix, _, suffix = pgettext("axis ticks", "€%(amount)sbn").partition("%(amount)s")
    return {
        "title": {"text": title, "standoff": 8},
        "tickprefix": prefix,
        "ticksuffix": suffix,
        "gridcolor": "#e5e7eb",
        "zeroline": True,
        "automargin": True,
        "rangemode": "tozero",
        "fixedrange": True,
    }


def _date_axis() -> dict[str, Any]:
    """A time axis with few enough ticks for a phone ('Jul 2026' whole, not 'Ma/Jul/Sep')."""
    return {
        "type": "date",
        "gridcolor": "#e5e7eb",
        "fixedrange": True,
        "automargin": True,
        "nticks": 5,
        # Months with their year below ("Jul<br>2026"); days as "25 Jun".
        "tickformatstops": [
            {"dtickrange": [None, "M1"], "value": "%-d %b"},
            {"dtickrange": ["M1", None], "value": "%b<br>%Y"},
        ],
        "hoverformat": HOVER_DAY,
    }


def _row_labels(labels: list[str], wrapped: list[str], shift: int) -> list[dict[str, Any]]:
    """Each row's label above its row (``shift`` px above its middle), from the plot's left edge."""
    return [
        {"text": text, "x": 0, "xref": "paper", "xanchor": "left", "y": label, "yref": "y", "yanchor": "bottom",
         "yshift": shift, "showarrow": False, "align": "left"}
        for label, text in zip(labels, wrapped, strict=True)
    ]  # fmt: skip


def _rows_axis(labels: list[str]) -> dict[str, Any]:
    """The y axis of rows labelled by ``_row_labels``: every row in order, the first one's label
    clear of the legend above it."""
    return {
        "type": "category",
        "categoryorder": "array",
        "categoryarray": labels,
        "range": [len(labels) - 0.5, -0.9],
        "fixedrange": True,
        "showticklabels": False,
        "showgrid": False,
    }


def _rows_height(wrapped: list[str]) -> int:
    lines = max((text.count("<br>") for text in wrapped), default=0)
    return max(200, 110 + len(wrapped) * (ROW_PX + LINE_PX * lines))


def _chart(
    slug: str,
    title: str,
    subtitle: str,
    columns: list[tuple[str, str]],
    rows: list[list[Any]],
    figure: dict[str, Any],
    description: str,
    cell_labels: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": title,
        "subtitle": subtitle,
        "description": description,
        "columns": [{"key": key, "label": label} for key, label in columns],
        # Coded cells of the rows (a stage, a series) as the table words them: {column key: {cell: words}}.
        "cell_labels": cell_labels or {},
        "rows": rows,
        "figure": figure,
    }


def charts_build(
    instrument: dict[str, Any], *, as_of: str | None, snapshot_hash: str, record: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """The public charts in the active language, keyed by slug (CHART_SLUGS): the four of one
    instrument's chart data and the conditions ledger's of the ``record``
    (reports.instruments.record_build). Each has a title, a subtitle with the as-of date, a
    one-sentence description (the chart's alt text), the columns and rows of exactly the numbers it
    draws (its table and CSV; the rows are the same in every language), the Plotly figure, the
    source line and the citation text."""
    day = _day(as_of) if as_of else None
    as_of_text = gettext("as of %(day)s") % {"day": _long_date(day)} if day else gettext("nothing published yet")
    sources = sorted(
        {(row["source"]["publisher"], row["source"]["grade"]) for t in instrument["table"] for row in t["sources"]},
        key=lambda pair: (pair[1], pair[0]),
    )
    source_line = _source_line(sources)
    charts = {
        "stages": _stages_chart(instrument, as_of_text),
        "pace": _pace_chart(instrument, as_of_text, day),
        "purposes": _purposes_chart(instrument, as_of_text),
        "timeline": _timeline_chart(instrument, as_of_text),
    }
    for chart in charts.values():
        chart["source"] = source_line
    ledger = (record or {}).get("conditions", {}).get("ledger", [])
    charts["conditions"] = _conditions_chart(ledger, as_of_text)
    charts["conditions"]["source"] = _source_line(
        sorted(
            {
                (claim["source"]["publisher"], claim["source"]["grade"])
                for row in ledger
                if row["steps_met"] is not None  # the payments drawn
                for claim in row["sources"]
            },
            key=lambda pair: (pair[1], pair[0]),
        )
    )
    for chart in charts.values():
        cite = gettext("%(title)s. EU Ukraine-loan tracker, figures %(as_of)s (snapshot %(snapshot)s).") % {
            "title": chart["title"],
            "as_of": as_of_text,
            "snapshot": snapshot_hash[:12],
        }
        chart["cite"] = f"{cite} {{url}}"
    return charts


NOT_TEXTS_ONLY = "The {slug} chart in {language} differs from the default language's in more than its texts: {what}."


def charts_in_languages(
    instrument: dict[str, Any], *, as_of: str | None, snapshot_hash: str, record: dict[str, Any] | None = None
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, dict[str, Any]]]]:
    """The charts (``charts_build``) in the default language (settings.LANGUAGE_CODE), and for each
    other language of settings.LANGUAGES its texts only, keyed by language code then slug
    (``_texts_of``): the rows and the numbers drawn are stored once. Raises ValueError if a
    language's chart differs in more than its texts."""

    def built(code: str) -> dict[str, dict[str, Any]]:
        with translation.override(code):
            return charts_build(instrument, as_of=as_of, snapshot_hash=snapshot_hash, record=record)

    charts = built(settings.LANGUAGE_CODE)
    texts = {
        code: {slug: _texts_of(chart, charts[slug], code) for slug, chart in built(code).items()}
        for code, _name in settings.LANGUAGES
        if code != settings.LANGUAGE_CODE
    }
    return charts, texts


def _texts_of(chart: dict[str, Any], default: dict[str, Any], language: str) -> dict[str, Any]:
    """What a chart in another language changes in the default language's: its texts (title,
    subtitle, description, source, cite, column and cell labels), its whole layout (axis titles,
    separators, tick affixes, labels; small) and of each trace only the keys whose value differs
    (name, hover template, hover amounts, translated category labels), never the rows nor the
    numbers drawn."""
    what = []
    if chart["rows"] != default["rows"]:
        what.append("rows")
    if [c["key"] for c in chart["columns"]] != [c["key"] for c in default["columns"]]:
        what.append("columns")
    traces, default_traces = chart["figure"]["data"], default["figure"]["data"]
    if [t["type"] for t in traces] != [t["type"] for t in default_traces]:
        what.append("traces")
    drawn = ("x", "type", "orientation", "mode", "marker", "line")
    if not what and any(t.get(k) != d.get(k) for t, d in zip(traces, default_traces, strict=True) for k in drawn):
        what.append("numbers drawn")
    if what:
        raise ValueError(NOT_TEXTS_ONLY.format(slug=chart["slug"], language=language, what=", ".join(what)))
    return {
        **{key: value for key, value in chart.items() if key not in ("slug", "rows", "figure")},
        "figure": {
            "layout": chart["figure"]["layout"],
            "data": [
                {key: value for key, value in trace.items() if key not in base or base[key] != value}
                for trace, base in zip(traces, default_traces, strict=True)
            ],
        },
    }


def charts_for(chart_data: dict[str, Any], language: str) -> dict[str, dict[str, Any]]:
    """The charts of a chart-data payload (``chart_data_build``) as a page in ``language`` (a code of
    settings.LANGUAGES) shows them, keyed by slug: the default language's charts with that
    language's texts laid over them (a regional code reads its language's: "uk-ua" reads "uk"; the
    default's alone for a language the payload has no texts for),
    each with ``table_rows``: its rows with the coded cells in words, for its table (the CSV keeps
    ``rows``)."""
    held = chart_data.get("chart_texts") or {}
    texts = held.get(language) or held.get(language.split("-")[0]) or {}  # "uk-ua" reads "uk"
    charts = {}
    for slug, default in chart_data["charts"].items():
        own = texts.get(slug)
        chart = default if own is None else _laid_over(default, own)
        labels = chart.get("cell_labels") or {}
        keys = [column["key"] for column in chart["columns"]]
        table_rows = [
            [
                labels.get(key, {}).get(cell, cell) if isinstance(cell, str) else cell
                for key, cell in zip(keys, row, strict=True)
            ]
            for row in chart["rows"]
        ]
        charts[slug] = {**chart, "table_rows": table_rows}
    return charts


def _laid_over(chart: dict[str, Any], texts: dict[str, Any]) -> dict[str, Any]:
    """A default language's chart with another language's texts (``_texts_of``) in their places."""
    data = [{**trace, **own} for trace, own in zip(chart["figure"]["data"], texts["figure"]["data"], strict=True)]
    return {**chart, **texts, "figure": {**chart["figure"], "layout": texts["figure"]["layout"], "data": data}}


def _source_line(sources: list[tuple[str, str]]) -> str:
    """'Source: EU Ukraine-loan tracker, from <publisher> (grade A); …', best grades first."""
    named = "; ".join(
        gettext("%(publisher)s (grade %(grade)s)") % {"publisher": publisher, "grade": grade}
        for publisher, grade in sources
    )
    return gettext("Source: EU Ukraine-loan tracker, from %(sources)s") % {
        "sources": named or gettext("published records")
    }


def _stages_chart(instrument: dict[str, Any], as_of_text: str) -> dict[str, Any]:
    bars = instrument["by_component_and_stage"]
    names = [_text(bar["component"]) for bar in bars]
    traces = [
        go.Bar(
            name=str(STAGE_LABELS[stage]),
            y=names,
            x=[_bn(bar[stage]) for bar in bars],
            orientation="h",
            marker={"color": STAGE_COLOURS[stage]},
            customdata=[_money(bar[stage]) for bar in bars],
            hovertemplate=f"{BAR_HOVERS[stage]}<extra></extra>",
        )
        for stage in STAGE_BARS
    ]
    figure = _figure(
        traces,
        barmode="stack",
        xaxis=_money_axis(gettext("€ billion")),
        yaxis={"automargin": True, "autorange": "reversed", "fixedrange": True},
    )
    total = _money(instrument["amount"])
    return _chart(
        "stages",
        gettext("Where the %(amount)s stands") % {"amount": total},
        gettext("%(instrument)s by component and stage, € billion, %(as_of)s")
        % {"instrument": instrument["short_name"], "as_of": as_of_text},
        [("component", gettext("Component")), ("amount", gettext("Component (EUR)"))]
        + [(stage, gettext("%(stage)s (EUR)") % {"stage": STAGE_LABELS[stage]}) for stage in STAGE_BARS],
        [[bar["component"], bar["amount"], *(bar[stage] for stage in STAGE_BARS)] for bar in bars],
        figure,
        gettext(
            "Stacked bars, one per component of the %(amount)s loan, split into money disbursed, approved but "
            "not yet paid, planned, withheld and not yet allocated."
        )
        % {"amount": total},
    )


def _month_end(month: str) -> datetime.date:
    year, number = (int(part) for part in month.split("-"))
    return datetime.date(year, number, calendar.monthrange(year, number)[1])


def _pace_chart(instrument: dict[str, Any], as_of_text: str, as_of: datetime.date | None) -> dict[str, Any]:
    """Cumulative disbursements stepping up at each payment's value date (at each month's end for a
    payload that does not list its payments), flat to the as-of date, and the straight line that
    pays the whole amount evenly from the period's start to its end, with the amount that line
    reaches by the as-of date."""
    cumulative = instrument["cumulative"]
    start, end = cumulative["pace"][0], cumulative["pace"][-1]
    start_day, end_day = _day(start["date"]), _day(end["date"])
    actual = [(ACTUAL_SERIES, start_day, "0.00")]
    for point in cumulative["actual"]:
        day = _day(point["date"])
        actual.append((ACTUAL_SERIES, min(day, as_of) if as_of else day, point["cumulative"]))
    if as_of and actual[-1][1] < as_of:  # nothing paid since: the line runs on, flat, to the as-of date
        actual.append((ACTUAL_SERIES, as_of, actual[-1][2]))
    pace = [(PACE_SERIES, start_day, start["cumulative"])]
    if as_of and start_day < as_of < end_day:
        share = Decimal((as_of - start_day).days) / Decimal((end_day - start_day).days)
        reached = (Decimal(end["cumulative"]) * share).quantize(Decimal("0.01"))
        pace.append((PACE_SERIES, as_of, str(reached)))
    pace.append((PACE_SERIES, end_day, end["cumulative"]))
    traces = [
        go.Scatter(
            name=gettext("Disbursed"),
            x=[day.isoformat() for _, day, _ in actual],
            y=[_bn(value) for *_, value in actual],
            mode="lines+markers",
            line={"shape": "hv", "color": STAGE_COLOURS["disbursed"], "width": 3},
            customdata=[_money(value) for *_, value in actual],
            # Translators: a hover text of the pace chart: %{x} is a date, %{customdata} an amount.
            hovertemplate=gettext("%{x}: %{customdata} paid") + "<extra></extra>",
        ),
        go.Scatter(
            # Short, so that the legend keeps to one line on a phone; the subtitle names the end date.
            name=gettext("Even pace"),
            x=[day.isoformat() for _, day, _ in pace],
            y=[_bn(value) for *_, value in pace],
            mode="lines+markers",
            line={"dash": "dash", "color": "#7a7a7a", "width": 2},
            customdata=[_money(value) for *_, value in pace],
            # Translators: a hover text of the pace chart: %{x} is a date, %{customdata} an amount.
            hovertemplate=gettext("%{x}: %{customdata} at an even pace") + "<extra></extra>",
        ),
    ]
    figure = _figure(traces, xaxis=_date_axis(), yaxis=_money_axis(gettext("€ billion")))
    rows = [[series, day.isoformat(), value] for series, day, value in [*actual, *pace]]
    if cumulative.get("steps") == "month_end":
        description = gettext(
            "A line of the money disbursed so far, stepping up at the end of each month with a payment, beside "
            "a dashed straight line from nothing on %(start)s to the whole %(amount)s on %(end)s."
        )
    else:
        description = gettext(
            "A line of the money disbursed so far, stepping up at each payment, beside a dashed straight line "
            "from nothing on %(start)s to the whole %(amount)s on %(end)s."
        )
    return _chart(
        "pace",
        gettext("How fast the money is paid"),
        gettext("Cumulative disbursements against an even pace to %(end)s, € billion, %(as_of)s")
        % {"end": _long_date(end_day), "as_of": as_of_text},
        [("series", gettext("Series")), ("date", gettext("Date")), ("cumulative", gettext("Cumulative (EUR)"))],
        rows,
        figure,
        description % {"start": _long_date(start_day), "amount": _money(end["cumulative"]), "end": _long_date(end_day)},
        {"series": {ACTUAL_SERIES: gettext("Disbursed, cumulative"), PACE_SERIES: gettext("Straight line to the end")}},
    )


def _purposes_chart(instrument: dict[str, Any], as_of_text: str) -> dict[str, Any]:
    rows = []
    for split in instrument["by_purpose"]:
        disbursed = Decimal(split["disbursed"])
        open_commitment = max(Decimal(split["committed"]) - disbursed, Decimal("0.00"))
        rows.append([split["purpose"] or NO_PURPOSE, split["disbursed"], str(open_commitment), split["planned"]])
    rows.sort(key=lambda row: -sum(Decimal(value) for value in row[1:]))
    labels = {NO_PURPOSE: gettext("(no purpose given)")}
    parts = (("disbursed", 1), ("approved_not_disbursed", 2), ("planned", 3))
    traces = [
        go.Bar(
            name=str(STAGE_LABELS[stage]),
            y=[_text(labels.get(row[0], row[0])) for row in rows],
            x=[_bn(row[index]) for row in rows],
            orientation="h",
            marker={"color": STAGE_COLOURS[stage]},
            customdata=[_money(row[index]) for row in rows],
            hovertemplate=f"{BAR_HOVERS[stage]}<extra></extra>",
        )
        for stage, index in parts
    ]
    figure = _figure(
        traces,
        barmode="stack",
        xaxis=_money_axis(gettext("€ billion")),
        yaxis={"automargin": True, "autorange": "reversed", "fixedrange": True},
    )
    return _chart(
        "purposes",
        gettext("What the money is for"),
        gettext("Tranches by purpose, € billion, %(as_of)s") % {"as_of": as_of_text},
        [
            ("purpose", gettext("Purpose")),
            *((stage, gettext("%(stage)s (EUR)") % {"stage": STAGE_LABELS[stage]}) for stage, _ in parts),
        ],
        rows,
        figure,
        gettext(
            "Bars, one per purpose of the tranches (such as drones or budget support), split into money "
            "disbursed, approved but not yet paid, and planned."
        ),
        {"purpose": labels},
    )


def _timeline_chart(instrument: dict[str, Any], as_of_text: str) -> dict[str, Any]:
    """One row per tranche: its name and amount above a line from its first to its latest stage,
    a marker at each stage date."""
    rows = [
        [tranche["name"], event["stage"], event["date"], tranche["amount"]]
        for tranche in instrument["timeline"]
        for event in sorted(tranche["events"], key=lambda e: e["date"])
    ]
    # The amount kept on one line when the label wraps ("(3,90\xa0млрд\xa0€)").
    names = {t["tranche_id"]: f"{t['name']} ({_money(t['amount']).replace(' ', NBSP)})" for t in instrument["timeline"]}
    labels = {tranche_id: _text(name) for tranche_id, name in names.items()}
    line_x: list[str | None] = []
    line_y: list[str | None] = []
    for tranche in instrument["timeline"]:
        dates = sorted(event["date"] for event in tranche["events"])
        line_x += [dates[0], dates[-1], None] if dates else []
        line_y += [labels[tranche["tranche_id"]]] * 2 + [None] if dates else []
    traces: list[Any] = [
        go.Scatter(
            x=line_x, y=line_y, mode="lines", line={"color": "#9aa3ad", "width": 2}, showlegend=False, hoverinfo="skip"
        )
    ]
    for stage in ("planned", "approved", "disbursed", "withheld", "cancelled"):
        points = [(t, e["date"]) for t in instrument["timeline"] for e in t["events"] if e["stage"] == stage]
        if points:
            traces.append(
                go.Scatter(
                    name=str(STAGE_LABELS[stage]),
                    x=[day for _, day in points],
                    y=[labels[t["tranche_id"]] for t, _ in points],
                    mode="markers",
                    marker={"size": 12, "color": STAGE_COLOURS[stage], "line": {"width": 1, "color": "#ffffff"}},
                    hovertemplate=f"%{{y}}<br>{EVENT_HOVERS[stage]}<extra></extra>",
                )
            )
    wrapped = [_wrapped(name) for name in names.values()]
    figure = _figure(
        traces,
        height=_rows_height(wrapped),
        annotations=_row_labels(list(labels.values()), wrapped, shift=8),
        xaxis=_date_axis(),
        yaxis=_rows_axis(list(labels.values())),
    )
    return _chart(
        "timeline",
        gettext("Tranches and their dates"),
        gettext("Each tranche from plan to payment, %(as_of)s") % {"as_of": as_of_text},
        [
            ("tranche", gettext("Tranche")),
            ("stage", gettext("Stage")),
            ("date", gettext("Date reached")),
            ("amount", gettext("Tranche (EUR)")),
        ],
        rows,
        figure,
        gettext(
            "One row per tranche, with a marker at the date it was planned, approved, disbursed, withheld or cancelled."
        ),
        {"stage": {stage: str(label) for stage, label in STAGE_LABELS.items()}},
    )


STEP_COLOURS = {"met": "#1f5fa8", "not_met": "#c2410c"}


def _conditions_chart(ledger: list[dict[str, Any]], as_of_text: str) -> dict[str, Any]:
    """Reform steps met per payment: for each payment whose conditions are assessed, a bar of the
    steps met and one of the steps not met (they add up to the steps due), with the money at stake,
    paid and withheld in the hover and the table. Payments not assessed yet are not drawn (the page
    lists them)."""
    assessed = [row for row in ledger if row["steps_met"] is not None]
    rows = [
        [
            row["payment"],
            row["instrument"],
            row["steps_met"],
            row["steps_not_met"],
            row["steps_due"],
            row["amount_at_stake"] or "",
            row["paid"],
            row["amount_withheld"] or "",
        ]
        for row in assessed
    ]
    names = [f"{row['instrument']} · {row['payment']}" for row in assessed]
    labels = [_text(name) for name in names]

    def money_note(row: dict[str, Any]) -> str:
        parts = [gettext("%(amount)s paid") % {"amount": _money(row["paid"])}]
        if row["amount_at_stake"]:
            parts.append(gettext("of %(amount)s at stake") % {"amount": _money(row["amount_at_stake"])})
        if row["amount_withheld"]:
            parts.append(gettext("%(amount)s withheld") % {"amount": _money(row["amount_withheld"])})
        return ", ".join(parts)

    # Translators: hover texts of the conditions chart: %{x} steps of the %{customdata[0]} due.
    met, not_met = gettext("%{x} of %{customdata[0]} steps met"), gettext("%{x} of %{customdata[0]} steps not met")
    traces = [
        go.Bar(
            name=name,
            y=labels,
            x=[row[key] for row in assessed],
            orientation="h",
            marker={"color": STEP_COLOURS[colour]},
            customdata=[[row["steps_due"], money_note(row)] for row in assessed],
            hovertemplate=f"%{{y}}: {hover}<br>%{{customdata[1]}}<extra></extra>",
        )
        for name, key, colour, hover in (
            (gettext("Steps met"), "steps_met", "met", met),
            (gettext("Steps not met"), "steps_not_met", "not_met", not_met),
        )
    ]
    wrapped = [_wrapped(name) for name in names]
    empty = [] if labels else [
        {"text": gettext("No payment's conditions have been assessed yet."), "showarrow": False, "xref": "paper",
         "yref": "paper", "x": 0.5, "y": 0.5}
    ]  # fmt: skip
    figure = _figure(
        traces,
        barmode="stack",
        bargap=0.5,
        height=_rows_height(wrapped),
        annotations=empty or _row_labels(labels, wrapped, shift=ROW_PX // 4 + 2),
        xaxis={"gridcolor": "#e5e7eb", "rangemode": "tozero", "fixedrange": True, "automargin": True, "dtick": 2,
               "title": {"text": gettext("Reform steps"), "standoff": 8}},
        yaxis=_rows_axis(labels),
    )  # fmt: skip
    return _chart(
        "conditions",
        gettext("Reform steps met per payment"),
        gettext("Reform steps met and not met of those due, for each payment assessed, %(as_of)s")
        % {"as_of": as_of_text},
        [("payment", gettext("Payment")), ("instrument", gettext("Instrument")), ("steps_met", gettext("Steps met")),
         ("steps_not_met", gettext("Steps not met")), ("steps_due", gettext("Steps due")),
         ("amount_at_stake", gettext("Money at stake (EUR)")), ("paid", gettext("Paid (EUR)")),
         ("amount_withheld", gettext("Money withheld (EUR)"))],
        rows,
        figure,
        gettext(
            "Bars, one per payment whose conditions were assessed, split into the reform steps met and not met "
            "out of those due."
        ),
    )  # fmt: skip
