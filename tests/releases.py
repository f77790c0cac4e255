"""Publishing in tests the way reviewers do: through releases (tranches.services.release_publish).

``released(*records)`` publishes drafts as one release. Every published figure needs a citation of
a published source, so by default a record that has none gets one from a shared test source, and
a tranche's purpose is put on the list of purposes: the test then reads like the story it tells
("given a published tranche …") while the release checks stay whole."""

from __future__ import annotations

from typing import Any

from tranches import services
from tranches.models import (
    Citation,
    Component,
    Condition,
    Disbursement,
    Estimate,
    Instrument,
    Milestone,
    Publishable,
    Purpose,
    Release,
    Status,
    Tranche,
)

from .factories import SourceFactory

# The kinds a release refuses to publish without a citation (tranches.services.checks.CITED_MODELS).
FIGURES = (Instrument, Component, Tranche, Disbursement, Milestone, Condition, Estimate)
TEST_SOURCE_TITLE = "Test source for every figure"


def _test_source() -> Any:
    from tranches.models import Source

    source = Source.objects.filter(title=TEST_SOURCE_TITLE).first()
    if source is None:
        source = services.source_save(source=SourceFactory.build(title=TEST_SOURCE_TITLE))
    return source


def citations_of(record: Publishable) -> list[Publishable]:
    """The citations of ``record`` and their sources; a draft citation of the test source is made
    first if it has none."""
    if not isinstance(record, FIGURES):
        return []
    field = Citation.target_field(type(record))
    citations = list(Citation.objects.filter(**{field: record}).select_related("source"))
    if not citations:
        citations = [
            services.citation_save(
                citation=Citation(source=_test_source(), quote=f"Test passage backing {record}", **{field: record})
            )
        ]
    return [record for citation in citations for record in (citation, citation.source)]


def released(
    *records: Publishable, user: Any = None, note: str = "Test release", cite: bool = True, list_purposes: bool = True
) -> Release:
    """Publish ``records`` (their pending changes, at their current version) as one release, with
    the citations (``cite``) and purposes (``list_purposes``) they need. Returns the release;
    raises as ``release_publish``. The records are refreshed from the database."""
    extra: list[Publishable] = []
    for record in records:
        if isinstance(record, Tranche) and list_purposes:
            Purpose.objects.get_or_create(name=record.purpose)
        if cite:
            extra += citations_of(record)
    drafts = {(type(r), r.pk): r for r in (*records, *extra)}
    for record in drafts.values():
        record.refresh_from_db()
    changes = [services.Change.of(r) for r in drafts.values() if r.status == Status.DRAFT]
    release = services.release_publish(changes=changes, user=user, note=note)
    for record in records:
        record.refresh_from_db()
    return release
