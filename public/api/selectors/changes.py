"""The public change log: each published version of a record (the release it entered) compared with
the version it replaced, field by field, in values (as the API gives them) and in words (as a reader
reads them: "Amount €3,200,000,000.00 → €3,000,000,000.00", a record referred to by its name as it
stood in that release). A release's detail and the Atom feed list the same changes. Read from the
published state only, never from drafts or history."""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F, Model, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber

from tranches.models import (
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
    Release,
    Source,
    Tranche,
)
from tranches.money import eur_exact
from tranches.selectors import release_as_of

# The public fields of each model, in the order a change lists them. Status, versions, timestamps,
# dataset keys and who edited or published are never shown.
CHANGE_FIELDS: dict[str, tuple[type[Publishable], tuple[str, ...]]] = {
    "instrument": (
        Instrument,
        (
            "name", "short_name", "slug", "legal_basis", "legal_basis_url", "amount", "currency", "period_start",
            "period_end", "lender", "borrower", "description",
        ),
    ),
    "component": (Component, ("instrument_id", "name", "slug", "amount", "description")),
    "tranche": (
        Tranche,
        (
            "component_id", "name", "slug", "purpose", "amount", "stage", "planned_on", "approved_on", "disbursed_on",
            "withheld_on", "cancelled_on", "budget_year", "notes",
        ),
    ),
    "disbursement": (
        Disbursement,
        (
            "tranche_id", "value_date", "value_date_precision", "amount_eur", "reported_amount", "reported_currency",
            "paid_through_id", "notes",
        ),
    ),
    "source": (Source, ("publisher", "title", "published_on", "url", "grade", "notes")),
    "milestone": (
        Milestone,
        ("instrument_id", "tranche_id", "kind", "title", "planned_on", "planned_note", "happened_on", "notes"),
    ),
    "condition": (
        Condition,
        (
            "instrument_id", "tranche_id", "title", "area", "steps_due", "steps_met", "assessed_on", "amount_at_stake",
            "amount_withheld", "recoverable_until", "notes",
        ),
    ),
    "estimate": (
        Estimate,
        (
            "instrument_id", "kind", "title", "amount", "qualifier", "per_year", "period_start", "period_end",
            "notes",
        ),
    ),
    "open_question": (
        OpenQuestion,
        ("instrument_id", "question", "open_since", "would_answer", "answered_on", "answer", "notes"),
    ),
    "citation": (
        Citation,
        (
            "source_id", "instrument_id", "component_id", "tranche_id", "disbursement_id", "milestone_id",
            "condition_id", "estimate_id", "open_question_id", "figure", "quote", "claimed_amount", "claimed_currency",
            "is_used", "locator",
        ),
    ),
}  # fmt: skip
CHANGE_ENTITIES = tuple(CHANGE_FIELDS)
# The public's words for each field (the feed and a release's changes show them, never the column).
FIELD_NAMES = {
    "name": "Name",
    "short_name": "Short name",
    "slug": "Name in links",
    "legal_basis": "Legal basis",
    "legal_basis_url": "Link to the legal basis",
    "amount": "Amount",
    "currency": "Currency",
    "period_start": "Period start",
    "period_end": "Period end",
    "lender": "Lender",
    "borrower": "Borrower",
    "description": "Description",
    "instrument_id": "Instrument",
    "component_id": "Component",
    "tranche_id": "Tranche",
    "disbursement_id": "Payment",
    "source_id": "Source",
    "purpose": "Purpose",
    "stage": "Stage",
    "planned_on": "Planned on",
    "approved_on": "Approved on",
    "disbursed_on": "Disbursed on",
    "withheld_on": "Withheld on",
    "cancelled_on": "Cancelled on",
    "budget_year": "Budget year",
    "notes": "Notes",
    "value_date": "Value date",
    "amount_eur": "Amount",
    "reported_amount": "Amount as reported",
    "reported_currency": "Currency as reported",
    "publisher": "Publisher",
    "title": "Title",
    "published_on": "Published on",
    "url": "Link",
    "grade": "Grade",
    "figure": "Figure it backs",
    "quote": "Quote",
    "claimed_amount": "Amount claimed",
    "claimed_currency": "Currency claimed",
    "is_used": "Used in the figures",
    "locator": "Where in the source",
    "value_date_precision": "Value date known to",
    "paid_through_id": "Paid through",
    "milestone_id": "Milestone",
    "condition_id": "Condition",
    "estimate_id": "Estimate",
    "open_question_id": "Open question",
    "kind": "Kind",
    "planned_note": "Plan as stated",
    "happened_on": "Happened on",
    "area": "Area",
    "steps_due": "Steps due",
    "steps_met": "Steps met",
    "assessed_on": "Assessed on",
    "amount_at_stake": "Money at stake",
    "amount_withheld": "Money withheld",
    "recoverable_until": "Recoverable until",
    "qualifier": "Qualifier",
    "per_year": "Per year",
    "question": "Question",
    "open_since": "Open since",
    "would_answer": "What would answer it",
    "answered_on": "Answered on",
    "answer": "Answer",
}
# The public's word for each kind of record.
ENTITY_NAMES = {
    "instrument": "instrument",
    "component": "component",
    "tranche": "tranche",
    "disbursement": "payment",
    "source": "source",
    "milestone": "milestone",
    "condition": "condition",
    "estimate": "estimate",
    "open_question": "open question",
    "citation": "citation",
}
# References to other records: shown by the name (or title, or date) of the record referred to, as
# it stood in the release that published the change, never by its id.
REFERENCES: dict[str, tuple[type[Publishable], str]] = {
    "instrument_id": (Instrument, "name"),
    "component_id": (Component, "name"),
    "tranche_id": (Tranche, "name"),
    "disbursement_id": (Disbursement, "value_date"),
    "source_id": (Source, "title"),
    "paid_through_id": (Instrument, "name"),
    "milestone_id": (Milestone, "title"),
    "condition_id": (Condition, "title"),
    "estimate_id": (Estimate, "title"),
    "open_question_id": (OpenQuestion, "question"),
}
# Amounts in EUR; the others are in the currency of the field named beside them.
EUR_AMOUNTS = {"amount", "amount_eur", "amount_at_stake", "amount_withheld"}
AMOUNT_CURRENCY = {"reported_amount": "reported_currency", "claimed_amount": "claimed_currency"}
NOTHING = "—"


class InvalidCursor(ValueError):
    """The ``cursor`` parameter is not one this API made."""


@dataclass(frozen=True)
class ChangeCursor:
    """A position in the change log, newest first: (release, entity, published version id). Release
    times grow with their numbers, so this is also the order of publication times."""

    release: int
    entity: str
    version_id: int

    def encode(self) -> str:
        raw = json.dumps([self.release, self.entity, self.version_id])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> ChangeCursor:
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            release, entity, version_id = json.loads(raw)
            numbers = (release, version_id)
            if entity not in CHANGE_FIELDS or not all(type(n) is int and 0 < n < 2**63 for n in numbers):
                raise InvalidCursor(value)
        except (ValueError, TypeError, UnicodeDecodeError) as exc:
            raise InvalidCursor(value) from exc
        return cls(release=release, entity=entity, version_id=version_id)

    def sort_key(self) -> tuple[int, int, int]:
        return (self.release, CHANGE_ENTITIES.index(self.entity), self.version_id)


@dataclass(frozen=True)
class FieldChange:
    """One field of a change: ``old`` and ``new`` as the API gives them (decimal strings, ISO dates,
    record ids), and the same values in words for a reader (``old_text``, ``new_text``)."""

    field: str  # as in the resource: "component" for the column component_id
    name: str  # the public's word: "Component"
    old: Any
    new: Any
    old_text: str | None  # None for a first publication (there was no old value)
    new_text: str


@dataclass(frozen=True)
class Change:
    """One publication: the record's public values before (the previous published version, never a
    draft) and after, and only the fields that differ."""

    entity: str
    record_id: int
    version_id: int
    release: int
    published_at: datetime.datetime
    release_note: str
    kind: str  # "added" (first publication) or "changed"
    label: str  # the record in words: its name or title; "Payment of 30 Jun 2026 (Drones)"
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def cursor(self) -> ChangeCursor:
        return ChangeCursor(release=self.release, entity=self.entity, version_id=self.version_id)

    @property
    def sentence(self) -> str:
        """The change in plain words: 'Added tranche “Drones”' or 'Changed tranche “Drones”: Amount
        €1,000,000,000.00 → €900,000,000.00; Stage Planned → Approved'."""
        # A payment's or a citation's label says what it is already ("Payment of …").
        named = self.label[0].lower() + self.label[1:] if self.entity in ("disbursement", "citation") else None
        what = named or f"{ENTITY_NAMES[self.entity]} “{self.label}”"
        if self.kind == "added":
            return f"Added {what}"
        head = f"Changed {what}"
        if not self.changes:
            return f"{head}: published again, no public field changed"
        return f"{head}: " + "; ".join(f"{c.name} {c.old_text} → {c.new_text}" for c in self.changes)


@dataclass(frozen=True)
class ChangePage:
    changes: list[Change]
    next_cursor: ChangeCursor | None


def _after_cursor(rows: QuerySet[Any], entity: str, cursor: ChangeCursor | None) -> QuerySet[Any]:
    """Rows strictly older than ``cursor`` in the order (release, entity, version id) desc."""
    if cursor is None:
        return rows
    rank, cursor_rank = CHANGE_ENTITIES.index(entity), CHANGE_ENTITIES.index(cursor.entity)
    older = rows.filter(entered__lt=cursor.release)
    if rank < cursor_rank:
        return rows.filter(entered__lte=cursor.release)
    if rank == cursor_rank:
        return older | rows.filter(entered=cursor.release, row_id__lt=cursor.version_id)
    return older


def _previous_published(model: type[Publishable], field_name: str) -> Subquery:
    """``field_name`` of the version this row replaced (it left the published state in the release
    this row entered); NULL for a record's first version."""
    replaced = PUBLISHED_MODEL[model].objects.filter(id=OuterRef("id"), left=OuterRef("entered"))
    return Subquery(replaced.values(field_name)[:1])


def _referred(attname: str, record_id: Any) -> Subquery:
    """The name (title, date) of the record ``record_id`` refers to in ``attname``, in the version
    public in the release of the outer row: the latest version entered by then (records that were
    ever published are never deleted, so one exists)."""
    model, label_field = REFERENCES[attname]
    versions = PUBLISHED_MODEL[model].objects.filter(id=record_id, entered__lte=OuterRef("entered"))
    return Subquery(versions.order_by("-entered").values(label_field)[:1])


def _normal(model: type[Model], name: str, value: Any) -> Any:
    """A value as the model field holds it: Decimals with their cents (subqueries may drop them)."""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        places = getattr(model._meta.get_field(name), "decimal_places", None)
        if places is not None:
            return Decimal(value).quantize(Decimal(1).scaleb(-places))
    return value


def day_text(value: datetime.date) -> str:
    """A date in words, as the admin and the messages write it: '30 Jun 2026'."""
    return value.strftime("%d %b %Y")


def _text(model: type[Publishable], name: str, value: Any, row: dict[str, Any], prefix: str) -> str:
    """``value`` of field ``name`` in words; ``row`` and ``prefix`` give the version's other fields
    (the currency of an amount) and the names of the records it refers to."""
    if value is None or value == "":
        return NOTHING
    if name in REFERENCES:
        referred = row.get(f"{prefix}label__{name}")
        if isinstance(referred, datetime.date):
            return f"payment of {day_text(referred)}"
        return str(referred) if referred is not None else NOTHING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        currency = "EUR" if name in EUR_AMOUNTS else (row.get(f"{prefix}{AMOUNT_CURRENCY.get(name, '')}") or "")
        return eur_exact(value) if currency == "EUR" else f"{currency} {value:,.2f}".strip()
    if isinstance(value, datetime.date):
        return day_text(value)
    choices = getattr(model._meta.get_field(name), "choices", None)
    if choices:
        return str(dict(choices).get(value, value))
    return str(value)


def plain(value: Any) -> Any:
    """A value as JSON shows it: Decimal as a string with its cents, dates in ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


CITATION_TARGETS = tuple(f"{name}_id" for name in Citation.TARGETS)
# The field that names a record of each kind in words (the others: "name").
LABEL_FIELDS = {"source": "title", "milestone": "title", "condition": "title", "estimate": "title",
                "open_question": "question"}  # fmt: skip


def _label(entity: str, row: dict[str, Any]) -> str:
    """The record in words, as this version names it: a name or title; 'Payment of 30 Jun 2026 to
    “Drones”'; 'Citation of “Regulation …” for the amount of “Defence”'."""
    if entity == "disbursement":
        return f"Payment of {day_text(row['value_date'])} to “{row['label__tranche_id']}”"
    if entity == "citation":
        target = next((name for name in CITATION_TARGETS if row[name] is not None), None)
        referred = row[f"label__{target}"] if target else None
        what = f"the payment of {day_text(referred)}" if isinstance(referred, datetime.date) else f"“{referred}”"
        return f"Citation of “{row['label__source_id']}” for the {row['figure']} of {what}"
    return str(row[LABEL_FIELDS.get(entity, "name")])


def _changes(
    entity: str, rows: QuerySet[Any], *, limit: int | None = None, per_release: int | None = None
) -> list[Change]:
    """The changes of ``rows`` (published versions of ``entity``, filtered), newest first: at most
    ``limit``, and at most ``per_release`` of each release. One query: the previous version's values
    and the names of the records referred to are subqueries of it."""
    model, fields = CHANGE_FIELDS[entity]
    rows = rows.annotate(published_at=F("entered__published_at"), release_note=F("entered__note"))
    annotations: dict[str, Any] = {f"previous__{name}": _previous_published(model, name) for name in fields}
    annotations["previous__row_id"] = _previous_published(model, "row_id")
    references = [name for name in fields if name in REFERENCES]
    labels = {f"label__{name}": _referred(name, OuterRef(name)) for name in references}
    previous_labels = {
        f"previous__label__{name}": _referred(name, OuterRef(f"previous__{name}")) for name in references
    }
    rows = rows.annotate(**annotations).annotate(**labels, **previous_labels)
    if per_release is not None:
        newest = Window(RowNumber(), partition_by=[F("entered")], order_by=F("row_id").desc())
        rows = rows.annotate(newest=newest).filter(newest__lte=per_release)
    values = rows.order_by("-entered_id", "-row_id").values(
        "id", "row_id", "entered_id", "published_at", "release_note", *fields, *annotations, *labels, *previous_labels
    )
    found = []
    for row in values if limit is None else values[:limit]:
        row.update({f"previous__{name}": _normal(model, name, row[f"previous__{name}"]) for name in fields})
        first = row["previous__row_id"] is None
        diffs = [
            FieldChange(
                field=name.removesuffix("_id") if name in REFERENCES else name,
                name=FIELD_NAMES[name],
                old=None if first else plain(row[f"previous__{name}"]),
                new=plain(row[name]),
                old_text=None if first else _text(model, name, row[f"previous__{name}"], row, "previous__"),
                new_text=_text(model, name, row[name], row, ""),
            )
            for name in fields
            if (first and row[name] not in (None, "")) or (not first and row[name] != row[f"previous__{name}"])
        ]
        found.append(
            Change(
                entity=entity,
                record_id=row["id"],
                version_id=row["row_id"],
                release=row["entered_id"],
                published_at=row["published_at"],
                release_note=row["release_note"],
                kind="added" if first else "changed",
                label=_label(entity, row),
                changes=diffs,
            )
        )
    return found


def changes_page(
    *,
    limit: int,
    as_of: datetime.datetime | None = None,
    release: int | None = None,
    entities: Iterable[str] = CHANGE_ENTITIES,
    since: datetime.datetime | None = None,
    cursor: ChangeCursor | None = None,
) -> ChangePage:
    """The public change log, newest first: every publication of a record, with what changed since
    its previous publication (old → new, in values and in words), the release that published it and
    its note. ``release``: only what release N published; ``as_of``: what was published by then.
    Drafts never appear, neither as a change nor as an old value; editors and reviewers are never
    named. One query per entity, whatever ``limit``."""
    collected: list[Change] = []
    for entity in entities:
        model, _ = CHANGE_FIELDS[entity]
        rows = PUBLISHED_MODEL[model].objects.all()
        # Release numbers, not times, bound and order the rows: an index scan of (entered, row_id).
        if release is not None:
            rows = rows.filter(entered=release)
        if as_of is not None:
            rows = rows.filter(entered__lte=release_as_of(as_of))
        if since is not None:
            first_since = Release.objects.filter(published_at__gte=since).order_by("number").values("number")[:1]
            rows = rows.filter(entered__gte=Subquery(first_since))
        collected += _changes(entity, _after_cursor(rows, entity, cursor), limit=limit + 1)
    collected.sort(key=lambda change: change.cursor.sort_key(), reverse=True)
    page = collected[:limit]
    next_cursor = page[-1].cursor if len(collected) > limit else None
    return ChangePage(changes=page, next_cursor=next_cursor)


def changes_of_releases(numbers: Collection[int], *, per_release: int) -> dict[int, list[Change]]:
    """What each release in ``numbers`` published, in the order of the kinds of record (instruments
    first, citations last), at most ``per_release`` of each (the counts say how many in all). One
    query per kind of record, whatever the number of releases or of their changes."""
    found: dict[int, list[Change]] = {number: [] for number in numbers}
    if not numbers:
        return found
    for entity in CHANGE_ENTITIES:
        model, _ = CHANGE_FIELDS[entity]
        rows = PUBLISHED_MODEL[model].objects.filter(entered__in=list(numbers))
        for change in _changes(entity, rows, per_release=per_release):
            found[change.release].append(change)
    return {number: changes[:per_release] for number, changes in found.items()}
