"""The record around the money, as sections of a snapshot payload (docs/JOBS.md), by pure functions
over rows the snapshot has read: EU money to Ukraine by instrument and year, each euro counted
once; the conditions ledger; milestones planned vs actual; estimates; open questions.

**Each euro once** (docs/METHODOLOGY-COUNTING.md).

A payment belongs to exactly one instrument: that of the tranche it pays. A payment that went
through another instrument's channel (``Disbursement.paid_through``: budget support of the Ukraine
Support Loan paid as extra Ukraine Facility loans under Regulation (EU) 2026/468) is counted under
its own instrument and only *linked* to the other (``linked_in``), never added to it. So the
all-instruments total is the sum of the distinct payments, and each instrument's total is the sum
of its own payments. Pure functions over the per-day sums the snapshot already reads
(``reports.payments.payments_summed``): no query of their own."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from tranches.models import condition_outcome

from .payments import DayPayments, TranchePayments

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

# The rules, in the words the page shows next to the table (and the payload carries).
COUNTING_RULES: tuple[str, ...] = (
    "The Ukraine Support Loan's €90bn, the Ukraine Facility and the EU share of the G7 ERA loans are "
    "different instruments, each with its own legal basis, amount and payments.",
    "A payment belongs to exactly one instrument, that of the tranche it pays, and is counted there once.",
    "Budget support of the Ukraine Support Loan can be paid as extra Ukraine Facility loans under "
    "Regulation (EU) 2026/468. Such a payment is counted under the Ukraine Support Loan and only linked to "
    "the Facility (shown as “paid through”): it is never added twice.",
    "The Ukraine Facility and the ERA loans are context instruments: they are never added to the €90bn "
    "totals. The all-instruments row adds the distinct payments of every instrument, each once.",
    "Estimates (the interest cost, Ukraine's financing needs) are never money paid and are never added "
    "to these figures.",
    "A year is the calendar year of a payment's value date (where the sources give only the month, of that month).",
)


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def _sums() -> dict[str, Any]:
    return {"paid": ZERO, "count": 0}


def instrument_years(
    instruments: list[dict[str, Any]], days: Iterable[DayPayments], instrument_of: dict[int, int]
) -> dict[str, Any]:
    """The ``instrument_years`` section of a snapshot payload (docs/JOBS.md): per instrument (in the
    order given) and calendar year of the value date, the money paid (EUR) and the number of its
    own payments, with ``linked_in``: the payments of other instruments paid through this one
    (amount, count and whose), never part of its ``paid``; the all-instruments total per year,
    which is the sum of the distinct payments; and the counting rules as text.

    ``days`` are the public payments summed per component, value date and paid-through instrument;
    ``instrument_of`` maps a component id to its instrument id. A payment paid through an
    instrument that is not among ``instruments`` is still counted under its own instrument."""
    ids = [row["id"] for row in instruments]
    own: dict[tuple[int, int], dict[str, Any]] = {}
    linked: dict[tuple[int, int, int], dict[str, Any]] = {}
    for day in days:
        instrument_id = instrument_of[day.component_id]
        year = day.value_date.year
        sums = own.setdefault((instrument_id, year), _sums())
        sums["paid"] += day.disbursed
        sums["count"] += day.count
        if day.paid_through_id is not None and day.paid_through_id != instrument_id:
            link = linked.setdefault((day.paid_through_id, year, instrument_id), _sums())
            link["paid"] += day.disbursed
            link["count"] += day.count
    # A linked payment is also one of its own instrument's, in the same year: its year is here.
    years = sorted({year for instrument_id, year in own if instrument_id in ids})
    short_names = {row["id"]: row["short_name"] for row in instruments}

    def linked_in(instrument_id: int, year: int | None) -> dict[str, Any]:
        parts: dict[int, dict[str, Any]] = {}
        for (through, at, origin), sums in linked.items():
            if through == instrument_id and (year is None or at == year):
                part = parts.setdefault(origin, _sums())
                part["paid"] += sums["paid"]
                part["count"] += sums["count"]
        return {
            "amount": _money(sum((p["paid"] for p in parts.values()), ZERO)),
            "count": sum(p["count"] for p in parts.values()),
            "from": [
                {
                    "instrument_id": origin,
                    "short_name": short_names.get(origin, ""),
                    "amount": _money(part["paid"]),
                    "count": part["count"],
                }
                for origin, part in sorted(parts.items())
            ],
        }

    rows = []
    for instrument in instruments:
        key = instrument["id"]
        per_year = [
            {
                "year": year,
                "paid": _money(own.get((key, year), _sums())["paid"]),
                "count": own.get((key, year), _sums())["count"],
                "linked_in": linked_in(key, year),
            }
            for year in years
        ]
        rows.append(
            {
                **{k: instrument[k] for k in ("id", "slug", "short_name", "name")},
                "years": per_year,
                "total": {
                    "paid": _money(sum((own[k]["paid"] for k in own if k[0] == key), ZERO)),
                    "count": sum(own[k]["count"] for k in own if k[0] == key),
                    "linked_in": linked_in(key, None),
                },
            }
        )
    counted = [k for k in own if k[0] in ids]
    return {
        "rules": list(COUNTING_RULES),
        "years": years,
        "instruments": rows,
        "total": {
            "years": [
                {
                    "year": year,
                    "paid": _money(sum((own[k]["paid"] for k in counted if k[1] == year), ZERO)),
                    "count": sum(own[k]["count"] for k in counted if k[1] == year),
                }
                for year in years
            ],
            "paid": _money(sum((own[k]["paid"] for k in counted), ZERO)),
            "count": sum(own[k]["count"] for k in counted),
        },
    }


# The record around the money --------------------------------------------------------------------


def _day(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _optional(value: Decimal | None) -> str | None:
    return None if value is None else _money(value)


def milestones_section(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Milestones, planned vs actual: ``days_late`` is happened − planned in days (negative when
    early), null unless both dates are known (a plan given only in words, ``planned_note``, has none)."""
    return [
        {
            **{k: row[k] for k in ("id", "instrument_id", "tranche_id", "kind", "title", "planned_note", "notes")},
            "planned_on": _day(row["planned_on"]),
            "happened_on": _day(row["happened_on"]),
            "days_late": (
                (row["happened_on"] - row["planned_on"]).days
                if row["planned_on"] is not None and row["happened_on"] is not None
                else None
            ),
        }
        for row in rows
    ]


def conditions_section(rows: list[dict[str, Any]], paid: dict[int, TranchePayments]) -> dict[str, Any]:
    """The conditions ledger: every condition with its outcome (``condition_outcome``, derived, never
    stored) in ``items``; per payment (tranche) it gates, in ``ledger``: the steps due and met (sums
    over its conditions; met null until one is assessed), the money at stake and withheld (sums,
    null when no condition gives it), the earliest date the money withheld can still be recovered,
    what the tranche was paid (EUR, its own payments) and the outcome: derived from the sums once
    every condition of the payment is assessed, else ``not_assessed``. ``not_assessed`` lists the
    ids of the conditions not assessed yet, whether or not they gate a payment."""
    items = []
    for row in rows:
        items.append(
            {
                **{k: row[k] for k in ("id", "instrument_id", "tranche_id", "title", "area", "notes")},
                **{k: row[k] for k in ("steps_due", "steps_met")},
                "assessed_on": _day(row["assessed_on"]),
                "outcome": str(condition_outcome(row["steps_due"], row["steps_met"]).value),
                "amount_at_stake": _optional(row["amount_at_stake"]),
                "amount_withheld": _optional(row["amount_withheld"]),
                "recoverable_until": _day(row["recoverable_until"]),
            }
        )
    gated: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if row["tranche_id"] is not None:
            gated.setdefault(row["tranche_id"], []).append(row)
    ledger = []
    for tranche_id, conditions in gated.items():
        assessed = [c for c in conditions if c["steps_met"] is not None]
        due = sum(c["steps_due"] for c in conditions)
        met = sum(c["steps_met"] for c in assessed) if assessed else None
        at_stake = [c["amount_at_stake"] for c in conditions if c["amount_at_stake"] is not None]
        withheld = [c["amount_withheld"] for c in conditions if c["amount_withheld"] is not None]
        until = [c["recoverable_until"] for c in conditions if c["recoverable_until"] is not None]
        own = paid.get(tranche_id, TranchePayments())
        ledger.append(
            {
                "tranche_id": tranche_id,
                "instrument_id": conditions[0]["instrument_id"],
                "condition_ids": [c["id"] for c in conditions],
                "steps_due": due,
                "steps_met": met,
                "assessed_on": _day(max((c["assessed_on"] for c in assessed), default=None)),
                "outcome": str(condition_outcome(due, met if len(assessed) == len(conditions) else None).value),
                "amount_at_stake": _optional(sum(at_stake, ZERO)) if at_stake else None,
                "amount_withheld": _optional(sum(withheld, ZERO)) if withheld else None,
                "recoverable_until": _day(min(until, default=None)),
                "paid": _money(own.disbursed),
                "payment_count": own.count,
            }
        )
    ledger.sort(key=lambda r: (r["instrument_id"], r["assessed_on"] is None, r["assessed_on"] or "", r["tranche_id"]))
    return {
        "ledger": ledger,
        "items": items,
        "not_assessed": [item["id"] for item in items if item["steps_met"] is None],
    }


def estimates_section(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Estimates of costs and needs (EUR), graded by their sources: never money paid or committed."""
    return [
        {
            **{k: row[k] for k in ("id", "instrument_id", "kind", "title", "qualifier", "per_year", "notes")},
            "amount": _money(row["amount"]),
            "period_start": _day(row["period_start"]),
            "period_end": _day(row["period_end"]),
        }
        for row in rows
    ]


def questions_section(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """What is not known yet (``is_open``), and what was answered, when and how."""
    return [
        {
            **{k: row[k] for k in ("id", "instrument_id", "question", "would_answer", "answer", "notes")},
            "open_since": _day(row["open_since"]),
            "answered_on": _day(row["answered_on"]),
            "is_open": row["answered_on"] is None,
        }
        for row in rows
    ]


# The record on the pages (chart data) ------------------------------------------------------------
# Built from a snapshot payload only (no database), like the charts: what the dashboard's sections
# show, each figure with the claims (source, grade, quoted passage) that back it.

# A context instrument's payment history lists at most this many payments (its newest), and an
# instrument's table of tranches planned and paid as many tranches (the newest plans); the API lists
# every one. (The synthetic data of the benchmark has tens of thousands.)
PAYMENT_HISTORY_MAX = 200
OUTCOME_LABELS = {
    "not_assessed": "Not assessed yet",
    "met": "Met",
    "partly_met": "Partly met",
    "not_met": "Not met",
}
MILESTONE_LABELS = {
    "proposal": "Commission proposal",
    "consent": "Parliament's consent",
    "regulation": "Regulation adopted",
    "financing_strategy": "Financing strategy approved",
    "memorandum": "Memorandum of Understanding",
    "decision": "Council decision",
    "payment": "Payment",
    "other": "Other",
}
ESTIMATE_LABELS = {"interest": "Interest cost", "needs": "Financing needs"}


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value[:10]) if value else None


def day_text(value: str | None) -> str:
    """'2026-06-25' → '25 Jun 2026' (the pages' date format); '' when there is no date."""
    day = _date(value)
    return f"{day.day} {day:%b %Y}" if day else ""


def payment_date_text(value: str | None, precision: str | None = "day") -> str:
    """A payment's value date as exactly as the sources know it: '25 Jun 2026', 'May 2025' (only the
    month is known) or 'around 25 Jun 2026' (approximate)."""
    day = _date(value)
    if day is None:
        return ""
    if precision == "month":
        return f"{day:%b %Y}"
    if precision == "approximate":
        return f"around {day.day} {day:%b %Y}"
    return f"{day.day} {day:%b %Y}"


def payment_when(value: str | None, precision: str | None = "day") -> str:
    """The same, as it reads after 'Paid €3.2bn': 'on 25 Jun 2026', 'in May 2025', 'around 25 Jun 2026'."""
    text = payment_date_text(value, precision)
    if not text or precision == "approximate":
        return text
    return f"in {text}" if precision == "month" else f"on {text}"


def _claims(payload: dict[str, Any]) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """The claims backing each record, by (kind, id): the figure, the passage quoted, whether the
    figures use it, and its source (publisher, title, address, grade, date)."""
    sources = {s["id"]: s for s in payload.get("sources", [])}
    out: dict[tuple[str, int], list[dict[str, Any]]] = {}
    keys = ("figure", "quote", "claimed_amount", "claimed_currency", "is_used", "locator")
    for citation in payload.get("citations", []):
        target = citation.get("target") or {}
        source = sources.get(citation["source_id"])
        if source is None or not target:
            continue
        claim = {**{k: citation.get(k) for k in keys}, "source": source}
        out.setdefault((target["type"], target["id"]), []).append(claim)
    return out


def _instruments_ordered(payload: dict[str, Any], main: str | None) -> list[dict[str, Any]]:
    """The main instrument first, then the others as the payload orders them (by name)."""
    instruments = payload.get("instruments", [])
    return sorted(instruments, key=lambda i: i["slug"] != main)


def _anchor(instrument: dict[str, Any], main: str | None) -> str:
    return "tranches" if instrument["slug"] == main else f"payments-{instrument['slug']}"


def _money_by_year(payload: dict[str, Any], main: str | None) -> dict[str, Any] | None:
    section = payload.get("instrument_years")
    if section is None:  # a snapshot made before the record was counted this way
        return None
    instruments = {i["id"]: i for i in payload["instruments"]}
    order = {i["id"]: n for n, i in enumerate(_instruments_ordered(payload, main))}
    rows, notes = [], []
    for row in sorted(section["instruments"], key=lambda r: order.get(r["id"], len(order))):
        rows.append(
            {
                **{k: row[k] for k in ("slug", "short_name", "name", "years", "total")},
                "is_main": row["slug"] == main,
                "anchor": _anchor(row, main),
            }
        )
        for year in row["years"]:
            for part in year["linked_in"]["from"]:
                origin = instruments.get(part["instrument_id"], {})
                notes.append(
                    {
                        "year": year["year"],
                        "amount": part["amount"],
                        "count": part["count"],
                        "counted_under": origin.get("short_name", part["short_name"]),
                        "counted_under_name": origin.get("name", ""),
                        "paid_through": row["short_name"],
                        "paid_through_name": row["name"],
                    }
                )
    return {
        "rules": section["rules"],
        "years": section["years"],
        "rows": rows,
        "total": section["total"],
        "linked": notes,
    }


def _payment_row(
    payment: dict[str, Any], tranche: dict[str, Any], claims: list[dict[str, Any]], instruments: dict[int, Any]
) -> dict[str, Any]:
    through_id = payment.get("paid_through_id")
    through = instruments.get(through_id) if through_id is not None else None
    return {
        "id": payment["id"],
        "date": payment_date_text(payment["value_date"], payment.get("value_date_precision")),
        "when": payment_when(payment["value_date"], payment.get("value_date_precision")),
        "value_date": payment["value_date"],
        "precision": payment.get("value_date_precision") or "day",
        "amount_eur": payment["amount_eur"],
        "usd": payment.get("usd"),
        "usd_rate_date": payment.get("usd_rate_date"),
        "tranche": tranche.get("name", ""),
        "tranche_id": payment["tranche_id"],
        "paid_through": through["short_name"] if through else "",
        "paid_through_name": through["name"] if through else "",
        "counted_under": instruments[payment["instrument_id"]]["short_name"]
        if payment["instrument_id"] in instruments
        else "",
        "sources": claims,
    }


def _payment_histories(
    payload: dict[str, Any], main: str | None, claims: dict[tuple[str, int], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The payments of each context instrument (oldest first; its newest PAYMENT_HISTORY_MAX), and
    the payments of other instruments paid through it, marked as counted there."""
    instruments = {i["id"]: i for i in payload["instruments"]}
    tranches = {t["id"]: t for t in payload.get("tranches", [])}
    listed = payload.get("disbursements_listed", True)
    histories = []
    for instrument in _instruments_ordered(payload, main):
        if instrument["slug"] == main:
            continue  # its payments are in the table of its tranches
        own = [p for p in payload.get("disbursements", []) if p["instrument_id"] == instrument["id"]]
        through = [p for p in payload.get("disbursements", []) if p.get("paid_through_id") == instrument["id"]]
        count = instrument["totals"]["disbursement_count"]
        shown = own[-PAYMENT_HISTORY_MAX:] if listed else []
        histories.append(
            {
                **{k: instrument[k] for k in ("slug", "short_name", "name")},
                "anchor": _anchor(instrument, main),
                "disbursed": instrument["totals"]["disbursed"],
                "count": count,
                "not_shown": count - len(shown),
                "payments": [
                    _payment_row(
                        p, tranches.get(p["tranche_id"], {}), claims.get(("disbursement", p["id"]), []), instruments
                    )
                    for p in shown
                ],
                "linked": [
                    _payment_row(
                        p, tranches.get(p["tranche_id"], {}), claims.get(("disbursement", p["id"]), []), instruments
                    )
                    for p in through
                ],
            }
        )
    return histories


def _conditions(payload: dict[str, Any], claims: dict[tuple[str, int], list[dict[str, Any]]]) -> dict[str, Any]:
    section = payload.get("conditions") or {"ledger": [], "items": [], "not_assessed": []}
    instruments = {i["id"]: i for i in payload["instruments"]}
    tranches = {t["id"]: t for t in payload.get("tranches", [])}
    items = {item["id"]: item for item in section["items"]}

    def described(item: dict[str, Any]) -> dict[str, Any]:
        instrument = instruments.get(item["instrument_id"], {})
        return {
            **item,
            "outcome_label": OUTCOME_LABELS[item["outcome"]],
            "instrument": instrument.get("short_name", ""),
            "payment": tranches.get(item["tranche_id"], {}).get("name", "") if item["tranche_id"] else "",
            "assessed": day_text(item["assessed_on"]),
            "recoverable": day_text(item["recoverable_until"]),
            "sources": claims.get(("condition", item["id"]), []),
        }

    ledger = []
    for row in section["ledger"]:
        tranche = tranches.get(row["tranche_id"], {})
        instrument = instruments.get(row["instrument_id"], {})
        conditions = [described(items[i]) for i in row["condition_ids"] if i in items]
        ledger.append(
            {
                **row,
                "payment": tranche.get("name", ""),
                "instrument": instrument.get("short_name", ""),
                "instrument_name": instrument.get("name", ""),
                "outcome_label": OUTCOME_LABELS[row["outcome"]],
                "steps_not_met": None if row["steps_met"] is None else row["steps_due"] - row["steps_met"],
                "assessed": day_text(row["assessed_on"]),
                "recoverable": day_text(row["recoverable_until"]),
                "paid_on": payment_date_text(tranche.get("last_value_date")) if row["payment_count"] else "",
                "paid_value_date": tranche.get("last_value_date") if row["payment_count"] else None,
                "conditions": conditions,
                "sources": [claim for c in conditions for claim in c["sources"]],
            }
        )
    return {
        "ledger": ledger,
        "not_assessed": [described(items[i]) for i in section["not_assessed"] if i in items],
    }


def _milestones(
    payload: dict[str, Any], main: str | None, claims: dict[tuple[str, int], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Per instrument: its milestones (planned, happened, days late) and its tranches' stage dates
    planned next to the dates they were paid (``days``: from the one to the other)."""
    milestones = payload.get("milestones", [])
    precision: dict[int, str] = {}
    for payment in payload.get("disbursements", []):
        precision[payment["tranche_id"]] = payment.get("value_date_precision") or "day"
    out = []
    for instrument in _instruments_ordered(payload, main):
        events = [
            {
                **m,
                "kind_label": MILESTONE_LABELS.get(m["kind"], m["kind"]),
                "planned": day_text(m["planned_on"]),
                "happened": day_text(m["happened_on"]),
                "sources": claims.get(("milestone", m["id"]), []),
            }
            for m in milestones
            if m["instrument_id"] == instrument["id"]
        ]
        planned = []
        for tranche in payload.get("tranches", []):
            if tranche["instrument_id"] != instrument["id"] or not tranche["planned_on"]:
                continue
            paid_on = tranche["disbursed_on"]
            late = (_date(paid_on) - _date(tranche["planned_on"])).days if paid_on else None  # type: ignore[operator]
            planned.append(
                {
                    "tranche_id": tranche["id"],
                    "name": tranche["name"],
                    "amount": tranche["amount"],
                    "planned_on": tranche["planned_on"],
                    "planned": day_text(tranche["planned_on"]),
                    "disbursed": payment_date_text(paid_on, precision.get(tranche["id"], "day")) if paid_on else "",
                    # the same date for the pages, which write it in their language
                    "disbursed_on": paid_on,
                    "disbursed_precision": precision.get(tranche["id"], "day"),
                    "days": late,
                    "sources": claims.get(("tranche", tranche["id"]), []),
                }
            )
        planned.sort(key=lambda row: (row["planned_on"], row["tranche_id"]))
        if events or planned:
            out.append(
                {
                    **{k: instrument[k] for k in ("slug", "short_name", "name")},
                    "events": events,
                    "tranches": planned[-PAYMENT_HISTORY_MAX:],  # the newest plans; the API lists them all
                    "tranches_not_shown": max(len(planned) - PAYMENT_HISTORY_MAX, 0),
                }
            )
    return out


def _period_text(start: str, end: str | None, per_year: bool) -> str:
    first, last = _date(start), _date(end)
    assert first is not None  # noqa: S101 (an estimate always has its period's start)
    if last is None:
        return (
            f"each year from {first.year}"
            if per_year and first.month == first.day == 1
            else (f"from {first.day} {first:%b %Y}")
        )
    whole_years = (first.month, first.day, last.month, last.day) == (1, 1, 12, 31)
    if whole_years:
        span = str(first.year) if first.year == last.year else f"{first.year}–{last.year}"
        return f"{span}, each year" if per_year else span
    return f"{first.day} {first:%b %Y} to {last.day} {last:%b %Y}" + (", each year" if per_year else "")


def _estimates(payload: dict[str, Any], claims: dict[tuple[str, int], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    instruments = {i["id"]: i for i in payload["instruments"]}
    return [
        {
            **e,
            "kind_label": ESTIMATE_LABELS.get(e["kind"], e["kind"]),
            "instrument": instruments.get(e["instrument_id"], {}).get("short_name", "") if e["instrument_id"] else "",
            "period": _period_text(e["period_start"], e["period_end"], e["per_year"]),
            "sources": claims.get(("estimate", e["id"]), []),
        }
        for e in payload.get("estimates", [])
    ]


def _questions(payload: dict[str, Any], claims: dict[tuple[str, int], list[dict[str, Any]]]) -> dict[str, Any]:
    instruments = {i["id"]: i for i in payload["instruments"]}
    rows = [
        {
            **q,
            "instrument": instruments.get(q["instrument_id"], {}).get("short_name", "") if q["instrument_id"] else "",
            "since": day_text(q["open_since"]),
            "answered": day_text(q["answered_on"]),
            "sources": claims.get(("open_question", q["id"]), []),
        }
        for q in payload.get("open_questions", [])
    ]
    return {"open": [q for q in rows if q["is_open"]], "answered": [q for q in rows if not q["is_open"]]}


def record_build(payload: dict[str, Any], main: str | None) -> dict[str, Any]:
    """The record's sections of the dashboard from a snapshot payload (docs/DASHBOARD.md): money by
    instrument and year counted once (None for a snapshot made before it was counted), the context
    instruments' payment histories, the conditions ledger, milestones planned vs actual, estimates
    and open questions, each row with the claims that back it. Reads no database."""
    claims = _claims(payload)
    return {
        "money": _money_by_year(payload, main),
        "payments": _payment_histories(payload, main, claims),
        "conditions": _conditions(payload, claims),
        "milestones": _milestones(payload, main, claims),
        "estimates": _estimates(payload, claims),
        "questions": _questions(payload, claims),
    }
