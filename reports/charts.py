"""The public charts, built from one snapshot's payload by pure functions (no database reads), so
that pages never aggregate: first the data of each chart (``chart_data_build``), then for the main
instrument the ready-to-draw Plotly figures with their titles, source line and the table of exactly
the numbers shown (``charts_build``). Amounts stay EUR decimal strings except inside the Plotly
figures, which draw € billions. docs/JOBS.md describes the payload, docs/DASHBOARD.md the charts."""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

from tranches.money import eur

from .instruments import payment_when, record_build

# 4: the record's sections (``record``), the chart of reform steps met per payment, payments' dates
# as exactly as they are known.
CHARTS_SCHEMA_VERSION = 4
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
            "cumulative": {
                "actual": [
                    {"month": m["month"], "cumulative": m["cumulative"]} for m in instrument["cumulative_by_month"]
                ],
                # The straight line: the whole amount paid evenly from the start to the end of the period.
                "pace": [
                    {"date": instrument["period_start"], "cumulative": "0.00"},
                    {"date": instrument["period_end"], "cumulative": instrument["totals"]["amount"]},
                ],
            },
            "by_purpose": instrument["by_purpose"],
        }
        if instrument["slug"] == main:
            instruments[main].update(_tranche_rows(instrument, payload))
    record = record_build(payload, main)
    return {
        "schema_version": CHARTS_SCHEMA_VERSION,
        "snapshot_hash": snapshot_hash,
        "as_of": payload["as_of"],
        "main_instrument": main,
        "instruments": instruments,
        "record": record,
        "charts": (
            charts_build(instruments[main], as_of=payload["as_of"], snapshot_hash=snapshot_hash, record=record)
            if main
            else {}
        ),
    }


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


def _bn(amount: str) -> float:
    """€ billions for drawing only; the tables and CSV keep the exact decimal amounts."""
    return float(Decimal(amount) / BN)


def _day(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value[:10])


def _long_date(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


STAGE_LABELS = {
    "disbursed": "Disbursed",
    "approved_not_disbursed": "Approved, not yet paid",
    "planned": "Planned",
    "withheld": "Withheld",
    "not_allocated": "Not yet allocated",
    "approved": "Approved",
    "cancelled": "Cancelled",
}
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


def _layout(**extra: Any) -> dict[str, Any]:
    """The house layout: no template (small JSON), readable at phone width, legend below."""
    return {
        "template": "none",
        "font": {"family": FONT, "size": 13, "color": "#1b1f24"},
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "legend": {"orientation": "h", "x": 0, "y": -0.2, "yanchor": "top", "traceorder": "normal"},
        "hoverlabel": {"font": {"family": FONT}},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "height": 360,
        "separators": ".,",
        **extra,
    }


def _figure(traces: list[Any], **layout: Any) -> dict[str, Any]:
    """Plotly's own validation, then plain JSON for the page (``json_script``) and the embed."""
    figure: dict[str, Any] = go.Figure(data=traces, layout=_layout(**layout)).to_plotly_json()
    return figure


def _money_axis(title: str) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "ticksuffix": "bn",
        "tickprefix": "€",
        "gridcolor": "#e5e7eb",
        "zeroline": True,
        "automargin": True,
        "rangemode": "tozero",
        "fixedrange": True,
    }


def _chart(
    slug: str,
    title: str,
    subtitle: str,
    columns: list[tuple[str, str]],
    rows: list[list[Any]],
    figure: dict[str, Any],
    description: str,
) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": title,
        "subtitle": subtitle,
        "description": description,
        "columns": [{"key": key, "label": label} for key, label in columns],
        "rows": rows,
        "figure": figure,
    }


def charts_build(
    instrument: dict[str, Any], *, as_of: str | None, snapshot_hash: str, record: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """The public charts, keyed by slug (CHART_SLUGS): the four of one instrument's chart data and
    the conditions ledger's of the ``record`` (reports.instruments.record_build). Each has a title,
    a subtitle with the as-of date, a one-sentence description (the chart's alt text), the columns
    and rows of exactly the numbers it draws (its table and CSV), the Plotly figure, the source line
    and the citation text."""
    day = _day(as_of) if as_of else None
    as_of_text = f"as of {_long_date(day)}" if day else "nothing published yet"
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
        chart["cite"] = (
            f"{chart['title']}. EU Ukraine-loan tracker, figures {as_of_text} (snapshot {snapshot_hash[:12]}). {{url}}"
        )
    return charts


def _source_line(sources: list[tuple[str, str]]) -> str:
    """'Source: EU Ukraine-loan tracker, from <publisher> (grade A); …', best grades first."""
    return "Source: EU Ukraine-loan tracker, from " + (
        "; ".join(f"{publisher} (grade {grade})" for publisher, grade in sources) if sources else "published records"
    )


def _stages_chart(instrument: dict[str, Any], as_of_text: str) -> dict[str, Any]:
    bars = instrument["by_component_and_stage"]
    names = [_text(bar["component"]) for bar in bars]
    traces = [
        go.Bar(
            name=STAGE_LABELS[stage],
            y=names,
            x=[_bn(bar[stage]) for bar in bars],
            orientation="h",
            marker={"color": STAGE_COLOURS[stage]},
            customdata=[eur(Decimal(bar[stage])) for bar in bars],
            hovertemplate=f"%{{y}}: %{{customdata}} {STAGE_LABELS[stage].lower()}<extra></extra>",
        )
        for stage in STAGE_BARS
    ]
    figure = _figure(
        traces,
        barmode="stack",
        xaxis=_money_axis("€ billion"),
        yaxis={"automargin": True, "autorange": "reversed", "fixedrange": True},
    )
    total = eur(Decimal(instrument["amount"]))
    return _chart(
        "stages",
        f"Where the {total} stands",
        f"{instrument['short_name']} by component and stage, € billion, {as_of_text}",
        [("component", "Component"), ("amount", "Component (EUR)")]
        + [(stage, f"{STAGE_LABELS[stage]} (EUR)") for stage in STAGE_BARS],
        [[bar["component"], bar["amount"], *(bar[stage] for stage in STAGE_BARS)] for bar in bars],
        figure,
        f"Stacked bars, one per component of the {total} loan, split into money disbursed, approved but not "
        "yet paid, planned, withheld and not yet allocated.",
    )


def _month_end(month: str) -> datetime.date:
    year, number = (int(part) for part in month.split("-"))
    return datetime.date(year, number, calendar.monthrange(year, number)[1])


def _pace_chart(instrument: dict[str, Any], as_of_text: str, as_of: datetime.date | None) -> dict[str, Any]:
    """Cumulative disbursements at each month's end (or the as-of date in the current month), and the
    straight line that pays the whole amount evenly from the period's start to its end, with the
    amount that line reaches by the as-of date."""
    start, end = instrument["cumulative"]["pace"][0], instrument["cumulative"]["pace"][-1]
    start_day, end_day = _day(start["date"]), _day(end["date"])
    actual = [("Disbursed, cumulative", start_day, "0.00")]
    for point in instrument["cumulative"]["actual"]:
        day = _month_end(point["month"])
        actual.append(("Disbursed, cumulative", min(day, as_of) if as_of else day, point["cumulative"]))
    if as_of and actual[-1][1] < as_of:  # nothing paid since: the line runs on, flat, to the as-of date
        actual.append(("Disbursed, cumulative", as_of, actual[-1][2]))
    pace = [("Straight line to the end", start_day, start["cumulative"])]
    if as_of and start_day < as_of < end_day:
        share = Decimal((as_of - start_day).days) / Decimal((end_day - start_day).days)
        reached = (Decimal(end["cumulative"]) * share).quantize(Decimal("0.01"))
        pace.append(("Straight line to the end", as_of, str(reached)))
    pace.append(("Straight line to the end", end_day, end["cumulative"]))
    traces = [
        go.Scatter(
            name="Disbursed",
            x=[day.isoformat() for _, day, _ in actual],
            y=[_bn(value) for *_, value in actual],
            mode="lines+markers",
            line={"shape": "hv", "color": STAGE_COLOURS["disbursed"], "width": 3},
            customdata=[eur(Decimal(value)) for *_, value in actual],
            hovertemplate="%{x|%d %b %Y}: %{customdata} paid<extra></extra>",
        ),
        go.Scatter(
            name=f"Pace to pay it all by {_long_date(end_day)}",
            x=[day.isoformat() for _, day, _ in pace],
            y=[_bn(value) for *_, value in pace],
            mode="lines+markers",
            line={"dash": "dash", "color": "#7a7a7a", "width": 2},
            customdata=[eur(Decimal(value)) for *_, value in pace],
            hovertemplate="%{x|%d %b %Y}: %{customdata} at an even pace<extra></extra>",
        ),
    ]
    figure = _figure(
        traces,
        xaxis={"type": "date", "gridcolor": "#e5e7eb", "fixedrange": True, "automargin": True},
        yaxis=_money_axis("€ billion, cumulative"),
    )
    rows = [[series, day.isoformat(), value] for series, day, value in [*actual, *pace]]
    return _chart(
        "pace",
        "How fast the money is paid",
        f"Cumulative disbursements against an even pace to {_long_date(end_day)}, € billion, {as_of_text}",
        [("series", "Series"), ("date", "Date"), ("cumulative", "Cumulative (EUR)")],
        rows,
        figure,
        f"A line of the money disbursed so far, stepping up at each payment, beside a dashed straight line "
        f"from nothing on {_long_date(start_day)} to the whole {eur(Decimal(end['cumulative']))} on "
        f"{_long_date(end_day)}.",
    )


def _purposes_chart(instrument: dict[str, Any], as_of_text: str) -> dict[str, Any]:
    rows = []
    for split in instrument["by_purpose"]:
        disbursed = Decimal(split["disbursed"])
        open_commitment = max(Decimal(split["committed"]) - disbursed, Decimal("0.00"))
        rows.append(
            [split["purpose"] or "(no purpose given)", split["disbursed"], str(open_commitment), split["planned"]]
        )
    rows.sort(key=lambda row: -sum(Decimal(value) for value in row[1:]))
    parts = (("disbursed", 1), ("approved_not_disbursed", 2), ("planned", 3))
    traces = [
        go.Bar(
            name=STAGE_LABELS[stage],
            y=[_text(row[0]) for row in rows],
            x=[_bn(row[index]) for row in rows],
            orientation="h",
            marker={"color": STAGE_COLOURS[stage]},
            customdata=[eur(Decimal(row[index])) for row in rows],
            hovertemplate=f"%{{y}}: %{{customdata}} {STAGE_LABELS[stage].lower()}<extra></extra>",
        )
        for stage, index in parts
    ]
    figure = _figure(
        traces,
        barmode="stack",
        xaxis=_money_axis("€ billion"),
        yaxis={"automargin": True, "autorange": "reversed", "fixedrange": True},
    )
    return _chart(
        "purposes",
        "What the money is for",
        f"Tranches by purpose, € billion, {as_of_text}",
        [("purpose", "Purpose"), *((stage, f"{STAGE_LABELS[stage]} (EUR)") for stage, _ in parts)],
        rows,
        figure,
        "Bars, one per purpose of the tranches (such as drones or budget support), split into money "
        "disbursed, approved but not yet paid, and planned.",
    )


def _timeline_chart(instrument: dict[str, Any], as_of_text: str) -> dict[str, Any]:
    """One row per tranche: a line from its first to its latest stage, a marker at each stage date."""
    rows = [
        [tranche["name"], event["stage"], event["date"], tranche["amount"]]
        for tranche in instrument["timeline"]
        for event in sorted(tranche["events"], key=lambda e: e["date"])
    ]
    labels = {t["tranche_id"]: _text(f"{t['name']} ({eur(Decimal(t['amount']))})") for t in instrument["timeline"]}
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
                    name=STAGE_LABELS[stage],
                    x=[day for _, day in points],
                    y=[labels[t["tranche_id"]] for t, _ in points],
                    mode="markers",
                    marker={"size": 12, "color": STAGE_COLOURS[stage], "line": {"width": 1, "color": "#ffffff"}},
                    hovertemplate=f"%{{y}}<br>{STAGE_LABELS[stage].lower()} %{{x|%d %b %Y}}<extra></extra>",
                )
            )
    height = max(220, 90 + 46 * len(labels))
    figure = _figure(
        traces,
        height=height,
        xaxis={"type": "date", "gridcolor": "#e5e7eb", "automargin": True, "fixedrange": True},
        yaxis={"automargin": True, "autorange": "reversed", "fixedrange": True},
    )
    return _chart(
        "timeline",
        "Tranches and their dates",
        f"Each tranche from plan to payment, {as_of_text}",
        [("tranche", "Tranche"), ("stage", "Stage"), ("date", "Date reached"), ("amount", "Tranche (EUR)")],
        rows,
        figure,
        "One row per tranche, with a marker at the date it was planned, approved, disbursed, withheld or cancelled.",
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
    # Two lines when long, so that the bars keep their width on a phone.
    labels = [
        _text(row["instrument"])
        + (" · " if len(row["instrument"] + row["payment"]) < 24 else "<br>")
        + _text(row["payment"])
        for row in assessed
    ]

    def money_note(row: dict[str, Any]) -> str:
        parts = [f"{eur(Decimal(row['paid']))} paid"]
        if row["amount_at_stake"]:
            parts.append(f"of {eur(Decimal(row['amount_at_stake']))} at stake")
        if row["amount_withheld"]:
            parts.append(f"{eur(Decimal(row['amount_withheld']))} withheld")
        return ", ".join(parts)

    traces = [
        go.Bar(
            name=name,
            y=labels,
            x=[row[key] for row in assessed],
            orientation="h",
            marker={"color": STEP_COLOURS[colour]},
            customdata=[[row["steps_due"], money_note(row)] for row in assessed],
            hovertemplate=f"%{{y}}: %{{x}} of %{{customdata[0]}} steps {verb}<br>%{{customdata[1]}}<extra></extra>",
        )
        for name, key, colour, verb in (
            ("Steps met", "steps_met", "met", "met"),
            ("Steps not met", "steps_not_met", "not_met", "not met"),
        )
    ]
    height = max(220, 90 + 46 * len(labels))
    empty = [] if labels else [
        {"text": "No payment's conditions have been assessed yet.", "showarrow": False, "xref": "paper",
         "yref": "paper", "x": 0.5, "y": 0.5}
    ]  # fmt: skip
    figure = _figure(
        traces,
        barmode="stack",
        height=height,
        annotations=empty,
        xaxis={"gridcolor": "#e5e7eb", "rangemode": "tozero", "fixedrange": True, "automargin": True, "dtick": 2},
        yaxis={"automargin": True, "autorange": "reversed", "fixedrange": True},
    )  # fmt: skip
    return _chart(
        "conditions",
        "Reform steps met per payment",
        f"Reform steps met and not met of those due, for each payment assessed, {as_of_text}",
        [("payment", "Payment"), ("instrument", "Instrument"), ("steps_met", "Steps met"),
         ("steps_not_met", "Steps not met"), ("steps_due", "Steps due"), ("amount_at_stake", "Money at stake (EUR)"),
         ("paid", "Paid (EUR)"), ("amount_withheld", "Money withheld (EUR)")],
        rows,
        figure,
        "Bars, one per payment whose conditions were assessed, split into the reform steps met and not met "
        "out of those due.",
    )  # fmt: skip
