"""Estimates: costs (the interest the EU budget pays) and needs (Ukraine's financing needs), each a
graded estimate shown beside the figures and never added to money paid or committed."""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from .records import PERIOD_REVERSED, Instrument, Publishable, _check_positive, _date
from .rules import TEXT_MAX_LENGTH, date_in_range, date_rules, length_at_most, long_text_rules, text_rules


class EstimateKind(models.TextChoices):
    INTEREST = "interest", "Interest cost"
    NEEDS = "needs", "Financing needs"


class Qualifier(models.TextChoices):
    EXACTLY = "", "(as stated)"
    ABOUT = "about", "about"
    OVER = "over", "over"
    UP_TO = "up to", "up to"


class EstimateFields(models.Model):
    """What an estimate says (but its instrument), shared by the draft and its published versions."""

    kind = models.CharField(max_length=10, choices=EstimateKind.choices)
    title = models.CharField(max_length=200, validators=text_rules("title"))
    amount = models.DecimalField("amount (EUR)", max_digits=15, decimal_places=2)
    qualifier = models.CharField(
        max_length=10, blank=True, choices=Qualifier.choices, help_text="How the source qualifies the amount."
    )
    per_year = models.BooleanField(default=False, help_text="The amount is for each year of the period.")
    period_start = models.DateField(validators=date_rules("period start"))
    period_end = models.DateField(
        null=True, blank=True, help_text="Empty: open-ended.", validators=date_rules("period end")
    )
    notes = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH, validators=long_text_rules("notes"))

    class Meta:
        abstract = True


class Estimate(EstimateFields, Publishable):
    """A cost or need estimate, optionally of one instrument."""

    instrument = models.ForeignKey(
        Instrument, null=True, blank=True, on_delete=models.PROTECT, related_name="estimates"
    )

    class Meta:
        ordering: ClassVar = ["kind", "period_start", "pk"]
        permissions: ClassVar = [("publish_estimate", "Can publish estimate")]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="tranches_estimate_amount_positive",
                violation_error_message="amount must be more than zero.",
            ),
            models.CheckConstraint(
                condition=Q(period_end__isnull=True) | Q(period_end__gte=F("period_start")),
                name="tranches_estimate_period_order",
                violation_error_message="The period ends before it starts.",
            ),
            date_in_range("period_start"),
            date_in_range("period_end"),
            length_at_most("notes"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        _check_positive(errors, self, "amount")
        start, end = _date(self, "period_start"), _date(self, "period_end")
        if start and end and end < start:
            errors["period_end"] = PERIOD_REVERSED.format(start=start, end=end)
        if errors:
            raise ValidationError(errors)
