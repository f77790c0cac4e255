"""Filters of the review pages: amounts as a reviewer reads them, kinds of record by name."""

from decimal import Decimal
from typing import Any

from django import template
from django.utils.text import capfirst

from tranches.money import eur as eur_short

register = template.Library()


@register.filter
def eur(amount: Decimal | None) -> str:
    """'€3,900,000,000.00 (€3.9bn)': every cent, and the scale beside it."""
    if amount is None:
        return "—"
    return f"€{amount:,.2f} ({eur_short(amount)})"


@register.filter
def capfirst_model(record: Any) -> str:
    """The kind of a record: 'Tranche'."""
    return capfirst(record._meta.verbose_name)
