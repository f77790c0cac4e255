"""The OpenAPI schema documents every field and parameter; the docs work offline; schemathesis
finds no server error in generated requests against every operation."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

pytestmark = pytest.mark.django_db
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "40"))  # per operation; about 20 operations in ~30 s


@pytest.fixture
def openapi(client) -> dict:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_every_operation_documents_as_of_and_format(openapi):
    operations = [op for path in openapi["paths"].values() for op in path.values()]
    assert len(operations) >= 17
    for operation in operations:
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
    assert set(schemas["Release"]["properties"]) == {"number", "published_at", "note", "published"}
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


# Loaded at collection (building the schema reads no data); the calls run inside each test's
# transaction, against the dataset, its snapshot and real ECB rates. (schemathesis' from_fixture
# fails under pytest 9: 'Function' object has no attribute '_nodeid'.)
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def keep_connection():
    """The raw WSGI app closes the database connection after each request, as in production;
    inside a test transaction it must stay open (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.timeout(120)
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_never_get_a_server_error(case, snapshot, usd_rates, keep_connection):
    case.call_and_validate(checks=[not_a_server_error])
