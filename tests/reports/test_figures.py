"""The figure snapshot: built from published data only, aggregated in SQL, content-hashed."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection

from reports import selectors, services
from reports.figures import SCHEMA_VERSION, payload_hash
from reports.models import FigureSnapshot, ImmutableError
from tests.factories import ComponentFactory, DisbursementFactory, InstrumentFactory, TrancheFactory
from tests.reports.conftest import latest, refreshed
from tranches import services as tranche_services
from tranches.models import Stage, Tranche

pytestmark = pytest.mark.django_db
BN = Decimal(1_000_000_000)


def published(record: Any) -> Any:
    tranche_services.record_publish(record=record, user=None)
    return record


def usl(snapshot: FigureSnapshot) -> dict:
    return next(i for i in snapshot.payload["instruments"] if i["short_name"] == "USL")


def test_snapshot_of_the_dataset_gives_the_usl_totals(dataset: Any) -> None:
    result = services.snapshot_refresh()

    assert result.created
    assert result.snapshot is not None
    loan = usl(result.snapshot)
    totals = loan["totals"]
    assert Decimal(totals["amount"]) == 90 * BN
    assert Decimal(totals["disbursed"]) == Decimal("7.1") * BN  # €3.9bn drones + €3.2bn budget support
    assert Decimal(totals["remaining"]) == Decimal("82.9") * BN
    assert totals["percent_disbursed"] == "7.9"
    components = {c["name"]: c["totals"] for c in loan["components"]}
    assert Decimal(components["Defence"]["disbursed"]) == Decimal("3.9") * BN
    assert Decimal(components["Budget support"]["remaining"]) == Decimal("26.8") * BN
    assert {p["purpose"]: p["disbursed"] for p in loan["by_purpose"]} == {
        "budget support": "3200000000.00",
        "drones": "3900000000.00",
    }
    assert loan["by_budget_year"] == [
        {"budget_year": 2026, "allocated": "7100000000.00", "planned": "0.00", "committed": "7100000000.00",
         "disbursed": "7100000000.00"}
    ]  # fmt: skip
    assert loan["cumulative_by_month"] == [
        {"month": "2026-06", "disbursed": "7100000000.00", "cumulative": "7100000000.00"}
    ]


def test_context_instruments_are_never_added_to_the_loan(dataset: Any) -> None:
    snapshot = refreshed()
    amounts = {i["short_name"]: i["totals"]["amount"] for i in snapshot.payload["instruments"]}
    assert amounts == {"USL": "90000000000.00", "UF": "50000000000.00", "ERA (EU)": "18100000000.00"}


def test_drafts_do_not_count_and_a_draft_edit_keeps_the_published_figure(dataset: Any, editor: Any) -> None:
    services.snapshot_refresh()
    tranche = Tranche.objects.get(slug="drones-1")
    tranche_services.tranche_save(
        tranche=TrancheFactory.build(component=tranche.component, amount=Decimal("1000000000.00"), stage=Stage.PLANNED,
                                     approved_on=None, planned_on=datetime.date(2026, 7, 1)), user=editor,
    )  # fmt: skip

    result = services.snapshot_refresh()

    assert not result.created
    assert result.snapshot is not None
    assert FigureSnapshot.objects.count() == 1
    assert Decimal(usl(result.snapshot)["totals"]["planned"]) == 0


def test_the_same_data_gives_the_same_hash_and_no_new_snapshot(dataset: Any) -> None:
    first = services.snapshot_refresh()
    forced = services.snapshot_refresh(force=True)

    assert first.created
    assert not forced.created
    assert first.snapshot is not None
    assert forced.snapshot is not None
    assert forced.snapshot.pk == first.snapshot.pk
    assert FigureSnapshot.objects.count() == 1
    assert payload_hash(first.snapshot.payload) == first.snapshot.content_hash


def test_a_published_change_gives_a_new_snapshot_and_the_old_one_stays(dataset: Any) -> None:
    old = refreshed()
    defence = Tranche.objects.get(slug="drones-1").component
    new_tranche = tranche_services.tranche_save(
        tranche=TrancheFactory.build(component=defence, amount=Decimal("2000000000.00"), purpose="air defence",
                                     stage=Stage.APPROVED, approved_on=datetime.date(2026, 7, 15))
    )  # fmt: skip
    published(new_tranche)

    new = refreshed()

    assert new.content_hash != old.content_hash
    assert latest() == new
    assert selectors.snapshot_by_hash(old.content_hash) == old
    assert Decimal(usl(new)["totals"]["committed"]) == Decimal("9.1") * BN
    assert new.as_of > old.as_of


def test_the_snapshot_says_which_payload_schema_it_holds(dataset: Any, client: Any) -> None:
    snapshot = refreshed()
    assert snapshot.schema_version == snapshot.payload["schema_version"] == SCHEMA_VERSION
    assert client.get("/api/v1/summary/").json()["snapshot"]["schema_version"] == SCHEMA_VERSION
    # Snapshots stored before this was set kept the column's default; the migration reads the payload.
    FigureSnapshot.objects.filter(pk=snapshot.pk).update(schema_version=1)
    migration = importlib.import_module("reports.migrations.0002_snapshot_schema_version_from_payload")
    migration.schema_version_from_payload(django_apps, None)
    assert FigureSnapshot.objects.get(pk=snapshot.pk).schema_version == SCHEMA_VERSION


def test_a_snapshot_cannot_be_changed_or_deleted(dataset: Any) -> None:
    snapshot = refreshed()
    with pytest.raises(ImmutableError):
        snapshot.save()
    with pytest.raises(ImmutableError):
        snapshot.delete()


def _published_tree(tranches: int, disbursements_each: int) -> None:
    component = ComponentFactory(instrument=InstrumentFactory(), amount=Decimal("60000000000.00"))
    published(component.instrument)
    published(component)
    for n in range(tranches):
        tranche = published(
            TrancheFactory(component=component, purpose=f"purpose {n % 3}", budget_year=2026 + n % 2,
                           amount=Decimal("100000000.00"))
        )  # fmt: skip
        for m in range(disbursements_each):
            published(
                DisbursementFactory(tranche=tranche, amount_eur=Decimal("1000000.00"),
                                    value_date=datetime.date(2026, 1 + (n + m) % 6, 10))
            )  # fmt: skip


@pytest.mark.parametrize(("tranches", "disbursements_each"), [(1, 1), (12, 4)])
def test_the_snapshot_job_makes_a_constant_number_of_queries(
    django_assert_num_queries: Any, tranches: Any, disbursements_each: Any
) -> None:
    _published_tree(tranches, disbursements_each)
    # PostgreSQL takes one more: the advisory lock that serialises snapshot writers.
    with django_assert_num_queries(16 if connection.vendor == "postgresql" else 15):
        result = services.snapshot_refresh()
    assert result.snapshot is not None
    totals = result.snapshot.payload["instruments"][0]["totals"]
    assert Decimal(totals["disbursed"]) == Decimal("1000000.00") * tranches * disbursements_each
