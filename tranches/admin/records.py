"""Data entry and review. Every save goes through ``tranches.services``; a refusal is shown on the
form with the user's input kept, never as a server error."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from simple_history.admin import SimpleHistoryAdmin

from .. import selectors, services
from ..models import Citation, Component, Disbursement, Instrument, Publishable, Source, Status, Tranche
from ..money import eur

REFUSED_ATTR = "_service_refusal"


# Bookkeeping a reviewer need not read in the history of a record.
HISTORY_HIDDEN_FIELDS = ["version", "created_at", "updated_at", "published_at", "published_by", "dataset_key"]


class AmountInput(forms.NumberInput):
    """An amount input with, beside it, the amount with thousands separators and its scale
    ("€3,900,000,000.00 (€3.9bn)"), kept up to date as the editor types (tranches/amount.js)."""

    class Media:
        js = ("tranches/amount.js",)

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        html = super().render(name, value, attrs, renderer)
        field_id = (attrs or {}).get("id", f"id_{name}")
        try:
            shown = amount_both(Decimal(str(value))) if value not in (None, "") else ""
        except ArithmeticError:
            shown = ""
        return format_html('{} <output class="amount-scale" for="{}">{}</output>', html, field_id, shown)


def amount_both(amount: Decimal) -> str:
    """'€3,900,000,000.00 (€3.9bn)': every cent, and the scale beside it."""
    return f"€{amount:,.2f} ({eur(amount)})"


# Fields added while forms were in use: a form that does not send one (opened before the field
# existed, or posted by a script) gets the field's default; a form that sends it empty is refused.
DEFAULT_WHEN_OMITTED = frozenset({"value_date_precision"})


class DefaultWhenOmitted(forms.Select):
    """A choice that a form without it reads as ``default``."""

    def __init__(self, *args: Any, default: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default = default

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return super().value_from_datadict(data, files, name) if name in data else self.default


class HiddenVersionMixin:
    """Round-trip the version the editor started from, so a save over someone else's is refused;
    amounts get the AmountInput."""

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "version":
            kwargs["widget"] = forms.HiddenInput
        elif db_field.name in DEFAULT_WHEN_OMITTED:
            kwargs["widget"] = DefaultWhenOmitted(default=db_field.default)
        elif isinstance(db_field, models.DecimalField) and "amount" in db_field.name:
            kwargs["widget"] = AmountInput(attrs={"step": "0.01"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]


class ServiceAdmin(HiddenVersionMixin, SimpleHistoryAdmin):
    """Base admin: writes through the services, drafts and publication, history (read-only)."""

    readonly_fields: Any = ("status", "published_at", "published_by", "dataset_key")
    formfield_overrides: Any = {models.URLField: {"assume_scheme": "https"}}  # noqa: RUF012

    # -- saving through the services
    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST" and not hasattr(request, REFUSED_ATTR):
            try:
                with services.checked_together():
                    return super().changeform_view(request, object_id, form_url, extra_context)
            except ValidationError as exc:
                # Everything was rolled back; show the same form again, input kept, refusal on top.
                setattr(request, REFUSED_ATTR, exc.messages)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal: list[str] = getattr(request, REFUSED_ATTR, None) or []
        if not refusal:
            return form_class

        class RefusedForm(form_class):  # type: ignore[misc, valid-type]
            def clean(self) -> dict[str, Any]:
                cleaned: dict[str, Any] = super().clean()
                for message in refusal:
                    self.add_error(None, message)
                return cleaned

        return RefusedForm

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        if change and not form.has_changed():
            return  # nothing to write: no new draft, no history row
        services.record_save(record=obj, user=request.user)

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.record_delete(record=obj, user=request.user)
        for obj in instances:
            services.record_save(record=obj, user=request.user)
        formset.save_m2m()

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Check the rules across rows on the final state, before the success message is queued.
        services.check_pending()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.record_delete(record=obj, user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with services.checked_together():
            for obj in queryset:
                services.record_delete(record=obj, user=request.user)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None) -> Any:
        try:
            with services.checked_together():
                return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.path.rsplit("delete/", 1)[0] + "change/")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Published records stay for the record (services refuse it too).
        if obj is not None and obj.is_public:
            return False
        return super().has_delete_permission(request, obj)

    def set_history_delta_changes(
        self, request: HttpRequest, historical_records: Any, foreign_keys_are_objs: bool = True
    ) -> None:
        """simple_history's "what changed" of each version, without the bookkeeping fields."""
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(
                    current, excluded_fields=HISTORY_HIDDEN_FIELDS, foreign_keys_are_objs=foreign_keys_are_objs
                )
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> Any:
        if request.method == "POST":
            raise PermissionDenied("History is read-only; edit the record itself.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Publishable) -> str:
        if obj.status == Status.PUBLISHED:
            return "published"
        return "draft (changed since publication)" if obj.is_public else "draft (never published)"


def _totals_table(public: selectors.Totals, everything: selectors.Totals) -> str:
    rows = [
        ("Amount", public.amount, everything.amount),
        ("Allocated to tranches", public.allocated, everything.allocated),
        ("Committed (approved)", public.committed, everything.committed),
        ("Disbursed", public.disbursed, everything.disbursed),
        ("Remaining (amount − disbursed)", public.remaining, everything.remaining),
    ]
    body = format_html_join(
        "", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>", ((label, eur(a), eur(b)) for label, a, b in rows)
    )
    return format_html(
        "<table><thead><tr><th></th><th>Published</th><th>Including drafts</th></tr></thead>"
        "<tbody>{}<tr><th>% disbursed</th><td>{}%</td><td>{}%</td></tr></tbody></table>",
        body,
        public.percent_disbursed,
        everything.percent_disbursed,
    )


class CitationInline(HiddenVersionMixin, admin.StackedInline):
    model = Citation
    extra = 0
    fields = ("source", "figure", "quote", "claimed_amount", "claimed_currency", "is_used", "locator", "version")
    autocomplete_fields = ("source",)


class ComponentInline(HiddenVersionMixin, admin.TabularInline):
    model = Component
    extra = 0
    fields = ("name", "slug", "amount", "status", "version")
    readonly_fields = ("status",)
    show_change_link = True


class DisbursementInline(HiddenVersionMixin, admin.TabularInline):
    model = Disbursement
    extra = 0
    fields = (
        "value_date",
        "value_date_precision",
        "amount_eur",
        "reported_amount",
        "reported_currency",
        "paid_through",
        "notes",
        "status",
        "version",
    )
    readonly_fields = ("status",)
    show_change_link = True


@admin.register(Instrument)
class InstrumentAdmin(ServiceAdmin):
    list_display = ("short_name", "name", "amount_display", "period_start", "period_end", "status_badge")
    list_filter = ("status",)
    search_fields = ("name", "short_name", "legal_basis")
    prepopulated_fields = {"slug": ("name",)}  # noqa: RUF012
    readonly_fields = (*ServiceAdmin.readonly_fields, "totals")
    inlines = (ComponentInline, CitationInline)

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj: Instrument) -> str:
        return eur(obj.amount)

    @admin.display(description="totals (EUR)")
    def totals(self, obj: Instrument) -> str:
        if obj.pk is None:
            return "—"
        return _totals_table(
            selectors.instrument_totals(instrument=obj, public=True), selectors.instrument_totals(instrument=obj)
        )


@admin.register(Component)
class ComponentAdmin(ServiceAdmin):
    list_display = ("name", "instrument", "amount_display", "status_badge")
    list_filter = ("instrument", "status")
    list_select_related = ("instrument",)
    search_fields = ("name", "instrument__name", "instrument__short_name")
    prepopulated_fields = {"slug": ("name",)}  # noqa: RUF012
    readonly_fields = (*ServiceAdmin.readonly_fields, "totals")
    inlines = (CitationInline,)

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj: Component) -> str:
        return eur(obj.amount)

    @admin.display(description="totals (EUR)")
    def totals(self, obj: Component) -> str:
        if obj.pk is None:
            return "—"
        return _totals_table(
            selectors.component_totals(component=obj, public=True), selectors.component_totals(component=obj)
        )


@admin.register(Tranche)
class TrancheAdmin(ServiceAdmin):
    list_display = ("name", "component", "purpose", "amount_display", "stage", "budget_year", "status_badge")
    list_filter = ("stage", "status", "component__instrument", "component", "purpose", "budget_year")
    list_select_related = ("component__instrument",)
    search_fields = ("name", "purpose", "notes")
    prepopulated_fields = {"slug": ("name",)}  # noqa: RUF012
    inlines = (DisbursementInline, CitationInline)

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj: Tranche) -> str:
        return eur(obj.amount)


@admin.register(Disbursement)
class DisbursementAdmin(ServiceAdmin):
    list_display = (
        "__str__",
        "tranche",
        "value_date",
        "value_date_precision",
        "paid_through",
        "reported",
        "status_badge",
    )
    list_filter = (
        "status",
        "tranche__component__instrument",
        "tranche__component",
        "paid_through",
        "value_date_precision",
        "reported_currency",
    )
    list_select_related = ("tranche", "paid_through")
    search_fields = ("tranche__name", "notes")
    date_hierarchy = "value_date"
    inlines = (CitationInline,)

    @admin.display(description="as reported")
    def reported(self, obj: Disbursement) -> str:
        return f"{obj.reported_amount:,} {obj.reported_currency}" if obj.reported_amount else "—"


@admin.register(Source)
class SourceAdmin(ServiceAdmin):
    list_display = ("publisher", "title", "published_on", "grade", "status_badge")
    list_filter = ("grade", "status")
    search_fields = ("publisher", "title", "url")


@admin.register(Citation)
class CitationAdmin(ServiceAdmin):
    list_display = ("__str__", "figure", "claimed_amount", "is_used", "source", "status_badge")
    list_filter = ("is_used", "status", "source__grade")
    list_select_related = ("source", *Citation.TARGETS)
    search_fields = ("quote", "figure", "source__title", "source__publisher")
    autocomplete_fields = ("source",)
