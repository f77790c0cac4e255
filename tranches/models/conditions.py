"""Conditions that gate money: a Memorandum's area, a Facility's reform steps. Each is linked to the
payment (tranche) it gates and, once assessed, says how many of its steps were met, the money held
back and until when it can still be paid. Its outcome is derived from those numbers, never stored."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from ..money import eur
from .milestones import TRANCHE_OF_ANOTHER_INSTRUMENT
from .records import Instrument, Publishable, Tranche, _check_not_future, _check_positive, _date, _number
from .rules import TEXT_MAX_LENGTH, date_in_range, date_rules, length_at_most, long_text_rules, text_rules

STEPS_MET_OVER_DUE = "Steps met ({met}) cannot be more than the steps due ({due})."
STEPS_DUE_NONE = "A condition has at least one step due; got {due}."
ASSESSED_WITHOUT_RESULT = (
    "A date assessed needs the steps met: give how many were met (leave the date empty when the sources give none)."
)
WITHHELD_OVER_STAKE = "The money withheld ({withheld}) cannot be more than the money at stake ({at_stake})."
RECOVERABLE_BEFORE_ASSESSED = (
    "The money can be recovered until {until:%d %b %Y}, before it was withheld on {assessed:%d %b %Y}."
)


class ConditionOutcome(models.TextChoices):
    NOT_ASSESSED = "not_assessed", "Not assessed yet"
    MET = "met", "Met"
    PARTLY_MET = "partly_met", "Partly met"
    NOT_MET = "not_met", "Not met"


def condition_outcome(steps_due: int, steps_met: int | None) -> ConditionOutcome:
    """The outcome that the numbers say: the one rule every page, export and API answer uses."""
    if steps_met is None:
        return ConditionOutcome.NOT_ASSESSED
    if steps_met >= steps_due:
        return ConditionOutcome.MET
    return ConditionOutcome.NOT_MET if steps_met == 0 else ConditionOutcome.PARTLY_MET


# The same rule as a database condition, for filters (steps_due is at least 1, a constraint of the
# table); tests hold the two equal for every outcome.
OUTCOME_WHERE: dict[str, Q] = {
    ConditionOutcome.NOT_ASSESSED: Q(steps_met__isnull=True),
    ConditionOutcome.MET: Q(steps_met__gte=F("steps_due")),
    ConditionOutcome.PARTLY_MET: Q(steps_met__gt=0, steps_met__lt=F("steps_due")),
    ConditionOutcome.NOT_MET: Q(steps_met=0),
}


class ConditionFields(models.Model):
    """What a condition says (but its instrument and tranche), shared by the draft and its published versions."""

    title = models.CharField(max_length=200, validators=text_rules("title"))
    area = models.CharField(
        max_length=200,
        blank=True,
        help_text="e.g. anti-corruption, revenue, public spending",
        validators=text_rules("area"),
    )
    steps_due = models.PositiveSmallIntegerField(
        default=1, help_text="Reform steps (or conditions) due for the payment."
    )
    steps_met = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How many were found met; empty while not assessed."
    )
    assessed_on = models.DateField(
        "date assessed",
        null=True,
        blank=True,
        help_text="When the assessment was decided.",
        validators=date_rules("date assessed"),
    )
    amount_at_stake = models.DecimalField(
        "money at stake (EUR)", null=True, blank=True, max_digits=15, decimal_places=2,
        help_text="The most the payment could be with every step met.",
    )  # fmt: skip
    amount_withheld = models.DecimalField(
        "money withheld (EUR)", null=True, blank=True, max_digits=15, decimal_places=2,
        help_text="Held back for the steps not met.",
    )  # fmt: skip
    recoverable_until = models.DateField(
        "recoverable until",
        null=True,
        blank=True,
        help_text="Until when the money withheld can still be paid if the steps are completed.",
        validators=date_rules("recoverable until"),
    )
    notes = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH, validators=long_text_rules("notes"))

    class Meta:
        abstract = True

    @property
    def outcome(self) -> ConditionOutcome:
        return condition_outcome(self.steps_due, self.steps_met)


class Condition(ConditionFields, Publishable):
    """A condition of an instrument, linked to the payment it gates when there is one."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="conditions")
    tranche = models.ForeignKey(Tranche, null=True, blank=True, on_delete=models.PROTECT, related_name="conditions")

    class Meta:
        ordering: ClassVar = ["instrument", "tranche", "pk"]
        permissions: ClassVar = [("publish_condition", "Can publish condition")]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(steps_due__gte=1),
                name="tranches_condition_steps_due",
                violation_error_message="At least one step is due.",
            ),
            models.CheckConstraint(
                condition=Q(steps_met__isnull=True) | Q(steps_met__lte=F("steps_due")),
                name="tranches_condition_steps_met_at_most_due",
                violation_error_message="Steps met cannot be more than the steps due.",
            ),
            # The result may be known without the day it was decided (never invented), not the reverse.
            models.CheckConstraint(
                condition=Q(assessed_on__isnull=True) | Q(steps_met__isnull=False),
                name="tranches_condition_assessed_has_result",
                violation_error_message=ASSESSED_WITHOUT_RESULT,
            ),
            models.CheckConstraint(
                condition=Q(amount_at_stake__isnull=True) | Q(amount_at_stake__gt=0),
                name="tranches_condition_at_stake_positive",
                violation_error_message="The money at stake must be more than zero.",
            ),
            models.CheckConstraint(
                condition=Q(amount_withheld__isnull=True)
                | Q(amount_withheld__gte=0, amount_at_stake__isnull=True)
                | Q(amount_withheld__gte=0, amount_withheld__lte=F("amount_at_stake")),
                name="tranches_condition_withheld_within_stake",
                violation_error_message="The money withheld must be between zero and the money at stake.",
            ),
            models.CheckConstraint(
                condition=Q(recoverable_until__isnull=True)
                | Q(assessed_on__isnull=True)
                | Q(recoverable_until__gte=F("assessed_on")),
                name="tranches_condition_recoverable_after_assessed",
                violation_error_message="The money cannot be recoverable only until before it was withheld.",
            ),
            date_in_range("assessed_on"),
            date_in_range("recoverable_until"),
            length_at_most("notes"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        _check_not_future(errors, self, "assessed_on")
        _check_positive(errors, self, "amount_at_stake")
        due, met = _number(self, "steps_due"), _number(self, "steps_met")
        if due is not None and due < 1:
            errors["steps_due"] = STEPS_DUE_NONE.format(due=due)
        elif due is not None and met is not None and met > due:
            errors["steps_met"] = STEPS_MET_OVER_DUE.format(met=met, due=due)
        if self.steps_met is None and self.assessed_on is not None:
            errors.setdefault("steps_met", ASSESSED_WITHOUT_RESULT)
        at_stake, withheld = _number(self, "amount_at_stake"), _number(self, "amount_withheld")
        if withheld is not None and withheld < 0:
            errors["amount_withheld"] = f"The money withheld cannot be negative; got {eur(Decimal(withheld))}."
        elif withheld is not None and at_stake is not None and withheld > at_stake:
            errors["amount_withheld"] = WITHHELD_OVER_STAKE.format(
                withheld=eur(Decimal(withheld)), at_stake=eur(Decimal(at_stake))
            )
        until, assessed = _date(self, "recoverable_until"), _date(self, "assessed_on")
        if until and assessed and until < assessed:
            errors["recoverable_until"] = RECOVERABLE_BEFORE_ASSESSED.format(until=until, assessed=assessed)
        if self.tranche_id is not None and self.instrument_id is not None:
            owner = (
                Tranche.objects.filter(pk=self.tranche_id).values_list("component__instrument_id", flat=True).first()
            )
            if owner is not None and owner != self.instrument_id:
                errors["tranche"] = TRANCHE_OF_ANOTHER_INSTRUMENT.format(tranche=self.tranche)
        if errors:
            raise ValidationError(errors)
