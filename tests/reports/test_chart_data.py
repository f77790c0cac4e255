"""Chart data: built once per snapshot from its payload, ready to draw (pages never aggregate)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from reports import figures, selectors, services
from reports.charts import STAGE_BARS, chart_data_build
from tests.factories import TrancheFactory
from tests.releases import released
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
    released(planned)
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
    # The running total on each payment's value date
    assert charts["cumulative"]["steps"] == "payment"
    assert charts["cumulative"]["actual"] == [
        {"date": "2026-06-25", "cumulative": "3200000000.00"},
        {"date": "2026-06-30", "cumulative": "7100000000.00"},
    ]


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
    released(tranche)


def test_figures_changed_back_give_a_new_latest_snapshot_sharing_the_old_hash(dataset: Any) -> None:
    component = Tranche.objects.get(slug="drones-1").component
    tranche = tranche_services.tranche_save(
        tranche=TrancheFactory.build(component=component, amount=Decimal("1000000000.00"), purpose="demining",
                                     stage=Stage.PLANNED, approved_on=None, planned_on=datetime.date(2026, 7, 1))
    )  # fmt: skip
    released(tranche)
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


def test_beyond_the_listed_payments_the_table_and_headline_use_each_tranches_sums(
    dataset: Any, monkeypatch: pytest.MonkeyPatch, client: Any
) -> None:
    """At scale the snapshot does not list every payment (``disbursements_listed``): the charts,
    the headline's last payment and the table's money come from the per-tranche sums instead."""
    listed = chart_data_build(refreshed().payload, snapshot_hash="a" * 64)
    monkeypatch.setattr(figures, "LISTED_DISBURSEMENTS_MAX", 0)
    snapshot = refreshed(force=True)
    assert snapshot.payload["disbursements_listed"] is False
    assert snapshot.payload["disbursements"] == []
    summed = chart_data_build(snapshot.payload, snapshot_hash="a" * 64)

    main_listed, main_summed = (data["instruments"]["ukraine-support-loan"] for data in (listed, summed))
    paid_on = [p["value_date"] for row in main_listed["table"] for p in row["disbursements"]]
    assert main_summed["headline"]["last_disbursement_on"] == max(paid_on) == "2026-06-30"
    assert main_summed["headline"] == main_listed["headline"]
    # Every chart is the same but the pace chart, which steps at each month's end instead of each
    # payment's value date (the monthly sums are all such a payload has), to the same total.
    assert {k: c for k, c in summed["charts"].items() if k != "pace"} == {
        k: c for k, c in listed["charts"].items() if k != "pace"
    }
    assert main_summed["cumulative"]["steps"] == "month_end"
    assert main_summed["cumulative"]["actual"] == [{"date": "2026-06-30", "cumulative": "7100000000.00"}]
    assert main_listed["cumulative"]["actual"][-1] == {"date": "2026-06-30", "cumulative": "7100000000.00"}
    assert "at the end of each month with a payment" in summed["charts"]["pace"]["description"]
    for with_list, with_sums in zip(main_listed["table"], main_summed["table"], strict=True):
        payments = with_list["disbursements"]
        assert with_sums["disbursements"] == []
        assert Decimal(with_sums["disbursed"]) == sum((Decimal(p["amount_eur"]) for p in payments), Decimal(0))
        assert with_sums["disbursement_count"] == len(payments)
        assert with_sums["last_value_date"] == max((p["value_date"] for p in payments), default=None)
        assert with_sums["sources"] == with_list["sources"]  # a payment's citations stay with its tranche
    # Other instruments: headline and splits only; the pages draw the main instrument's tranches.
    others = [i for slug, i in summed["instruments"].items() if slug != "ukraine-support-loan"]
    assert len(others) == 2
    assert all("table" not in i and "timeline" not in i and i["headline"]["amount"] for i in others)

    services.chart_data_refresh(snapshot_id=snapshot.pk)
    page = client.get("/").content.decode()
    assert "Paid €3.90bn in 1 payment, from 30 Jun 2026 to 30 Jun 2026" in page
    assert "30 Jun 2026" in page.split("Last payment", 1)[1][:200]
