"""Serializers of the public API. They read the published versions (rows of the published state),
the releases and the annotations the selectors add; none of them queries the database. Amounts are
EUR decimal strings with cents."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reports.figures import LISTED_DISBURSEMENTS_MAX
from tranches.models import Citation, Grade, Stage

from .selectors.changes import plain


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
    value_date = serializers.DateField(help_text="The day the money was paid.")
    amount_eur = _eur("Amount paid (EUR). The figure every total uses.")
    reported_amount = _eur("The amount as the source reported it, in reported_currency.", allow_null=True)
    reported_currency = serializers.CharField(help_text="ISO 4217 code of reported_amount, e.g. USD; empty if none.")
    usd = UsdEquivalentSerializer(source="*", help_text="USD equivalent at the ECB reference rate.")
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


ENTITIES = ["instrument", "component", "tranche", "disbursement", "source", "citation"]


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


class ReleaseCountsSerializer(serializers.Serializer):
    instruments = _published_count("instruments")
    components = _published_count("components")
    tranches = _published_count("tranches")
    disbursements = _published_count("disbursements")
    sources = _published_count("sources")
    citations = _published_count("citations")


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


class ReleaseDetailSerializer(ReleaseSerializer):
    """A release with a page of the records it published (``changes``); ``next`` pages on."""

    changes = ReleaseChangeSerializer(
        many=True,
        help_text="A page of the records it published, each old → new, in the change log's order (by kind of "
        "record: citations, sources, payments, tranches, components, instruments; newest version first).",
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
