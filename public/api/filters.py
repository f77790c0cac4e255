"""Filters of the list resources (django-filter), strict ordering and search.

Filters work on the published versions (rows of the published state) and their annotations:
``instrument`` and ``component`` take an id or a slug, resolved among the published versions at the
request's ``as_of`` (or ``release``). A value that cannot be used is a 400 naming the parameter
(django-filter's form errors). An empty value is the same as leaving the filter out.

Every filter takes exactly what the OpenAPI schema says (``FILTER_SCHEMAS``, read by
public.api.schema): whole numbers of ASCII digits within bounds, amounts as decimal strings with
at most two decimals, dates as YYYY-MM-DD, booleans as true/false (or 1/0)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.request import Request
from rest_framework.views import APIView

from tranches.models import (
    PUBLISHED_MODEL,
    Citation,
    Component,
    Condition,
    ConditionOutcome,
    Disbursement,
    Estimate,
    EstimateKind,
    Grade,
    Instrument,
    Milestone,
    MilestoneKind,
    OpenQuestion,
    Release,
    Source,
    Stage,
    Tranche,
)
from tranches.selectors import public_versions

from .errors import InvalidParameter
from .params import ISO_DATE, is_whole_number
from .selectors.context import conditions_with_outcome

ID_OR_SLUG = "An id (e.g. 3) or a slug (e.g. {example})."


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=field,-other`` among the view's ``ordering_fields``; an unknown field is a 400
    (DRF would ignore it silently). The record id (the view's ``ordering_tiebreak``, e.g. a
    release's number) breaks ties so that pages never overlap."""

    ordering_description = "Sort by these fields, comma-separated; a leading '-' sorts descending."

    def remove_invalid_fields(
        self, queryset: QuerySet[Any], fields: Iterable[str], view: APIView, request: Request
    ) -> Any:
        valid = [item[0] for item in self.get_valid_fields(queryset, view, {"request": request})]
        unknown = [term for term in fields if term.removeprefix("-") not in valid]
        if unknown:
            raise InvalidParameter(
                self.ordering_param, f"Cannot sort by {', '.join(unknown)}; use one of: {', '.join(valid)}."
            )
        return list(fields)

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: APIView) -> QuerySet[Any]:
        ordering = list(self.get_ordering(request, queryset, view) or [])
        tiebreak = getattr(view, "ordering_tiebreak", "id")
        if ordering and not {tiebreak, f"-{tiebreak}"} & set(ordering):
            ordering.append(tiebreak)
        return queryset.order_by(*ordering) if ordering else queryset


class StrictSearchFilter(SearchFilter):
    search_description = "Words to find in names, purposes and texts (case-insensitive; every word must match)."


def _as_of(request: Request | None) -> Any:
    """The moment the view resolved from ``release``/``as_of`` (public.api.views.base): the parents
    a filter names are looked up as that release left them, without parsing the request again."""
    view = (getattr(request, "parser_context", None) or {}).get("view")
    return getattr(view, "as_of", None)


MAX_ID = 2**62
AMOUNT = r"^-?[0-9]{1,13}(\.[0-9]{1,2})?$"  # EUR with at most two decimals, as amounts are shown
ID_OR_SLUG_PATTERN = r"^[A-Za-z0-9_-]+$"
NO_NUL = r"^[^\x00]*$"  # any text but a NUL character (refused on every parameter)
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class WholeNumberField(forms.IntegerField):
    """ASCII digits only (forms.IntegerField would also take ' 5', '+5' or '5.0'), within bounds."""

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        if not is_whole_number(str(value)):
            raise ValidationError("Enter a whole number; got %(value)r.", code="invalid", params={"value": value})
        return int(value)


class AmountField(forms.DecimalField):
    """An amount in EUR as the API shows them: digits, an optional '-', at most two decimals."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        if not re.fullmatch(AMOUNT[1:-1], str(value)):
            raise ValidationError(
                "Enter an amount in EUR, e.g. 3500000000.00; got %(value)r.", code="invalid", params={"value": value}
            )
        return super().to_python(value)


class ISODateField(forms.DateField):
    """YYYY-MM-DD only (forms.DateField also takes 10/25/2006 and more)."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        if not ISO_DATE.fullmatch(str(value)):
            raise ValidationError(
                "Enter a date as YYYY-MM-DD, e.g. 2026-06-30; got %(value)r.", code="invalid", params={"value": value}
            )
        return super().to_python(value)


class StrictBooleanField(forms.NullBooleanField):
    """true or false (1 or 0; any case); anything else is a 400, not a filter silently dropped."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> Any:
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        if str(value).lower() not in BOOLEANS:
            raise ValidationError("Use true or false; got %(value)r.", code="invalid", params={"value": value})
        return BOOLEANS[str(value).lower()]

    def validate(self, value: Any) -> None:
        pass


class ChoicesField(filters.fields.MultipleChoiceField):
    """Choices; an empty value (``?stage=``) is left out, as every empty parameter is."""

    def to_python(self, value: Any) -> list[str]:
        return [choice for choice in super().to_python(value) if choice != ""]


class ChoicesFilter(filters.MultipleChoiceFilter):
    field_class = ChoicesField


class IntegerFilter(filters.NumberFilter):
    """A whole number within the database's range (a larger one is a 400, not a database error)."""

    field_class = WholeNumberField


class AmountFilter(filters.NumberFilter):
    field_class = AmountField


class ISODateFilter(filters.DateFilter):
    field_class = ISODateField


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField


def _amount(field_name: str, lookup: str, help_text: str) -> AmountFilter:
    return AmountFilter(
        field_name=field_name,
        lookup_expr=lookup,
        help_text=f"{help_text} A decimal, e.g. 3500000000.00.",
        max_digits=15,
        decimal_places=2,
    )


def _date_from(field_name: str, help_text: str) -> ISODateFilter:
    return ISODateFilter(field_name=field_name, lookup_expr="gte", help_text=f"{help_text} From (inclusive).")


def _date_to(field_name: str, help_text: str) -> ISODateFilter:
    return ISODateFilter(field_name=field_name, lookup_expr="lte", help_text=f"{help_text} Until (inclusive).")


def _id(field_name: str, help_text: str) -> IntegerFilter:
    return IntegerFilter(field_name=field_name, help_text=help_text, min_value=1, max_value=MAX_ID)


def filter_schema(declared: filters.Filter) -> dict[str, Any] | None:
    """The OpenAPI schema of what a filter takes (public.api.schema puts it on the parameter), or
    None to keep drf-spectacular's."""
    extra = declared.extra
    if isinstance(declared, IntegerFilter):
        schema: dict[str, Any] = {"type": "integer"}
        if extra.get("min_value") is not None:
            schema["minimum"] = extra["min_value"]
        if extra.get("max_value") is not None:
            schema["maximum"] = extra["max_value"]
        return schema
    if isinstance(declared, AmountFilter):
        return {"type": "string", "format": "decimal", "pattern": AMOUNT}
    if isinstance(declared, ISODateFilter):
        return {"type": "string", "format": "date"}
    if isinstance(declared, StrictBooleanFilter):
        return {"type": "boolean"}
    if isinstance(declared, ChoicesFilter):
        return None
    if isinstance(declared, filters.CharFilter):
        if declared.method in ("filter_instrument", "filter_component", "filter_tranche"):
            return {"type": "string", "pattern": ID_OR_SLUG_PATTERN}
        return {"type": "string", "pattern": NO_NUL}
    return None


class _PublicFilterSet(filters.FilterSet):
    def _ids(self, model: type[Any], value: str, parameter: str) -> Any:
        """Ids of the public ``model`` records named by ``value`` (an id or a slug)."""
        rows = public_versions(model, as_of=_as_of(self.request))
        if is_whole_number(value):
            return rows.filter(id=int(value)).order_by().values("id")
        if not (value.isascii() and value.replace("-", "").replace("_", "").isalnum()):
            raise InvalidParameter(parameter, f"Enter an id or a slug; got {value!r}.")
        return rows.filter(slug=value).order_by().values("id")

    def _components_of(self, instruments: Any) -> Any:
        """Ids of the public components of these instruments (same ``as_of``)."""
        components = public_versions(Component, as_of=_as_of(self.request)).filter(instrument_id__in=instruments)
        return components.order_by().values("id")

    def filter_instrument(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(instrument_id__in=self._ids(Instrument, value, "instrument"))

    def filter_component(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(component_id__in=self._ids(Component, value, "component"))

    def filter_tranche(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(tranche_id__in=self._ids(Tranche, value, "tranche"))


def _instrument_filter() -> filters.CharFilter:
    return filters.CharFilter(method="filter_instrument", help_text=ID_OR_SLUG.format(example="ukraine-support-loan"))


def _component_filter() -> filters.CharFilter:
    return filters.CharFilter(
        method="filter_component",
        help_text=ID_OR_SLUG.format(example="defence") + " Slugs repeat across instruments; add instrument.",
    )


class InstrumentFilter(_PublicFilterSet):
    slug = filters.CharFilter(help_text="The instrument's slug, e.g. ukraine-support-loan.")
    amount_min = _amount("amount", "gte", "Total at least (EUR).")
    amount_max = _amount("amount", "lte", "Total at most (EUR).")

    class Meta:
        model = PUBLISHED_MODEL[Instrument]
        fields: ClassVar[list[str]] = []


class ComponentFilter(_PublicFilterSet):
    instrument = _instrument_filter()
    slug = filters.CharFilter(help_text="The component's slug, e.g. defence.")
    amount_min = _amount("amount", "gte", "Amount at least (EUR).")
    amount_max = _amount("amount", "lte", "Amount at most (EUR).")

    class Meta:
        model = PUBLISHED_MODEL[Component]
        fields: ClassVar[list[str]] = []


class TrancheFilter(_PublicFilterSet):
    instrument = _instrument_filter()
    component = _component_filter()
    # distinct=False: a filter on the row's own column cannot repeat a row, and DISTINCT over every
    # column would make the database compute them all for every matching row (docs/BENCHMARKS.md).
    stage = ChoicesFilter(choices=Stage.choices, distinct=False, help_text="Stage; repeat for several.")
    purpose = filters.CharFilter(lookup_expr="iexact", help_text="Earmark, exactly (any case), e.g. drones.")
    budget_year = IntegerFilter(min_value=2000, max_value=2100, help_text="Budget year, e.g. 2026.")
    amount_min = _amount("amount", "gte", "Amount at least (EUR).")
    amount_max = _amount("amount", "lte", "Amount at most (EUR).")
    planned_on_after = _date_from("planned_on", "Planned (YYYY-MM-DD).")
    planned_on_before = _date_to("planned_on", "Planned (YYYY-MM-DD).")
    approved_on_after = _date_from("approved_on", "Approved (YYYY-MM-DD).")
    approved_on_before = _date_to("approved_on", "Approved (YYYY-MM-DD).")
    disbursed_on_after = _date_from("disbursed_on", "Disbursed (YYYY-MM-DD).")
    disbursed_on_before = _date_to("disbursed_on", "Disbursed (YYYY-MM-DD).")

    class Meta:
        model = PUBLISHED_MODEL[Tranche]
        fields: ClassVar[list[str]] = []

    def filter_instrument(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        # Through the indexed component_id, not the instrument computed for every tranche.
        return queryset.filter(component_id__in=self._components_of(self._ids(Instrument, value, "instrument")))


class DisbursementFilter(_PublicFilterSet):
    """Filters on the tranche (its component, instrument, purpose, budget year) select the public
    tranches first and then their payments (an indexed ``tranche_id IN``), rather than computing
    the tranche of every payment."""

    instrument = _instrument_filter()
    component = _component_filter()
    tranche = filters.CharFilter(method="filter_tranche", help_text="The tranche's id (or slug).")
    purpose = filters.CharFilter(method="filter_purpose", help_text="The tranche's earmark, e.g. drones.")
    budget_year = IntegerFilter(
        method="filter_budget_year", min_value=2000, max_value=2100, help_text="The tranche's budget year, e.g. 2026."
    )
    value_date_after = _date_from("value_date", "Paid (YYYY-MM-DD).")
    value_date_before = _date_to("value_date", "Paid (YYYY-MM-DD).")
    amount_min = _amount("amount_eur", "gte", "At least (EUR).")
    amount_max = _amount("amount_eur", "lte", "At most (EUR).")
    reported_currency = filters.CharFilter(lookup_expr="iexact", help_text="Currency the source reported, e.g. USD.")

    class Meta:
        model = PUBLISHED_MODEL[Disbursement]
        fields: ClassVar[list[str]] = []

    def _of_tranches(self, queryset: QuerySet[Any], **lookup: Any) -> QuerySet[Any]:
        tranches = public_versions(Tranche, as_of=_as_of(self.request)).filter(**lookup)
        return queryset.filter(tranche_id__in=tranches.order_by().values("id"))

    def filter_instrument(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        components = self._components_of(self._ids(Instrument, value, "instrument"))
        return self._of_tranches(queryset, component_id__in=components)

    def filter_component(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return self._of_tranches(queryset, component_id__in=self._ids(Component, value, "component"))

    def filter_purpose(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return self._of_tranches(queryset, purpose__iexact=value)

    def filter_budget_year(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        return self._of_tranches(queryset, budget_year=value)


class SourceFilter(_PublicFilterSet):
    grade = ChoicesFilter(choices=Grade.choices, distinct=False, help_text="Reliability grade; repeat for several.")
    published_on_after = _date_from("published_on", "Published (YYYY-MM-DD).")
    published_on_before = _date_to("published_on", "Published (YYYY-MM-DD).")

    class Meta:
        model = PUBLISHED_MODEL[Source]
        fields: ClassVar[list[str]] = []


class CitationFilter(_PublicFilterSet):
    source = _id("source_id", "The source's id.")
    instrument = _id("instrument_id", "Backs a figure of this instrument (id).")
    component = _id("component_id", "Backs a figure of this component (id).")
    tranche = _id("tranche_id", "Backs a figure of this tranche (id).")
    disbursement = _id("disbursement_id", "Backs a figure of this disbursement (id).")
    milestone = _id("milestone_id", "Backs a date of this milestone (id).")
    condition = _id("condition_id", "Backs a figure of this condition (id).")
    estimate = _id("estimate_id", "Backs this estimate (id).")
    open_question = _id("open_question_id", "Backs this open question or its answer (id).")
    is_used = StrictBooleanFilter(help_text="true: claims the public figures use; false: conflicting claims.")

    class Meta:
        model = PUBLISHED_MODEL[Citation]
        fields: ClassVar[list[str]] = []


def _tranche_filter() -> filters.CharFilter:
    return filters.CharFilter(method="filter_tranche", help_text="The tranche's id (or slug).")


class MilestoneFilter(_PublicFilterSet):
    instrument = _instrument_filter()
    tranche = _tranche_filter()
    kind = ChoicesFilter(choices=MilestoneKind.choices, distinct=False, help_text="Kind of event; repeat for several.")

    class Meta:
        model = PUBLISHED_MODEL[Milestone]
        fields: ClassVar[list[str]] = []


class ConditionFilter(_PublicFilterSet):
    instrument = _instrument_filter()
    tranche = _tranche_filter()
    outcome = ChoicesFilter(
        choices=ConditionOutcome.choices,
        method="filter_outcome",
        help_text="Outcome, derived from the steps met and due: not_assessed (no steps met given yet), met (all), "
        "partly_met (some), not_met (none). Repeat for several.",
    )
    assessed_on_after = _date_from("assessed_on", "Assessed (YYYY-MM-DD).")
    assessed_on_before = _date_to("assessed_on", "Assessed (YYYY-MM-DD).")

    class Meta:
        model = PUBLISHED_MODEL[Condition]
        fields: ClassVar[list[str]] = []

    def filter_outcome(self, queryset: QuerySet[Any], name: str, value: list[str]) -> QuerySet[Any]:
        return conditions_with_outcome(queryset, value)


class ConditionLedgerFilter(_PublicFilterSet):
    """The ledger's rows are tranches: it takes the conditions of an instrument or of a tranche."""

    instrument = _instrument_filter()
    tranche = _tranche_filter()

    class Meta:
        model = PUBLISHED_MODEL[Condition]
        fields: ClassVar[list[str]] = []


class EstimateFilter(_PublicFilterSet):
    kind = ChoicesFilter(
        choices=EstimateKind.choices, distinct=False, help_text="interest (a cost) or needs; repeat for both."
    )
    instrument = _instrument_filter()

    class Meta:
        model = PUBLISHED_MODEL[Estimate]
        fields: ClassVar[list[str]] = []


class OpenQuestionFilter(_PublicFilterSet):
    is_open = StrictBooleanFilter(
        method="filter_is_open", help_text="true: still open; false: answered (by the release that gave the answer)."
    )
    instrument = _instrument_filter()

    class Meta:
        model = PUBLISHED_MODEL[OpenQuestion]
        fields: ClassVar[list[str]] = []

    def filter_is_open(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        return queryset.filter(answered_on__isnull=value)


class ReleaseFilter(filters.FilterSet):
    published_on_after = ISODateFilter(
        field_name="published_at", lookup_expr="date__gte", help_text="Published (YYYY-MM-DD, UTC). From (inclusive)."
    )
    published_on_before = ISODateFilter(
        field_name="published_at", lookup_expr="date__lte", help_text="Published (YYYY-MM-DD, UTC). Until (inclusive)."
    )

    class Meta:
        model = Release
        fields: ClassVar[list[str]] = []
