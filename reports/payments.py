"""The published payments summed for a figure snapshot, in one pass over them.

Payments are the one table that grows large (a million rows in the benchmark, docs/BENCHMARKS.md).
One SQL statement reads their public versions once (``public_versions``, a common table expression)
and returns two small groupings of it: per tranche (sum, count, first and last value date) and per
component, value date and the instrument a payment was paid through, if any (sum, count). The
snapshot adds everything else up from those rows: the components' and instruments' totals and
months, the splits by purpose and budget year (attributes of the tranche), the money by instrument
and year counted once (``reports.instruments``), and the USD equivalents, each day's sum times that
day's ECB rate — the same dollars, exactly, as each payment times its rate (Decimal arithmetic, no
rounding before the end).

It is plain SQL, not the ORM, only because the ORM cannot join two subqueries: the component of a
payment is that of its tranche's *public* version, which is not a relation the models declare. The
subqueries themselves are compiled by the ORM (``public_versions`` of one release), so "public" has
one definition.
"""

from __future__ import annotations

import datetime
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from .models import ExchangeRate

USD = "USD"
ZERO = Decimal("0.00")


@dataclass
class TranchePayments:
    """The public payments of one tranche (EUR)."""

    disbursed: Decimal = ZERO
    count: int = 0
    first_value_date: datetime.date | None = None
    last_value_date: datetime.date | None = None


@dataclass(frozen=True)
class DayPayments:
    """The public payments of one component on one value date (EUR), paid through one channel:
    ``paid_through_id`` is the other instrument they went through (docs/METHODOLOGY-COUNTING.md),
    None for the instrument's own channel. They count under the component's instrument either way."""

    component_id: int
    value_date: datetime.date
    disbursed: Decimal
    count: int
    paid_through_id: int | None = None


def _decimal(value: Any) -> Decimal:
    # SQLite sums decimals as floats; PostgreSQL returns Decimals.
    return value if isinstance(value, Decimal) else Decimal(str(value)).quantize(Decimal("0.01"))


def _date(value: Any) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def _sql(queryset: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    sql, params = queryset.order_by().query.sql_with_params()
    return sql, tuple(params)


def payments_summed(
    payments: QuerySet[Any], tranches: QuerySet[Any]
) -> tuple[dict[int, TranchePayments], list[DayPayments]]:
    """Sums of the public payments: per tranche id (every tranche with a published payment; the
    caller keeps those it shows) and per (component, value date, paid-through instrument) of the
    public ``tranches`` (a queryset of public tranche versions with their ``component_id``). One query."""
    payments_sql, payments_params = _sql(payments.values("tranche_id", "value_date", "amount_eur", "paid_through_id"))
    tranches_sql, tranches_params = _sql(tranches.values("id", "component_id"))
    # Two groupings of one read of the payments: PostgreSQL materialises a CTE used twice.
    sql = f"""
        WITH paid AS ({payments_sql})
        SELECT 1, paid.tranche_id, NULL, SUM(paid.amount_eur), COUNT(*),
               MIN(paid.value_date), MAX(paid.value_date), NULL
          FROM paid GROUP BY paid.tranche_id
        UNION ALL
        SELECT 2, shown.component_id, paid.value_date, SUM(paid.amount_eur), COUNT(*), NULL, NULL,
               paid.paid_through_id
          FROM paid INNER JOIN ({tranches_sql}) shown ON shown.id = paid.tranche_id
         GROUP BY shown.component_id, paid.value_date, paid.paid_through_id
    """  # noqa: S608 (both subqueries are compiled by the ORM; every value is a parameter)
    by_tranche: dict[int, TranchePayments] = {}
    by_day: list[DayPayments] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, payments_params + tranches_params)
        for kind, key, day, total, count, first, last, through in cursor.fetchall():
            if kind == 1:
                by_tranche[key] = TranchePayments(
                    disbursed=_decimal(total),
                    count=count,
                    first_value_date=_date(first),
                    last_value_date=_date(last),
                )
            else:
                value_date = _date(day)
                assert value_date is not None  # noqa: S101 (a payment always has its value date)
                by_day.append(
                    DayPayments(
                        component_id=key,
                        value_date=value_date,
                        disbursed=_decimal(total),
                        count=count,
                        paid_through_id=through,
                    )
                )
    return by_tranche, by_day


class UsdRates:
    """The ECB's USD reference rates (USD per 1 EUR), read once (one query, a few thousand rows)."""

    def __init__(self) -> None:
        rows = list(ExchangeRate.objects.filter(currency=USD).order_by("date").values_list("date", "rate"))
        self.days = [day for day, _ in rows]
        self.rates = [rate for _, rate in rows]

    def on(self, day: datetime.date) -> tuple[datetime.date, Decimal] | None:
        """The rate of ``day``, or of the last ECB business day before it; None if none is stored."""
        index = bisect_right(self.days, day) - 1
        return (self.days[index], self.rates[index]) if index >= 0 else None
