"""Each resource lists and shows what is published, with its filters, search and ordering."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.api.conftest import BN, results

pytestmark = pytest.mark.django_db


def test_instruments_list_the_loan_and_the_context_instruments_separately(client, dataset):
    rows = results(client.get("/api/v1/instruments/"))
    by_slug = {row["slug"]: row for row in rows}
    assert set(by_slug) == {"ukraine-support-loan", "ukraine-facility", "era-loans-eu-share"}
    assert by_slug["ukraine-support-loan"]["amount"] == "90000000000.00"  # a decimal string, not a float
    assert by_slug["ukraine-support-loan"]["short_name"] == "USL"


def test_an_instrument_is_shown_by_its_id(client, dataset):
    usl = results(client.get("/api/v1/instruments/?slug=ukraine-support-loan"))[0]
    response = client.get(f"/api/v1/instruments/{usl['id']}/")
    assert response.status_code == 200
    assert response.json()["legal_basis"].startswith("Regulation (EU) 2026/467")


def test_components_filter_by_instrument_slug_or_id(client, dataset):
    by_slug = results(client.get("/api/v1/components/?instrument=ukraine-support-loan"))
    assert [(row["name"], row["amount"]) for row in by_slug] == [
        ("Defence", "60000000000.00"),
        ("Budget support", "30000000000.00"),
    ]
    by_id = results(client.get(f"/api/v1/components/?instrument={by_slug[0]['instrument']}"))
    assert by_id == by_slug


def test_tranches_filter_by_stage_purpose_year_component_and_amount(client, dataset):
    assert {row["slug"] for row in results(client.get("/api/v1/tranches/?stage=disbursed"))} == {
        "drones-1",
        "budget-2026-06",
    }
    assert [row["slug"] for row in results(client.get("/api/v1/tranches/?purpose=DRONES"))] == ["drones-1"]
    assert len(results(client.get("/api/v1/tranches/?budget_year=2026"))) == 2
    assert results(client.get("/api/v1/tranches/?budget_year=2027")) == []
    defence = results(client.get("/api/v1/tranches/?instrument=ukraine-support-loan&component=defence"))
    assert [row["component_name"] for row in defence] == ["Defence"]
    assert [row["slug"] for row in results(client.get(f"/api/v1/tranches/?amount_min={Decimal('3.5') * BN}"))] == [
        "drones-1"
    ]
    assert [row["slug"] for row in results(client.get("/api/v1/tranches/?disbursed_on_before=2026-06-26"))] == [
        "budget-2026-06"
    ]


def test_tranches_search_names_and_purposes(client, dataset):
    assert [row["slug"] for row in results(client.get("/api/v1/tranches/?search=budget"))] == ["budget-2026-06"]
    assert [row["slug"] for row in results(client.get("/api/v1/tranches/?search=drone"))] == ["drones-1"]


def test_tranches_order_explicitly(client, dataset):
    ascending = [row["amount"] for row in results(client.get("/api/v1/tranches/?ordering=amount"))]
    descending = [row["amount"] for row in results(client.get("/api/v1/tranches/?ordering=-amount"))]
    assert ascending == sorted(ascending, key=Decimal)
    assert descending == ascending[::-1]


def test_disbursements_carry_eur_the_reported_dollars_and_the_ecb_usd_equivalent(client, dataset, usd_rates):
    rows = results(client.get("/api/v1/disbursements/?component=defence&value_date_after=2026-06-01"))
    assert len(rows) == 1
    drones = rows[0]
    assert (drones["value_date"], drones["amount_eur"]) == ("2026-06-30", "3900000000.00")
    assert (drones["reported_amount"], drones["reported_currency"]) == ("4400000000.00", "USD")
    assert drones["usd"]["rate_date"] == "2026-06-30"
    rate = Decimal(drones["usd"]["rate"])
    assert Decimal(drones["usd"]["amount"]) == (Decimal("3900000000.00") * rate).quantize(Decimal("0.01"))
    # The reported $4.4bn and the ECB equivalent agree to within 1%.
    assert abs(Decimal(drones["usd"]["amount"]) / Decimal("4400000000") - 1) < Decimal("0.01")


def test_disbursements_filter_by_date_range_amount_and_instrument(client, dataset):
    assert results(client.get("/api/v1/disbursements/?value_date_before=2026-06-24")) == []
    june = results(client.get("/api/v1/disbursements/?value_date_after=2026-06-01&value_date_before=2026-06-30"))
    assert [row["value_date"] for row in june] == ["2026-06-25", "2026-06-30"]
    assert [
        row["amount_eur"] for row in results(client.get(f"/api/v1/disbursements/?amount_max={Decimal('3.5') * BN}"))
    ] == ["3200000000.00"]
    assert results(client.get("/api/v1/disbursements/?instrument=ukraine-facility")) == []


def test_disbursements_page_by_cursor(client, dataset):
    first = client.get("/api/v1/disbursements/?page_size=1").json()
    second = client.get(first["next"]).json()
    assert [row["value_date"] for row in first["results"] + second["results"]] == ["2026-06-25", "2026-06-30"]
    assert second["next"] is None


def test_sources_list_their_citations_and_conflicting_claims_stay_visible(client, dataset):
    sources = results(client.get("/api/v1/sources/?page_size=500"))
    claims = {(c["quote"][:16], c["claimed_amount"]): c for source in sources for c in source["citations"]}
    # The spokesperson's €5.9bn for June's drones conflicts with the €3.9bn paid: kept, not used.
    assert claims[("Planned June 202", "5900000000.00")]["is_used"] is False
    assert claims[("Planned June 202", "3200000000.00")]["is_used"] is True
    conflicting = results(client.get("/api/v1/citations/?is_used=false"))
    assert {c["claimed_amount"] for c in conflicting} >= {"5900000000.00"}
    tranche = conflicting[0]["target"]
    assert set(tranche) == {"type", "id"}


def test_sources_filter_by_grade(client, dataset):
    grades = {row["grade"] for row in results(client.get("/api/v1/sources/?grade=A"))}
    assert grades == {"A"}


def test_page_size_is_capped_and_pages_do_not_overlap(client, dataset, settings):
    settings.API_MAX_PAGE_SIZE = 3
    assert len(results(client.get("/api/v1/citations/?page_size=4"))) == 3  # a JSON page holds at most 3
    assert client.get("/api/v1/citations/?page_size=10001").status_code == 400  # beyond any page: refused
    first = client.get("/api/v1/citations/?page_size=3").json()
    second = client.get(first["next"]).json()
    ids = [c["id"] for c in first["results"] + second["results"]]
    assert len(ids) == len(set(ids)) == 6


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("/api/v1/tranches/?as_of=2026-6-1", "as_of"),
        ("/api/v1/tranches/?as_of=yesterday", "as_of"),
        ("/api/v1/tranches/?budget_year=twenty", "budget_year"),
        ("/api/v1/tranches/?stage=paid", "stage"),
        ("/api/v1/tranches/?ordering=secret", "ordering"),
        ("/api/v1/tranches/?amount_min=1e400", "amount_min"),
        ("/api/v1/tranches/?page=abc", "page"),
        ("/api/v1/tranches/?page_size=0", "page_size"),
        ("/api/v1/tranches/?format=pdf", "format"),
        ("/api/v1/disbursements/?value_date_after=30.06.2026", "value_date_after"),
        ("/api/v1/disbursements/?cursor=not-a-cursor", "cursor"),
        ("/api/v1/changes/?entity=user", "entity"),
        ("/api/v1/changes/?since=june", "since"),
        ("/api/v1/timeseries/?interval=week", "interval"),
        ("/api/v1/timeseries/?cumulative=maybe", "cumulative"),
        ("/api/v1/citations/?source=99999999999999999999", "source"),
        ("/api/v1/tranches/?search=a%00b", "search"),
        # Found by schemathesis: '³'.isdigit() is True, but int('³') fails.
        ("/api/v1/components/?instrument=%C2%B3", "instrument"),
        ("/api/v1/tranches/?page_size=%C2%B3", "page_size"),
        ("/api/v1/tranches/?page=%C2%B3", "page"),
    ],
)
def test_a_bad_parameter_is_a_400_that_names_it(client, snapshot, query, parameter):
    response = client.get(query)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter"
    assert list(error["parameters"]) == [parameter]
    assert parameter in error["message"]


def test_not_found_uses_the_same_error_format(client, dataset):
    response = client.get("/api/v1/tranches/999999/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/snapshots/" + "0" * 64 + "/").json()["error"]["status"] == 404


def test_the_api_is_read_only(client, dataset):
    response = client.post("/api/v1/tranches/", {"name": "x"}, format="json")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_an_unknown_api_path_answers_in_the_same_error_format(client, dataset):
    response = client.get("/api/v1/loans/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_disbursements_by_amount_page_by_cursor_too(client, dataset):
    first = client.get("/api/v1/disbursements/?ordering=-amount_eur&page_size=1").json()
    second = client.get(first["next"]).json()
    assert [r["amount_eur"] for r in first["results"] + second["results"]] == ["3900000000.00", "3200000000.00"]
