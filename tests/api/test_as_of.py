"""``?as_of=YYYY-MM-DD`` shows what the latest release published by the end of that day published;
``?release=N`` shows what release N published. Both are read from the published state."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from reports import services as report_services
from tests.api.conftest import DAY_ONE, backdate, results
from tests.factories import CitationFactory, DisbursementFactory, SourceFactory, TrancheFactory
from tests.releases import released
from tranches import services
from tranches.models import Component, Disbursement, Tranche

pytestmark = pytest.mark.django_db
THREE_BN = Decimal("3000000000.00")
DAY_TWO = datetime.datetime(2026, 7, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def corrected(dataset, editor, reviewer):
    """The dataset published as Release 1 on 1 July 2026; on 15 July the budget-support payment is
    corrected from €3.2bn to €3.0bn (tranche and payment together) in Release 2. The figures of
    each release are stored as its snapshot."""
    backdate(1, DAY_ONE)
    old_snapshot = report_services.snapshot_refresh().snapshot
    tranche = Tranche.objects.get(slug="budget-2026-06")
    payment = Disbursement.objects.get(tranche=tranche)
    with services.checked_together():
        tranche.amount = THREE_BN
        services.tranche_save(tranche=tranche, user=editor, reason="correction")
        payment.amount_eur = THREE_BN
        services.disbursement_save(disbursement=payment, user=editor, reason="correction")
    released(tranche, payment, user=reviewer, note="Budget support paid in June corrected to €3.0bn")
    backdate(2, DAY_TWO)
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


def test_as_of_shows_the_latest_release_published_by_the_end_of_that_day(client, corrected):
    # Release 2 came out on 15 July: the day before shows Release 1, that day and later Release 2.
    assert _budget_payment(client, "&as_of=2026-07-14") == "3200000000.00"
    assert _budget_payment(client, "&as_of=2026-07-15") == "3000000000.00"
    assert _budget_payment(client, "&as_of=2030-01-01") == "3000000000.00"
    tranche = results(client.get("/api/v1/tranches/?purpose=budget+support&as_of=2026-07-14"))[0]
    assert tranche["published_at"] == "2026-07-01T12:00:00Z"  # the time of the release that published it
    assert results(client.get("/api/v1/tranches/?purpose=budget+support"))[0]["published_at"] == "2026-07-15T12:00:00Z"


def test_release_n_shows_what_release_n_published(client, corrected):
    assert _budget_payment(client, "&release=1") == "3200000000.00"
    assert _budget_payment(client, "&release=2") == "3000000000.00"
    tranche = results(client.get("/api/v1/tranches/?purpose=budget+support&release=1"))[0]
    assert tranche["amount"] == "3200000000.00"
    assert client.get(f"/api/v1/tranches/{tranche['id']}/?release=1").json()["amount"] == "3200000000.00"
    assert client.get(f"/api/v1/tranches/{tranche['id']}/?release=2").json()["amount"] == "3000000000.00"
    # Records Release 2 left alone are in it as Release 1 published them.
    assert len(results(client.get("/api/v1/tranches/?release=2"))) == len(
        results(client.get("/api/v1/tranches/?release=1"))
    )
    # The figures and the change log follow the same release.
    summary = client.get("/api/v1/summary/?release=1").json()
    assert summary["snapshot"]["hash"] == corrected[0].content_hash
    assert client.get("/api/v1/changes/?release=1&entity=disbursement").json()["results"][0]["kind"] == "added"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("release=two", "Enter a release number (1, 2, 3…); got 'two'."),
        ("release=-1", "Enter a release number (1, 2, 3…); got '-1'."),
        ("release=1&as_of=2026-07-01", "Give either release or as_of, not both."),
    ],
)
@pytest.mark.parametrize("path", ["tranches/", "disbursements/", "changes/", "summary/", "releases/"])
def test_a_bad_release_is_a_400_that_names_the_parameter(client, corrected, path, query, message):
    response = client.get(f"/api/v1/{path}?{query}")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter"
    assert error["parameters"] == {"release": [message]}


EVERY_RESOURCE = [
    "instruments/", "components/", "tranches/", "disbursements/", "sources/", "citations/", "milestones/",
    "conditions/", "conditions/ledger/", "estimates/", "open-questions/", "releases/", "changes/", "summary/",
    "timeseries/", "snapshots/",
]  # fmt: skip


@pytest.mark.parametrize("path", EVERY_RESOURCE)
def test_as_of_before_the_first_release_says_when_the_first_came_out(client, corrected, path):
    response = client.get(f"/api/v1/{path}?as_of=2026-06-30")
    assert response.status_code == 404, response.content
    assert response.json()["error"]["message"] == (
        "No release was published by 2026-06-30. The first release, number 1, was published on 2026-07-01."
    )


@pytest.mark.parametrize("path", EVERY_RESOURCE)
@pytest.mark.parametrize("number", [7, 0])
def test_release_n_that_does_not_exist_names_the_latest(client, corrected, path, number):
    response = client.get(f"/api/v1/{path}?release={number}")
    assert response.status_code == 404, response.content
    assert response.json()["error"]["message"] == f"There is no release {number}; the latest is 2."


def test_a_detail_before_the_first_release_gives_the_same_answer(client, corrected):
    tranche = results(client.get("/api/v1/tranches/"))[0]
    response = client.get(f"/api/v1/tranches/{tranche['id']}/?as_of=2026-06-30")
    assert response.status_code == 404
    assert "The first release, number 1" in response.json()["error"]["message"]


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
    assert client.get("/api/v1/summary/?as_of=2026-07-14").json()["snapshot"]["hash"] == old_snapshot.content_hash
    assert client.get("/api/v1/summary/?release=2").json()["snapshot"]["hash"] == new_snapshot.content_hash
    assert budget_support(then)["disbursed"] == "3200000000.00"
    assert budget_support(now)["disbursed"] == "3000000000.00"
    series = client.get("/api/v1/timeseries/?component=budget-support&as_of=2026-07-01").json()["series"]
    assert series[0]["points"] == [{"period": "2026-06", "period_start": "2026-06-01", "value": "3200000000.00"}]
    series = client.get("/api/v1/timeseries/?component=budget-support&release=1").json()["series"]
    assert series[0]["points"][0]["value"] == "3200000000.00"


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
    assert [row["hash"] for row in results(client.get("/api/v1/snapshots/?release=1"))] == [old_snapshot.content_hash]


def test_the_change_log_shows_the_correction_old_to_new(client, corrected):
    changes = client.get("/api/v1/changes/?entity=disbursement&entity=tranche").json()["results"]
    corrections = [c for c in changes if c["kind"] == "changed"]
    assert {c["entity"] for c in corrections} == {"tranche", "disbursement"}
    assert {c["release"] for c in corrections} == {2}
    payment = next(c for c in corrections if c["entity"] == "disbursement")
    assert [{key: change[key] for key in ("field", "old", "new")} for change in payment["changes"]] == [
        {"field": "amount_eur", "old": "3200000000.00", "new": "3000000000.00"}
    ]
    assert client.get("/api/v1/changes/?as_of=2026-07-01&entity=disbursement").json()["results"][0]["kind"] == "added"


def test_a_filter_names_its_parent_as_the_pinned_release_left_it(client, dataset, django_assert_num_queries):
    # Given a tranche and its payment that only release 2 published
    tranche = TrancheFactory(component=Component.objects.get(slug="defence"), amount=Decimal("100000000.00"))
    payment = DisbursementFactory(
        tranche=tranche, amount_eur=Decimal("10000000.00"), value_date=datetime.date(2026, 6, 1)
    )
    citation = CitationFactory(source=SourceFactory(), tranche=tranche)
    released(tranche, payment, citation.source, citation)
    path = f"/api/v1/disbursements/?tranche={tranche.slug}"

    # When a reader filters the payments by that tranche, now and as release 1 left the data
    latest = results(client.get(path))
    with django_assert_num_queries(2):  # the release's state (read once, the filter reuses it), the page
        pinned = client.get(f"{path}&release=1")

    # Then the latest data has its payment, and release 1 has no such tranche, hence no payment
    assert [row["amount_eur"] for row in latest] == ["10000000.00"]
    assert results(pinned) == []
