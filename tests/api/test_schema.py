"""The OpenAPI schema documents every field and parameter, every error with one schema, the bounds
and values of the parameters, CSV and XLSX as files; the docs work offline. (schemathesis checks the
API keeps it: tests/api/test_contract.py.)"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def openapi(client) -> dict:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(openapi) -> list[dict]:
    return [op for path in openapi["paths"].values() for op in path.values()]


def test_every_operation_documents_as_of_and_format(openapi):
    assert len(operations(openapi)) >= 18
    for operation in operations(openapi):
        if operation["operationId"] == "index":  # the same whatever the release, JSON only
            continue
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        assert {"as_of", "format"} <= names, operation["operationId"]
        assert operation.get("description"), operation["operationId"]


def test_every_parameter_and_field_is_described(openapi):
    for path in openapi["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    assert parameter.get("description"), (operation["operationId"], parameter["name"])
    for name, component in openapi["components"]["schemas"].items():
        for field, spec in component.get("properties", {}).items():
            if name.startswith(("Paginated", "TimeseriesRow")):
                continue
            assert spec.get("description") or "$ref" in spec or "allOf" in spec, (name, field)


def test_releases_and_changes_document_the_release_but_never_who_published_it(openapi):
    schemas = openapi["components"]["schemas"]
    assert set(schemas["Release"]["properties"]) == {"number", "published_at", "note", "published", "downloads"}
    assert schemas["Change"]["properties"]["release"]["type"] == "integer"
    assert {"/api/v1/releases/", "/api/v1/releases/{number}/"} <= set(openapi["paths"])
    assert "published_by" not in str(openapi)


def test_amounts_are_documented_as_decimal_strings(openapi):
    amount = openapi["components"]["schemas"]["Disbursement"]["properties"]["amount_eur"]
    assert (amount["type"], amount["format"]) == ("string", "decimal")


def test_the_docs_pages_load_their_assets_from_this_server(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "https://" not in html.replace("https://swagger.io", "")
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert b"/api/schema/" in script.content


def test_every_operation_documents_each_error_with_the_one_error_schema_and_an_example(openapi):
    error = {"$ref": "#/components/schemas/Error"}
    for operation in operations(openapi):
        responses = operation["responses"]
        expected = {"200", "400", "406", "429"} | ({"304", "404"} if operation["operationId"] != "index" else set())
        assert expected <= set(responses), operation["operationId"]
        for code in expected - {"200", "304"}:
            (content,) = responses[code]["content"].items()
            assert content[0] == "application/json"
            assert content[1]["schema"] == error, (operation["operationId"], code)
            assert content[1]["examples"], (operation["operationId"], code)
        assert "content" not in responses.get("304", {})
    detail = openapi["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {"status", "code", "message", "parameters"}


def test_csv_and_xlsx_are_documented_as_files_not_as_json(openapi):
    for operation in operations(openapi):
        content = operation["responses"]["200"]["content"]
        if "text/csv" in content:
            assert content["text/csv"]["schema"]["type"] == "string"
            assert content[XLSX]["schema"] == {
                "type": "string",
                "format": "binary",
                "description": "An Excel workbook, one sheet.",
            }


def test_parameters_document_their_bounds_and_values(openapi):
    tranches = {p["name"]: p for p in openapi["paths"]["/api/v1/tranches/"]["get"]["parameters"]}
    assert tranches["page"]["schema"]["minimum"] == 1
    assert (tranches["page_size"]["schema"]["minimum"], tranches["page_size"]["schema"]["maximum"]) == (1, 10_000)
    assert (tranches["budget_year"]["schema"]["minimum"], tranches["budget_year"]["schema"]["maximum"]) == (2000, 2100)
    assert tranches["release"]["schema"]["minimum"] == 1
    ordering = tranches["ordering"]
    assert (ordering["style"], ordering["explode"]) == ("form", False)
    assert {"amount", "-amount", "name", "-name"} <= set(ordering["schema"]["items"]["enum"])
    citations = {p["name"]: p for p in openapi["paths"]["/api/v1/citations/"]["get"]["parameters"]}
    assert citations["source"]["schema"]["type"] == "integer"
    assert citations["source"]["schema"]["minimum"] == 1
    path_id = next(p for p in openapi["paths"]["/api/v1/tranches/{id}/"]["get"]["parameters"] if p["in"] == "path")
    assert path_id["schema"]["type"] == "integer"


def test_every_query_parameter_takes_an_empty_value_as_absent(openapi):
    for operation in operations(openapi):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                assert parameter["allowEmptyValue"] is True, (operation["operationId"], parameter["name"])
