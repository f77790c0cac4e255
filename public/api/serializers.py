"""Serializers of the public API. They read the published versions (rows of the published state),
the releases and the annotations the selectors add; none of them queries the database. Amounts are
EUR decimal strings with cents."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reports.figures import LISTED_DISBURSEMENTS_MAX
from tranches.models import (
    Citation,
    ConditionOutcome,
    DatePrecision,
    EstimateKind,
    Grade,
    MilestoneKind,
    Qualifier,
    Stage,
)

from .selectors.changes import CHANGE_ENTITIES, plain
from .selectors.releases import RELEASE_KINDS


def _eur(help_text: str, **kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=15, decimal_places=2, help_text=help_text, **kwargs)


PUBLISHED_AT = "When the release that published this version was published (UTC). Earlier versions are in /changes/."


class InstrumentSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Stable id of the instrument.")
    slug = serializers.SlugField(help_text="Stable name for URLs and filters, e.g. ukraine-support-loan.")
    name = serializers.CharField(help_text="Full name, e.g. Ukraine Support Loan.")
    short_name = serializers.CharField(help_text="Abbreviation, e.g. USL.")
    legal_basis = serializers.CharField(help_text="The act that set it up, e.g. Regulation (EU) 2026/467.")
    legal_basis_url = serializers.CharField(help_text="ELI or EUR-Lex link to the legal basis; empty if none.")
    amount = _eur("Total amount of the instrument (EUR). Instruments are never added together.")
    currency = serializers.CharField(help_text="Always EUR.")
    period_start = serializers.DateField(help_text="First day of the period it covers.")
    period_end = serializers.DateField(help_text="Last day of the period it covers.")
    lender = serializers.CharField(help_text="Who lends, e.g. the European Union.")
    borrower = serializers.CharField(help_text="Who borrows, e.g. Ukraine.")
    description = serializers.CharField(help_text="Context: financing, conditions, repayment.")
    published_at = serializers.DateTimeField(help_text=PUBLISHED_AT)


class ComponentSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Stable id of the component.")
    instrument = serializers.IntegerField(source="instrument_id", help_text="Id of its instrument.")
    instrument_slug = serializers.CharField(help_text="Slug of its instrument.")
    instrument_short_name = serializers.CharField(help_text="Short name of its instrument, e.g. USL.")
    slug = serializers.SlugField(help_text="Slug, unique within the instrument, e.g. defence.")
    name = serializers.CharField(help_text="Name, e.g. Defence or Budget support.")
    amount = _eur("Envelope of the component (EUR).")
    description = serializers.CharField(help_text="What the money is for and under which conditions.")
    published_at = serializers.DateTimeField(help_text=PUBLISHED_AT)


class TrancheSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Stable id of the tranche.")
    instrument = serializers.IntegerField(source="instrument_id", help_text="Id of its instrument.")
    instrument_slug = serializers.CharField(help_text="Slug of its instrument.")
    instrument_short_name = serializers.CharField(help_text="Short name of its instrument, e.g. USL.")
    component = serializers.IntegerField(source="component_id", help_text="Id of its component.")
    component_slug = serializers.CharField(help_text="Slug of its component, e.g. defence.")
    component_name = serializers.CharField(help_text="Name of its component, e.g. Defence.")
    slug = serializers.SlugField(help_text="Slug, unique within the component.")
    name = serializers.CharField(help_text="Name of the tranche.")
    purpose = serializers.CharField(help_text="Earmark, e.g. drones or budget support.")
    amount = _eur("Amount of the tranche (EUR).")
    stage = serializers.ChoiceField(
        choices=Stage.choices,
        help_text="planned → approved → disbursed, or withheld / cancelled. Committed = approved or disbursed.",
    )
    planned_on = serializers.DateField(allow_null=True, help_text="Date it was planned, if known.")
    approved_on = serializers.DateField(allow_null=True, help_text="Date it was approved, if known.")
    disbursed_on = serializers.DateField(allow_null=True, help_text="Date it was paid, if paid.")
    withheld_on = serializers.DateField(allow_null=True, help_text="Date it was withheld, if withheld.")
    cancelled_on = serializers.DateField(allow_null=True, help_text="Date it was cancelled, if cancelled.")
    budget_year = serializers.IntegerField(allow_null=True, help_text="Budget year it counts against, if known.")
    notes = serializers.CharField(help_text="Caveats: approximate dates, conflicting claims.")
    published_at = serializers.DateTimeField(help_text=PUBLISHED_AT)


class UsdEquivalentSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        source="amount_usd",
        max_digits=30,
        decimal_places=2,
        allow_null=True,
        help_text="amount_eur × rate, in USD; null when no ECB rate is stored for the value date or before.",
    )
    rate = serializers.DecimalField(
        source="usd_rate",
        max_digits=18,
        decimal_places=6,
        allow_null=True,
        help_text="ECB euro reference rate: USD per 1 EUR.",
    )
    rate_date = serializers.DateField(
        source="usd_rate_date",
        allow_null=True,
        help_text="Day of that rate: the value date, or the last ECB business day before it.",
    )


class DisbursementSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Stable id of the disbursement.")
    instrument = serializers.IntegerField(source="instrument_id", help_text="Id of the instrument.")
    instrument_slug = serializers.CharField(help_text="Slug of the instrument.")
    instrument_short_name = serializers.CharField(help_text="Short name of the instrument, e.g. USL.")
    component = serializers.IntegerField(source="component_id", help_text="Id of the component.")
    component_slug = serializers.CharField(help_text="Slug of the component, e.g. defence.")
    component_name = serializers.CharField(help_text="Name of the component.")
    tranche = serializers.IntegerField(source="tranche_id", help_text="Id of the tranche it pays.")
    tranche_name = serializers.CharField(help_text="Name of the tranche it pays.")
    purpose = serializers.CharField(help_text="Earmark of the tranche, e.g. drones.")
    budget_year = serializers.IntegerField(allow_null=True, help_text="Budget year of the tranche.")
    value_date = serializers.DateField(
        help_text="The day the money was paid; the month's first day when only the month is known."
    )
    value_date_precision = serializers.ChoiceField(
        choices=DatePrecision.choices,
        help_text="How exactly the sources give value_date: day (that day), month (only the month; value_date is "
        "its first day) or approximate (around that day).",
    )
    amount_eur = _eur("Amount paid (EUR). The figure every total uses.")
    reported_amount = _eur("The amount as the source reported it, in reported_currency.", allow_null=True)
    reported_currency = serializers.CharField(help_text="ISO 4217 code of reported_amount, e.g. USD; empty if none.")
    usd = UsdEquivalentSerializer(source="*", help_text="USD equivalent at the ECB reference rate.")
    paid_through = serializers.IntegerField(
        source="paid_through_id",
        allow_null=True,
        help_text="Id of another instrument this payment went through (e.g. budget support of the loan paid as "
        "extra Ukraine Facility loans); null if none. The payment counts once, under its own instrument "
        "(instrument), and is only linked to this one.",
    )
    paid_through_slug = serializers.CharField(
        allow_null=True, help_text="Slug of the instrument it went through, e.g. ukraine-facility; null if none."
    )
    notes = serializers.CharField(help_text="Caveats, e.g. an approximate value date.")
    published_at = serializers.DateTimeField(help_text=PUBLISHED_AT)


class CitationTargetSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=list(Citation.TARGETS), help_text="Kind of record whose figure it backs.")
    id = serializers.IntegerField(help_text="Id of that record.")


class CitationSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Stable id of the citation.")
    # A field named like Field.source / Field.label: the stubs see the attribute, DRF the field.
    source = serializers.IntegerField(source="source_id", help_text="Id of the source quoted.")  # type: ignore[assignment]
    target = serializers.SerializerMethodField(help_text="The record whose figure it backs.")
    figure = serializers.CharField(help_text="Which figure it backs, e.g. amount or date disbursed.")
    quote = serializers.CharField(help_text="The passage of the source, quoted.")
    claimed_amount = _eur("The number this source gives, in claimed_currency.", allow_null=True)
    claimed_currency = serializers.CharField(help_text="Currency of claimed_amount, e.g. EUR or USD.")
    is_used = serializers.BooleanField(
        help_text="true if the public figures use this claim; false for a conflicting claim kept for view."
    )
    locator = serializers.CharField(help_text="Page, paragraph or article in the source.")
    published_at = serializers.DateTimeField(help_text=PUBLISHED_AT)

    @extend_schema_field(CitationTargetSerializer)
    def get_target(self, row: Any) -> dict[str, Any] | None:
        for name in Citation.TARGETS:
            target_id = getattr(row, f"{name}_id")
            if target_id is not None:
                return {"type": name, "id": target_id}
        return None


class SourceSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Stable id of the source.")
    publisher = serializers.CharField(help_text="Who published it.")
    title = serializers.CharField(help_text="Title of the document.")
    published_on = serializers.DateField(allow_null=True, help_text="Date of the document; null when unknown.")
    url = serializers.CharField(help_text="Link to the document; empty if none.")
    grade = serializers.ChoiceField(
        choices=Grade.choices, help_text="Reliability: A official text, B established media, C secondary site."
    )
    notes = serializers.CharField(help_text="Notes on the source.")
    citations = CitationSerializer(
        many=True, source="public_citations", help_text="The passages of this source that back figures."
    )
    published_at = serializers.DateTimeField(help_text=PUBLISHED_AT)


# ------------------------------------------------------------------ the record around the money


class RecordCitationSerializer(serializers.Serializer):
    """A citation shown with the record it backs: the passage quoted and its source."""

    id = serializers.IntegerField(help_text="Stable id of the citation (see /api/v1/citations/{id}/).")
    source = serializers.IntegerField(source="source_id", help_text="Id of the source quoted.")  # type: ignore[assignment]
    source_publisher = serializers.CharField(help_text="Who published the source.")
    source_title = serializers.CharField(help_text="Title of the source.")
    source_published_on = serializers.DateField(allow_null=True, help_text="Date of the source; null when unknown.")
    source_grade = serializers.ChoiceField(
        choices=Grade.choices, help_text="Reliability: A official text, B established media, C secondary site."
    )
    source_url = serializers.CharField(help_text="Link to the source; empty if none.")
    figure = serializers.CharField(help_text="Which figure or date it backs, e.g. amount or date happened.")
    quote = serializers.CharField(help_text="The passage of the source, quoted.")
    claimed_amount = _eur("The number this source gives, in claimed_currency.", allow_null=True)
    claimed_currency = serializers.CharField(help_text="Currency of claimed_amount, e.g. EUR or USD.")
    is_used = serializers.BooleanField(
        help_text="true if the public figures use this claim; false for a conflicting claim kept for view."
    )
    locator = serializers.CharField(help_text="Page, paragraph or article in the source.")


def _citations() -> RecordCitationSerializer:
    return RecordCitationSerializer(
        many=True,
        source="public_citations",
        help_text="The quoted passages that back it, each with its source (conflicting claims too: is_used=false).",
    )


def _instrument(of: str = "its instrument", *, allow_null: bool = False) -> serializers.IntegerField:
    none = "; null: none in particular" if allow_null else ""
    return serializers.IntegerField(source="instrument_id", allow_null=allow_null, help_text=f"Id of {of}{none}.")


def _instrument_slug(of: str = "its instrument", *, allow_null: bool = False) -> serializers.CharField:
    return serializers.CharField(allow_null=allow_null, help_text=f"Slug of {of}, e.g. ukraine-facility.")


def _instrument_short_name(of: str = "its instrument", *, allow_null: bool = False) -> serializers.CharField:
    return serializers.CharField(allow_null=allow_null, help_text=f"Short name of {of}, e.g. UF.")


def _tranche() -> serializers.IntegerField:
    return serializers.IntegerField(
        source="tranche_id", allow_null=True, help_text="Id of the tranche (payment) it concerns; null if none."
    )


def _tranche_name() -> serializers.CharField:
    return serializers.CharField(allow_null=True, help_text="Name of that tranche, or null.")


class MilestoneSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Stable id of the milestone.")
    instrument = _instrument()
    instrument_slug = _instrument_slug()
    instrument_short_name = _instrument_short_name()
    tranche = _tranche()
    tranche_name = _tranche_name()
    kind = serializers.ChoiceField(choices=MilestoneKind.choices, help_text="Kind of event.")
    title = serializers.CharField(help_text="What happened, or is to happen.")
    planned_on = serializers.DateField(allow_null=True, help_text="When it was meant to happen; null if not known.")
    planned_note = serializers.CharField(
        help_text="The plan in the source's words when it gave no exact day, e.g. “early April”; empty if none."
    )
    happened_on = serializers.DateField(allow_null=True, help_text="When it happened; null while it has not.")
    date = serializers.DateField(help_text="happened_on, else planned_on: where a timeline places it.")
    days_late = serializers.IntegerField(
        allow_null=True,
        help_text="happened_on − planned_on in days (negative: early); null unless both dates are known.",
    )
    notes = serializers.CharField(help_text="Caveats, e.g. how approximate a date is.")
    citations = _citations()
    published_at = serializers.DateTimeField(help_text=PUBLISHED_AT)


class ConditionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Stable id of the condition.")
    instrument = _instrument()
    instrument_slug = _instrument_slug()
    instrument_short_name = _instrument_short_name()
    tranche = _tranche()
    tranche_name = _tranche_name()
    title = serializers.CharField(help_text="The condition, e.g. the reform steps of a Ukraine Facility payment.")
    area = serializers.CharField(help_text="Policy area, e.g. anti-corruption; empty if none.")
    steps_due = serializers.IntegerField(help_text="Reform steps (or conditions) due for the payment.")
    steps_met = serializers.IntegerField(allow_null=True, help_text="How many were found met; null until assessed.")
    assessed_on = serializers.DateField(allow_null=True, help_text="When the assessment was decided; null until then.")
    outcome = serializers.ChoiceField(
        choices=ConditionOutcome.choices,
        help_text="Derived from the steps (never stored): not_assessed (steps_met null), met (steps_met = "
        "steps_due), partly_met (some), not_met (none).",
    )
    amount_at_stake = _eur("The most the payment could be, every step met (EUR); null if not given.", allow_null=True)
    amount_withheld = _eur("Held back for the steps not met (EUR); null if not given.", allow_null=True)
    recoverable_until = serializers.DateField(
        allow_null=True, help_text="Until when the money withheld can still be paid if the steps are completed."
    )
    notes = serializers.CharField(help_text="Caveats and context.")
    citations = _citations()
    published_at = serializers.DateTimeField(help_text=PUBLISHED_AT)


class ConditionLedgerSerializer(serializers.Serializer):
    """One payment (tranche) gated by conditions, with their sums."""

    tranche = serializers.IntegerField(help_text="Id of the tranche (payment) the conditions gate.")
    tranche_name = serializers.CharField(allow_null=True, help_text="Name of the tranche.")
    tranche_amount = _eur("Amount of the tranche (EUR).", allow_null=True)
    instrument = serializers.IntegerField(allow_null=True, help_text="Id of the tranche's instrument.")
    instrument_slug = serializers.CharField(allow_null=True, help_text="Slug of the tranche's instrument.")
    instrument_short_name = serializers.CharField(allow_null=True, help_text="Short name of the tranche's instrument.")
    conditions = serializers.IntegerField(help_text="How many published conditions gate it.")
    conditions_assessed = serializers.IntegerField(help_text="How many of them are assessed.")
    steps_due = serializers.IntegerField(help_text="Steps due: the sum over its conditions.")
    steps_met = serializers.IntegerField(
        allow_null=True, help_text="Steps met: the sum over its assessed conditions; null while none is assessed."
    )
    outcome = serializers.ChoiceField(
        choices=ConditionOutcome.choices,
        help_text="The outcome of the sums (met, partly_met, not_met) once every condition is assessed; "
        "not_assessed until then.",
    )
    amount_at_stake = _eur("Money at stake: the sum over its conditions (EUR); null if none gives it.", allow_null=True)
    amount_withheld = _eur("Money withheld: the sum over its conditions (EUR); null if none gives it.", allow_null=True)
    recoverable_until = serializers.DateField(
        allow_null=True, help_text="The earliest day until which money withheld can still be paid; null if none."
    )
    paid = _eur("Paid so far: the sum of the tranche's published payments (EUR); 0.00 if none.")


class EstimateSerializer(serializers.Serializer):
    """A cost or a need: an estimate, shown beside the figures and never added to money paid."""

    id = serializers.IntegerField(help_text="Stable id of the estimate.")
    instrument = _instrument("the instrument it is about", allow_null=True)
    instrument_slug = _instrument_slug("that instrument", allow_null=True)
    instrument_short_name = _instrument_short_name("that instrument", allow_null=True)
    kind = serializers.ChoiceField(
        choices=EstimateKind.choices, help_text="interest: a cost to the EU budget; needs: Ukraine's financing needs."
    )
    title = serializers.CharField(help_text="What is estimated.")
    amount = _eur("The estimate (EUR), as the source gives it (see qualifier). Never added to money paid.")
    qualifier = serializers.ChoiceField(
        choices=Qualifier.choices,
        help_text="How the source qualifies the amount: about, over, up to; empty: as stated.",
    )
    per_year = serializers.BooleanField(help_text="true: the amount is for each year of the period.")
    period_start = serializers.DateField(help_text="First day of the period it covers.")
    period_end = serializers.DateField(allow_null=True, help_text="Last day of the period; null: open-ended.")
    notes = serializers.CharField(help_text="Caveats: method, what is included.")
    citations = _citations()
    published_at = serializers.DateTimeField(help_text=PUBLISHED_AT)


class OpenQuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Stable id of the question.")
    instrument = _instrument("the instrument it is about", allow_null=True)
    instrument_slug = _instrument_slug("that instrument", allow_null=True)
    instrument_short_name = _instrument_short_name("that instrument", allow_null=True)
    question = serializers.CharField(help_text="What is not known yet.")
    open_since = serializers.DateField(help_text="The date of the latest source that shows it open.")
    would_answer = serializers.CharField(help_text="What would answer it.")
    answered_on = serializers.DateField(allow_null=True, help_text="When it was answered; null while open.")
    answer = serializers.CharField(help_text="The answer; empty while open.")
    is_open = serializers.BooleanField(help_text="true while no release has answered it.")
    notes = serializers.CharField(help_text="Notes.")
    citations = _citations()
    published_at = serializers.DateTimeField(help_text=PUBLISHED_AT)


# ------------------------------------------------------------------------------------ change log


@extend_schema_field(OpenApiTypes.ANY)
class PlainValueField(serializers.Field):
    def to_representation(self, value: Any) -> Any:
        return plain(value)


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text="Name of the field, as in the resource: amount, stage, component (the id of the component)…"
    )
    name = serializers.CharField(help_text="The field in words: Amount, Stage, Component, Planned on…")
    old = PlainValueField(
        help_text="Value in the previous published version, as the resource gives it (amounts as decimal "
        "strings, dates YYYY-MM-DD, records by id); null when first published."
    )
    new = PlainValueField(help_text="Value in this published version, as the resource gives it.")
    old_text = serializers.CharField(
        allow_null=True,
        help_text="The old value in words: €3,900,000,000.00, 30 Jun 2026, the name of a record referred to "
        "(as it stood in this release), — for none; null when first published.",
    )
    new_text = serializers.CharField(help_text="The new value in words, like old_text.")


ENTITIES = list(CHANGE_ENTITIES)


class ReleaseChangeSerializer(serializers.Serializer):
    """One record a release published (the release is the one shown around it)."""

    entity = serializers.ChoiceField(choices=ENTITIES, help_text="Kind of record.")
    id = serializers.IntegerField(source="record_id", help_text="Id of the record (as in its resource).")
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="The record in words, as this version names it: a name or title, 'Payment of 30 Jun 2026 "
        "(tranche)', 'Citation of “source” (figure)'."
    )
    kind = serializers.ChoiceField(
        choices=["added", "changed"],
        help_text="added: first publication; changed: a correction or update of a record published before.",
    )
    changes = FieldChangeSerializer(
        many=True,
        help_text="The fields that differ from the previous publication (every filled field when added).",
    )


class ChangeSerializer(ReleaseChangeSerializer):
    """One publication in the change log, with the release that published it."""

    release = serializers.IntegerField(
        help_text="Number of the release that published this version (see /api/v1/releases/{number}/)."
    )
    published_at = serializers.DateTimeField(help_text="When that release was published (UTC).")
    release_note = serializers.CharField(help_text="That release's public note: what changed and why.")


# -------------------------------------------------------------------------------------- releases


def _published_count(kind: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        help_text=f"Number of {kind} this release published: new ones and corrected versions of earlier ones."
    )


# A count per kind of record a release publishes (selectors.releases.RELEASE_KINDS), named like its resource.
ReleaseCountsSerializer: type[serializers.Serializer] = type(
    "ReleaseCountsSerializer",
    (serializers.Serializer,),
    {"__module__": __name__, **{kind: _published_count(kind.replace("_", " ")) for kind in RELEASE_KINDS}},
)


class ReleaseDownloadsSerializer(serializers.Serializer):
    datapackage = serializers.URLField(help_text="The release as a Frictionless data package (zip of CSVs).")
    iati = serializers.URLField(help_text="The release as IATI 2.03 XML.")


class ReleaseSerializer(serializers.Serializer):
    number = serializers.IntegerField(
        help_text="Number of the release: 1, 2, 3… in the order they were published. ?release=N shows the data "
        "as this release left it."
    )
    published_at = serializers.DateTimeField(help_text="When it was published (UTC).")
    note = serializers.CharField(help_text="What changed and why, as the reviewers wrote it for the public.")
    published = ReleaseCountsSerializer(
        source="published_counts", help_text="How many records of each kind it published (new or corrected)."
    )
    downloads = serializers.SerializerMethodField(help_text="The release as open-standard files (docs/DOWNLOADS.md).")

    @extend_schema_field(ReleaseDownloadsSerializer)
    def get_downloads(self, release: Any) -> dict[str, str]:
        request = self.context.get("request")
        paths = {
            "datapackage": reverse("downloads:release-datapackage", args=[release.number]),
            "iati": reverse("downloads:release-iati", args=[release.number]),
        }
        return {name: request.build_absolute_uri(path) if request is not None else path for name, path in paths.items()}


class ReleaseDetailSerializer(ReleaseSerializer):
    """A release with a page of the records it published (``changes``); ``next`` pages on."""

    changes = ReleaseChangeSerializer(
        many=True,
        help_text="A page of the records it published, each old → new, in the change log's order (by kind of "
        "record: citations, open questions, estimates, conditions, milestones, sources, payments, tranches, "
        "components, instruments; newest version first).",
    )
    next = serializers.URLField(allow_null=True, help_text="The next page of its changes, or null at the end.")


# ------------------------------------------------------------------------- snapshots and figures


def _figure(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=17, decimal_places=2, help_text=help_text)


class TotalsSerializer(serializers.Serializer):
    amount = _figure("Envelope (EUR).")
    planned = _figure("Tranches at stage planned (EUR).")
    approved = _figure("Tranches at stage approved, not yet paid (EUR).")
    committed = _figure("Tranches approved or disbursed (EUR).")
    withheld = _figure("Tranches withheld (EUR).")
    cancelled = _figure("Tranches cancelled (EUR).")
    allocated = _figure("Tranches not cancelled (EUR).")
    not_allocated = _figure("amount − allocated (EUR).")
    disbursed = _figure("Money paid: the sum of the disbursements (EUR).")
    remaining = _figure("amount − disbursed (EUR).")
    percent_disbursed = serializers.DecimalField(
        max_digits=5, decimal_places=1, help_text="disbursed / amount × 100, one decimal."
    )
    disbursed_usd = serializers.DecimalField(
        max_digits=20,
        decimal_places=2,
        allow_null=True,
        help_text="Disbursed in USD, each payment at the ECB rate of its value date; null if a rate is missing.",
    )
    tranche_count = serializers.IntegerField(help_text="Number of tranches.")
    disbursement_count = serializers.IntegerField(help_text="Number of disbursements.")


class ComponentFiguresSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Id of the component.")
    slug = serializers.CharField(help_text="Slug of the component.")
    name = serializers.CharField(help_text="Name of the component.")
    totals = TotalsSerializer(help_text="Figures of the component.")


class InstrumentFiguresSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Id of the instrument.")
    slug = serializers.CharField(help_text="Slug of the instrument.")
    short_name = serializers.CharField(help_text="Short name, e.g. USL.")
    name = serializers.CharField(help_text="Name of the instrument.")
    totals = TotalsSerializer(help_text="Figures of the whole instrument (never mixed with another's).")
    components = ComponentFiguresSerializer(many=True, help_text="Figures of each component.")


class SnapshotSerializer(serializers.Serializer):
    hash = serializers.CharField(source="content_hash", help_text="SHA-256 of the figures: the permalink key.")
    as_of = serializers.DateTimeField(help_text="When the data it shows was last published (UTC).")
    created_at = serializers.DateTimeField(help_text="When the figures were computed (UTC).")
    schema_version = serializers.IntegerField(help_text="Version of the payload's layout (docs/JOBS.md).")
    url = serializers.SerializerMethodField(help_text="Permalink of this dated version of the figures.")

    def get_url(self, snapshot: Any) -> str:
        request = self.context.get("request")
        path = f"/api/v1/snapshots/{snapshot.content_hash}/"
        return request.build_absolute_uri(path) if request is not None else path


class SnapshotDetailSerializer(SnapshotSerializer):
    payload = serializers.JSONField(
        help_text="Every computed figure: per instrument and component totals, splits by purpose and budget "
        "year, cumulative disbursements by month, tranches with their payments' sum, count and dates, "
        "sources and citations (docs/JOBS.md). Each disbursement with USD at ECB rates while there are "
        f"at most {LISTED_DISBURSEMENTS_MAX:,} (`disbursements_listed`); beyond, /disbursements/ with "
        "`as_of` lists them. Amounts are EUR decimal strings."
    )


class UsdRuleSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="USD.")
    source = serializers.CharField(help_text="Where the rates come from (ECB euro reference rates).")  # type: ignore[assignment]
    rule = serializers.CharField(help_text="How a EUR amount is turned into USD.")


class SummarySerializer(serializers.Serializer):
    snapshot = SnapshotSerializer(help_text="The stored snapshot these figures come from.")
    currency = serializers.CharField(help_text="EUR: every amount is in euros.")
    usd = UsdRuleSerializer(help_text="How the USD equivalents are computed.")
    instruments = InstrumentFiguresSerializer(many=True, help_text="Each instrument with its components.")


class LinkedFromSerializer(serializers.Serializer):
    instrument_id = serializers.IntegerField(help_text="Id of the instrument the payments belong to (and count under).")
    short_name = serializers.CharField(help_text="Its short name.")
    amount = _figure("EUR paid through this instrument by that one.")
    count = serializers.IntegerField(help_text="How many such payments.")


class LinkedInSerializer(serializers.Serializer):
    amount = _figure("EUR of other instruments' payments paid through this one: a note, never in paid.")
    count = serializers.IntegerField(help_text="How many such payments.")
    # "from" is a Python keyword: declared below.


LinkedInSerializer._declared_fields["from"] = LinkedFromSerializer(many=True, help_text="By owning instrument.")


class InstrumentYearSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="Calendar year of the value dates.")
    paid = _figure("EUR of this instrument's own payments that year.")
    count = serializers.IntegerField(help_text="How many payments.")
    linked_in = LinkedInSerializer(help_text="Other instruments' payments paid through this one that year.")


class InstrumentTotalSerializer(serializers.Serializer):
    paid = _figure("EUR of this instrument's own payments, every year.")
    count = serializers.IntegerField(help_text="How many payments.")
    linked_in = LinkedInSerializer(help_text="Other instruments' payments paid through this one.")


class InstrumentYearsRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Id of the instrument.")
    slug = serializers.CharField(help_text="Slug of the instrument.")
    short_name = serializers.CharField(help_text="Short name, e.g. USL.")
    name = serializers.CharField(help_text="Name of the instrument.")
    years = InstrumentYearSerializer(many=True, help_text="Years with a payment of its own or linked to it.")
    total = InstrumentTotalSerializer(help_text="Every year.")


class AllInstrumentsYearSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="Calendar year.")
    paid = _figure("EUR of the distinct payments of every instrument that year.")
    count = serializers.IntegerField(help_text="How many distinct payments.")


class AllInstrumentsSerializer(serializers.Serializer):
    years = AllInstrumentsYearSerializer(many=True, help_text="Each year, every instrument, each euro once.")
    paid = _figure("EUR of the distinct payments of every instrument.")
    count = serializers.IntegerField(help_text="How many distinct payments.")


class InstrumentYearsSerializer(serializers.Serializer):
    snapshot = SnapshotSerializer(help_text="The stored snapshot these figures come from.")
    currency = serializers.CharField(help_text="EUR: every amount is in euros.")
    rules = serializers.ListField(
        child=serializers.CharField(), help_text="The counting rules, as the page shows them."
    )
    years = serializers.ListField(child=serializers.IntegerField(), help_text="Years with a payment, oldest first.")
    instruments = InstrumentYearsRowSerializer(many=True, help_text="Each instrument: its own payments per year.")
    total = AllInstrumentsSerializer(help_text="All instruments together: the distinct payments, each counted once.")


class TimeseriesPointSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="2026-06 (month), 2026-Q2 (quarter) or 2026 (year).")
    period_start = serializers.DateField(help_text="First day of the period.")
    value = _figure("EUR disbursed in the period, or the running total at its end when cumulative=true.")


class TimeseriesSeriesSerializer(serializers.Serializer):
    instrument = serializers.IntegerField(help_text="Id of the instrument.")
    instrument_slug = serializers.CharField(help_text="Slug of the instrument.")
    component = serializers.IntegerField(allow_null=True, help_text="Id of the component; null: whole instrument.")
    component_slug = serializers.CharField(allow_null=True, help_text="Slug of the component, or null.")
    points = TimeseriesPointSerializer(many=True, help_text="One point per period with payments, oldest first.")


class TimeseriesSerializer(serializers.Serializer):
    snapshot = SnapshotSerializer(help_text="The stored snapshot these figures come from.")
    interval = serializers.ChoiceField(choices=["month", "quarter", "year"], help_text="Length of a period.")
    cumulative = serializers.BooleanField(help_text="true: running totals; false: paid in each period.")
    currency = serializers.CharField(help_text="EUR.")
    series = TimeseriesSeriesSerializer(many=True, help_text="One series per instrument and per component.")


class TimeseriesRowSerializer(serializers.Serializer):
    """A row of the CSV/XLSX of timeseries: one series and one period."""

    instrument = serializers.IntegerField()
    instrument_slug = serializers.CharField()
    component = serializers.IntegerField(allow_null=True)
    component_slug = serializers.CharField(allow_null=True)
    period = serializers.CharField()
    period_start = serializers.DateField()
    value = _figure("EUR")
