"""Builds the payload of a figure snapshot from one release's published rows (``public_versions``).

The database does the work that grows with the data: it reads the payments once and sums them per
tranche and per component and day (``reports.payments``). Python adds those few rows and the
tranches up into the totals, splits, months and USD equivalents, exactly (Decimal), and formats
them. The number of queries is constant, whatever the number of tranches or disbursements (pinned by
tests/reports/test_figures.py); a million payments take seconds (docs/BENCHMARKS.md). The record
around the money (money by instrument and year counted once, conditions, milestones, estimates,
open questions) is added by ``reports.instruments`` from rows read here.
The shape of the payload is documented in docs/JOBS.md; change it only with ``SCHEMA_VERSION``."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Max, OuterRef, QuerySet, Subquery
from django.db.models.expressions import OrderBy

from tranches.models import (
    Citation,
    Component,
    Condition,
    Disbursement,
    Estimate,
    Instrument,
    Milestone,
    OpenQuestion,
    Publishable,
    Release,
    Source,
    Stage,
    Tranche,
)
from tranches.selectors import public_versions

from .instruments import conditions_section, estimates_section, instrument_years, milestones_section, questions_section
from .models import ExchangeRate
from .payments import DayPayments, TranchePayments, UsdRates, payments_summed

# 3: instrument_years, conditions, milestones, estimates, open_questions; payments' value_date_precision
# and paid_through_id; citations of the record's new kinds (docs/JOBS.md).
SCHEMA_VERSION = 3
USD = "USD"
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
ZERO = Decimal("0.00")
COMMITTED_STAGES = (Stage.APPROVED, Stage.DISBURSED)
STAGE_SUMS = ("planned", "approved", "committed", "withheld", "cancelled", "allocated")
# Payments are listed one by one in the payload up to this many (docs/JOBS.md); beyond, the
# per-tranche, per-component and per-instrument figures carry them and the list is empty.
LISTED_DISBURSEMENTS_MAX = 10_000
USD_RULE = (
    "Each disbursement in EUR times the ECB euro reference rate (USD per 1 EUR) of its value date, "
    "or of the last ECB business day before it when the ECB published no rate that day."
)
FIGURE_MODELS = (
    Instrument, Component, Tranche, Disbursement, Source, Milestone, Condition, Estimate, OpenQuestion, Citation,
)  # fmt: skip


def money(value: Decimal | None) -> str:
    """A Decimal amount as a string with cents ('3900000000.00'); None and missing sums are '0.00'."""
    return str((value or ZERO).quantize(CENT))


def _optional_money(value: Decimal | None) -> str | None:
    return None if value is None else money(value)


def _day(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _last(field: str) -> OrderBy:
    """Ascending, empty dates last, on every database (SQLite and PostgreSQL differ by default)."""
    return F(field).asc(nulls_last=True)


def _querysets(release: int) -> dict[str, QuerySet[Any]]:
    """The records as they stand in ``release`` (its checks keep every parent public)."""

    def public(model: type[Publishable]) -> QuerySet[Any]:
        return public_versions(model, release=release)

    tranche_of_disbursement = Subquery(
        public(Disbursement).filter(id=OuterRef("disbursement_id")).values("tranche_id")[:1]
    )
    return {
        "instruments": public(Instrument),
        "components": public(Component),
        "tranches": public(Tranche),
        "disbursements": public(Disbursement),
        "sources": public(Source),
        "milestones": public(Milestone),
        "conditions": public(Condition),
        "estimates": public(Estimate),
        "open_questions": public(OpenQuestion),
        "citations": public(Citation).annotate(disbursement_tranche_id=tranche_of_disbursement),
    }


def _tranche_sums(tranches: Iterable[dict[str, Any]], *groupings: tuple[str, ...]) -> list[list[dict[str, Any]]]:
    """Tranche amounts by stage (EUR), for each grouping one row per value of its keys that has a
    tranche; one pass over the tranches."""
    grouped: list[dict[tuple[Any, ...], dict[str, Any]]] = [{} for _ in groupings]
    for tranche in tranches:
        amount, stage = tranche["amount"], tranche["stage"]
        for keys, groups in zip(groupings, grouped, strict=True):
            key = tuple(tranche[k] for k in keys)
            row = groups.get(key)
            if row is None:
                row = groups[key] = dict(zip(keys, key, strict=True)) | dict.fromkeys(STAGE_SUMS, ZERO)
                row["tranche_count"] = 0
            row["tranche_count"] += 1
            if stage in STAGE_SUMS:
                row[stage] += amount
            if stage in COMMITTED_STAGES:
                row["committed"] += amount
            if stage != Stage.CANCELLED:
                row["allocated"] += amount
    return [list(groups.values()) for groups in grouped]


def _paid_sums(
    tranches: Iterable[dict[str, Any]], paid: dict[int, TranchePayments], *groupings: tuple[str, ...]
) -> list[list[dict[str, Any]]]:
    """Payments (EUR) added up by tranche attributes (level, purpose, budget year), for each
    grouping one row per value of its keys that has a payment; one pass over the tranches."""
    grouped: list[dict[tuple[Any, ...], dict[str, Any]]] = [{} for _ in groupings]
    for tranche in tranches:
        payments = paid.get(tranche["id"])
        if payments is None:
            continue
        for keys, groups in zip(groupings, grouped, strict=True):
            key = tuple(tranche[k] for k in keys)
            row = groups.setdefault(key, dict(zip(keys, key, strict=True)) | {"disbursed": ZERO})
            row["disbursed"] += payments.disbursed
    return [list(groups.values()) for groups in grouped]


def _day_sums(
    days: Iterable[DayPayments], instrument_of: dict[int, int], rates: UsdRates
) -> tuple[dict[str, dict[int, dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    """Per level (instrument_id, component_id): totals of the payments with their USD at the ECB rate
    of each value date, and the sums per month."""
    totals: dict[str, dict[int, dict[str, Any]]] = {"instrument_id": {}, "component_id": {}}
    months: dict[str, dict[tuple[int, datetime.date], Decimal]] = {"instrument_id": {}, "component_id": {}}
    for day in days:
        rate = rates.on(day.value_date)
        month = day.value_date.replace(day=1)
        for level, key in (("component_id", day.component_id), ("instrument_id", instrument_of[day.component_id])):
            row = totals[level].setdefault(
                key, {"disbursed": ZERO, "disbursed_usd": ZERO, "without_rate": 0, "disbursement_count": 0}
            )
            row["disbursed"] += day.disbursed
            row["disbursement_count"] += day.count
            if rate is None:
                row["without_rate"] += day.count
            else:
                row["disbursed_usd"] += day.disbursed * rate[1]
            months[level][key, month] = months[level].get((key, month), ZERO) + day.disbursed
    month_rows = {
        level: [{level: key, "month": month, "disbursed": total} for (key, month), total in sums.items()]
        for level, sums in months.items()
    }
    return totals, month_rows


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


def _target(row: dict[str, Any]) -> dict[str, Any] | None:
    """What a citation backs; a payment's also names its tranche (the charts list it there)."""
    for kind in Citation.TARGETS:
        if row[f"{kind}_id"] is not None:
            target = {"type": kind, "id": row[f"{kind}_id"]}
            if kind == "disbursement":
                target["tranche_id"] = row["disbursement_tranche_id"]
            return target
    return None


def figures_build(*, release: Release) -> tuple[dict[str, Any], datetime.datetime]:
    """The snapshot payload of ``release`` (EUR decimal strings; USD at ECB rates) and the time
    that release was published. Reads only that release's published rows, so the figures are one
    consistent state whatever commits meanwhile; raises nothing of its own.

    The payments are read once (``payments_summed``: per tranche, and per component and day); the
    tranches (tens of thousands at most) are added up here. Each payment is also listed, with its
    USD, while there are at most ``LISTED_DISBURSEMENTS_MAX``; beyond, the list is empty,
    ``disbursements_listed`` is false and the API's /disbursements/ (with ``as_of``) lists them."""
    qs = _querysets(release.number)
    instruments = list(
        qs["instruments"]
        .order_by("name")
        .values("id", "slug", "short_name", "name", "amount", "period_start", "period_end", "published_at")
    )
    components = list(
        qs["components"]
        .order_by("-amount", "name")
        .values("id", "instrument_id", "slug", "name", "amount", "published_at")
    )
    instrument_of = {c["id"]: c["instrument_id"] for c in components}
    tranche_rows = list(
        qs["tranches"].order_by("component_id", "planned_on", "name", "id").values(
            "id", "component_id", "name", "slug", "purpose", "amount", "stage", "budget_year",
            "planned_on", "approved_on", "disbursed_on", "withheld_on", "cancelled_on", "published_at",
        )
    )  # fmt: skip
    for row in tranche_rows:
        row["instrument_id"] = instrument_of[row["component_id"]]
    all_paid, days = payments_summed(qs["disbursements"], qs["tranches"])
    paid = {row["id"]: all_paid[row["id"]] for row in tranche_rows if row["id"] in all_paid}
    rates = UsdRates()
    # Read only when kept: the payments are counted already, and at scale the planner would sort
    # them all for the first LISTED_DISBURSEMENTS_MAX (its estimate of public versions is low).
    listed = []
    if sum(p.count for p in paid.values()) <= LISTED_DISBURSEMENTS_MAX:
        listed = list(
            qs["disbursements"].order_by("value_date", "id").values(
                "id", "tranche_id", "value_date", "value_date_precision", "amount_eur", "reported_amount",
                "reported_currency", "paid_through_id",
            )
        )  # fmt: skip
    source_rows = list(
        qs["sources"].order_by("grade", "publisher", "title", "id").values(
            "id", "publisher", "title", "published_on", "url", "grade", "published_at"
        )
    )  # fmt: skip
    citation_rows = list(
        qs["citations"].order_by("id").values(
            *(f"{kind}_id" for kind in Citation.TARGETS), "id", "source_id", "figure", "quote",
            "claimed_amount", "claimed_currency", "is_used", "locator", "published_at", "disbursement_tranche_id",
        )
    )  # fmt: skip
    milestone_rows = list(
        qs["milestones"].order_by("instrument_id", _last("happened_on"), _last("planned_on"), "id").values(
            "id", "instrument_id", "tranche_id", "kind", "title", "planned_on", "planned_note", "happened_on", "notes"
        )
    )  # fmt: skip
    condition_rows = list(
        qs["conditions"].order_by("instrument_id", _last("tranche_id"), "id").values(
            "id", "instrument_id", "tranche_id", "title", "area", "steps_due", "steps_met", "assessed_on",
            "amount_at_stake", "amount_withheld", "recoverable_until", "notes",
        )
    )  # fmt: skip
    estimate_rows = list(
        qs["estimates"].order_by("kind", "period_start", "id").values(
            "id", "instrument_id", "kind", "title", "amount", "qualifier", "per_year", "period_start", "period_end",
            "notes",
        )
    )  # fmt: skip
    question_rows = list(
        qs["open_questions"].order_by(F("answered_on").asc(nulls_first=True), "open_since", "id").values(
            "id", "instrument_id", "question", "open_since", "would_answer", "answered_on", "answer", "notes"
        )
    )  # fmt: skip
    as_of = release.published_at

    day_totals, month_rows = _day_sums(days, instrument_of, rates)
    per_level: dict[str, dict[str, Any]] = {}
    for level in ("instrument_id", "component_id"):
        by_level, by_purpose, by_year = _tranche_sums(
            tranche_rows, (level,), (level, "purpose"), (level, "budget_year")
        )
        paid_by_purpose, paid_by_year = _paid_sums(tranche_rows, paid, (level, "purpose"), (level, "budget_year"))
        level_payments = [{level: key, **row} for key, row in day_totals[level].items()]
        first_last: dict[int, tuple[datetime.date, datetime.date]] = {}
        for row in tranche_rows:
            tp = paid.get(row["id"])
            if tp and tp.first_value_date and tp.last_value_date:
                first, last = first_last.get(row[level], (tp.first_value_date, tp.last_value_date))
                first_last[row[level]] = (min(first, tp.first_value_date), max(last, tp.last_value_date))
        per_level[level] = {
            "tranches": {row[level]: row for row in by_level},
            "disbursements": {row[level]: row for row in level_payments},
            "by_purpose": _splits(
                level,
                "purpose",
                by_purpose,
                paid_by_purpose,
            ),
            "by_budget_year": _splits(
                level,
                "budget_year",
                by_year,
                paid_by_year,
            ),
            "months": _months(level, month_rows[level]),
            "first_last": first_last,
        }

    def figures(level: str, key: int, amount: Decimal) -> dict[str, Any]:
        data = per_level[level]
        first, last = data["first_last"].get(key, (None, None))
        return {
            "totals": _totals(amount, data["tranches"].get(key), data["disbursements"].get(key)),
            "by_purpose": data["by_purpose"].get(key, []),
            "by_budget_year": data["by_budget_year"].get(key, []),
            "cumulative_by_month": data["months"].get(key, []),
            "first_value_date": _day(first),
            "last_value_date": _day(last),
        }

    tranche_of = {row["id"]: row for row in tranche_rows}
    no_payments = TranchePayments()

    def listed_row(row: dict[str, Any]) -> dict[str, Any]:
        tranche = tranche_of[row["tranche_id"]]
        rate = rates.on(row["value_date"])
        return {
            "id": row["id"],
            "tranche_id": row["tranche_id"],
            "component_id": tranche["component_id"],
            "instrument_id": tranche["instrument_id"],
            "reported_currency": row["reported_currency"],
            "value_date": _day(row["value_date"]),
            "value_date_precision": row["value_date_precision"],
            "paid_through_id": row["paid_through_id"],
            "amount_eur": money(row["amount_eur"]),
            "reported_amount": _optional_money(row["reported_amount"]),
            "usd": None if rate is None else money(row["amount_eur"] * rate[1]),
            "usd_rate": None if rate is None else str(rate[1].normalize()),
            "usd_rate_date": None if rate is None else _day(rate[0]),
        }

    payload: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "as_of": as_of.isoformat(),
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
                "disbursed": money((own := paid.get(row["id"], no_payments)).disbursed),
                "disbursement_count": own.count,
                "first_value_date": _day(own.first_value_date),
                "last_value_date": _day(own.last_value_date),
            }
            for row in tranche_rows
        ],
        "disbursements_listed": len(listed) == sum(p.count for p in paid.values()),
        "disbursements": [listed_row(row) for row in listed if row["tranche_id"] in tranche_of],
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
                "target": _target(row),
                "claimed_amount": _optional_money(row["claimed_amount"]),
            }
            for row in citation_rows
        ],
        "instrument_years": instrument_years(instruments, days, instrument_of),
        "conditions": conditions_section(condition_rows, paid),
        "milestones": milestones_section(milestone_rows),
        "estimates": estimates_section(estimate_rows),
        "open_questions": questions_section(question_rows),
    }
    return payload, as_of


def payload_hash(payload: dict[str, Any]) -> str:
    """SHA-256 (hex) of the payload without ``as_of``: the same figures give the same hash."""
    content = {key: value for key, value in payload.items() if key != "as_of"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def figures_fingerprint(release: int | None = None) -> str:
    """What the figures are built from: the payload's shape (``SCHEMA_VERSION``: a deployment that
    changes it rebuilds the figures at the next refresh), a release's number (default: the latest)
    and the exchange rates (their count and last change). Unchanged means a rebuild would give the
    same figures, and any public read of the loan data the same answer. One or two queries."""
    rates = ExchangeRate.objects.aggregate(count=Count("pk"), changed=Max("updated_at"))
    if release is None:
        release = Release.objects.aggregate(last=Max("number"))["last"] or 0
    changed = rates["changed"].isoformat() if rates["changed"] else "-"
    return f"schema {SCHEMA_VERSION}/release {release}/rates {rates['count']} {changed}"
