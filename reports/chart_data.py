"""The data each public chart needs, taken from one snapshot's payload (no database reads), so
that pages never aggregate. Amounts stay EUR decimal strings. docs/JOBS.md describes each chart."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

CHARTS_SCHEMA_VERSION = 1
MAIN_INSTRUMENT_SLUG = "ukraine-support-loan"
STAGE_BARS = ("disbursed", "approved_not_disbursed", "planned", "withheld", "not_allocated")


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
    """Chart data of every instrument from a snapshot payload (see docs/JOBS.md). Raises KeyError
    if the payload is not of the documented shape."""
    tranches_by_id = {t["id"]: t for t in payload["tranches"]}
    sources = {s["id"]: s for s in payload["sources"]}
    citations_of: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for citation in payload["citations"]:
        target = citation["target"]
        if target is not None:
            citations_of.setdefault((target["type"], target["id"]), []).append(citation)
    disbursements_of: dict[int, list[dict[str, Any]]] = {}
    for disbursement in payload["disbursements"]:
        disbursements_of.setdefault(disbursement["tranche_id"], []).append(disbursement)

    def sources_for(tranche_id: int) -> list[dict[str, Any]]:
        cited = list(citations_of.get(("tranche", tranche_id), []))
        for disbursement in disbursements_of.get(tranche_id, []):
            cited += citations_of.get(("disbursement", disbursement["id"]), [])
        return [
            {
                "figure": c["figure"],
                "quote": c["quote"],
                "claimed_amount": c["claimed_amount"],
                "claimed_currency": c["claimed_currency"],
                "is_used": c["is_used"],
                "source": sources[c["source_id"]],
            }
            for c in cited
            if c["source_id"] in sources
        ]

    instruments = {}
    for instrument in payload["instruments"]:
        tranches = [tranches_by_id[t["id"]] for t in payload["tranches"] if t["instrument_id"] == instrument["id"]]
        instruments[instrument["slug"]] = {
            "name": instrument["name"],
            "short_name": instrument["short_name"],
            "amount": instrument["totals"]["amount"],
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
                    "component": next(
                        (c["name"] for c in instrument["components"] if c["id"] == t["component_id"]), ""
                    ),
                    "stage_date": t[f"{t['stage']}_on"],
                    "disbursements": [
                        {k: d[k] for k in ("value_date", "amount_eur", "usd", "usd_rate", "usd_rate_date")}
                        for d in disbursements_of.get(t["id"], [])
                    ],
                    "sources": sources_for(t["id"]),
                }
                for t in tranches
            ],
        }
    return {
        "schema_version": CHARTS_SCHEMA_VERSION,
        "snapshot_hash": snapshot_hash,
        "as_of": payload["as_of"],
        "main_instrument": MAIN_INSTRUMENT_SLUG if MAIN_INSTRUMENT_SLUG in instruments else None,
        "instruments": instruments,
    }
