"""Filters of the public pages, which receive stored figures as strings (EUR decimal strings and
ISO dates) and show them as readers expect."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django import template

from tranches.money import eur as eur_text

register = template.Library()


@register.filter
def eur(amount: str | None) -> str:
    """'3900000000.00' → '€3.9bn' (the full amount with cents when the short form is not exact)."""
    return eur_text(Decimal(amount)) if amount else "—"


@register.filter
def isodate(value: str | None) -> datetime.date | datetime.datetime | None:
    """An ISO date or date-time string as a date(time), for Django's ``date`` filter."""
    if not value:
        return None
    return datetime.datetime.fromisoformat(value) if "T" in value else datetime.date.fromisoformat(value)


AMOUNT = re.compile(r"^-?\d+\.\d{2}$")


@register.filter
def cell(value: object) -> object:
    """A table cell: an exact EUR amount ('3900000000.00') with thousands separators, else as is."""
    return f"{Decimal(value):,.2f}" if isinstance(value, str) and AMOUNT.match(value) else value
