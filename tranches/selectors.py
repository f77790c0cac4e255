"""Reads of loan data. Public reads use the published state (``public_versions``): the records as
they stand in a release, so a draft edit never changes a public figure, and ``as_of`` / ``release``
give any past release's state."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet, Subquery, Sum
from django.utils.text import capfirst

from .models import (
    PUBLISHABLE_MODELS,
    PUBLISHED_MODEL,
    Component,
    Disbursement,
    Instrument,
    Publishable,
    Release,
    Stage,
    Status,
    Tranche,
)
from .money import eur

ZERO = Decimal("0.00")
COMMITTED_STAGES = (Stage.APPROVED, Stage.DISBURSED)


@functools.cache
def history_model(model: type[Publishable]) -> type[Any]:
    """The history model of ``model`` (the audit log of every edit; never read by public code).
    Cached: simple_history builds a new manager class each time ``Model.history`` is read."""
    return model.history.model


def release_as_of(as_of: datetime.datetime) -> Subquery:
    """The number of the latest release published by ``as_of`` (a subquery; NULL before the first)."""
    return Subquery(Release.objects.filter(published_at__lte=as_of).order_by("-number").values("number")[:1])


def public_versions(
    model: type[Publishable], *, as_of: datetime.datetime | None = None, release: int | None = None
) -> QuerySet[Any]:
    """The published rows of ``model``: one per record, as it stood in release ``release``, or in the
    latest release published by ``as_of``, or (neither given) in the latest release. Rows carry the
    model's public fields, ``id`` (the record's) and ``published_at`` (when the release that
    published this version was published). Empty before the first release.

    A release's state is ``entered <= N and (left is null or left > N)``; the latest is ``left is
    null`` (a partial unique index). Ordinary indexed reads of the published tables only."""
    rows = PUBLISHED_MODEL[model].objects.annotate(published_at=F("entered__published_at"))
    if release is None and as_of is None:
        return rows.filter(left__isnull=True)
    number: Any = release if release is not None else release_as_of(as_of)  # type: ignore[arg-type]
    return rows.filter(entered__lte=number).filter(Q(left__isnull=True) | Q(left__gt=number))


@dataclass(frozen=True)
class Totals:
    """Money in EUR: committed = approved (or paid) tranche amounts; remaining = amount − disbursed."""

    amount: Decimal
    allocated: Decimal
    committed: Decimal
    disbursed: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.disbursed

    @property
    def percent_disbursed(self) -> Decimal:
        return (self.disbursed * 100 / self.amount).quantize(Decimal("0.1")) if self.amount else ZERO


def _sum(queryset: QuerySet[Any], field: str) -> Decimal:
    return queryset.aggregate(total=Sum(field))["total"] or ZERO


def _totals(amount: Decimal, tranches: QuerySet[Any], disbursements: QuerySet[Any]) -> Totals:
    sums = tranches.aggregate(
        allocated=Sum("amount", filter=~Q(stage=Stage.CANCELLED)),
        committed=Sum("amount", filter=Q(stage__in=COMMITTED_STAGES)),
    )
    return Totals(
        amount=amount,
        allocated=sums["allocated"] or ZERO,
        committed=sums["committed"] or ZERO,
        disbursed=_sum(disbursements, "amount_eur"),
    )


def component_totals(*, component: Component, public: bool = False) -> Totals:
    """Totals of one component; ``public`` reads the published state only (its published amount
    too), else every saved row (drafts included)."""
    if public:
        tranches = public_versions(Tranche).filter(component_id=component.pk)
        disbursements = public_versions(Disbursement).filter(tranche_id__in=tranches.values("id"))
        amount = _published_amount(Component, component.pk)
    else:
        tranches = Tranche.objects.filter(component=component)
        disbursements = Disbursement.objects.filter(tranche__component=component)
        amount = component.amount
    return _totals(amount, tranches, disbursements)


def instrument_totals(*, instrument: Instrument, public: bool = False) -> Totals:
    """Totals of one instrument, never mixed with another instrument's."""
    if public:
        components = public_versions(Component).filter(instrument_id=instrument.pk)
        tranches = public_versions(Tranche).filter(component_id__in=components.values("id"))
        disbursements = public_versions(Disbursement).filter(tranche_id__in=tranches.values("id"))
        amount = _published_amount(Instrument, instrument.pk)
    else:
        tranches = Tranche.objects.filter(component__instrument=instrument)
        disbursements = Disbursement.objects.filter(tranche__component__instrument=instrument)
        amount = instrument.amount
    return _totals(amount, tranches, disbursements)


def _published_amount(model: type[Publishable], pk: int) -> Decimal:
    """The amount of the published version of a record (zero while it has none)."""
    return public_versions(model).filter(id=pk).values_list("amount", flat=True).first() or ZERO


@dataclass(frozen=True)
class FieldChange:
    """One field of a pending change: its human name, the published value and the draft's."""

    label: str
    old: str
    new: str


@dataclass
class PendingChange:
    """A draft that a release would publish: who changed it last, when, and what differs from its
    published version (``fields``; every filled field for a record never published)."""

    record: Publishable
    changed_by: str
    changed_at: datetime.datetime
    is_new: bool
    fields: list[FieldChange]


BOOKKEEPING = {"row_id", "entered_id", "left_id", "id"}


def _shown(model: type[Publishable], attname: str, value: Any) -> str:
    """A value as a reviewer reads it: amounts with separators and scale, names for references."""
    if value is None or value == "":
        return "—"
    field = model._meta.get_field(attname.removesuffix("_id") if attname.endswith("_id") else attname)
    related_model: Any = field.related_model
    if field.is_relation and related_model is not None:
        related = related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value}"
    if isinstance(value, Decimal):
        return f"€{value:,.2f} ({eur(value)})"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if choices := getattr(field, "choices", None):
        return str(dict(choices).get(value, value))
    return str(value)


def _field_changes(record: Publishable, published: Any) -> list[FieldChange]:
    model = type(record)
    names = [f.attname for f in PUBLISHED_MODEL[model]._meta.concrete_fields if f.attname not in BOOKKEEPING]
    changes = []
    for attname in names:
        old = getattr(published, attname) if published is not None else None
        new = getattr(record, attname)
        if old != new and not (published is None and new in (None, "")):
            field = model._meta.get_field(attname.removesuffix("_id") if attname.endswith("_id") else attname)
            changes.append(
                FieldChange(
                    label=capfirst(str(getattr(field, "verbose_name", attname))),
                    old=_shown(model, attname, old) if published is not None else "—",
                    new=_shown(model, attname, new),
                )
            )
    return changes


def pending_changes(*, only: dict[type[Publishable], set[int]] | None = None) -> list[PendingChange]:
    """Every draft (or, with ``only``, these records of each model), parents first, each compared
    with its published version. A few queries per kind of record."""
    found: list[PendingChange] = []
    for model in PUBLISHABLE_MODELS:
        drafts = model._default_manager.filter(status=Status.DRAFT).order_by("pk")
        if only is not None:
            if not only.get(model):
                continue
            drafts = drafts.filter(pk__in=only[model])
        records = list(drafts)
        if not records:
            continue
        published = {row.id: row for row in public_versions(model).filter(id__in=[r.pk for r in records])}
        history = history_model(model)
        last_edit: dict[int, dict[str, Any]] = {}
        for row in (
            history.objects.filter(id__in=[r.pk for r in records])
            .order_by("id", "-history_id")
            .values("id", "history_user__username", "history_date")
        ):
            last_edit.setdefault(row["id"], row)
        for record in records:
            edit = last_edit.get(record.pk, {})
            found.append(
                PendingChange(
                    record=record,
                    changed_by=edit.get("history_user__username") or "system",
                    changed_at=edit.get("history_date") or record.updated_at,
                    is_new=record.pk not in published,
                    fields=_field_changes(record, published.get(record.pk)),
                )
            )
    return found
