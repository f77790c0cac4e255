"""Milestones: the dated events of an instrument (proposal, Parliament's consent, regulation, first
payment…), each with the date planned and the date it happened, so that a reader sees the gap."""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from .records import (
    Instrument,
    Publishable,
    Tranche,
    _check_not_future,
)
from .rules import TEXT_MAX_LENGTH, date_in_range, date_rules, length_at_most, long_text_rules, text_rules

MILESTONE_UNDATED = "Give the date planned, the date it happened, or both."


class MilestoneKind(models.TextChoices):
    PROPOSAL = "proposal", "Commission proposal"
    CONSENT = "consent", "Parliament's consent"
    REGULATION = "regulation", "Regulation adopted"
    FINANCING_STRATEGY = "financing_strategy", "Financing strategy approved"
    MEMORANDUM = "memorandum", "Memorandum of Understanding"
    DECISION = "decision", "Council decision"
    PAYMENT = "payment", "Payment"
    OTHER = "other", "Other"


class MilestoneFields(models.Model):
    """What a milestone says (but its instrument and tranche), shared by the draft and its published versions."""

    kind = models.CharField(max_length=20, choices=MilestoneKind.choices)
    title = models.CharField(max_length=200, validators=text_rules("title"))
    planned_on = models.DateField(
        "date planned",
        null=True,
        blank=True,
        help_text="When it was meant to happen.",
        validators=date_rules("date planned"),
    )
    planned_note = models.CharField(
        "plan as stated",
        max_length=100,
        blank=True,
        help_text="The plan in the source's words when it gave no exact day, e.g. “early April”.",
        validators=text_rules("plan as stated"),
    )
    happened_on = models.DateField(
        "date happened",
        null=True,
        blank=True,
        help_text="Empty while it has not happened.",
        validators=date_rules("date happened"),
    )
    notes = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH, validators=long_text_rules("notes"))

    class Meta:
        abstract = True


class Milestone(MilestoneFields, Publishable):
    """A dated event of an instrument, optionally of one tranche: planned and actual dates side by side."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="milestones")
    tranche = models.ForeignKey(Tranche, null=True, blank=True, on_delete=models.PROTECT, related_name="milestones")

    class Meta:
        ordering: ClassVar = ["instrument", "happened_on", "planned_on", "pk"]
        permissions: ClassVar = [("publish_milestone", "Can publish milestone")]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(planned_on__isnull=False) | Q(happened_on__isnull=False),
                name="tranches_milestone_dated",
                violation_error_message=MILESTONE_UNDATED,
            ),
            date_in_range("planned_on"),
            date_in_range("happened_on"),
            length_at_most("notes"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        _check_not_future(errors, self, "happened_on")
        if self.tranche_id is not None and self.instrument_id is not None:
            instrument_id = (
                Tranche.objects.filter(pk=self.tranche_id).values_list("component__instrument_id", flat=True).first()
            )
            if instrument_id is not None and instrument_id != self.instrument_id:
                errors["tranche"] = TRANCHE_OF_ANOTHER_INSTRUMENT.format(tranche=self.tranche)
        if errors:
            raise ValidationError(errors)


TRANCHE_OF_ANOTHER_INSTRUMENT = (
    "The tranche “{tranche}” belongs to another instrument; choose one of this instrument's."
)
