"""Errors: JSON on every /api/ path in one format, naming what was asked for (never a model); one
rule for empty parameters (absent); 400 for a value outside its documented form or bounds, 404 for
a well-formed one that names nothing; crafted cursors are a 400 naming ``cursor``, never a 500; the
index of /api/v1/ lists the resources."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.api.conftest import results

pytestmark = pytest.mark.django_db


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body["error"]) == {"status", "code", "message", "parameters"}
    assert body["error"]["status"] == status
    return body["error"]


def test_the_index_lists_every_resource_with_its_url_and_what_it_holds(client, db):
    response = client.get("/api/v1/")

    assert response.status_code == 200
    body = response.json()
    by_name = {resource["name"]: resource for resource in body["resources"]}
    assert set(by_name) == {
        "instruments", "components", "tranches", "disbursements", "sources", "citations", "milestones", "conditions",
        "estimates", "open-questions", "releases", "snapshots", "summary", "instrument-years", "timeseries", "changes",
    }  # fmt: skip
    assert by_name["tranches"]["url"] == "http://testserver/api/v1/tranches/"
    assert by_name["summary"]["url"] == "http://testserver/api/v1/summary/"
    assert all(resource["description"] for resource in body["resources"])
    assert body["schema"] == "http://testserver/api/schema/"
    assert body["docs"] == "http://testserver/api/docs/"


@pytest.mark.parametrize(
    "path", ["/api/nothing", "/api/v1/nothing/", "/api/v1/tranches/abc/", "/api/v1/releases/x/", "/api/v2/"]
)
def test_an_unknown_path_under_api_is_a_json_404(client, db, path):
    error = error_of(client.get(path), 404)

    assert error["code"] == "not_found"
    assert "/api/v1/" in error["message"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("citations/123456/", "No citation has id 123456."),
        ("tranches/123456/", "No tranche has id 123456."),
        ("disbursements/123456/", "No disbursement has id 123456."),
        ("sources/123456/?format=csv", "No source has id 123456."),
        ("releases/99/", "There is no release 99; the latest is 1."),
    ],
)
def test_an_unknown_id_names_the_resource_never_a_model(client, small_dataset, path, message):
    error = error_of(client.get(f"/api/v1/{path}"), 404)

    assert error["message"] == message
    assert "Historical" not in error["message"]
    assert "Published" not in error["message"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_errors_are_json_whatever_format_was_asked_for(client, small_dataset, fmt):
    error = error_of(client.get(f"/api/v1/tranches/?format={fmt}&as_of=yesterday"), 400)

    assert error["parameters"] == {"as_of": ["Enter a date as YYYY-MM-DD, e.g. 2026-06-30; got 'yesterday'."]}


def test_an_empty_parameter_is_the_same_as_leaving_it_out(client, small_dataset):
    plain = client.get("/api/v1/tranches/")
    empty = "page=&page_size=&format=&as_of=&release=&ordering=&search=&stage=&budget_year=&amount_min=&purpose="

    emptied = client.get(f"/api/v1/tranches/?{empty}")

    assert emptied.status_code == 200
    assert emptied.json()["results"] == plain.json()["results"]
    assert client.get("/api/v1/sources/?grade=&published_on_after=").status_code == 200
    assert client.get("/api/v1/citations/?is_used=&source=").status_code == 200
    assert client.get("/api/v1/disbursements/?cursor=&tranche=").status_code == 200


def test_a_page_past_the_end_is_a_404_naming_page(client, small_dataset):
    error = error_of(client.get("/api/v1/tranches/?page=9&page_size=1"), 404)

    assert error["code"] == "not_found"
    assert error["parameters"] == {"page": ["There is no page 9; the last page is 2."]}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=0", "page"),
        ("page=last", "page"),
        ("page=-1", "page"),
        ("page_size=0", "page_size"),
        ("page_size=10001", "page_size"),
        ("page_size=ten", "page_size"),
        ("ordering=--name", "ordering"),
        ("ordering=colour", "ordering"),
        ("budget_year=1999", "budget_year"),
        ("budget_year=+2026", "budget_year"),
        ("amount_min=1e5", "amount_min"),
        ("amount_min=1.001", "amount_min"),
        ("approved_on_after=10/25/2026", "approved_on_after"),
        ("approved_on_after=2026-W01-1", "approved_on_after"),
        ("as_of=2026-6-1", "as_of"),
        ("format=pdf", "format"),
        ("component=d%C3%A9fense", "component"),
    ],
)
def test_a_value_outside_its_documented_form_or_bounds_is_a_400_naming_it(client, small_dataset, query, parameter):
    error = error_of(client.get(f"/api/v1/tranches/?{query}"), 400)

    assert error["code"] == "invalid_parameter"
    assert list(error["parameters"]) == [parameter]


def test_booleans_and_ids_of_citations_are_strict(client, small_dataset):
    assert list(error_of(client.get("/api/v1/citations/?is_used=maybe"), 400)["parameters"]) == ["is_used"]
    assert list(error_of(client.get("/api/v1/citations/?source=0"), 400)["parameters"]) == ["source"]
    assert client.get("/api/v1/citations/?is_used=TRUE").status_code == 200


def test_release_and_as_of_together_are_a_400(client, small_dataset):
    error = error_of(client.get("/api/v1/tranches/?release=1&as_of=2026-07-01"), 400)

    assert list(error["parameters"]) == ["release"]


def test_json_pages_hold_at_most_the_page_limit(client, small_dataset, settings):
    settings.API_MAX_PAGE_SIZE = 1

    page = client.get("/api/v1/tranches/?page_size=5").json()

    assert len(page["results"]) == 1
    assert page["next"]


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "%00%01",
        _cursor("not a query string"),
        _cursor("o=99999999999999999999999&r=0"),
        _cursor("o=-1&p=2026-06-01"),
        _cursor("p=99999-01-01"),
        _cursor("p=2026-13-45"),
        _cursor("p=" + "9" * 40),
        _cursor("r=1&p=" + "x" * 500),
    ],
)
def test_a_crafted_disbursements_cursor_is_a_400_naming_cursor(client, small_dataset, cursor):
    error = error_of(client.get(f"/api/v1/disbursements/?cursor={cursor}"), 400)

    assert list(error["parameters"]) == ["cursor"]


def test_a_cursor_of_another_list_or_ordering_is_a_400(client, small_dataset):
    by_amount = client.get("/api/v1/disbursements/?ordering=-amount_eur&page_size=1").json()["next"]
    cursor = by_amount.split("cursor=")[1].split("&")[0]
    changes = client.get("/api/v1/changes/?page_size=1").json()["next"]

    by_date = client.get(f"/api/v1/disbursements/?ordering=value_date&cursor={cursor}")

    assert by_date.status_code in (200, 400)  # an amount where a date is expected: refused, never a 500
    if changes:
        other = changes.split("cursor=")[1].split("&")[0]
        error_of(client.get(f"/api/v1/disbursements/?cursor={other}"), 400)
    assert len(results(client.get(by_amount))) == 1  # the list's own next link still works


@given(text=st.text(max_size=60) | st.binary(max_size=60).map(lambda raw: base64.urlsafe_b64encode(raw).decode()))
@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@pytest.mark.parametrize("ordering", ["value_date", "-amount_eur", "id"])
def test_no_cursor_gives_a_server_error(client, small_dataset, ordering, text):
    response = client.get("/api/v1/disbursements/", {"cursor": text, "ordering": ordering})

    assert response.status_code in (200, 400), response.content


@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        ("amount_min=%25ev", "amount_min", "Enter an amount in EUR, e.g. 3500000000.00; got '%ev'."),
        ("budget_year=20%25d", "budget_year", "Enter a whole number; got '20%d'."),
        ("approved_on_after=%25s", "approved_on_after", "Enter a date as YYYY-MM-DD, e.g. 2026-06-30; got '%s'."),
    ],
)
def test_a_percent_sign_in_a_bad_filter_value_is_a_400_that_quotes_it(client, small_dataset, query, parameter, message):
    # A value is quoted in the message as typed: a "%" in it is text, never a format directive (a 500).
    error = error_of(client.get(f"/api/v1/tranches/?{query}"), 400)

    assert error["parameters"] == {parameter: [message]}
