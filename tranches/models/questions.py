"""Open questions: what is not known yet, since when, and what would answer it. A release closes one
by giving its answer and the date; the question stays on the record."""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from .records import Instrument, Publishable, _check_not_future, _date
from .rules import TEXT_MAX_LENGTH, date_in_range, date_rules, length_at_most, long_text_rules, text_rules

ANSWER_PAIR = "Give the answer and the date it was answered together, or neither (still open)."
ANSWERED_BEFORE_OPEN = "It was answered on {answered:%d %b %Y}, before it was open (since {since:%d %b %Y})."


class OpenQuestionFields(models.Model):
    """What an open question says (but its instrument), shared by the draft and its published versions."""

    question = models.CharField(max_length=500, validators=text_rules("question"))
    open_since = models.DateField(
        help_text="The date of the latest source that shows it open.", validators=date_rules("open since")
    )
    would_answer = models.TextField(
        "what would answer it", max_length=TEXT_MAX_LENGTH, validators=long_text_rules("what would answer it")
    )
    answered_on = models.DateField(
        "date answered", null=True, blank=True, help_text="Empty while open.", validators=date_rules("date answered")
    )
    answer = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH, validators=long_text_rules("answer"))
    notes = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH, validators=long_text_rules("notes"))

    class Meta:
        abstract = True

    @property
    def is_open(self) -> bool:
        return self.answered_on is None


class OpenQuestion(OpenQuestionFields, Publishable):
    """Something a reader would ask that the sources do not answer yet."""

    instrument = models.ForeignKey(
        Instrument, null=True, blank=True, on_delete=models.PROTECT, related_name="open_questions"
    )

    class Meta:
        ordering: ClassVar = ["answered_on", "open_since", "pk"]
        permissions: ClassVar = [("publish_openquestion", "Can publish open question")]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(answered_on__isnull=True, answer="") | (Q(answered_on__isnull=False) & ~Q(answer="")),
                name="tranches_openquestion_answer_pair",
                violation_error_message=ANSWER_PAIR,
            ),
            models.CheckConstraint(
                condition=Q(answered_on__isnull=True) | Q(answered_on__gte=F("open_since")),
                name="tranches_openquestion_answered_after_open",
                violation_error_message="It cannot be answered before it was open.",
            ),
            models.CheckConstraint(
                condition=~Q(would_answer=""),
                name="tranches_openquestion_would_answer",
                violation_error_message="Say what would answer it.",
            ),
            date_in_range("open_since"),
            date_in_range("answered_on"),
            length_at_most("would_answer"),
            length_at_most("answer"),
            length_at_most("notes"),
        ]

    def __str__(self) -> str:
        return self.question

    def clean(self) -> None:
        errors: dict[str, str] = {}
        _check_not_future(errors, self, "answered_on")
        _check_not_future(errors, self, "open_since")
        if (self.answered_on is None) != (not (self.answer or "").strip()):
            errors["answer"] = ANSWER_PAIR
        answered, since = _date(self, "answered_on"), _date(self, "open_since")
        if answered and since and answered < since:
            errors["answered_on"] = ANSWERED_BEFORE_OPEN.format(answered=answered, since=since)
        if errors:
            raise ValidationError(errors)
