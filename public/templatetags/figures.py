"""Filters of the public pages, which receive stored figures as strings (EUR decimal strings and
ISO dates) and show them as readers expect, in the active language: amounts by one rule
(tranches.money: compact € billions on pages, exact to the cent in tables), dates with the month's
name as each language writes it ('25 Jun 2026', '25 червня 2026'), and the few English labels the
stored record carries (reports.instruments) in the reader's language."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language, gettext, gettext_noop, pgettext

from tranches.money import eur_compact, eur_exact

register = template.Library()

DASH = "—"


@register.filter
def eur(amount: str | Decimal | None) -> str:
    """'3900000000.00' → '€3.90bn' ('3,90 млрд €'): compact, € billions with two decimals."""
    if amount is None or amount == "":
        return DASH
    return eur_compact(Decimal(amount))


@register.filter
def percent(value: str | Decimal | None) -> str:
    """'7.9' → '7.9%' ('7,9 %' in Ukrainian), the decimals as stored."""
    if value is None or value == "":
        return DASH
    number = Decimal(value)
    places = max(-number.as_tuple().exponent, 0)  # type: ignore[operator]
    return gettext("%(number)s%%") % {"number": number_format(number, decimal_pos=places, use_l10n=True)}


@register.filter
def isodate(value: str | None) -> datetime.date | datetime.datetime | None:
    """An ISO date or date-time string as a date(time), for Django's ``date`` filter."""
    if not value:
        return None
    return datetime.datetime.fromisoformat(value) if "T" in value else datetime.date.fromisoformat(value)


def _as_date(value: str | datetime.date | None) -> datetime.date | None:
    if not value:
        return None
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value[:10])


@register.filter
def day(value: str | datetime.date | None) -> str:
    """A date as the pages write it: '25 Jun 2026' in English, '25 червня 2026' in Ukrainian;
    '' when there is none."""
    date = _as_date(value)
    # Translators: a Django date format (j day, M short month, E month in the genitive, Y year).
    return date_format(date, pgettext("short date", "j M Y")) if date else ""


@register.filter
def long_day(value: str | datetime.date | None) -> str:
    """A date with the month in full: '25 June 2026', '25 червня 2026'."""
    date = _as_date(value)
    # Translators: a Django date format (j day, F month, E month in the genitive, Y year).
    return date_format(date, pgettext("long date", "j F Y")) if date else ""


@register.filter
def month(value: str | datetime.date | None) -> str:
    """The month of a date: 'Jun 2026', 'червень 2026'."""
    date = _as_date(value)
    if date is None:
        return ""
    # Translators: a Django date format (M short month, F month, Y year).
    text = date_format(date, pgettext("month and year", "M Y"))
    # Ukrainian writes a month's name in lower case inside a sentence; Django's names are capitalised.
    return text[:1].lower() + text[1:] if get_language() == "uk" else text


@register.filter
def dated(value: str | None, precision: str | None = "day") -> str:
    """A payment's value date alone, as exactly as the sources know it (``precision``: day, month,
    approximate): '25 Jun 2026', 'Jun 2026', 'around 25 Jun 2026'; '' when there is none."""
    if not value:
        return ""
    if precision == "month":
        return month(value)
    if precision == "approximate":
        return gettext("around %(day)s") % {"day": day(value)}
    return day(value)


@register.filter
def paid_date(payment: dict[str, Any]) -> str:
    """``dated`` of a payment of the stored record (its ``value_date`` and ``precision``)."""
    return dated(payment.get("value_date"), payment.get("precision") or "day")


@register.filter
def paid_when(payment: dict[str, Any]) -> str:
    """When a payment was paid, to follow its amount: 'on 25 Jun 2026', 'in Jun 2026' (only the
    month is known), 'around 25 Jun 2026'."""
    value, precision = payment.get("value_date"), payment.get("precision") or "day"
    if not value:
        return ""
    if precision == "month":
        # Translators: a Django date format for a month inside a sentence ('in Jun 2026'; Ukrainian
        # uses the genitive, E: 'протягом червня 2026').
        within = date_format(datetime.date.fromisoformat(value[:10]), pgettext("month in a sentence", "M Y"))
        return gettext("in %(month)s") % {"month": within}
    if precision == "approximate":
        return gettext("around %(day)s") % {"day": day(value)}
    return gettext("on %(day)s") % {"day": day(value)}


@register.filter
def period(estimate: dict[str, object]) -> str:
    """An estimate's period: '2026–2027', '2026, each year', 'each year from 2026', 'from 1 Jul
    2026', '1 Jul 2026 to 30 Jun 2027' (translated)."""
    first, last = _as_date(estimate.get("period_start")), _as_date(estimate.get("period_end"))  # type: ignore[arg-type]
    per_year = bool(estimate.get("per_year"))
    if first is None:
        return str(estimate.get("period") or "")
    if last is None:
        if per_year and first.month == first.day == 1:
            return gettext("each year from %(year)s") % {"year": first.year}
        return gettext("from %(day)s") % {"day": day(first)}
    if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31):
        span = str(first.year) if first.year == last.year else f"{first.year}–{last.year}"
    else:
        span = gettext("%(first)s to %(last)s") % {"first": day(first), "last": day(last)}
    return gettext("%(period)s, each year") % {"period": span} if per_year else span


# The English labels and sentences the stored record carries (reports/instruments.py, reports/
# charts.py), marked here so that makemessages collects them; `label` shows them translated. A text
# not listed here is shown as stored (tests/public/test_translations.py checks the list is complete).
RECORD_TEXTS = (
    # stages of a tranche
    gettext_noop("planned"),
    gettext_noop("approved"),
    gettext_noop("disbursed"),
    gettext_noop("withheld"),
    gettext_noop("cancelled"),
    # outcomes of the conditions
    gettext_noop("Not assessed yet"),
    gettext_noop("Met"),
    gettext_noop("Partly met"),
    gettext_noop("Not met"),
    # milestones
    gettext_noop("Commission proposal"),
    gettext_noop("Parliament's consent"),
    gettext_noop("Regulation adopted"),
    gettext_noop("Financing strategy approved"),
    gettext_noop("Memorandum of Understanding"),
    gettext_noop("Council decision"),
    gettext_noop("Payment"),
    gettext_noop("Other"),
    # estimates
    gettext_noop("Interest cost"),
    gettext_noop("Financing needs"),
    # how a source qualifies an estimate
    gettext_noop("about"),
    gettext_noop("over"),
    gettext_noop("up to"),
    # how the money is counted
    gettext_noop(
        "The Ukraine Support Loan's €90bn, the Ukraine Facility and the EU share of the G7 ERA loans are "
        "different instruments, each with its own legal basis, amount and payments."
    ),
    gettext_noop(
        "A payment belongs to exactly one instrument, that of the tranche it pays, and is counted there once."
    ),
    gettext_noop(
        "Budget support of the Ukraine Support Loan can be paid as extra Ukraine Facility loans under "
        "Regulation (EU) 2026/468. Such a payment is counted under the Ukraine Support Loan and only linked to "
        "the Facility (shown as “paid through”): it is never added twice."
    ),
    gettext_noop(
        "The Ukraine Facility and the ERA loans are context instruments: they are never added to the €90bn "
        "totals. The all-instruments row adds the distinct payments of every instrument, each once."
    ),
    gettext_noop(
        "Estimates (the interest cost, Ukraine's financing needs) are never money paid and are never added "
        "to these figures."
    ),
    gettext_noop(
        "A year is the calendar year of a payment's value date (where the sources give only the month, of that month)."
    ),
)
_RECORD_TEXTS = frozenset(RECORD_TEXTS)


@register.filter
def label(text: str | None) -> str:
    """A label or rule the stored record carries in English, in the active language."""
    if not text:
        return ""
    return gettext(text) if text in _RECORD_TEXTS else text


# How the record says that it holds no passage of a source (data/initial_dataset.toml): the text is
# then an explanation in plain words, never shown as a quotation.
NO_PASSAGE = "No passage"


@register.filter
def passage_missing(quote: str | None) -> bool:
    """Whether a claim has no passage of its source on file (no quote, or the record's own words
    saying so): the page says so in plain words instead of quoting."""
    return not quote or quote.startswith(NO_PASSAGE)


AMOUNT = re.compile(r"^-?\d+\.\d{2}$")


@register.filter
def cell(value: object) -> object:
    """A table cell: an exact EUR amount ('3900000000.00') to the cent ('€3,900,000,000.00',
    '3 900 000 000,00 €'), else as is."""
    if isinstance(value, str) and AMOUNT.match(value):
        try:
            return eur_exact(Decimal(value))
        except InvalidOperation:  # pragma: no cover (the pattern admits only decimals)
            return value
    return value
