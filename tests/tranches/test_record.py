"""The quality of the record the tracker ships: the dataset file, loaded and published as Release 1,
read the way the public reads it (the published versions only).

Every figure the totals use rests on an official text or an established medium (grade A or B), a
grade C source is never alone behind one, no placeholder reaches a reader, a source without an
address says why, and a claim the figures do not use is either a conflicting claim shown beside the
one they use, or a grade C lead that no better source confirms."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import models

from tranches import selectors
from tranches.dataset import dataset_load
from tranches.models import (
    PUBLISHABLE_MODELS,
    PUBLISHED_MODEL,
    Citation,
    Component,
    Disbursement,
    Instrument,
    Source,
    Tranche,
)

pytestmark = pytest.mark.django_db

# What a reader must never see: a placeholder's brackets, or the names of the tracker's own notes.
PLACEHOLDER_MARKS = ("[", "FACTS.md", "seed article", "summary in")
FIGURE_GRADES = {"A", "B"}  # the grades that may carry a figure the totals use
# The records whose amount the totals use, and the field that holds it.
AMOUNTS: dict[type[models.Model], str] = {
    Instrument: "amount",
    Component: "amount",
    Tranche: "amount",
    Disbursement: "amount_eur",
}


@pytest.fixture
def published(db) -> None:
    """The shipped dataset, seeded into an empty database and published as Release 1."""
    report = dataset_load(path=settings.DATASET_PATH)
    assert report.release == 1


def public_rows(model: type[Any]) -> list[Any]:
    return list(selectors.public_versions(model))


def target_of(citation: Any) -> tuple[str, int]:
    """(kind, id) of the one record a published citation backs."""
    targets = [(name, getattr(citation, f"{name}_id")) for name in Citation.TARGETS]
    chosen = [(name, pk) for name, pk in targets if pk is not None]
    assert len(chosen) == 1, f"citation {citation.id} backs {chosen}"
    return chosen[0]


def public_citations() -> tuple[list[Any], dict[int, str]]:
    """The published citations and the grade of each published source, by source id."""
    grades = {source.id: source.grade for source in public_rows(Source)}
    return public_rows(Citation), grades


def text_fields(model: type[Any]) -> list[str]:
    published = PUBLISHED_MODEL[model]
    return [
        field.name
        for field in published._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField) and field.name != "dataset_key"
    ]


def test_no_public_text_shows_a_placeholder_or_the_trackers_own_notes(published):
    # Given the published record
    # When a reader reads every text of it (names, notes, quotes, sources, questions…)
    shown = []
    for model in PUBLISHABLE_MODELS:
        fields = text_fields(model)
        for row in public_rows(model):
            for name in fields:
                value = getattr(row, name) or ""
                shown += [(model.__name__, row.id, name, mark) for mark in PLACEHOLDER_MARKS if mark in value]
    # Then none of it is a placeholder or names the tracker's working files
    assert shown == []


def test_every_figure_the_totals_use_has_a_used_claim_of_an_a_or_b_source_giving_it(published):
    # Given the published record and its claims
    citations, grades = public_citations()
    backing: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for citation in citations:
        if citation.is_used and grades.get(citation.source_id) in FIGURE_GRADES:
            backing[target_of(citation)].append(citation)
    # When each amount the totals use is looked up among them
    unbacked = []
    checked = 0
    for model, field in AMOUNTS.items():
        kind = model._meta.model_name
        for row in public_rows(model):
            amount = getattr(row, field)
            checked += 1
            if not any(c.claimed_amount == amount and c.claimed_currency == "EUR" for c in backing[(kind, row.id)]):
                unbacked.append(f"{kind} {row.id} ({amount})")
    # Then each has a used claim of grade A or B giving that very amount: a grade C source is never alone
    assert checked > 0
    assert unbacked == []


def test_every_source_without_an_address_says_why(published):
    # Given the published sources that have no address
    without = [source for source in public_rows(Source) if not source.url]
    assert without, "the record keeps sources whose address is not on file"
    # Then each says in its notes that the address is not on file, never an invented one
    silent = [
        source.title
        for source in without
        if "address" not in source.notes or not any(p in source.notes for p in ("not on file", "not kept", "without"))
    ]
    assert silent == []


def test_a_claim_the_figures_do_not_use_is_a_conflicting_claim_beside_the_used_one_or_a_grade_c_lead(published):
    # Given the published claims, grouped by the record and the figure they back
    citations, grades = public_citations()
    groups: dict[tuple[tuple[str, int], str], list[Any]] = defaultdict(list)
    for citation in citations:
        groups[(target_of(citation), citation.figure)].append(citation)
    unused = [c for c in citations if not c.is_used]
    assert unused, "the record keeps conflicting claims"
    # When each claim the figures do not use is set beside the used claims of its record and figure
    problems, conflicting = [], 0
    for claim in unused:
        used = [c for c in groups[(target_of(claim), claim.figure)] if c.is_used]
        if used:
            # Then a conflicting claim gives another number than the one shown beside it
            conflicting += 1
            if claim.claimed_amount is None or any(c.claimed_amount == claim.claimed_amount for c in used):
                problems.append(f"citation {claim.id}: not in conflict with the used claim beside it")
        elif grades[claim.source_id] != "C":
            # and a claim with no used one beside it is a grade C lead, not a better source left out
            problems.append(f"citation {claim.id}: grade {grades[claim.source_id]} claim left unused and alone")
    assert problems == []
    assert conflicting >= 3  # the June drone money, and the €60bn/€30bn split given both ways round


def test_the_june_drone_money_shows_the_paid_figure_with_the_planned_one_beside_it(published):
    # Given the first defence tranche of the loan, as published
    drones = selectors.public_versions(Tranche).get(purpose="drones")
    claims = {
        (c.claimed_amount, c.is_used)
        for c in public_rows(Citation)
        if c.tranche_id == drones.id and c.figure == "amount"
    }
    # Then the amount the totals use is the one reported paid, and the planned €5.9bn stays visible beside it
    assert (drones.amount, True) in claims
    assert {amount for amount, used in claims if not used} == {Decimal("5900000000.00")}


def test_each_instrument_is_counted_from_its_own_payments_and_the_era_payments_add_up_to_the_eu_share(published):
    # Given each published instrument and the payments of its own tranches
    instruments = {row.short_name: row for row in public_rows(Instrument)}
    tranches = {row.id: row for row in public_rows(Tranche)}
    components = {row.id: row for row in public_rows(Component)}
    paid: dict[int, Decimal] = defaultdict(Decimal)
    for payment in public_rows(Disbursement):
        paid[components[tranches[payment.tranche_id].component_id].instrument_id] += payment.amount_eur
    # When the public totals are computed
    for instrument in instruments.values():
        record = Instrument.objects.get(pk=instrument.id)
        # Then each instrument's disbursed total is the sum of its own payments, never another's
        assert selectors.instrument_totals(instrument=record, public=True).disbursed == paid[instrument.id]
    # And the ten ERA payments of 2025 add up to the EU share, as the final payment's report says
    era = instruments["ERA (EU)"]
    assert paid[era.id] == era.amount
