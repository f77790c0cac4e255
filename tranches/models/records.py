"""The loan domain: instruments, their components, tranches, disbursements, and the sources behind
every figure. Single-row rules are CheckConstraints (the database has the last word) mirrored in
``clean()`` with messages that name the numbers; rules across rows live in ``tranches.services``."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import capfirst
from simple_history.models import HistoricalRecords

from ..money import eur
from .rules import (
    DATE_FIRST,
    DATE_LAST,
    TEXT_MAX_LENGTH,
    date_in_range,
    date_rules,
    length_at_most,
    long_text_rules,
    text_rules,
)

# Messages are module constants so that tests assert the exact text a user sees.
AMOUNT_NOT_POSITIVE = "{label} must be more than zero; got {value}."
DATE_IN_FUTURE = "{label} is {date:%d %b %Y}, which is in the future (today is {today:%d %b %Y})."
DATES_OUT_OF_ORDER = "{later_label} ({later:%d %b %Y}) is before {earlier_label} ({earlier:%d %b %Y})."
STAGE_DATE_MISSING = "A tranche at stage '{stage}' needs its {label}."
PERIOD_REVERSED = "The period ends ({end:%d %b %Y}) before it starts ({start:%d %b %Y})."
MONTH_PRECISION_DAY = "When only the month is known, the value date is the month's first day; got {date:%d %b %Y}."
REPORTED_PAIR = "Give the reported amount and its currency together, or neither."
CITATION_TARGET = (
    "A citation backs exactly one figure: choose one instrument, component, tranche, disbursement, milestone, "
    "condition, estimate or open question."
)
PAID_THROUGH_OWN = (
    "The payment belongs to {instrument} already; “paid through” names another instrument, or stays empty."
)
CITATION_QUOTE_EMPTY = "Quote the passage of the source that backs the figure."
BUDGET_YEAR_RANGE = "Budget year must be between 2000 and 2100; got {value}."
# The value rules every writer keeps (date range, characters, lengths) are in ``.rules``.


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Grade(models.TextChoices):
    A = "A", "A: official text (EUR-Lex, Council, Commission)"
    B = "B", "B: established media"
    C = "C", "C: aggregator or secondary site"


class DatePrecision(models.TextChoices):
    DAY = "day", "the day"
    MONTH = "month", "the month only"
    APPROXIMATE = "approximate", "around that day"


class Stage(models.TextChoices):
    PLANNED = "planned", "Planned"
    APPROVED = "approved", "Approved"
    DISBURSED = "disbursed", "Disbursed"
    WITHHELD = "withheld", "Withheld"
    CANCELLED = "cancelled", "Cancelled"


# The date field recording when each stage was reached.
STAGE_DATE_FIELD = {
    Stage.PLANNED: "planned_on",
    Stage.APPROVED: "approved_on",
    Stage.DISBURSED: "disbursed_on",
    Stage.WITHHELD: "withheld_on",
    Stage.CANCELLED: "cancelled_on",
}
# (earlier, later): when both dates are set, the later may not precede the earlier.
STAGE_DATE_ORDER = [
    ("planned_on", "approved_on"),
    ("planned_on", "disbursed_on"),
    ("approved_on", "disbursed_on"),
    ("planned_on", "withheld_on"),
    ("approved_on", "withheld_on"),
    ("planned_on", "cancelled_on"),
    ("approved_on", "cancelled_on"),
]


def _positive(field: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gt": 0}),
        name="%(app_label)s_%(class)s_" + f"{field}_positive",
        violation_error_message=f"{field} must be more than zero.",
    )


def _not_before(earlier: str, later: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{earlier}__isnull": True})
        | Q(**{f"{later}__isnull": True})
        | Q(**{f"{later}__gte": F(earlier)}),
        name="%(app_label)s_%(class)s_" + f"{later}_not_before_{earlier}",
        violation_error_message=f"{later} may not be before {earlier}.",
    )


def _verbose(obj: models.Model, field: str) -> str:
    return str(getattr(obj._meta.get_field(field), "verbose_name", field))


# clean() runs even when a field's own validation failed (full_clean collects both), and then the
# attribute still holds the value as given: a rule across fields reads only values of the right type.
def _number(obj: models.Model, field: str) -> Decimal | int | None:
    value = getattr(obj, field)
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return None
    return value if not isinstance(value, Decimal) or value.is_finite() else None


def _date(obj: models.Model, field: str) -> datetime.date | None:
    """The date in ``field``, or None if it is not a date or outside the range of dates (the field's
    own rule names that, and a rule across dates would only repeat it)."""
    value = getattr(obj, field)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value if DATE_FIRST <= value <= DATE_LAST else None
    return None


def _check_positive(errors: dict[str, str], obj: models.Model, field: str) -> None:
    value = _number(obj, field)
    if value is not None and value <= 0:
        label = capfirst(_verbose(obj, field))
        errors[field] = AMOUNT_NOT_POSITIVE.format(label=label, value=eur(Decimal(value)))


def _check_not_future(errors: dict[str, str], obj: models.Model, field: str) -> None:
    value = _date(obj, field)
    today = timezone.localdate()
    if value is not None and value > today:
        label = capfirst(_verbose(obj, field))
        errors[field] = DATE_IN_FUTURE.format(label=label, date=value, today=today)


class PublishableQuerySet(models.QuerySet):
    def published(self) -> PublishableQuerySet:
        """Rows whose current state is published (no pending draft changes)."""
        return self.filter(status=Status.PUBLISHED)

    def drafts(self) -> PublishableQuerySet:
        return self.filter(status=Status.DRAFT)


class Publishable(models.Model):
    """A record that editors change as a draft and reviewers publish. Every change is a history row;
    the public sees the latest *published* history row of each record (see ``tranches.selectors``),
    so editing a published record never takes its published figures off the public pages."""

    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        db_index=True,
        editable=False,
        help_text="Draft until a reviewer publishes it; any later change makes it a draft again.",
    )
    published_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When a reviewer last published it."
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    dataset_key = models.CharField(
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="Key of this record in the versioned dataset file, if it came from there.",
    )
    version = models.PositiveIntegerField(
        default=0, help_text="Counts saves; a save based on an older version is refused, so no edit is lost."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(inherit=True)
    objects = PublishableQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_public(self) -> bool:
        """True once a version of it has been published (it may have newer draft changes)."""
        return self.published_at is not None


class InstrumentFields(models.Model):
    """What an instrument says, shared by the draft (``Instrument``) and its published versions."""

    name = models.CharField(max_length=200, unique=True, validators=text_rules("name"))
    short_name = models.CharField(max_length=40, unique=True, help_text="e.g. USL", validators=text_rules("short name"))
    slug = models.SlugField(max_length=60, unique=True)
    legal_basis = models.CharField(
        max_length=300, help_text="e.g. Regulation (EU) 2026/467", validators=text_rules("legal basis")
    )
    legal_basis_url = models.URLField(
        blank=True, help_text="ELI or EUR-Lex link", validators=text_rules("legal basis url")
    )
    amount = models.DecimalField("total amount (EUR)", max_digits=15, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR", choices=[("EUR", "EUR")])
    period_start = models.DateField(validators=date_rules("period start"))
    period_end = models.DateField(validators=date_rules("period end"))
    lender = models.CharField(max_length=200, default="European Union", validators=text_rules("lender"))
    borrower = models.CharField(max_length=200, default="Ukraine", validators=text_rules("borrower"))
    description = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH, validators=long_text_rules("description"))

    class Meta:
        abstract = True


class Instrument(InstrumentFields, Publishable):
    """A lending programme, e.g. the Ukraine Support Loan. Instruments are never summed together."""

    class Meta:
        ordering: ClassVar = ["name"]
        permissions: ClassVar = [("publish_instrument", "Can publish instrument")]
        constraints: ClassVar = [
            _positive("amount"),
            _not_before("period_start", "period_end"),
            date_in_range("period_start"),
            date_in_range("period_end"),
            length_at_most("description"),
            models.CheckConstraint(
                condition=Q(currency="EUR"),
                name="tranches_instrument_currency_eur",
                violation_error_message="Amounts are kept in EUR.",
            ),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        _check_positive(errors, self, "amount")
        start, end = _date(self, "period_start"), _date(self, "period_end")
        if start and end and end < start:
            errors["period_end"] = PERIOD_REVERSED.format(start=start, end=end)
        if errors:
            raise ValidationError(errors)


class ComponentFields(models.Model):
    """What a component says (but its instrument), shared by the draft and its published versions."""

    name = models.CharField(max_length=200, validators=text_rules("name"))
    slug = models.SlugField(max_length=60)
    amount = models.DecimalField("amount (EUR)", max_digits=15, decimal_places=2)
    description = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH, validators=long_text_rules("description"))

    class Meta:
        abstract = True


class Component(ComponentFields, Publishable):
    """An envelope of an instrument, e.g. Defence €60bn or Budget support €30bn."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="components")

    class Meta:
        ordering: ClassVar = ["instrument__name", "-amount", "name"]
        permissions: ClassVar = [("publish_component", "Can publish component")]
        constraints: ClassVar = [
            _positive("amount"),
            models.UniqueConstraint(fields=["instrument", "slug"], name="tranches_component_unique_slug"),
            models.UniqueConstraint(fields=["instrument", "name"], name="tranches_component_unique_name"),
            length_at_most("description"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} · {self.name}" if self.instrument_id else self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        _check_positive(errors, self, "amount")
        if errors:
            raise ValidationError(errors)


class TrancheFields(models.Model):
    """What a tranche says (but its component), shared by the draft and its published versions."""

    name = models.CharField(max_length=200, validators=text_rules("name"))
    slug = models.SlugField(max_length=80)
    purpose = models.CharField(
        max_length=100, help_text="Earmark, e.g. drones or budget support", validators=text_rules("purpose")
    )
    amount = models.DecimalField("amount (EUR)", max_digits=15, decimal_places=2)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.PLANNED, db_index=True)
    planned_on = models.DateField("date planned", null=True, blank=True, validators=date_rules("date planned"))
    approved_on = models.DateField("date approved", null=True, blank=True, validators=date_rules("date approved"))
    disbursed_on = models.DateField("date disbursed", null=True, blank=True, validators=date_rules("date disbursed"))
    withheld_on = models.DateField("date withheld", null=True, blank=True, validators=date_rules("date withheld"))
    cancelled_on = models.DateField("date cancelled", null=True, blank=True, validators=date_rules("date cancelled"))
    budget_year = models.PositiveSmallIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH, validators=long_text_rules("notes"))

    class Meta:
        abstract = True

    @property
    def stage_date(self) -> datetime.date | None:
        """The date the current stage was reached."""
        return getattr(self, STAGE_DATE_FIELD[Stage(self.stage)])


class Tranche(TrancheFields, Publishable):
    """A portion of a component with a purpose, an amount and a stage; each stage reached has a date."""

    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="tranches")

    class Meta:
        ordering: ClassVar = ["component", "planned_on", "name"]
        permissions: ClassVar = [("publish_tranche", "Can publish tranche")]
        constraints: ClassVar = [
            _positive("amount"),
            models.UniqueConstraint(fields=["component", "slug"], name="tranches_tranche_unique_slug"),
            models.CheckConstraint(
                condition=Q(budget_year__isnull=True) | Q(budget_year__gte=2000, budget_year__lte=2100),
                name="tranches_tranche_budget_year_range",
                violation_error_message="Budget year must be between 2000 and 2100.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(stage=Stage.PLANNED, planned_on__isnull=False)
                    | Q(stage=Stage.APPROVED, approved_on__isnull=False)
                    | Q(stage=Stage.DISBURSED, disbursed_on__isnull=False)
                    | Q(stage=Stage.WITHHELD, withheld_on__isnull=False)
                    | Q(stage=Stage.CANCELLED, cancelled_on__isnull=False)
                ),
                name="tranches_tranche_stage_has_date",
                violation_error_message="The date of the tranche's stage is required.",
            ),
            *[_not_before(earlier, later) for earlier, later in STAGE_DATE_ORDER],
            *[date_in_range(field) for field in STAGE_DATE_FIELD.values()],
            length_at_most("notes"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        _check_positive(errors, self, "amount")
        for field in STAGE_DATE_FIELD.values():
            _check_not_future(errors, self, field)
        stage_field = STAGE_DATE_FIELD.get(Stage(self.stage)) if self.stage in Stage.values else None
        if stage_field and getattr(self, stage_field) in (None, ""):
            errors.setdefault(
                stage_field,
                STAGE_DATE_MISSING.format(stage=self.stage, label=_verbose(self, stage_field)),
            )
        for earlier, later in STAGE_DATE_ORDER:
            first, second = _date(self, earlier), _date(self, later)
            if first and second and second < first:
                errors.setdefault(
                    later,
                    DATES_OUT_OF_ORDER.format(
                        later_label=capfirst(_verbose(self, later)),
                        later=second,
                        earlier_label=_verbose(self, earlier),
                        earlier=first,
                    ),
                )
        year = _number(self, "budget_year")
        if year is not None and not DATE_FIRST.year <= year <= DATE_LAST.year:
            errors["budget_year"] = BUDGET_YEAR_RANGE.format(value=year)
        if errors:
            raise ValidationError(errors)


class DisbursementFields(models.Model):
    """What a payment says (but its tranche), shared by the draft and its published versions."""

    value_date = models.DateField(help_text="The day the money was paid.", validators=date_rules("value date"))
    value_date_precision = models.CharField(
        "value date known to",
        max_length=12,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        db_default=DatePrecision.DAY,  # rows written in bulk (the synthetic data) are dated to the day
        help_text="How exactly the sources give the date: the day, only the month (the value date is its first "
        "day), or around that day.",
    )
    amount_eur = models.DecimalField("amount (EUR)", max_digits=15, decimal_places=2)
    reported_amount = models.DecimalField(
        "amount as reported",
        null=True,
        blank=True,
        help_text="e.g. 4400000000 for $4.4bn",
        max_digits=15,
        decimal_places=2,
    )
    reported_currency = models.CharField(
        max_length=3,
        blank=True,
        help_text="ISO 4217 code of the reported amount, e.g. USD",
        validators=text_rules("reported currency"),
    )
    notes = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH, validators=long_text_rules("notes"))

    class Meta:
        abstract = True


class Disbursement(DisbursementFields, Publishable):
    """Money actually paid against a tranche, in EUR, with the amount as the source reported it."""

    tranche = models.ForeignKey(Tranche, on_delete=models.PROTECT, related_name="disbursements")
    paid_through = models.ForeignKey(
        Instrument,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments_channelled",
        help_text="Another instrument this payment went through (e.g. budget support of the loan paid as extra "
        "Ukraine Facility loans under Regulation (EU) 2026/468). It is counted once, under its own tranche's "
        "instrument, and only linked to this one.",
    )

    class Meta:
        ordering: ClassVar = ["value_date", "pk"]
        permissions: ClassVar = [("publish_disbursement", "Can publish disbursement")]
        constraints: ClassVar = [
            _positive("amount_eur"),
            models.CheckConstraint(
                condition=Q(reported_amount__isnull=True) | Q(reported_amount__gt=0),
                name="tranches_disbursement_reported_amount_positive",
                violation_error_message="The reported amount must be more than zero.",
            ),
            models.CheckConstraint(
                condition=Q(reported_amount__isnull=True, reported_currency="")
                | (Q(reported_amount__isnull=False) & ~Q(reported_currency="")),
                name="tranches_disbursement_reported_pair",
                violation_error_message=REPORTED_PAIR,
            ),
            date_in_range("value_date"),
            length_at_most("notes"),
        ]

    def __str__(self) -> str:
        if self.value_date and self.value_date_precision == DatePrecision.MONTH:
            return f"{eur(self.amount_eur)} in {self.value_date:%b %Y}"
        return f"{eur(self.amount_eur)} on {self.value_date:%d %b %Y}" if self.value_date else eur(self.amount_eur)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        _check_positive(errors, self, "amount_eur")
        _check_positive(errors, self, "reported_amount")
        _check_not_future(errors, self, "value_date")
        if self.paid_through_id is not None and self.tranche_id is not None:
            own = Tranche.objects.filter(pk=self.tranche_id).values_list("component__instrument_id", flat=True).first()
            if own == self.paid_through_id:
                errors["paid_through"] = PAID_THROUGH_OWN.format(instrument=self.paid_through)
        if self.value_date_precision == DatePrecision.MONTH and self.value_date and self.value_date.day != 1:
            errors["value_date"] = MONTH_PRECISION_DAY.format(date=self.value_date)
        if (self.reported_amount is None) != (not self.reported_currency):
            errors.setdefault("reported_currency", REPORTED_PAIR)
        if self.reported_currency and isinstance(self.reported_currency, str):
            self.reported_currency = self.reported_currency.upper()
        if errors:
            raise ValidationError(errors)


class SourceFields(models.Model):
    """What a source is, shared by the draft and its published versions."""

    publisher = models.CharField(max_length=200, validators=text_rules("publisher"))
    title = models.CharField(max_length=400, validators=text_rules("title"))
    published_on = models.DateField(
        null=True, blank=True, help_text="Leave empty when unknown.", validators=date_rules("published on")
    )
    url = models.URLField(max_length=500, blank=True, validators=text_rules("url"))
    grade = models.CharField(max_length=1, choices=Grade.choices)
    notes = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH, validators=long_text_rules("notes"))

    class Meta:
        abstract = True


class Source(SourceFields, Publishable):
    """A document that backs figures: publisher, title, date, link and reliability grade."""

    class Meta:
        ordering: ClassVar = ["grade", "publisher", "title"]
        permissions: ClassVar = [("publish_source", "Can publish source")]
        constraints: ClassVar = [date_in_range("published_on"), length_at_most("notes")]

    def __str__(self) -> str:
        return f"{self.publisher}: {self.title} ({self.grade})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        _check_not_future(errors, self, "published_on")
        if errors:
            raise ValidationError(errors)


class CitationFields(models.Model):
    """What a citation says (but its source and target), shared by the draft and its published versions."""

    figure = models.CharField(
        max_length=100,
        default="amount",
        help_text="Which figure it backs, e.g. amount",
        validators=text_rules("figure"),
    )
    quote = models.TextField(
        help_text="The passage of the source, quoted exactly.",
        max_length=TEXT_MAX_LENGTH,
        validators=long_text_rules("quote"),
    )
    claimed_amount = models.DecimalField(
        null=True,
        blank=True,
        help_text="The number this source gives, in its currency",
        max_digits=15,
        decimal_places=2,
    )
    claimed_currency = models.CharField(
        max_length=3, blank=True, default="EUR", validators=text_rules("claimed currency")
    )
    is_used = models.BooleanField(
        default=True, help_text="The public figure uses this claim (untick for a conflicting claim kept for view)."
    )
    locator = models.CharField(
        max_length=200, blank=True, help_text="Page, paragraph or article", validators=text_rules("locator")
    )

    TARGETS: ClassVar = (
        "instrument", "component", "tranche", "disbursement", "milestone", "condition", "estimate", "open_question",
    )  # fmt: skip

    class Meta:
        abstract = True


def _exactly_one_of(names: tuple[str, ...]) -> Q:
    """Exactly one of these foreign keys is set."""
    condition = Q()
    for chosen in names:
        condition |= Q(**{f"{chosen}__isnull": False}, **{name: None for name in names if name != chosen})
    return condition


class Citation(CitationFields, Publishable):
    """A claim: one source's figure for one fact, with the passage quoted. Sources may disagree;
    every claim stays visible and ``is_used`` marks the one the public figures use."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    instrument = models.ForeignKey(
        Instrument, null=True, blank=True, on_delete=models.PROTECT, related_name="citations"
    )
    component = models.ForeignKey(Component, null=True, blank=True, on_delete=models.PROTECT, related_name="citations")
    tranche = models.ForeignKey(Tranche, null=True, blank=True, on_delete=models.PROTECT, related_name="citations")
    disbursement = models.ForeignKey(
        Disbursement, null=True, blank=True, on_delete=models.PROTECT, related_name="citations"
    )
    milestone = models.ForeignKey(
        "tranches.Milestone", null=True, blank=True, on_delete=models.PROTECT, related_name="citations"
    )
    condition = models.ForeignKey(
        "tranches.Condition", null=True, blank=True, on_delete=models.PROTECT, related_name="citations"
    )
    estimate = models.ForeignKey(
        "tranches.Estimate", null=True, blank=True, on_delete=models.PROTECT, related_name="citations"
    )
    open_question = models.ForeignKey(
        "tranches.OpenQuestion", null=True, blank=True, on_delete=models.PROTECT, related_name="citations"
    )

    class Meta:
        ordering: ClassVar = ["pk"]
        permissions: ClassVar = [("publish_citation", "Can publish citation")]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=_exactly_one_of(CitationFields.TARGETS),
                name="tranches_citation_one_target",
                violation_error_message=CITATION_TARGET,
            ),
            models.CheckConstraint(
                condition=~Q(quote=""),
                name="tranches_citation_quote_not_empty",
                violation_error_message=CITATION_QUOTE_EMPTY,
            ),
            models.CheckConstraint(
                condition=Q(claimed_amount__isnull=True) | Q(claimed_amount__gt=0),
                name="tranches_citation_claimed_amount_positive",
                violation_error_message="The claimed amount must be more than zero.",
            ),
            length_at_most("quote"),
        ]

    def __str__(self) -> str:
        return f"{self.source.publisher} on {self.target}" if self.source_id else "citation"

    @classmethod
    def target_field(cls, model: type[models.Model]) -> str:
        """The name of the reference to a record of ``model`` (``open_question`` for OpenQuestion)."""
        return next(name for name in cls.TARGETS if cls._meta.get_field(name).related_model is model)

    def _targets(self) -> list[Publishable]:
        # getattr, not the *_id: an admin inline sets an unsaved parent before the first save.
        return [target for name in self.TARGETS if (target := getattr(self, name)) is not None]

    @property
    def target(self) -> Publishable | None:
        targets = self._targets()
        return targets[0] if targets else None

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if len(self._targets()) != 1:
            errors["__all__"] = CITATION_TARGET
        if isinstance(self.quote, str | None) and not (self.quote or "").strip():
            errors["quote"] = CITATION_QUOTE_EMPTY
        _check_positive(errors, self, "claimed_amount")
        if errors:
            raise ValidationError(errors)
