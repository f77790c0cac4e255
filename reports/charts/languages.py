"""The charts in every language: ``charts_build`` draws them all in the active language,
``charts_in_languages`` once per language of settings.LANGUAGES (the other languages kept as their
texts only), and ``charts_for`` lays a language's texts over the default's for a page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from .conditions import _conditions_chart
from .layout import _day, _long_date
from .pace import _pace_chart
from .purposes import _purposes_chart
from .stages import _stages_chart
from .timeline import _timeline_chart

# The charts of the main instrument, drawn together at the top of the dashboard; then the chart of
# the conditions ledger, drawn in its section. Each has an embed page and a CSV.
MAIN_CHART_SLUGS = ("stages", "pace", "purposes", "timeline")
CHART_SLUGS = (*MAIN_CHART_SLUGS, "conditions")


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
