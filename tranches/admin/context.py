"""Data entry of the record around the money: milestones (planned vs actual), conditions (steps met,
money withheld, until when it can be recovered), estimates (costs and needs, never added to money
paid) and open questions. Saves go through ``tranches.services`` like every other record
(``ServiceAdmin``); the models' ``clean()`` gives the refusals, shown on the field they concern."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ..models import (
    OUTCOME_WHERE,
    Condition,
    ConditionOutcome,
    Estimate,
    Milestone,
    OpenQuestion,
    Tranche,
)
from ..money import eur
from .records import CitationInline, ServiceAdmin


class TrancheChoiceField(forms.ModelChoiceField):
    """Tranches named with their instrument and component ("USL · Defence · Drones"), so that an
    editor picks one of the right instrument: two instruments may both have a "First payment"."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.component} · {obj.name}"


class ContextAdmin(ServiceAdmin):
    """What the four kinds share: citations inline (a release refuses a milestone, condition or
    estimate without one), tranches named in full, instrument and tranche read in the list query."""

    inlines = (CitationInline,)
    list_select_related: Any = ("instrument",)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "tranche":
            kwargs["queryset"] = Tranche.objects.select_related("component__instrument").order_by(
                "component__instrument__short_name", "component__name", "name"
            )
            kwargs["form_class"] = TrancheChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _day(date: datetime.date | None) -> str:
    return f"{date:%d %b %Y}" if date else "—"


class OutcomeFilter(admin.SimpleListFilter):
    title = "outcome"
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return ConditionOutcome.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        where = OUTCOME_WHERE.get(self.value() or "")
        return queryset.filter(where) if where is not None else queryset


@admin.register(Condition)
class ConditionAdmin(ContextAdmin):
    list_display = (
        "title",
        "instrument",
        "tranche",
        "steps",
        "outcome_display",
        "withheld",
        "recoverable_until",
        "status_badge",
    )
    list_filter = (OutcomeFilter, "instrument", "status", "area")
    list_select_related = ("instrument", "tranche")
    search_fields = ("title", "area", "notes", "tranche__name")
    readonly_fields = (*ServiceAdmin.readonly_fields, "outcome_display")

    @admin.display(description="steps met", ordering="steps_met")
    def steps(self, obj: Condition) -> str:
        """'13 of 16'; 'not assessed (16 due)' before the assessment."""
        if obj.steps_met is None:
            return f"not assessed ({obj.steps_due} due)"
        return f"{obj.steps_met} of {obj.steps_due}"

    @admin.display(description="outcome")
    def outcome_display(self, obj: Condition) -> str:
        """Derived from the steps (``condition_outcome``), never entered."""
        return str(obj.outcome.label)

    @admin.display(description="withheld", ordering="amount_withheld")
    def withheld(self, obj: Condition) -> str:
        """'€1.3bn of €4.5bn' (withheld of the money at stake)."""
        if obj.amount_withheld is None:
            return "—"
        if obj.amount_at_stake is None:
            return eur(obj.amount_withheld)
        return f"{eur(obj.amount_withheld)} of {eur(obj.amount_at_stake)}"


class HappenedFilter(admin.SimpleListFilter):
    title = "happened"
    parameter_name = "happened"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return (("yes", "Happened"), ("no", "Not yet"))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("yes", "no"):
            return queryset.filter(happened_on__isnull=self.value() == "no")
        return queryset


@admin.register(Milestone)
class MilestoneAdmin(ContextAdmin):
    list_display = ("title", "instrument", "kind", "tranche", "planned", "happened_on", "gap", "status_badge")
    list_filter = ("kind", HappenedFilter, "instrument", "status")
    list_select_related = ("instrument", "tranche")
    search_fields = ("title", "planned_note", "notes", "tranche__name")

    @admin.display(description="planned", ordering="planned_on")
    def planned(self, obj: Milestone) -> str:
        """The date planned and the plan in the source's words: '01 Apr 2026 (“early April”)'."""
        if obj.planned_on and obj.planned_note:
            return f"{_day(obj.planned_on)} (“{obj.planned_note}”)"
        return obj.planned_note or _day(obj.planned_on)

    @admin.display(description="planned vs happened")
    def gap(self, obj: Milestone) -> str:
        """'85 days late', 'on the day', '3 days early'; 'not yet' or 'unplanned' when a date is missing."""
        if obj.happened_on is None:
            return "not yet"
        if obj.planned_on is None:
            return "unplanned"
        days = (obj.happened_on - obj.planned_on).days
        if days == 0:
            return "on the day"
        return f"{abs(days)} day{'s' if abs(days) != 1 else ''} {'late' if days > 0 else 'early'}"


@admin.register(Estimate)
class EstimateAdmin(ContextAdmin):
    list_display = ("title", "kind", "instrument", "amount_display", "period", "status_badge")
    list_filter = ("kind", "instrument", "per_year", "status")
    search_fields = ("title", "notes")

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj: Estimate) -> str:
        """'about €3.0bn a year', as the source qualifies it."""
        shown = f"{obj.qualifier} {eur(obj.amount)}" if obj.qualifier else eur(obj.amount)
        return f"{shown} a year" if obj.per_year else shown

    @admin.display(description="period", ordering="period_start")
    def period(self, obj: Estimate) -> str:
        end = _day(obj.period_end) if obj.period_end else "open-ended"
        return f"{_day(obj.period_start)} – {end}"


class AnsweredFilter(admin.SimpleListFilter):
    title = "open or answered"
    parameter_name = "answered"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return (("no", "Open"), ("yes", "Answered"))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("yes", "no"):
            return queryset.filter(answered_on__isnull=self.value() == "no")
        return queryset


@admin.register(OpenQuestion)
class OpenQuestionAdmin(ContextAdmin):
    list_display = ("question", "instrument", "open_since", "state", "status_badge")
    list_filter = (AnsweredFilter, "instrument", "status")
    search_fields = ("question", "would_answer", "answer", "notes")

    @admin.display(description="open or answered", ordering="answered_on")
    def state(self, obj: OpenQuestion) -> str:
        return "open" if obj.is_open else f"answered on {_day(obj.answered_on)}"
