"""Chart data: what the charts job stores for one snapshot (``chart_data_build``), from its payload
only. Amounts stay EUR decimal strings; the Plotly figures and their texts come from
``languages.charts_in_languages``."""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

from ..instruments import payment_when, record_build
from .languages import charts_in_languages

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


def _month_end(month: str) -> datetime.date:
    year, number = (int(part) for part in month.split("-"))
    return datetime.date(year, number, calendar.monthrange(year, number)[1])
