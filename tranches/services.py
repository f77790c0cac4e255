"""The only writers of loan data. The admin, the dataset loader and every job call these.

Each ``*_save`` validates the row (``full_clean``: field rules, ``clean()`` and the CheckConstraints),
locks the parent row with ``select_for_update`` so two editors saving at once are serialised, writes
the row as a draft with a history entry naming the user, then checks the rules across rows on what
is now in the database (components within their instrument, tranches within their component,
disbursements within their tranche, a disbursed tranche fully paid). A refusal raises
``ValidationError`` with one of the messages below and rolls the write back.

Several writes that only make sense together (an admin form with inlines, a dataset file) run in
``checked_together()``: one transaction, cross-row rules checked once on the final state.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.text import capfirst

from .models import (
    PUBLISHABLE_MODELS,
    Citation,
    Component,
    Disbursement,
    Instrument,
    Publishable,
    Source,
    Stage,
    Status,
    Tranche,
)
from .money import eur
from .signals import data_changed

COMPONENTS_EXCEED_INSTRUMENT = "Components of {parent} would total {total}, but the instrument is {limit}."
TRANCHES_EXCEED_COMPONENT = "Tranches of {parent} would total {total}, but the component is {limit}."
DISBURSEMENTS_EXCEED_TRANCHE = "Disbursements of {parent} would total {total}, but the tranche is {limit}."
DISBURSED_NOT_PAID = "{tranche} is marked disbursed, but its disbursements total {total} of its {limit}."
PUBLISH_NOT_ALLOWED = "Only reviewers may publish; {user} cannot publish {model}."
PUBLISH_PARENT_FIRST = "Publish {parent_model} “{parent}” before {model} “{record}”."
STALE_EDIT = (
    "{model} “{record}” was changed by someone else after you opened it (it is now at version {current}, "
    "you edited version {yours}). Reload it and make your change again."
)
PUBLIC_OVER = (
    "Publishing this would make the published {children} of {parent} total {total}, more than its published "
    "{limit}. Publish the change that makes room first, or publish them together."
)
DELETE_PUBLIC = "{model} “{record}” has been published and is kept for the record; change or cancel it instead."

User = AbstractUser | AnonymousUser
P = TypeVar("P", bound=Publishable)

# Cross-row checks waiting for the end of a checked_together() block, keyed so each runs once.
_pending_checks: ContextVar[dict[tuple[Any, ...], Callable[[], None]] | None] = ContextVar(
    "pending_checks", default=None
)


@contextlib.contextmanager
def checked_together() -> Iterator[None]:
    """Run several writes in one transaction and check the rules across rows once, at the end.

    Raises ``ValidationError`` (and rolls everything back) if the final state breaks a rule."""
    if _pending_checks.get() is not None:
        yield
        return
    token = _pending_checks.set({})
    try:
        with transaction.atomic():
            yield
            check_pending()
    finally:
        _pending_checks.reset(token)


def check_pending() -> None:
    """Run the cross-row checks deferred so far in this checked_together() block.
    Raises ValidationError on the first rule broken."""
    pending = _pending_checks.get() or {}
    while pending:
        # In the order written, rules on the saved rows before rules on the published versions.
        key = next((key for key in pending if key[0] != "public"), next(iter(pending)))
        pending.pop(key)()


def _after_write(key: tuple[Any, ...], check: Callable[[], None]) -> None:
    pending = _pending_checks.get()
    if pending is None:
        check()
    else:
        pending[key] = check


def _lock(model: type[models.Model], pk: int | None) -> None:
    """Take the row lock that serialises writers of this row's children (no-op on SQLite)."""
    if pk is not None:
        model._default_manager.select_for_update().filter(pk=pk).values_list("pk", flat=True).get()


def _total(queryset: models.QuerySet[Any], field: str) -> Decimal:
    return queryset.aggregate(total=Sum(field))["total"] or Decimal("0.00")


def _check_within(parent: Publishable, limit: Decimal, children: models.QuerySet[Any], field: str, msg: str) -> None:
    total = _total(children, field)
    if total > limit:
        raise ValidationError(msg.format(parent=parent, total=eur(total), limit=eur(limit)), code="over_allocated")


def _check_instrument(instrument_id: int) -> None:
    instrument = Instrument.objects.get(pk=instrument_id)
    _check_within(instrument, instrument.amount, instrument.components.all(), "amount", COMPONENTS_EXCEED_INSTRUMENT)


def _check_component(component_id: int) -> None:
    component = Component.objects.select_related("instrument").get(pk=component_id)
    _check_within(component, component.amount, component.tranches.all(), "amount", TRANCHES_EXCEED_COMPONENT)


def _check_tranche(tranche_id: int) -> None:
    tranche = Tranche.objects.get(pk=tranche_id)
    disbursements = tranche.disbursements.all()
    _check_within(tranche, tranche.amount, disbursements, "amount_eur", DISBURSEMENTS_EXCEED_TRANCHE)
    if tranche.stage == Stage.DISBURSED:
        paid = _total(disbursements, "amount_eur")
        if paid != tranche.amount:
            raise ValidationError(
                DISBURSED_NOT_PAID.format(tranche=tranche, total=eur(paid), limit=eur(tranche.amount)),
                code="disbursed_not_paid",
            )


def _notify(model: type[Publishable]) -> None:
    """Tell listeners, once the transaction commits, that loan data changed (never on rollback)."""
    transaction.on_commit(lambda: data_changed.send(sender=model))


def _write(record: P, user: User | None, reason: str | None) -> P:
    """Save as a draft; the history row records who (``user``) and why (``reason``).

    Optimistic locking: ``record.version`` must still be the stored version, or someone saved in
    between and this write would silently undo their change; it is refused instead."""
    if record.pk is not None:
        model = type(record)
        current = model._default_manager.select_for_update().filter(pk=record.pk).values_list("version", flat=True)
        stored = current.first()
        if stored is not None and stored != record.version:
            raise ValidationError(
                STALE_EDIT.format(
                    model=capfirst(model._meta.verbose_name), record=record, current=stored, yours=record.version
                ),
                code="stale_edit",
            )
    record.version += 1
    record.status = Status.DRAFT
    if user is not None and user.is_authenticated:
        record._history_user = user  # type: ignore[attr-defined]
    if reason:
        record._change_reason = reason  # type: ignore[attr-defined]
    record.save()
    _notify(type(record))
    return record


def instrument_save(*, instrument: Instrument, user: User | None = None, reason: str | None = None) -> Instrument:
    """Create or change an instrument (amounts in EUR). Raises ValidationError if its components
    would total more than its amount."""
    with transaction.atomic():
        instrument.full_clean()
        _write(instrument, user, reason)
        _after_write(("instrument", instrument.pk), partial(_check_instrument, instrument.pk))
    return instrument


def component_save(*, component: Component, user: User | None = None, reason: str | None = None) -> Component:
    """Create or change a component. Raises ValidationError if the instrument's components would
    total more than the instrument, or its tranches more than the component."""
    with transaction.atomic():
        component.full_clean()
        _lock(Instrument, component.instrument_id)
        _write(component, user, reason)
        _after_write(("instrument", component.instrument_id), partial(_check_instrument, component.instrument_id))
        _after_write(("component", component.pk), partial(_check_component, component.pk))
    return component


def tranche_save(*, tranche: Tranche, user: User | None = None, reason: str | None = None) -> Tranche:
    """Create or change a tranche. Raises ValidationError if the component's tranches would total
    more than the component, its disbursements more than the tranche, or it is marked disbursed
    without disbursements that add up to its amount."""
    with transaction.atomic():
        tranche.full_clean()
        _lock(Component, tranche.component_id)
        _write(tranche, user, reason)
        _after_write(("component", tranche.component_id), partial(_check_component, tranche.component_id))
        _after_write(("tranche", tranche.pk), partial(_check_tranche, tranche.pk))
    return tranche


def disbursement_save(
    *, disbursement: Disbursement, user: User | None = None, reason: str | None = None
) -> Disbursement:
    """Record or change a payment (EUR, with the amount as reported). Raises ValidationError if the
    tranche's disbursements would total more than the tranche."""
    with transaction.atomic():
        disbursement.full_clean()
        _lock(Tranche, disbursement.tranche_id)
        previous_tranche = (
            Disbursement.objects.filter(pk=disbursement.pk).values_list("tranche_id", flat=True).first()
            if disbursement.pk
            else None
        )
        _write(disbursement, user, reason)
        for tranche_id in {disbursement.tranche_id, previous_tranche}:
            if tranche_id is not None:
                _after_write(("tranche", tranche_id), partial(_check_tranche, tranche_id))
    return disbursement


def source_save(*, source: Source, user: User | None = None, reason: str | None = None) -> Source:
    """Create or change a source document."""
    with transaction.atomic():
        source.full_clean()
        return _write(source, user, reason)


def citation_save(*, citation: Citation, user: User | None = None, reason: str | None = None) -> Citation:
    """Create or change a citation (a source's claim about one figure, with the passage quoted)."""
    with transaction.atomic():
        citation.full_clean()
        return _write(citation, user, reason)


SAVERS: dict[type[Publishable], Callable[..., Any]] = {
    Instrument: lambda record, **kw: instrument_save(instrument=record, **kw),
    Component: lambda record, **kw: component_save(component=record, **kw),
    Tranche: lambda record, **kw: tranche_save(tranche=record, **kw),
    Disbursement: lambda record, **kw: disbursement_save(disbursement=record, **kw),
    Source: lambda record, **kw: source_save(source=record, **kw),
    Citation: lambda record, **kw: citation_save(citation=record, **kw),
}


def record_save(*, record: Publishable, user: User | None = None, reason: str | None = None) -> Publishable:
    """Save any publishable record through its own service."""
    return SAVERS[type(record)](record, user=user, reason=reason)


def parents_of(record: Publishable) -> list[Publishable]:
    """The records that must be public before this one can be."""
    if isinstance(record, Component):
        return [record.instrument]
    if isinstance(record, Tranche):
        return [record.component]
    if isinstance(record, Disbursement):
        return [record.tranche]
    if isinstance(record, Citation):
        target = record.target
        return [record.source, *([target] if target is not None else [])]
    return []


def can_publish(user: User | None, model: type[Publishable]) -> bool:
    """``None`` is the system itself (the dataset loader), which may publish."""
    return user is None or user.has_perm(f"{model._meta.app_label}.publish_{model._meta.model_name}")


# For each model: (parent model, the attribute holding the parent's id, the amount field of the model).
_PUBLIC_LIMITS: dict[type[Publishable], tuple[type[Publishable], str, str]] = {
    Component: (Instrument, "instrument_id", "amount"),
    Tranche: (Component, "component_id", "amount"),
    Disbursement: (Tranche, "tranche_id", "amount_eur"),
}


def _check_public_within(parent_model: type[Publishable], parent_id: int, child_model: type[Publishable]) -> None:
    """The published children of a parent total at most the parent's published amount."""
    from .selectors import public_versions  # selectors import models only; imported late to keep layers clear

    _, fk, field = _PUBLIC_LIMITS[child_model]
    parent = public_versions(parent_model).filter(id=parent_id).first()
    if parent is None:
        return
    total = _total(public_versions(child_model).filter(**{fk: parent_id}), field)
    if total > parent.amount:
        raise ValidationError(
            PUBLIC_OVER.format(
                children=child_model._meta.verbose_name_plural,
                parent=parent.instance,
                total=eur(total),
                limit=eur(parent.amount),
            ),
            code="public_over_allocated",
        )


def _check_public_after_publish(record: Publishable) -> None:
    model = type(record)
    if model in _PUBLIC_LIMITS:  # as a child: within its parent
        parent_model, fk, _ = _PUBLIC_LIMITS[model]
        parent_id = getattr(record, fk)
        _after_write(
            ("public", parent_id, model.__name__), partial(_check_public_within, parent_model, parent_id, model)
        )
    for child_model, (parent_model, _, _) in _PUBLIC_LIMITS.items():  # as a parent: its children within it
        if parent_model is model:
            _after_write(
                ("public", record.pk, child_model.__name__),
                partial(_check_public_within, model, record.pk, child_model),
            )


def record_publish(*, record: P, user: User | None, reason: str | None = None) -> bool:
    """Publish what is saved of ``record`` now: from this moment it counts in everything public.
    Returns False if it was already published as saved (nothing written). Raises PermissionDenied
    unless ``user`` may publish (reviewers), and ValidationError if a record it depends on (its
    parent, source or target) has never been published."""
    model = type(record)
    if not can_publish(user, model):
        raise PermissionDenied(PUBLISH_NOT_ALLOWED.format(user=user, model=model._meta.verbose_name_plural))
    with transaction.atomic():
        current = model._default_manager.select_for_update().get(pk=record.pk)
        if current.status == Status.PUBLISHED:
            return False
        for parent in parents_of(current):
            if not parent.is_public:
                raise ValidationError(
                    PUBLISH_PARENT_FIRST.format(
                        parent_model=parent._meta.verbose_name,
                        parent=parent,
                        model=model._meta.verbose_name,
                        record=current,
                    ),
                    code="parent_not_published",
                )
        current.status = Status.PUBLISHED
        current.published_at = timezone.now()
        current.published_by = user if user is not None and user.is_authenticated else None
        if user is not None and user.is_authenticated:
            current._history_user = user
        current._change_reason = reason or "published"
        current.save()
        _check_public_after_publish(current)
        _notify(model)
    record.status, record.published_at, record.published_by = current.status, current.published_at, current.published_by
    return True


def records_publish(*, records: Iterable[Publishable], user: User | None) -> int:
    """Publish several records in one transaction, parents before children; those already
    published as saved are skipped. Returns how many were published. Raises as ``record_publish``."""
    order = {model: index for index, model in enumerate(PUBLISHABLE_MODELS)}
    with checked_together():
        ordered = sorted(records, key=lambda record: (order[type(record)], record.pk))
        return sum(record_publish(record=record, user=user) for record in ordered)


def record_delete(*, record: Publishable, user: User | None = None) -> None:
    """Delete a draft that was never published. Raises ValidationError for a published record
    (public figures must stay traceable) or when removing it would break a cross-row rule."""
    if record.is_public:
        raise ValidationError(DELETE_PUBLIC.format(model=capfirst(record._meta.verbose_name), record=record))
    with transaction.atomic():
        tranche_id = record.tranche_id if isinstance(record, Disbursement) else None
        _lock(Tranche, tranche_id)
        if user is not None and user.is_authenticated:
            record._history_user = user  # type: ignore[attr-defined]
        record.delete()
        _notify(type(record))
        if tranche_id is not None:
            _after_write(("tranche", tranche_id), partial(_check_tranche, tranche_id))
