"""The number of queries per request is the same whatever the page size: no per-row queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import services as report_services
from tests.factories import CitationFactory, DisbursementFactory, SourceFactory, TrancheFactory
from tests.releases import released
from tranches.models import Component

pytestmark = pytest.mark.django_db
ROWS = 30


@pytest.fixture
def many(dataset):
    """ROWS more tranches, each with a payment and a cited source, published in one release (the
    payments cited by the shared test source)."""
    defence = Component.objects.get(slug="defence")
    records = []
    for n in range(ROWS):
        tranche = TrancheFactory(component=defence, amount=Decimal("100000000.00"), slug=f"t{n}")
        payment = DisbursementFactory(
            tranche=tranche, amount_eur=Decimal("10000000.00"), value_date=datetime.date(2026, 6, 1 + n % 28)
        )
        citation = CitationFactory(source=SourceFactory(), tranche=tranche)
        records += [tranche, payment, citation.source, citation]
    released(*records)
    report_services.snapshot_refresh()


# (path, queries): every answer first reads the state it shows (one indexed query: the release and
# the rates for records, releases and changes; the snapshot for the figures), which its ETag and
# cache key come from (public/answers.py); summary and timeseries then read the snapshot's figures;
# page-numbered lists count their rows and find the newest version (Last-Modified) in one query,
# then read the page; cursor lists read the page and take Last-Modified from it; the parents of a
# page's rows come in one query per level (tranches: components; disbursements: tranches,
# components, USD rates); sources add one query for the citations of the whole page; releases one
# for what each release of the page published (a count per kind of record, in one query); changes
# one per kind of record.
CASES = [
    ("/api/v1/instruments/", 3),
    ("/api/v1/components/", 3),
    ("/api/v1/tranches/?ordering=-amount", 4),
    ("/api/v1/disbursements/?component=defence", 5),
    ("/api/v1/sources/", 4),
    ("/api/v1/citations/", 3),
    ("/api/v1/releases/", 4),
    ("/api/v1/changes/", 11),
    ("/api/v1/summary/", 2),
    ("/api/v1/timeseries/", 2),
    ("/api/v1/snapshots/", 3),
]


@pytest.mark.parametrize(("path", "queries"), CASES)
@pytest.mark.parametrize("page_size", [1, 5, 200])
def test_queries_do_not_grow_with_the_page(client, many, django_assert_num_queries, path, queries, page_size):
    separator = "&" if "?" in path else "?"
    with django_assert_num_queries(queries):
        response = client.get(f"{path}{separator}page_size={page_size}")
    assert response.status_code == 200
    body = response.json()
    if "results" in body and path != "/api/v1/snapshots/":
        assert len(body["results"]) == min(page_size, len(body["results"])) > 0
    if page_size == 200 and path.startswith(("/api/v1/tranches/", "/api/v1/disbursements/")):
        assert len(body["results"]) > ROWS
    if path != "/api/v1/snapshots/":  # asked again while nothing was published: the state, then the
        with django_assert_num_queries(1):  # answer kept in Django's cache under it
            again = client.get(f"{path}{separator}page_size={page_size}")
        assert again.content == response.content
        assert again["ETag"] == response["ETag"]


@pytest.mark.parametrize(
    "path", ["/api/v1/summary/", "/api/v1/timeseries/?interval=year", "/api/v1/summary/?format=xlsx"]
)
def test_figures_come_from_the_snapshot_not_the_loan_tables(client, many, path):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    assert [q["sql"] for q in queries if "tranches_" in q["sql"]] == []


def test_csv_export_of_every_row_costs_the_same_queries(client, many, django_assert_num_queries):
    with django_assert_num_queries(5):
        response = client.get("/api/v1/disbursements/?format=csv&page_size=500")
    assert response.content.count(b"\r\n") == ROWS + 2 + 1  # header, dataset payments, the new ones
