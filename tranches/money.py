"""Money helpers: amounts are Decimal EUR with cents, never float."""

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext

CENT = Decimal("0.01")
BILLION = Decimal(1_000_000_000)
MILLION = Decimal(1_000_000)
TENTH = Decimal("0.1")


def eur(amount: Decimal | None) -> str:
    """Format an amount in EUR for messages and pages: '€3.9bn' or '€450.5m' when that is exact,
    else the full amount with cents ('€60,000,000,000.01'), so a message never hides a difference."""
    if amount is None:
        return "—"
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    for unit, suffix in ((BILLION, "bn"), (MILLION, "m")):
        scaled = value / unit
        if value >= unit and scaled == scaled.quantize(TENTH):
            return f"{sign}€{scaled:,.1f}{suffix}"
    return f"{sign}€{value.quantize(CENT):,}"


def eur_compact(amount: Decimal) -> str:
    """An amount as the pages show it, in the active language: € billions with two decimals, one
    unit for every amount of a view ('€7.30bn', '€0.00bn'; in Ukrainian '7,30 млрд €')."""
    number = number_format(amount / BILLION, decimal_pos=2, use_l10n=True, force_grouping=True)
    return gettext("€%(amount)sbn") % {"amount": number}


def eur_exact(amount: Decimal) -> str:
    """An amount exact to the cent, as tables show it, in the active language ('€3,900,000,000.00';
    in Ukrainian '3 900 000 000,00 €')."""
    number = number_format(amount.quantize(CENT), decimal_pos=2, use_l10n=True, force_grouping=True)
    return gettext("€%(amount)s") % {"amount": number}
