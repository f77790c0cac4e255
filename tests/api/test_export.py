"""Exports and repeated reads at scale: a CSV export larger than a page streams (up to 10,000 rows
in one answer, the next page in a Link header); an empty export keeps its header row; XLSX dates are
date cells and amounts exact; summary and timeseries answered once are answered again from the
cache until a new snapshot is stored."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from reports import services as report_services
from tests.factories import DisbursementFactory, TrancheFactory
from tests.releases import released
from tranches import services
from tranches.models import Citation, Component, Source, Tranche

pytestmark = pytest.mark.django_db


@pytest.fixture
def payments(dataset):
    """Twelve more payments of a new defence tranche (approved on 1 June 2026), published with it
    in one release (14 payments in all with the dataset's)."""
    tranche = TrancheFactory(component=Component.objects.get(slug="defence"), amount=Decimal("1200.00"), slug="t")
    rows = [tranche]
    for n in range(12):
        day = datetime.date(2026, 6, 1 + n)
        rows.append(DisbursementFactory(tranche=tranche, amount_eur=Decimal("100.00"), value_date=day))
    released(*rows)
    return rows


def streamed(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def test_a_csv_export_larger_than_a_page_streams_the_same_csv(client, payments):
    rendered = client.get("/api/v1/disbursements/?format=csv&page_size=500")
    export = client.get("/api/v1/disbursements/?format=csv&page_size=501")

    assert not rendered.streaming
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    assert export["Content-Disposition"] == rendered["Content-Disposition"] == 'attachment; filename="disbursement.csv"'
    assert export["Last-Modified"] == rendered["Last-Modified"]
    assert streamed(export) == rendered.content.decode("utf-8")  # same columns, rows and quoting


def test_a_tranche_export_streams_the_same_csv_too(client, payments):
    rendered = client.get("/api/v1/tranches/?format=csv&page_size=500")
    export = client.get("/api/v1/tranches/?format=csv&page_size=501&ordering=-amount")
    ordered = client.get("/api/v1/tranches/?format=csv&page_size=500&ordering=-amount")

    assert streamed(export) == ordered.content.decode("utf-8")
    assert len(rendered.content.splitlines()) == len(ordered.content.splitlines()) > 3


def test_an_export_page_links_the_next_page(client, payments):
    first = client.get("/api/v1/disbursements/?format=csv&page_size=5")
    rows = list(csv.DictReader(io.StringIO(first.content.decode("utf-8"))))
    assert len(rows) == 5
    next_url = first["Link"].removeprefix("<").split(">; ")[0]
    assert first["Link"].endswith('; rel="next"')

    second = list(csv.DictReader(io.StringIO(client.get(next_url).content.decode("utf-8"))))
    assert second
    assert {row["id"] for row in second}.isdisjoint(row["id"] for row in rows)


def test_export_sizes_beyond_the_limit_are_refused_naming_page_size(client, payments):
    from public.api.export import EXPORT_MAX_ROWS  # after DRF's settings (public.api imports in a cycle)

    too_many = client.get(f"/api/v1/disbursements/?format=csv&page_size={EXPORT_MAX_ROWS + 1}")
    assert too_many.status_code == 400
    assert too_many["Content-Type"] == "application/json"  # an error is never a table
    assert list(too_many.json()["error"]["parameters"]) == ["page_size"]
    # JSON keeps the usual limit of a page: a larger page_size gives a page of that many.
    assert client.get("/api/v1/disbursements/?page_size=501").status_code == 200
    assert client.get(f"/api/v1/tranches/?format=csv&page_size={EXPORT_MAX_ROWS}").status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/summary/", "/api/v1/timeseries/?interval=year", "/api/v1/summary/?format=csv"]
)
def test_a_repeated_read_of_the_figures_is_answered_from_the_cache_in_one_query(client, snapshot, path):
    first = client.get(path)

    with CaptureQueriesContext(connection) as queries:
        again = client.get(path)

    assert len(queries) <= 1  # what the answer shows (the release's snapshot); the body is kept
    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"]
    assert client.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_a_new_snapshot_is_shown_at_once_not_the_replayed_answer(client, snapshot, payments):
    before = client.get("/api/v1/summary/").json()

    report_services.snapshot_refresh()
    after = client.get("/api/v1/summary/").json()

    assert after["snapshot"]["hash"] != before["snapshot"]["hash"]
    usl = next(i for i in after["instruments"] if i["slug"] == "ukraine-support-loan")
    was = next(i for i in before["instruments"] if i["slug"] == "ukraine-support-loan")
    assert Decimal(usl["totals"]["disbursed"]) == Decimal(was["totals"]["disbursed"]) + Decimal("1200.00")


def test_replayed_answers_are_throttled_like_the_others(client, snapshot, settings):
    from django.core.cache import cache

    assert client.get("/api/v1/summary/").status_code == 200  # answered once: replayed from now on
    settings.API_THROTTLE_ANON = "2/min"
    cache.clear()

    statuses = [client.get("/api/v1/summary/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_an_xlsx_cell_too_long_for_excel_says_what_it_cut(client, dataset):
    # Given a source whose four citations quote 10,000 characters each (its JSON cell: ~40,000)
    source = Source.objects.get(title__startswith="Regulation (EU) 2026/467")
    tranche = Tranche.objects.get(slug="drones-1")
    for n in range(4):
        services.citation_save(citation=Citation(source=source, tranche=tranche, quote=f"{n}" + "x" * 9_999))
    released(*Citation.objects.filter(status="draft"))
    # When the sources are exported as XLSX
    response = client.get("/api/v1/sources/?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]
    # Then the long cell fits in Excel and says how much is missing, instead of being cut silently
    (long,) = [cell for cell in cells if len(cell) > 30_000]
    assert len(long) <= 32_767
    assert long.endswith("more characters; the CSV and JSON have this cell whole]")


@pytest.mark.parametrize(
    "path",
    [
        "tranches/?format=csv&purpose=none",
        "disbursements/?format=csv&purpose=none",
        "disbursements/?format=csv&page_size=501&purpose=none",  # streamed
        "sources/?format=csv&published_on_before=1900-01-01",
        "citations/?format=csv&source=999",
        "releases/?format=csv&published_on_before=2000-01-01",
    ],
)
def test_an_empty_csv_export_keeps_its_header_row(client, dataset, path):
    response = client.get(f"/api/v1/{path}")

    body = streamed(response) if response.streaming else response.content.decode("utf-8")
    reader = csv.DictReader(io.StringIO(body))
    assert list(reader) == []
    assert {"id", "number"} & set(reader.fieldnames or [])
    assert len(reader.fieldnames or []) > 3


def test_xlsx_dates_are_date_cells_and_amounts_stay_exact(client, payments):
    response = client.get("/api/v1/disbursements/?format=xlsx&value_date_after=2026-06-01&page_size=500")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    by_name = [dict(zip(header, row, strict=True)) for row in rows]
    as_json = {row["id"]: row for row in client.get("/api/v1/disbursements/?page_size=500").json()["results"]}

    first = by_name[0]
    assert isinstance(first["value_date"], datetime.datetime)  # a date cell (openpyxl reads it as a datetime)
    assert first["value_date"].date().isoformat() == as_json[first["id"]]["value_date"]
    assert isinstance(first["published_at"], datetime.datetime)
    for row in by_name:
        assert Decimal(str(row["amount_eur"])).quantize(Decimal("0.01")) == Decimal(as_json[row["id"]]["amount_eur"])
