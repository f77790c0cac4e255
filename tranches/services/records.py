"""The writers of drafts. The admin, the dataset loader and every job call these; a draft saved
here changes nothing public until a release publishes it (``tranches.services.releases``).

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
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Sum
from django.utils.text import capfirst

from ..models import (
    PUBLISHABLE_MODELS,
    PUBLISHED_MODEL,
    Citation,
    Component,
    Condition,
    Disbursement,
    Estimate,
    Instrument,
    Milestone,
    OpenQuestion,
    Publishable,
    Purpose,
    Source,
    Stage,
    Status,
    Tranche,
)
from ..money import eur

COMPONENTS_EXCEED_INSTRUMENT = "Components of {parent} would total {total}, but the instrument is {limit}."
TRANCHES_EXCEED_COMPONENT = "Tranches of {parent} would total {total}, but the component is {limit}."
DISBURSEMENTS_EXCEED_TRANCHE = "Disbursements of {parent} would total {total}, but the tranche is {limit}."
DRAFTS_IN_TOTAL = "That total counts {drafts} of other drafts not yet published (every saved row counts)."
DISBURSED_NOT_PAID = "{tranche} is marked disbursed, but its disbursements total {total} of its {limit}."
STALE_EDIT = (
    "{model} “{record}” was changed by someone else after you opened it (it is now at version {current}, "
    "you edited version {yours}). Reload it and make your change again."
)
DELETE_PUBLIC = "{model} “{record}” has been published and is kept for the record; change or cancel it instead."

User = AbstractUser | AnonymousUser
P = TypeVar("P", bound=Publishable)

# Cross-row checks waiting for the end of a checked_together() block, keyed so each runs once.
_pending_checks: ContextVar[dict[tuple[Any, ...], Callable[[], None]] | None] = ContextVar(
    "pending_checks", default=None
)


# The rows written in the current checked_together() block: a refusal counts the other drafts apart.
_written: ContextVar[set[tuple[type[Publishable], int]] | None] = ContextVar("written", default=None)


@contextlib.contextmanager
def checked_together() -> Iterator[None]:
    """Run several writes in one transaction and check the rules across rows once, at the end.

    Raises ``ValidationError`` (and rolls everything back) if the final state breaks a rule."""
    if _pending_checks.get() is not None:
        yield
        return
    token = _pending_checks.set({})
    written = _written.set(set())
    try:
        with transaction.atomic():
            yield
            check_pending()
    finally:
        _written.reset(written)
        _pending_checks.reset(token)


def check_pending() -> None:
    """Run the cross-row checks deferred so far in this checked_together() block.
    Raises ValidationError on the first rule broken."""
    pending = _pending_checks.get() or {}
    while pending:
        pending.pop(next(iter(pending)))()


def _after_write(key: tuple[Any, ...], check: Callable[[], None]) -> None:
    """Run ``check`` at the end of the enclosing checked_together() block (every writer runs in one),
    once per ``key`` however many writes ask for it."""
    pending = _pending_checks.get()
    assert pending is not None, "writers run inside checked_together()"  # noqa: S101
    pending[key] = check


# Rows are always locked in this order (parents before children, then the rest), by every writer:
# two writers that lock in one order cannot deadlock.
LOCK_ORDER: tuple[type[Publishable], ...] = PUBLISHABLE_MODELS


def lock_rows(model: type[Publishable], pks: Iterable[int | None]) -> dict[int, Any]:
    """Lock these rows of ``model`` (``SELECT … FOR UPDATE OF`` the table itself, no joins, in id
    order) and return their ``version`` by id; missing rows are left out. A no-op lock on SQLite,
    where a writing transaction holds the whole database. Callers lock models in ``LOCK_ORDER``."""
    wanted = sorted({pk for pk in pks if pk is not None})
    if not wanted:
        return {}
    rows = (
        model._default_manager.select_for_update(of=("self",))
        .filter(pk__in=wanted)
        .order_by("pk")
        .values_list("pk", "version")
    )
    return dict(rows)


def lock_parents(
    *, instrument_id: int | None = None, component_id: int | None = None, tranche_id: int | None = None
) -> None:
    """Lock the parent rows of a write top-down (instrument, component, tranche): the one helper
    every writer uses, so that locks are always taken in one order."""
    lock_rows(Instrument, [instrument_id])
    lock_rows(Component, [component_id])
    lock_rows(Tranche, [tranche_id])


def _total(queryset: models.QuerySet[Any], field: str) -> Decimal:
    return queryset.aggregate(total=Sum(field))["total"] or Decimal("0.00")


def _check_within(parent: Publishable, limit: Decimal, children: models.QuerySet[Any], field: str, msg: str) -> None:
    total = _total(children, field)
    if total > limit:
        message = msg.format(parent=parent, total=eur(total), limit=eur(limit))
        written = [pk for model, pk in (_written.get() or ()) if model is children.model]
        drafts = _total(children.filter(status=Status.DRAFT).exclude(pk__in=written), field)
        if drafts:
            message += " " + DRAFTS_IN_TOTAL.format(drafts=eur(drafts))
        raise ValidationError(message, code="over_allocated")


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


def _write(record: P, user: User | None, reason: str | None) -> P:
    """Save as a draft; the history row records who (``user``) and why (``reason``).

    Optimistic locking: ``record.version`` must still be the stored version, or someone saved in
    between and this write would silently undo their change; it is refused instead."""
    if record.pk is not None:
        model = type(record)
        stored = lock_rows(model, [record.pk]).get(record.pk)
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
    record._change_reason = reason or ("draft created" if record.pk is None else "draft saved")  # type: ignore[attr-defined]
    record.save()
    if (written := _written.get()) is not None:
        written.add((type(record), record.pk))
    return record


def instrument_save(*, instrument: Instrument, user: User | None = None, reason: str | None = None) -> Instrument:
    """Create or change an instrument (amounts in EUR). Raises ValidationError if its components
    would total more than its amount."""
    with checked_together():
        instrument.full_clean()
        _write(instrument, user, reason)
        _after_write(("instrument", instrument.pk), partial(_check_instrument, instrument.pk))
    return instrument


def component_save(*, component: Component, user: User | None = None, reason: str | None = None) -> Component:
    """Create or change a component. Raises ValidationError if the instrument's components would
    total more than the instrument, or its tranches more than the component."""
    with checked_together():
        component.full_clean()
        lock_parents(instrument_id=component.instrument_id)
        _write(component, user, reason)
        _after_write(("instrument", component.instrument_id), partial(_check_instrument, component.instrument_id))
        _after_write(("component", component.pk), partial(_check_component, component.pk))
    return component


def purpose_listed_spelling(purpose: str) -> str:
    """``purpose`` with single spaces, in the spelling of the list of purposes when the list has it
    in any case ("air defence" → "Air defence"), so variants never become two purposes."""
    name = " ".join((purpose or "").split())
    listed = Purpose.objects.filter(name__iexact=name).values_list("name", flat=True).first()
    return listed or name


def tranche_save(*, tranche: Tranche, user: User | None = None, reason: str | None = None) -> Tranche:
    """Create or change a tranche. Raises ValidationError if the component's tranches would total
    more than the component, its disbursements more than the tranche, or it is marked disbursed
    without disbursements that add up to its amount."""
    with checked_together():
        tranche.purpose = purpose_listed_spelling(tranche.purpose)
        tranche.full_clean()
        lock_parents(component_id=tranche.component_id)
        _write(tranche, user, reason)
        _after_write(("component", tranche.component_id), partial(_check_component, tranche.component_id))
        _after_write(("tranche", tranche.pk), partial(_check_tranche, tranche.pk))
    return tranche


def disbursement_save(
    *, disbursement: Disbursement, user: User | None = None, reason: str | None = None
) -> Disbursement:
    """Record or change a payment (EUR, with the amount as reported). Raises ValidationError if the
    tranche's disbursements would total more than the tranche."""
    with checked_together():
        disbursement.full_clean()
        lock_parents(tranche_id=disbursement.tranche_id)
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
    return _plain_save(source, user, reason)


def _plain_save(record: P, user: User | None, reason: str | None) -> P:
    """A record with no rule across rows: validated, then written as a draft."""
    with checked_together():
        record.full_clean()
        return _write(record, user, reason)


def milestone_save(*, milestone: Milestone, user: User | None = None, reason: str | None = None) -> Milestone:
    """Create or change a milestone (a dated event of an instrument, planned and actual)."""
    return _plain_save(milestone, user, reason)


def condition_save(*, condition: Condition, user: User | None = None, reason: str | None = None) -> Condition:
    """Create or change a condition that gates a payment, and its assessment."""
    return _plain_save(condition, user, reason)


def estimate_save(*, estimate: Estimate, user: User | None = None, reason: str | None = None) -> Estimate:
    """Create or change a cost or needs estimate (never added to money paid)."""
    return _plain_save(estimate, user, reason)


def open_question_save(
    *, open_question: OpenQuestion, user: User | None = None, reason: str | None = None
) -> OpenQuestion:
    """Create, change or answer an open question."""
    return _plain_save(open_question, user, reason)


def citation_save(*, citation: Citation, user: User | None = None, reason: str | None = None) -> Citation:
    """Create or change a citation (a source's claim about one figure, with the passage quoted)."""
    with checked_together():
        citation.full_clean()
        return _write(citation, user, reason)


SAVERS: dict[type[Publishable], Callable[..., Any]] = {
    Instrument: lambda record, **kw: instrument_save(instrument=record, **kw),
    Component: lambda record, **kw: component_save(component=record, **kw),
    Tranche: lambda record, **kw: tranche_save(tranche=record, **kw),
    Disbursement: lambda record, **kw: disbursement_save(disbursement=record, **kw),
    Source: lambda record, **kw: source_save(source=record, **kw),
    Milestone: lambda record, **kw: milestone_save(milestone=record, **kw),
    Condition: lambda record, **kw: condition_save(condition=record, **kw),
    Estimate: lambda record, **kw: estimate_save(estimate=record, **kw),
    OpenQuestion: lambda record, **kw: open_question_save(open_question=record, **kw),
    Citation: lambda record, **kw: citation_save(citation=record, **kw),
}


def record_save(*, record: Publishable, user: User | None = None, reason: str | None = None) -> Publishable:
    """Save any publishable record through its own service."""
    return SAVERS[type(record)](record, user=user, reason=reason)


def record_delete(*, record: Publishable, user: User | None = None) -> None:
    """Delete a draft that was never published. Raises ValidationError for a published record
    (public figures must stay traceable) or when removing it would break a cross-row rule."""
    model = type(record)
    with checked_together():
        tranche_id = record.tranche_id if isinstance(record, Disbursement) else None
        lock_parents(tranche_id=tranche_id)
        # The row itself, locked as a release locks it: a release publishing it meanwhile either
        # committed (then it has a published version, found below) or waits for this delete.
        lock_rows(model, [record.pk])
        if PUBLISHED_MODEL[model].objects.filter(id=record.pk).exists():
            raise ValidationError(DELETE_PUBLIC.format(model=capfirst(record._meta.verbose_name), record=record))
        if user is not None and user.is_authenticated:
            record._history_user = user  # type: ignore[attr-defined]
        record.delete()
        if tranche_id is not None:
            _after_write(("tranche", tranche_id), partial(_check_tranche, tranche_id))
