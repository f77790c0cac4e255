"""``?as_of=YYYY-MM-DD`` rebuilds what was published on that day, from history."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reports import services as report_services
from tests.api.conftest import DAY_ONE, backdate, results
from tranches import services
from tranches.models import Disbursement, Tranche

pytestmark = pytest.mark.django_db
THREE_BN = Decimal("3000000000.00")


@pytest.fixture
def corrected(dataset, editor, reviewer):
    """The dataset published on 1 July 2026; today the budget-support payment is corrected from
    €3.2bn to €3.0bn (tranche and payment together) and republished."""
    backdate(DAY_ONE)
    old_snapshot = report_services.snapshot_refresh().snapshot
    tranche = Tranche.objects.get(slug="budget-2026-06")
    payment = Disbursement.objects.get(tranche=tranche)
    with services.checked_together():
        tranche.amount = THREE_BN
        services.tranche_save(tranche=tranche, user=editor, reason="correction")
        payment.amount_eur = THREE_BN
        services.disbursement_save(disbursement=payment, user=editor, reason="correction")
    services.records_publish(records=[tranche, payment], user=reviewer)
    new_snapshot = report_services.snapshot_refresh().snapshot
    return old_snapshot, new_snapshot


def _budget_payment(client, query: str = "") -> str:
    rows = results(client.get(f"/api/v1/disbursements/?component=budget-support{query}"))
    return rows[0]["amount_eur"]


def test_as_of_reproduces_the_number_printed_before_a_correction(client, corrected):
    assert _budget_payment(client) == "3000000000.00"
    assert _budget_payment(client, "&as_of=2026-07-01") == "3200000000.00"
    tranche = results(client.get("/api/v1/tranches/?purpose=budget+support&as_of=2026-07-01"))[0]
    assert tranche["amount"] == "3200000000.00"
    response = client.get(f"/api/v1/tranches/{tranche['id']}/?as_of=2026-07-01")
    assert response.json()["amount"] == "3200000000.00"


def test_as_of_before_anything_was_published_is_empty(client, corrected):
    for resource in ("instruments", "components", "tranches", "sources", "citations"):
        assert results(client.get(f"/api/v1/{resource}/?as_of=2026-06-30")) == [], resource
    assert client.get("/api/v1/disbursements/?as_of=2026-06-30").json()["results"] == []
    assert client.get("/api/v1/changes/?as_of=2026-06-30").json()["results"] == []
    assert client.get("/api/v1/summary/?as_of=2026-06-30").status_code == 404


def test_summary_and_timeseries_as_of_read_the_snapshot_of_that_day(client, corrected):
    old_snapshot, new_snapshot = corrected
    assert old_snapshot.content_hash != new_snapshot.content_hash

    def budget_support(summary: dict) -> dict:
        usl = next(i for i in summary["instruments"] if i["slug"] == "ukraine-support-loan")
        return next(c for c in usl["components"] if c["slug"] == "budget-support")["totals"]

    then = client.get("/api/v1/summary/?as_of=2026-07-01").json()
    now = client.get("/api/v1/summary/").json()
    assert then["snapshot"]["hash"] == old_snapshot.content_hash
    assert now["snapshot"]["hash"] == new_snapshot.content_hash
    assert budget_support(then)["disbursed"] == "3200000000.00"
    assert budget_support(now)["disbursed"] == "3000000000.00"
    series = client.get("/api/v1/timeseries/?component=budget-support&as_of=2026-07-01").json()["series"]
    assert series[0]["points"] == [{"period": "2026-06", "period_start": "2026-06-01", "value": "3200000000.00"}]


def test_the_snapshot_permalink_keeps_the_old_figures(client, corrected):
    old_snapshot, _ = corrected
    listed = results(client.get("/api/v1/snapshots/"))
    assert [row["hash"] for row in listed][-1] == old_snapshot.content_hash
    detail = client.get(listed[-1]["url"])
    assert detail.status_code == 200
    assert detail.json()["payload"] == old_snapshot.payload
    assert "immutable" in detail["Cache-Control"]
    assert [row["hash"] for row in results(client.get("/api/v1/snapshots/?as_of=2026-07-01"))] == [
        old_snapshot.content_hash
    ]


def test_the_change_log_shows_the_correction_old_to_new(client, corrected):
    changes = client.get("/api/v1/changes/?entity=disbursement&entity=tranche").json()["results"]
    corrections = [c for c in changes if c["kind"] == "changed"]
    assert {c["entity"] for c in corrections} == {"tranche", "disbursement"}
    payment = next(c for c in corrections if c["entity"] == "disbursement")
    assert payment["changes"] == [{"field": "amount_eur", "old": "3200000000.00", "new": "3000000000.00"}]
    assert client.get("/api/v1/changes/?as_of=2026-07-01&entity=disbursement").json()["results"][0]["kind"] == "added"
