"""JSON, CSV and XLSX: the same rows, amounts that reconcile with the summary, no formula injection."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from public.api.renderers import FORMULA_START, NUMBER, CSVRenderer, XLSXRenderer
from reports import services as report_services
from tests.api.conftest import results
from tests.factories import TrancheFactory
from tranches.models import Component

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def read_xlsx(response) -> list[dict[str, object]]:
    assert response.status_code == 200, response.content
    return read_xlsx_any(response)


def _component_totals(client, slug: str) -> dict:
    summary = client.get("/api/v1/summary/").json()
    usl = next(i for i in summary["instruments"] if i["slug"] == "ukraine-support-loan")
    return next(c for c in usl["components"] if c["slug"] == slug)["totals"]


@pytest.mark.parametrize("slug", ["defence", "budget-support"])
def test_the_csv_of_disbursements_reconciles_with_the_summary(client, snapshot, slug):
    rows = read_csv(client.get(f"/api/v1/disbursements/?format=csv&component={slug}&value_date_after=2026-01-01"))
    assert rows, "the component has payments"
    paid = sum((Decimal(row["amount_eur"]) for row in rows), Decimal("0.00"))
    assert str(paid) == _component_totals(client, slug)["disbursed"]
    assert all(row["component_slug"] == slug for row in rows)


def test_the_csv_of_the_summary_has_a_row_per_instrument_and_component(client, snapshot):
    rows = read_csv(client.get("/api/v1/summary/", HTTP_ACCEPT="text/csv"))
    usl = [row for row in rows if row["instrument_slug"] == "ukraine-support-loan"]
    whole = next(row for row in usl if row["component"] == "")
    parts = [row for row in usl if row["component"] != ""]
    assert whole["amount"] == "90000000000.00"
    assert sum(Decimal(row["disbursed"]) for row in parts) == Decimal(whole["disbursed"])
    assert Decimal(whole["disbursed"]) == sum(
        Decimal(row["amount_eur"])
        for row in read_csv(client.get("/api/v1/disbursements/?format=csv&instrument=ukraine-support-loan"))
    )


def test_the_timeseries_csv_sums_to_the_summary(client, snapshot):
    rows = read_csv(client.get("/api/v1/timeseries/?format=csv&interval=year&component=defence"))
    assert [row["period"] for row in rows] == ["2026"]
    assert rows[0]["value"] == _component_totals(client, "defence")["disbursed"]


def test_xlsx_has_the_same_rows_with_numeric_amounts(client, snapshot):
    as_csv = read_csv(client.get("/api/v1/tranches/?format=csv"))
    as_xlsx = read_xlsx(client.get("/api/v1/tranches/", HTTP_ACCEPT=XLSX))
    assert [row["slug"] for row in as_xlsx] == [row["slug"] for row in as_csv]
    assert [Decimal(str(row["amount"])) for row in as_xlsx] == [Decimal(row["amount"]) for row in as_csv]
    assert isinstance(as_xlsx[0]["amount"], int | float)
    summary = read_xlsx(client.get("/api/v1/summary/?format=xlsx"))
    assert {row["instrument_slug"] for row in summary} == {
        "ukraine-support-loan",
        "ukraine-facility",
        "era-loans-eu-share",
    }


@pytest.mark.parametrize("formula", ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)"])
def test_formulas_are_neutralised_in_csv_and_xlsx(client, dataset, published, formula):
    component = Component.objects.get(slug="defence")
    published(TrancheFactory(component=component, name=formula, slug="formula", purpose=formula))
    row = next(r for r in read_csv(client.get("/api/v1/tranches/?format=csv")) if r["slug"] == "formula")
    assert row["name"] == "'" + formula
    cell = next(r for r in read_xlsx(client.get("/api/v1/tranches/?format=xlsx")) if r["slug"] == "formula")
    assert cell["name"] == "'" + formula
    # JSON is data, not a spreadsheet: it keeps the text as entered.
    assert next(r for r in results(client.get("/api/v1/tranches/")) if r["slug"] == "formula")["name"] == formula


def test_every_list_and_figure_resource_answers_in_all_three_formats(client, snapshot):
    report_services.snapshot_refresh()
    for path in (
        "instruments", "components", "tranches", "disbursements", "sources", "citations", "milestones", "conditions",
        "conditions/ledger", "estimates", "open-questions", "changes", "snapshots", "summary", "timeseries",
        "releases",
    ):  # fmt: skip
        for fmt, content_type in (("json", "application/json"), ("csv", "text/csv"), ("xlsx", XLSX)):
            response = client.get(f"/api/v1/{path}/?format={fmt}")
            assert response.status_code == 200, (path, fmt, response.content[:200])
            assert response["Content-Type"].startswith(content_type), (path, fmt)
            if fmt != "json":
                assert response["Content-Disposition"].startswith("attachment; filename=")


@given(text=st.text(min_size=1, max_size=40))
@hypothesis_settings(max_examples=300, deadline=None)
def test_no_text_cell_can_start_a_formula(text):
    body = CSVRenderer().render([{"cell": text}]).decode("utf-8")
    (row,) = list(csv.DictReader(io.StringIO(body, newline="")))
    cell = row["cell"]
    assert not cell.startswith(FORMULA_START) or NUMBER.match(cell)
    assert cell in (text, "'" + text)


def test_xlsx_survives_control_characters():
    """Found by schemathesis: text with control characters broke the XLSX (records refuse them, so
    the renderer is given one directly)."""
    body = XLSXRenderer().render([{"name": "bell\x07 and nul\x01"}])

    (row,) = read_xlsx_body(body)

    assert row["name"] == "bell\ufffd and nul\ufffd"


def read_xlsx_body(body: bytes) -> list[dict[str, object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


def read_xlsx_any(response) -> list[dict[str, object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *body = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in body]
