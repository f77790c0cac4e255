"""A release as a Frictionless data package: /downloads/releases/N/datapackage.zip."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from frictionless import validate

from tests.downloads.conftest import FORMULA_NAME, Loan, unzipped
from tests.factories import DisbursementFactory, TrancheFactory
from tests.releases import released
from tranches import services
from tranches.models import PUBLISHED_MODEL, Citation, Disbursement, Instrument, Release, Tranche
from tranches.selectors import instrument_totals, public_versions

pytestmark = pytest.mark.django_db
CENTS = re.compile(r"^\d+\.\d{2}$")


def package_of(client: Any, number: int) -> dict[str, bytes]:
    response = client.get(f"/downloads/releases/{number}/datapackage.zip")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    return unzipped(response.content)


def rows(files: dict[str, bytes], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[f"data/{name}.csv"].decode("utf-8"))))


def frictionless_report(files: dict[str, bytes], where: Path) -> Any:
    """frictionless's report on the package, unzipped in ``where`` as a reader would."""
    for name, body in files.items():
        (where / name).parent.mkdir(parents=True, exist_ok=True)
        (where / name).write_bytes(body)
    return validate(str(where / "datapackage.json"))


def test_the_package_validates_with_frictionless_every_kind_of_record_a_resource(client, loan: Loan, tmp_path):
    # Given a release, when its data package is downloaded
    files = package_of(client, loan.release.number)

    # then frictionless finds no error, in any file, and every kind of published record has its file
    report = frictionless_report(files, tmp_path)
    assert report.flatten(["resourceName", "type", "message"]) == []
    assert report.valid
    descriptor = json.loads(files["datapackage.json"])
    expected = [str(model._meta.verbose_name_plural).replace(" ", "-") for model in PUBLISHED_MODEL]
    assert [resource["name"] for resource in descriptor["resources"]] == expected
    assert sorted(task.name for task in report.tasks) == sorted(expected)
    assert {f"data/{name}.csv" for name in expected} | {"datapackage.json", "README.md"} == set(files)


def test_the_csv_sums_are_the_published_amounts_with_their_cents(client, loan: Loan):
    # Given a release of two instruments, when its package is downloaded
    files = package_of(client, loan.release.number)

    # then each instrument's payments in disbursements.csv add up to what the tracker publishes as
    # its disbursed total, and every amount is written with its cents, never as a float
    tranches = {row["id"]: row for row in rows(files, "tranches")}
    components = {row["id"]: row for row in rows(files, "components")}
    paid: dict[int, Decimal] = {}
    for payment in rows(files, "disbursements"):
        assert CENTS.match(payment["amount_eur"]), payment["amount_eur"]
        instrument = int(components[tranches[payment["tranche_id"]]["component_id"]]["instrument_id"])
        paid[instrument] = paid.get(instrument, Decimal("0.00")) + Decimal(payment["amount_eur"])
    for instrument in loan.instruments:
        assert paid[instrument.pk] == instrument_totals(instrument=instrument, public=True).disbursed
    assert {row["amount"] for row in rows(files, "instruments")} == {str(i.amount) for i in loan.instruments}
    assert all(CENTS.match(row["amount"]) for row in rows(files, "tranches"))


def test_a_tranche_named_like_a_formula_is_text_in_a_spreadsheet(client, loan: Loan):
    # Given a published tranche named like a spreadsheet formula, when the package is downloaded
    files = package_of(client, loan.release.number)

    # then its name is written with an apostrophe first: a spreadsheet shows it, never runs it
    names = [row["name"] for row in rows(files, "tranches")]
    assert "'" + FORMULA_NAME in names
    assert FORMULA_NAME not in names


def test_a_release_gives_the_same_bytes_every_time_and_later_releases_never_change_it(client, loan: Loan):
    # Given release N downloaded once
    first = client.get(f"/downloads/releases/{loan.release.number}/datapackage.zip").content

    # when a later release corrects a payment and adds one, and release N is built again (nothing kept)
    corrected = Disbursement.objects.get(pk=loan.payments[0].pk)
    corrected.amount_eur = Decimal("2400000000.00")
    services.disbursement_save(disbursement=corrected)
    added = DisbursementFactory(tranche=loan.tranches[0], amount_eur=Decimal("100000000.00"))
    later = released(corrected, added, note="Payment corrected")
    cache.clear()
    again = client.get(f"/downloads/releases/{loan.release.number}/datapackage.zip").content

    # then release N's package is byte for byte the same, and the later one shows the correction
    assert again == first
    now = {row["id"]: row for row in rows(package_of(client, later.number), "disbursements")}
    then = {row["id"]: row for row in rows(unzipped(first), "disbursements")}
    assert then[str(corrected.pk)]["amount_eur"] == str(loan.payments[0].amount_eur)
    assert now[str(corrected.pk)]["amount_eur"] == "2400000000.00"
    assert now[str(corrected.pk)]["published_in_release"] == str(later.number)
    assert str(added.pk) in now
    assert str(added.pk) not in then


def test_the_descriptor_describes_each_field_from_the_model_with_keys_licence_and_citation(client, loan: Loan):
    # Given a release, when its package is downloaded
    files = package_of(client, loan.release.number)
    descriptor = json.loads(files["datapackage.json"])
    resources = {resource["name"]: resource for resource in descriptor["resources"]}
    readme = files["README.md"].decode()

    # then it names the release, its time, licence and sources
    number = loan.release.number
    assert descriptor["version"] == f"release-{number}"
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert descriptor["sources"][0]["path"].endswith(f"/releases/{number}/")
    # each field has the model's type and words: a payment's value date is a date described by its help text
    payments = {field["name"]: field for field in resources["disbursements"]["schema"]["fields"]}
    assert payments["value_date"]["type"] == "date"
    assert str(Disbursement._meta.get_field("value_date").help_text) in payments["value_date"]["description"]
    assert payments["amount_eur"]["type"] == "number"
    tranches = {field["name"]: field for field in resources["tranches"]["schema"]["fields"]}
    assert tranches["stage"]["constraints"]["enum"] == [value for value, _ in Tranche._meta.get_field("stage").choices]
    # the primary key and the references between files
    assert resources["disbursements"]["schema"]["primaryKey"] == "id"
    assert {"fields": "tranche_id", "reference": {"resource": "tranches", "fields": "id"}} in resources[
        "disbursements"
    ]["schema"]["foreignKeys"]
    # and the README has the citation, the licence and the release note
    day = loan.release.published_at.astimezone(datetime.UTC).date().isoformat()
    url = f"{settings.SITE_URL}/releases/{number}/"
    assert f"EU Ukraine-loan tracker, release {number}, published {day}, {url}" in readme
    assert "CC-BY-4.0" in readme
    assert "> The loan's first drone payments and the Facility's fourth instalment." in readme


def test_an_unchanged_package_is_answered_304_and_kept_as_immutable(client, loan: Loan):
    # Given a downloaded package
    url = f"/downloads/releases/{loan.release.number}/datapackage.zip"
    first = client.get(url)
    assert "immutable" in first["Cache-Control"]

    # when it is asked again with its ETag, then the answer is 304, with no body
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_an_unknown_release_is_a_not_found_page(client, loan: Loan):
    # Given releases up to N, when release N + 1's package is asked for
    response = client.get(f"/downloads/releases/{loan.release.number + 1}/datapackage.zip")

    # then the answer is the site's 404 page
    assert response.status_code == 404
    assert b"Not found" in response.content


def test_latest_redirects_to_the_latest_release_and_is_not_found_before_any(client, db):
    # Given nothing published yet, then there is nothing to download
    assert client.get("/downloads/latest.zip").status_code == 404

    # when a release is published, then latest.zip leads to its package
    instrument = Instrument.objects.create(
        name="Loan", short_name="L", slug="loan", legal_basis="Regulation", amount=Decimal("1000.00"),
        period_start="2026-01-01", period_end="2026-12-31",
    )  # fmt: skip
    release = released(instrument)
    response = client.get("/downloads/latest.zip")
    assert response.status_code == 302
    assert response["Location"] == f"/downloads/releases/{release.number}/datapackage.zip"


def test_the_queries_are_one_per_kind_of_record_whatever_the_size(client, loan: Loan, django_assert_max_num_queries):
    # Given a release, when its package is built, then it reads the release and each kind of record once
    url = f"/downloads/releases/{loan.release.number}/datapackage.zip"
    with django_assert_max_num_queries(1 + len(PUBLISHED_MODEL)):
        assert client.get(url).status_code == 200

    # and a release with ten times the tranches and payments costs the same number of queries
    with CaptureQueriesContext(connection) as small:
        cache.clear()
        client.get(url)
    defence = loan.tranches[0].component
    more = []
    for n in range(20):
        tranche = TrancheFactory(component=defence, slug=f"more-{n}", amount=Decimal("1.00"))
        more += [tranche, DisbursementFactory(tranche=tranche, amount_eur=Decimal("1.00"))]
    bigger = released(*more)
    with CaptureQueriesContext(connection) as large:
        client.get(f"/downloads/releases/{bigger.number}/datapackage.zip")
    assert len(large) == len(small)


def test_the_shipped_dataset_validates_as_a_data_package(client, shipped_dataset: Release, tmp_path):
    # Given the shipped dataset published as Release 1, when its package is downloaded
    files = package_of(client, shipped_dataset.number)

    # then frictionless finds no error in any file, and its payments add up to what the tracker publishes
    report = frictionless_report(files, tmp_path)
    assert report.flatten(["resourceName", "type", "message"]) == []
    total = sum((Decimal(row["amount_eur"]) for row in rows(files, "disbursements")), Decimal("0.00"))
    assert total == sum(
        (instrument_totals(instrument=i, public=True).disbursed for i in Instrument.objects.all()), Decimal("0.00")
    )
    assert len(rows(files, "citations")) == public_versions(Citation, release=shipped_dataset.number).count()
