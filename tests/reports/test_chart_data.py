"""Chart data: built once per snapshot from its payload, ready to draw (pages never aggregate)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from reports import selectors, services
from reports.charts import STAGE_BARS
from tests.factories import TrancheFactory
from tests.reports.conftest import latest, refreshed
from tranches import services as tranche_services
from tranches.models import Stage, Tranche

pytestmark = pytest.mark.django_db


@pytest.fixture
def charts(dataset: Any) -> Any:
    defence = Tranche.objects.get(slug="drones-1").component
    planned = tranche_services.tranche_save(
        tranche=TrancheFactory.build(component=defence, amount=Decimal("2000000000.00"), purpose="air defence",
                                     stage=Stage.PLANNED, approved_on=None, planned_on=datetime.date(2026, 7, 1))
    )  # fmt: skip
    tranche_services.record_publish(record=planned, user=None)
    snapshot = refreshed()
    chart, created = services.chart_data_refresh(snapshot_id=snapshot.pk)
    assert created
    return chart.payload["instruments"][chart.payload["main_instrument"]]


def test_each_component_bar_adds_up_to_the_component(charts: Any) -> None:
    bars = {bar["component"]: bar for bar in charts["by_component_and_stage"]}
    for bar in bars.values():
        assert sum(Decimal(bar[part]) for part in STAGE_BARS) == Decimal(bar["amount"])
    assert bars["Defence"]["planned"] == "2000000000.00"
    assert bars["Defence"]["disbursed"] == "3900000000.00"
    assert sum(Decimal(bar["amount"]) for bar in bars.values()) == Decimal(charts["amount"])


def test_the_pace_line_runs_from_nothing_to_the_whole_loan_at_the_end_of_2027(charts: Any) -> None:
    assert charts["cumulative"]["pace"] == [
        {"date": "2026-01-01", "cumulative": "0.00"},
        {"date": "2027-12-31", "cumulative": "90000000000.00"},
    ]
    assert charts["cumulative"]["actual"][-1]["cumulative"] == "7100000000.00"


def test_the_timeline_and_table_carry_stage_dates_payments_and_sources(charts: Any) -> None:
    timeline = {row["name"]: row for row in charts["timeline"]}
    assert timeline["Budget support, June 2026"]["events"] == [
        {"stage": "planned", "date": "2026-06-01"},
        {"stage": "disbursed", "date": "2026-06-25"},
    ]
    drones = next(row for row in charts["table"] if row["name"] == "First defence tranche: drones")
    assert drones["stage_date"] == "2026-06-30"
    assert [d["amount_eur"] for d in drones["disbursements"]] == ["3900000000.00"]
    claims = {(s["claimed_amount"], s["is_used"]) for s in drones["sources"]}
    # Both claims about the June drone money stay visible; the public figure uses the €3.9bn.
    assert ("3900000000.00", True) in claims
    assert ("5900000000.00", False) in claims


def test_chart_data_is_built_once_per_snapshot(charts: Any) -> None:
    snapshot = latest()
    again, created = services.chart_data_refresh(snapshot_id=snapshot.pk)
    assert not created
    assert selectors.chart_data_latest() == again


def _publish_amount(tranche: Tranche, amount: str) -> None:
    tranche.amount = Decimal(amount)
    tranche_services.tranche_save(tranche=tranche)
    tranche_services.record_publish(record=tranche, user=None)


def test_figures_changed_back_give_a_new_latest_snapshot_sharing_the_old_hash(dataset: Any) -> None:
    component = Tranche.objects.get(slug="drones-1").component
    tranche = tranche_services.tranche_save(
        tranche=TrancheFactory.build(component=component, amount=Decimal("1000000000.00"), purpose="demining",
                                     stage=Stage.PLANNED, approved_on=None, planned_on=datetime.date(2026, 7, 1))
    )  # fmt: skip
    tranche_services.record_publish(record=tranche, user=None)
    first = refreshed()
    _publish_amount(tranche, "1500000000.00")
    second = refreshed()
    _publish_amount(tranche, "1000000000.00")
    third = refreshed()

    assert second.content_hash != first.content_hash
    assert third.content_hash == first.content_hash
    assert third.pk != first.pk
    assert latest() == third  # the current figures, not the older B
    assert selectors.snapshot_by_hash(second.content_hash.upper()) == second
    assert selectors.snapshot_by_hash(first.content_hash) == third  # same figures: the newest row
    assert selectors.snapshot_by_hash("0" * 64) is None
