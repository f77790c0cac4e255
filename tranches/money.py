"""Money helpers: amounts are Decimal EUR with cents, never float."""

from decimal import Decimal

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
