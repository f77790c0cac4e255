"""Builds the payload of a figure snapshot from published data only (``public_versions``).

Every sum is computed by the database (``values().annotate(Sum(...))``, ``TruncMonth``); Python only
formats the grouped rows and keeps running totals over months. The number of queries is constant,
whatever the number of tranches or disbursements (pinned by tests/reports/test_figures.py).
The shape of the payload is documented in docs/JOBS.md; change it only with ``SCHEMA_VERSION``."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncMonth

from tranches.models import Citation, Component, Disbursement, Instrument, Source, Stage, Status, Tranche
from tranches.selectors import public_versions

from .models import ExchangeRate

SCHEMA_VERSION = 1
USD = "USD"
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
ZERO = Decimal("0.00")
COMMITTED_STAGES = (Stage.APPROVED, Stage.DISBURSED)
USD_RULE = (
    "Each disbursement in EUR times the ECB euro reference rate (USD per 1 EUR) of its value date, "
    "or of the last ECB business day before it when the ECB published no rate that day."
)
FIGURE_MODELS = (Instrument, Component, Tranche, Disbursement, Source, Citation)


def money(value: Decimal | None) -> str:
    """A Decimal amount as a string with cents ('3900000000.00'); None and missing sums are '0.00'."""
    return str((value or ZERO).quantize(CENT))


def _optional_money(value: Decimal | None) -> str | None:
    return None if value is None else money(value)


def _day(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _querysets() -> dict[str, QuerySet[Any]]:
    """The public versions, each restricted to records whose parents are public too."""
    instruments = public_versions(Instrument)
    components = public_versions(Component).filter(instrument_id__in=instruments.values("id"))
    tranches = public_versions(Tranche).filter(component_id__in=components.values("id"))
    instrument_of_component = Subquery(
        public_versions(Component).filter(id=OuterRef("component_id")).values("instrument_id")[:1]
    )
    tranches = tranches.annotate(instrument_id=instrument_of_component)

    def tranche_field(field: str) -> Subquery:
        return Subquery(public_versions(Tranche).filter(id=OuterRef("tranche_id")).values(field)[:1])

    def rate_field(field: str) -> Subquery:
        rates = ExchangeRate.objects.filter(currency=USD, date__lte=OuterRef("value_date")).order_by("-date")
        return Subquery(rates.values(field)[:1])

    disbursements = (
        public_versions(Disbursement)
        .filter(tranche_id__in=tranches.values("id"))
        .annotate(
            component_id=tranche_field("component_id"),
            purpose=tranche_field("purpose"),
            budget_year=tranche_field("budget_year"),
            month=TruncMonth("value_date"),
            usd_rate=rate_field("rate"),
            usd_rate_date=rate_field("date"),
        )
        .annotate(
            instrument_id=Subquery(
                public_versions(Component).filter(id=OuterRef("component_id")).values("instrument_id")[:1]
            ),
            usd=ExpressionWrapper(
                F("amount_eur") * F("usd_rate"), output_field=DecimalField(max_digits=30, decimal_places=8)
            ),
        )
    )
    return {
        "instruments": instruments,
        "components": components,
        "tranches": tranches,
        "disbursements": disbursements,
        "sources": public_versions(Source),
        "citations": public_versions(Citation).filter(source_id__in=public_versions(Source).values("id")),
    }


def _tranche_sums(tranches: QuerySet[Any], keys: Iterable[str]) -> list[dict[str, Any]]:
    return list(
        tranches.order_by()
        .values(*keys)
        .annotate(
            planned=Sum("amount", filter=Q(stage=Stage.PLANNED)),
            approved=Sum("amount", filter=Q(stage=Stage.APPROVED)),
            committed=Sum("amount", filter=Q(stage__in=COMMITTED_STAGES)),
            withheld=Sum("amount", filter=Q(stage=Stage.WITHHELD)),
            cancelled=Sum("amount", filter=Q(stage=Stage.CANCELLED)),
            allocated=Sum("amount", filter=~Q(stage=Stage.CANCELLED)),
            tranche_count=Count("id"),
        )
    )


def _disbursement_sums(disbursements: QuerySet[Any], keys: Iterable[str]) -> list[dict[str, Any]]:
    return list(
        disbursements.order_by()
        .values(*keys)
        .annotate(
            disbursed=Sum("amount_eur"),
            disbursed_usd=Sum("usd"),
            without_rate=Count("id", filter=Q(usd_rate__isnull=True)),
            disbursement_count=Count("id"),
        )
    )


def _totals(amount: Decimal, tranche_row: dict[str, Any] | None, disbursement_row: dict[str, Any] | None) -> dict:
    t = tranche_row or {}
    d = disbursement_row or {}
    disbursed = d.get("disbursed") or ZERO
    allocated = t.get("allocated") or ZERO
    percent = (disbursed * 100 / amount).quantize(TENTH) if amount else ZERO
    return {
        "amount": money(amount),
        "planned": money(t.get("planned")),
        "approved": money(t.get("approved")),
        "committed": money(t.get("committed")),
        "withheld": money(t.get("withheld")),
        "cancelled": money(t.get("cancelled")),
        "allocated": money(allocated),
        "not_allocated": money(amount - allocated),
        "disbursed": money(disbursed),
        "remaining": money(amount - disbursed),
        "percent_disbursed": str(percent),
        "disbursed_usd": money(d.get("disbursed_usd")) if not d.get("without_rate") else None,
        "tranche_count": t.get("tranche_count") or 0,
        "disbursement_count": d.get("disbursement_count") or 0,
    }


def _splits(
    level: str, field: str, tranche_rows: list[dict[str, Any]], disbursement_rows: list[dict[str, Any]]
) -> dict[Any, list[dict[str, Any]]]:
    """Per id of ``level``: the money by ``field`` (purpose or budget year), sorted by that field."""
    disbursed = {(row[level], row[field]): row for row in disbursement_rows}
    out: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    keys = {(row[level], row[field]) for row in tranche_rows} | set(disbursed)
    rows = {(row[level], row[field]): row for row in tranche_rows}
    for key in sorted(keys, key=lambda k: (k[0], k[1] is None, k[1] if k[1] is not None else 0)):
        t, d = rows.get(key, {}), disbursed.get(key, {})
        out[key[0]].append(
            {
                field: key[1],
                "allocated": money(t.get("allocated")),
                "planned": money(t.get("planned")),
                "committed": money(t.get("committed")),
                "disbursed": money(d.get("disbursed")),
            }
        )
    return out


def _months(level: str, rows: list[dict[str, Any]]) -> dict[Any, list[dict[str, Any]]]:
    """Per id of ``level``: disbursed per month and the running total (cumulative), oldest first."""
    out: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    running: dict[Any, Decimal] = defaultdict(Decimal)
    for row in sorted(rows, key=lambda r: (r[level], r["month"])):
        running[row[level]] += row["disbursed"]
        month = row["month"]
        out[row[level]].append(
            {"month": f"{month:%Y-%m}", "disbursed": money(row["disbursed"]), "cumulative": money(running[row[level]])}
        )
    return out


def figures_build() -> tuple[dict[str, Any], datetime.datetime | None]:
    """The snapshot payload (EUR decimal strings; USD at ECB rates) and the time its data was last
    published (None when nothing is published). Reads only; raises nothing of its own."""
    qs = _querysets()
    tranches, disbursements = qs["tranches"], qs["disbursements"]
    instruments = list(
        qs["instruments"]
        .order_by("name")
        .values("id", "slug", "short_name", "name", "amount", "period_start", "period_end", "history_date")
    )
    components = list(
        qs["components"]
        .order_by("-amount", "name")
        .values("id", "instrument_id", "slug", "name", "amount", "history_date")
    )
    per_level: dict[str, dict[str, Any]] = {}
    for level in ("instrument_id", "component_id"):
        per_level[level] = {
            "tranches": {row[level]: row for row in _tranche_sums(tranches, [level])},
            "disbursements": {row[level]: row for row in _disbursement_sums(disbursements, [level])},
            "by_purpose": _splits(
                level,
                "purpose",
                _tranche_sums(tranches, [level, "purpose"]),
                _disbursement_sums(disbursements, [level, "purpose"]),
            ),
            "by_budget_year": _splits(
                level,
                "budget_year",
                _tranche_sums(tranches, [level, "budget_year"]),
                _disbursement_sums(disbursements, [level, "budget_year"]),
            ),
            "months": _months(level, _disbursement_sums(disbursements, [level, "month"])),
        }

    def figures(level: str, key: int, amount: Decimal) -> dict[str, Any]:
        data = per_level[level]
        return {
            "totals": _totals(amount, data["tranches"].get(key), data["disbursements"].get(key)),
            "by_purpose": data["by_purpose"].get(key, []),
            "by_budget_year": data["by_budget_year"].get(key, []),
            "cumulative_by_month": data["months"].get(key, []),
        }

    tranche_rows = list(
        tranches.order_by("component_id", "planned_on", "name", "id").values(
            "id", "instrument_id", "component_id", "name", "slug", "purpose", "amount", "stage", "budget_year",
            "planned_on", "approved_on", "disbursed_on", "withheld_on", "cancelled_on", "history_date",
        )
    )  # fmt: skip
    disbursement_rows = list(
        disbursements.order_by("value_date", "id").values(
            "id", "tranche_id", "component_id", "instrument_id", "value_date", "amount_eur", "reported_amount",
            "reported_currency", "usd", "usd_rate", "usd_rate_date", "history_date",
        )
    )  # fmt: skip
    source_rows = list(
        qs["sources"].order_by("grade", "publisher", "title", "id").values(
            "id", "publisher", "title", "published_on", "url", "grade", "history_date"
        )
    )  # fmt: skip
    citation_rows = list(
        qs["citations"].order_by("id").values(
            "id", "source_id", "instrument_id", "component_id", "tranche_id", "disbursement_id", "figure", "quote",
            "claimed_amount", "claimed_currency", "is_used", "locator", "history_date",
        )
    )  # fmt: skip
    all_rows = [*instruments, *components, *tranche_rows, *disbursement_rows, *source_rows, *citation_rows]
    as_of = max((row["history_date"] for row in all_rows), default=None)

    payload: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "as_of": as_of.isoformat() if as_of else None,
        "currency": "EUR",
        "usd": {"currency": USD, "source": "ECB euro foreign exchange reference rates", "rule": USD_RULE},
        "instruments": [
            {
                "id": row["id"],
                "slug": row["slug"],
                "short_name": row["short_name"],
                "name": row["name"],
                "period_start": _day(row["period_start"]),
                "period_end": _day(row["period_end"]),
                **figures("instrument_id", row["id"], row["amount"]),
                "components": [
                    {
                        "id": c["id"],
                        "slug": c["slug"],
                        "name": c["name"],
                        **figures("component_id", c["id"], c["amount"]),
                    }
                    for c in components
                    if c["instrument_id"] == row["id"]
                ],
            }
            for row in instruments
        ],
        "tranches": [
            {
                **{k: row[k] for k in ("id", "instrument_id", "component_id", "name", "slug", "purpose", "stage")},
                "amount": money(row["amount"]),
                "budget_year": row["budget_year"],
                **{
                    k: _day(row[k])
                    for k in ("planned_on", "approved_on", "disbursed_on", "withheld_on", "cancelled_on")
                },
            }
            for row in tranche_rows
        ],
        "disbursements": [
            {
                **{k: row[k] for k in ("id", "tranche_id", "component_id", "instrument_id", "reported_currency")},
                "value_date": _day(row["value_date"]),
                "amount_eur": money(row["amount_eur"]),
                "reported_amount": _optional_money(row["reported_amount"]),
                "usd": _optional_money(row["usd"]),
                "usd_rate": None if row["usd_rate"] is None else str(row["usd_rate"].normalize()),
                "usd_rate_date": _day(row["usd_rate_date"]),
            }
            for row in disbursement_rows
        ],
        "sources": [
            {
                **{k: row[k] for k in ("id", "publisher", "title", "url", "grade")},
                "published_on": _day(row["published_on"]),
            }
            for row in source_rows
        ],
        "citations": [
            {
                **{k: row[k] for k in ("id", "source_id", "figure", "quote", "claimed_currency", "is_used", "locator")},
                "target": next(
                    ({"type": t, "id": row[f"{t}_id"]} for t in Citation.TARGETS if row[f"{t}_id"] is not None), None
                ),
                "claimed_amount": _optional_money(row["claimed_amount"]),
            }
            for row in citation_rows
        ],
    }
    return payload, as_of


def payload_hash(payload: dict[str, Any]) -> str:
    """SHA-256 (hex) of the payload without ``as_of``: the same figures give the same hash."""
    content = {key: value for key, value in payload.items() if key != "as_of"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def figures_fingerprint() -> str:
    """A cheap marker of the inputs (latest published history row of each model, exchange rates):
    unchanged means a rebuild would give the same figures. One query per model."""
    parts = [
        str(model.history.model.objects.filter(status=Status.PUBLISHED).aggregate(m=Max("history_id"))["m"])
        for model in FIGURE_MODELS
    ]
    rates = ExchangeRate.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    parts += [str(rates["n"]), rates["last"].isoformat() if rates["last"] else "-"]
    return "/".join(parts)
