"""Releases for the API: their number, time and public note, and how many records of each kind each
one published; and what the public records are now (the latest release and the exchange rates),
which the record answers are kept under. Reviewers are never read: they are never shown."""

from __future__ import annotations

import datetime

from django.db.models import Count, IntegerField, QuerySet, Value

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

# The kinds of record a release publishes, by the name of their resource.
RELEASE_KINDS: dict[str, type[Publishable]] = {
    "instruments": Instrument,
    "components": Component,
    "tranches": Tranche,
    "disbursements": Disbursement,
    "sources": Source,
    "milestones": Milestone,
    "conditions": Condition,
    "estimates": Estimate,
    "open_questions": OpenQuestion,
    "citations": Citation,
}
RELEASE_FIELDS = ("number", "published_at", "note")  # never published_by


def releases_public(*, as_of: datetime.datetime | None = None) -> QuerySet[Release]:
    """The releases (their number, time and note only), with ``as_of`` those published by then."""
    releases = Release.objects.only(*RELEASE_FIELDS)
    if as_of is not None:
        releases = releases.filter(published_at__lte=as_of)
    return releases


def releases_newest(*, limit: int) -> list[Release]:
    """The ``limit`` newest releases (number, time and note), newest first, with their counts
    (``releases_with_counts``). Two queries."""
    return releases_with_counts(list(releases_public().order_by("-number")[:limit]))


def release_latest_head() -> tuple[int, datetime.datetime] | None:
    """The number and time of the latest release, or None before the first. One indexed read."""
    return Release.objects.order_by("-number").values_list("number", "published_at").first()


def releases_with_counts(rows: list[Release]) -> list[Release]:
    """Sets on each release ``published_counts``: how many records of each kind (RELEASE_KINDS) it
    published, new or corrected (the published versions that entered with it). One query, whatever
    the number of releases: a count per kind over the index of each published table."""
    numbers = [row.number for row in rows]
    counts: dict[int, dict[str, int]] = {number: dict.fromkeys(RELEASE_KINDS, 0) for number in numbers}
    if numbers:
        kinds = list(RELEASE_KINDS)
        parts = [
            PUBLISHED_MODEL[model]
            .objects.filter(entered_id__in=numbers)
            .order_by()
            .values("entered_id")
            .annotate(kind=Value(index, output_field=IntegerField()), count=Count("pk"))
            .values_list("entered_id", "kind", "count")
            for index, model in enumerate(RELEASE_KINDS.values())
        ]
        for number, kind, count in parts[0].union(*parts[1:], all=True):
            counts[number][kinds[kind]] = count
    for row in rows:
        row.published_counts = counts[row.number]  # type: ignore[attr-defined]
    return rows
