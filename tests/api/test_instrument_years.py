"""/api/v1/instrument-years/: EU money to Ukraine by instrument and year, each euro counted once,
read from the stored figures of the shipped record (the Ukraine Support Loan, the Ukraine Facility
and the EU share of the G7 ERA loans)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.conf import settings

from reports import services as reports_services
from tranches.dataset import dataset_load
from tranches.models import Component, Instrument, PublishedDisbursement, Tranche
from tranches.selectors import public_versions

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(db):
    """The shipped record, published as Release 1, with its figures built."""
    dataset_load(path=settings.DATASET_PATH)
    reports_services.snapshot_refresh()


def paid_by_instrument_and_year() -> dict[tuple[str, int], Decimal]:
    """Each published payment once, under its own tranche's instrument, read from the published tables."""
    instrument_of_component = dict(public_versions(Component).values_list("id", "instrument_id"))
    component_of_tranche = dict(public_versions(Tranche).values_list("id", "component_id"))
    slugs = dict(public_versions(Instrument).values_list("id", "slug"))
    sums: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for tranche_id, day, amount in PublishedDisbursement.objects.filter(left__isnull=True).values_list(
        "tranche_id", "value_date", "amount_eur"
    ):
        sums[(slugs[instrument_of_component[component_of_tranche[tranche_id]]], day.year)] += amount
    return sums


def test_each_instrument_and_year_is_the_sum_of_its_own_payments_and_the_total_counts_each_once(client, record):
    # Given the shipped record with its figures built
    expected = paid_by_instrument_and_year()
    # When a journalist asks for the money by instrument and year
    body = client.get("/api/v1/instrument-years/").json()
    # Then each instrument's year is the sum of its own payments, read from the published tables
    shown = {
        (inst["slug"], year["year"]): Decimal(year["paid"]) for inst in body["instruments"] for year in inst["years"]
    }
    assert {key: value for key, value in shown.items() if value} == dict(expected)
    # And the three instruments each have payments, and the total is every distinct payment once
    assert {slug for slug, _ in expected} == {inst["slug"] for inst in body["instruments"]}
    assert Decimal(body["total"]["paid"]) == sum(expected.values())
    assert body["total"]["count"] == PublishedDisbursement.objects.filter(left__isnull=True).count()
    # And the rules are said next to the numbers, citing the snapshot they come from
    assert any("2026/468" in rule for rule in body["rules"])
    assert body["snapshot"]["hash"]


def test_the_csv_has_a_row_per_instrument_and_year_and_the_all_instruments_rows_add_up(client, record):
    response = client.get("/api/v1/instrument-years/?format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    own = [row for row in rows if row["instrument_slug"]]
    together = [row for row in rows if not row["instrument_slug"]]
    assert sum(Decimal(row["paid"]) for row in own) == sum(Decimal(row["paid"]) for row in together)
    assert {row["instrument_short_name"] for row in together} == {"all instruments"}
