"""The public change log: each published version of a record (the release it entered) compared with
the version it replaced. Read from the published state only, never from drafts or history."""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F, Model, OuterRef, QuerySet, Subquery

from tranches.models import (
    PUBLISHED_MODEL,
    Citation,
    Component,
    Disbursement,
    Instrument,
    Publishable,
    Release,
    Source,
    Tranche,
)
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
        ("tranche_id", "value_date", "amount_eur", "reported_amount", "reported_currency", "notes"),
    ),
    "source": (Source, ("publisher", "title", "published_on", "url", "grade", "notes")),
    "citation": (
        Citation,
        (
            "source_id", "instrument_id", "component_id", "tranche_id", "disbursement_id", "figure", "quote",
            "claimed_amount", "claimed_currency", "is_used", "locator",
        ),
    ),
}  # fmt: skip
CHANGE_ENTITIES = tuple(CHANGE_FIELDS)
# Fields that name a record in a change: the title of a feed entry, the label in the change log.
LABEL_FIELD = {
    "instrument": "name",
    "component": "name",
    "tranche": "name",
    "disbursement": "value_date",
    "source": "title",
    "citation": "figure",
}


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
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Change:
    """One publication: the record's public values before (the previous published version, never a
    draft) and after, and only the fields that differ."""

    entity: str
    record_id: int
    version_id: int
    release: int
    published_at: datetime.datetime
    kind: str  # "added" (first publication) or "changed"
    label: str
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def cursor(self) -> ChangeCursor:
        return ChangeCursor(release=self.release, entity=self.entity, version_id=self.version_id)


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


def _normal(model: type[Model], name: str, value: Any) -> Any:
    """A value as the model field holds it: Decimals with their cents (subqueries may drop them)."""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        places = getattr(model._meta.get_field(name), "decimal_places", None)
        if places is not None:
            return Decimal(value).quantize(Decimal(1).scaleb(-places))
    return value


def changes_page(
    *,
    limit: int,
    as_of: datetime.datetime | None = None,
    entities: Iterable[str] = CHANGE_ENTITIES,
    since: datetime.datetime | None = None,
    cursor: ChangeCursor | None = None,
) -> ChangePage:
    """The public change log, newest first: every publication of a record, with what changed since
    its previous publication (old → new). Drafts never appear, neither as a change nor as an old
    value; editors and reviewers are never named. One query per entity, whatever ``limit``."""
    collected: list[Change] = []
    for entity in entities:
        model, fields = CHANGE_FIELDS[entity]
        rows = PUBLISHED_MODEL[model].objects.annotate(published_at=F("entered__published_at"))
        # Release numbers, not times, bound and order the rows: an index scan of (entered, row_id).
        if as_of is not None:
            rows = rows.filter(entered__lte=release_as_of(as_of))
        if since is not None:
            first_since = Release.objects.filter(published_at__gte=since).order_by("number").values("number")[:1]
            rows = rows.filter(entered__gte=Subquery(first_since))
        rows = _after_cursor(rows, entity, cursor)
        annotations = {f"previous__{name}": _previous_published(model, name) for name in fields}
        annotations["previous__row_id"] = _previous_published(model, "row_id")
        values = (
            rows.annotate(**annotations)
            .order_by("-entered_id", "-row_id")
            .values("id", "row_id", "entered_id", "published_at", *fields, *annotations)[: limit + 1]
        )
        for row in values:
            row.update({f"previous__{name}": _normal(model, name, row[f"previous__{name}"]) for name in fields})
            first = row["previous__row_id"] is None
            diffs = [
                FieldChange(field=name, old=None if first else row[f"previous__{name}"], new=row[name])
                for name in fields
                if (first and row[name] not in (None, "")) or (not first and row[name] != row[f"previous__{name}"])
            ]
            collected.append(
                Change(
                    entity=entity,
                    record_id=row["id"],
                    version_id=row["row_id"],
                    release=row["entered_id"],
                    published_at=row["published_at"],
                    kind="added" if first else "changed",
                    label=str(row[LABEL_FIELD[entity]]),
                    changes=diffs,
                )
            )
    collected.sort(key=lambda change: change.cursor.sort_key(), reverse=True)
    page = collected[:limit]
    next_cursor = page[-1].cursor if len(collected) > limit else None
    return ChangePage(changes=page, next_cursor=next_cursor)
