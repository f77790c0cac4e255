"""The API keeps its contract: schemathesis, with all its checks (server errors, status codes, content
types, response schemas and headers, negative data rejected, positive data accepted, unsupported
methods …) and all its phases (the schema's examples, coverage of bounds and values, fuzzing), on
every operation of /api/schema/, finds nothing, against a small published dataset with its figures.

Throttling is off (tests/api/conftest.py) so that no answer is a 429 for the budget's sake. The
budget is bounded: API_CONTRACT_EXAMPLES examples per operation (default 25). The same examples on
every run (hypothesis derandomized), so that CI judges the change, not the draw; API_CONTRACT_RANDOM=1
explores new ones (a failure prints the request that reproduces it)."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, reject, settings

pytestmark = pytest.mark.django_db
MAX_EXAMPLES = int(os.environ.get("API_CONTRACT_EXAMPLES", "25"))
DERANDOMIZE = os.environ.get("API_CONTRACT_RANDOM", "") != "1"

# Loaded at collection (building the schema reads no data); the calls run inside each test's
# transaction. (schemathesis' from_fixture fails under pytest 9: 'Function' object has no attribute '_nodeid'.)
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


def _mutated(case: Any) -> set[str]:
    """The parameters a negative case made invalid."""
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    names = {getattr(data, "parameter", None)}
    names |= {getattr(mutation, "parameter", None) for mutation in getattr(data, "mutations", None) or ()}
    return {name for name in names if name}


def without_what_openapi_cannot_say(case: Any) -> None:
    """What OpenAPI 3.0 cannot say of a query is left out of the generated ones (tests/api/test_errors.py
    checks each): a cursor is an opaque position the server hands out in a next link (any other
    string is a 400 naming ``cursor``), and ``release`` and ``as_of`` are never given together (400)."""
    query = case.query or {}
    if "cursor" in query and "cursor" in _mutated(case):
        reject()  # the cursor was what made this case invalid: without it, nothing is left to judge
    query.pop("cursor", None)
    if query.get("release") not in (None, "") and query.get("as_of") not in (None, ""):
        query.pop("as_of" if "release" in _mutated(case) else "release")


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
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=DERANDOMIZE, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_the_contract(case, small_dataset, keep_connection):
    # Uncompressed: the contract is about the content (schemathesis' WSGI client does not inflate gzip).
    without_what_openapi_cannot_say(case)
    case.call_and_validate(headers={"Accept-Encoding": "identity"})
