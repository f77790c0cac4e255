"""Releases and the published state.

A **release** is a reviewed set of changes published together, all or nothing, numbered 1, 2, 3…
in commit order (``tranches.services.releases``). The **published state** is one table per kind of
record: each row is one version of a record as a release published it, with the release it
entered (``entered``) and the release that replaced it (``left``, None while it is current). So
"what was public in release N" is ``entered <= N and (left is null or left > N)``: ordinary
indexed reads, one consistent state whatever commits meanwhile. Only the release service writes
these tables; public code reads nothing else of the loan data (never drafts, never history).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from .conditions import Condition, ConditionFields
from .estimates import Estimate, EstimateFields
from .milestones import Milestone, MilestoneFields
from .questions import OpenQuestion, OpenQuestionFields
from .records import (
    Citation,
    CitationFields,
    Component,
    ComponentFields,
    Disbursement,
    DisbursementFields,
    Instrument,
    InstrumentFields,
    Publishable,
    Source,
    SourceFields,
    Tranche,
    TrancheFields,
)
from .rules import TEXT_MAX_LENGTH, long_text_rules, text_rules

RELEASE_NOTE_EMPTY = "Write a note for the release: what changed and why. It is public."


class Release(models.Model):
    """Release N: when it was published, by which reviewer, and the public note (the corrections log)."""

    number = models.PositiveIntegerField(primary_key=True, help_text="1, 2, 3… in commit order")
    published_at = models.DateTimeField(db_index=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(
        max_length=TEXT_MAX_LENGTH,
        help_text="What changed and why; shown to the public.",
        validators=long_text_rules("note"),
    )

    class Meta:
        ordering: ClassVar = ["-number"]
        get_latest_by = "number"
        permissions: ClassVar = [("publish_release", "Can publish a release")]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(number__gte=1), name="tranches_release_number_positive"),
            models.CheckConstraint(
                condition=~Q(note=""),
                name="tranches_release_note_not_empty",
                violation_error_message=RELEASE_NOTE_EMPTY,
            ),
        ]

    def __str__(self) -> str:
        return f"Release {self.number}"


class Purpose(models.Model):
    """The list of purposes that reviewers keep: a tranche's purpose is one of these, so case and
    spelling variants ("Air defence", "air defence") are one purpose."""

    name = models.CharField(max_length=100, unique=True, validators=text_rules("name"))
    description = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH, validators=long_text_rules("description"))

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                Lower("name"),
                name="tranches_purpose_unique_name_any_case",
                violation_error_message="A purpose with this name in another case is on the list already.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PublishedRow(models.Model):
    """One version of a record in the published state (see the module docstring). ``id`` is the
    record's id, as in its draft table; references to other records (``instrument_id`` …) are
    record ids too."""

    row_id = models.BigAutoField(primary_key=True)
    id = models.IntegerField(help_text="The record's id")
    entered = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="+")
    left = models.ForeignKey(Release, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    # The draft model whose versions these rows are (set on each concrete class).
    record_model: ClassVar[type[Publishable]]
    objects = models.Manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.record_model._meta.verbose_name} {self.id}, entered release {self.entered_id}"


def _published_meta(
    name: str, *, parents: tuple[str, ...] = (), extra: tuple[models.Index, ...] = ()
) -> tuple[list[models.BaseConstraint], list[models.Index]]:
    """Constraints and indexes every published table has: one current row per record, and the
    lookups that public reads and the release checks make (current rows by id and by parent)."""
    current = Q(left__isnull=True)
    short = name[:3]
    constraints: list[models.BaseConstraint] = [
        models.UniqueConstraint(fields=["id"], condition=current, name=f"tr_pub_{short}_one_current"),
        models.UniqueConstraint(fields=["id", "entered"], name=f"tr_pub_{short}_one_per_release"),
        models.CheckConstraint(
            condition=Q(left__isnull=True) | Q(left__gt=models.F("entered")), name=f"tr_pub_{short}_left_after_entered"
        ),
    ]
    # Newest first by release (the change log), and a release's rows.
    indexes = [models.Index(fields=["entered", "row_id"], name=f"tr_pub_{short}_entered")]
    indexes += [
        models.Index(fields=[parent], condition=current, name=f"tr_pub_{short}_{parent[:3]}_current")
        for parent in parents
    ]
    return constraints, [*indexes, *extra]


class PublishedInstrument(InstrumentFields, PublishedRow):
    # Unique among drafts; among versions, many rows share a name.
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=40)
    slug = models.SlugField(max_length=60)

    record_model = Instrument

    class Meta:
        constraints, indexes = _published_meta("instrument")


class PublishedComponent(ComponentFields, PublishedRow):
    instrument_id = models.IntegerField()

    record_model = Component

    class Meta:
        constraints, indexes = _published_meta("component", parents=("instrument_id",))


class PublishedTranche(TrancheFields, PublishedRow):
    component_id = models.IntegerField()

    record_model = Tranche

    class Meta:
        constraints, indexes = _published_meta("tranche", parents=("component_id",))


class PublishedDisbursement(DisbursementFields, PublishedRow):
    tranche_id = models.IntegerField()
    paid_through_id = models.IntegerField(null=True, blank=True)

    record_model = Disbursement

    class Meta:
        # and the payments in date order (the API's default and cursor order), current rows
        constraints, indexes = _published_meta(
            "disbursement",
            parents=("tranche_id",),
            extra=(
                models.Index(
                    fields=["value_date", "id"], condition=Q(left__isnull=True), name="tr_pub_dis_date_current"
                ),
            ),
        )


class PublishedSource(SourceFields, PublishedRow):
    record_model = Source

    class Meta:
        constraints, indexes = _published_meta("source")


class PublishedCitation(CitationFields, PublishedRow):
    source_id = models.IntegerField()
    instrument_id = models.IntegerField(null=True, blank=True)
    component_id = models.IntegerField(null=True, blank=True)
    tranche_id = models.IntegerField(null=True, blank=True)
    disbursement_id = models.IntegerField(null=True, blank=True)
    milestone_id = models.IntegerField(null=True, blank=True)
    condition_id = models.IntegerField(null=True, blank=True)
    estimate_id = models.IntegerField(null=True, blank=True)
    open_question_id = models.IntegerField(null=True, blank=True)

    record_model = Citation

    class Meta:
        constraints, indexes = _published_meta(
            "citation",
            parents=(
                "source_id", "instrument_id", "component_id", "tranche_id", "disbursement_id", "milestone_id",
                "condition_id", "estimate_id", "open_question_id",
            ),
        )  # fmt: skip


class PublishedMilestone(MilestoneFields, PublishedRow):
    instrument_id = models.IntegerField()
    tranche_id = models.IntegerField(null=True, blank=True)

    record_model = Milestone

    class Meta:
        constraints, indexes = _published_meta("milestone", parents=("instrument_id",))


class PublishedCondition(ConditionFields, PublishedRow):
    instrument_id = models.IntegerField()
    tranche_id = models.IntegerField(null=True, blank=True)

    record_model = Condition

    class Meta:
        constraints, indexes = _published_meta("condition", parents=("instrument_id", "tranche_id"))


class PublishedEstimate(EstimateFields, PublishedRow):
    instrument_id = models.IntegerField(null=True, blank=True)

    record_model = Estimate

    class Meta:
        constraints, indexes = _published_meta("estimate")


class PublishedOpenQuestion(OpenQuestionFields, PublishedRow):
    instrument_id = models.IntegerField(null=True, blank=True)

    record_model = OpenQuestion

    class Meta:
        constraints, indexes = _published_meta("openquestion")


PUBLISHED_MODEL: dict[type[Publishable], type[PublishedRow]] = {
    published.record_model: published
    for published in (
        PublishedInstrument,
        PublishedComponent,
        PublishedTranche,
        PublishedDisbursement,
        PublishedSource,
        PublishedMilestone,
        PublishedCondition,
        PublishedEstimate,
        PublishedOpenQuestion,
        PublishedCitation,
    )
}
