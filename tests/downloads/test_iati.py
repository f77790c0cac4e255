"""A release as an IATI 2.03 activity file: /downloads/releases/N/iati.xml, validated against the
official schema (tests/data/iati-2.03, taken from the pyIATI 0.4.1 sdist)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from lxml import etree

from tests.downloads.conftest import Loan
from tests.factories import CitationFactory, TrancheFactory
from tests.releases import released
from tranches.models import PUBLISHED_MODEL, Disbursement, Instrument, Release, Source, Stage
from tranches.selectors import public_versions

pytestmark = pytest.mark.django_db


def iati_of(client: Any, number: int) -> etree._ElementTree:
    response = client.get(f"/downloads/releases/{number}/iati.xml")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    return etree.ElementTree(etree.fromstring(response.content))


def schema_errors(schema: etree.XMLSchema, document: etree._ElementTree) -> list[str]:
    schema.validate(document)
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


def activity_of(document: etree._ElementTree, instrument: Instrument) -> etree._Element:
    identifier = f"iati-identifier[substring-after(., '-instrument-') = '{instrument.pk}']"
    (activity,) = document.xpath(f"/iati-activities/iati-activity[{identifier}]")
    return activity


def test_the_file_is_valid_iati_2_03_with_an_activity_per_instrument(client, loan: Loan, iati_schema):
    # Given a release of two instruments, when its IATI file is downloaded
    document = iati_of(client, loan.release.number)

    # then the official 2.03 schema finds no error, and each instrument is one activity, reported
    # by the tracker as a secondary reporter, in EUR
    assert schema_errors(iati_schema, document) == []
    root = document.getroot()
    assert root.get("version") == "2.03"
    identifiers = root.xpath("iati-activity/iati-identifier/text()")
    assert len(identifiers) == len(set(identifiers)) == public_versions(Instrument, release=loan.release.number).count()
    for instrument in loan.instruments:
        activity = activity_of(document, instrument)
        assert activity.get("default-currency") == "EUR"
        assert activity.xpath("reporting-org/@secondary-reporter") == ["1"]
        assert activity.xpath("title/narrative/text()") == [f"{instrument.name} ({instrument.short_name})"]
        assert activity.xpath("budget/value/text()") == [str(instrument.amount)]
        assert activity.xpath("participating-org[@role='1']/narrative/text()") == [instrument.lender]
        assert activity.xpath("participating-org[@role='4']/narrative/text()") == [instrument.borrower]


def test_each_payment_is_a_disbursement_and_each_approved_tranche_a_commitment(client, loan: Loan):
    # Given a release with payments and an approved tranche, when the IATI file is downloaded
    document = iati_of(client, loan.release.number)

    # then each payment is a transaction of type 3 with its date and EUR amount, under its own
    # instrument's activity only
    disbursements = document.xpath("//transaction[transaction-type/@code='3']")
    assert len(disbursements) == len(loan.payments)
    for payment in loan.payments:
        (transaction,) = document.xpath(f"//transaction[@ref='disbursement-{payment.pk}']")
        instrument = Instrument.objects.get(components__tranches__disbursements=payment)
        assert transaction.getparent() is activity_of(document, instrument)
        assert transaction.xpath("transaction-date/@iso-date") == [payment.value_date.isoformat()]
        (value,) = transaction.xpath("value")
        assert (value.text, value.get("currency"), value.get("value-date")) == (
            str(payment.amount_eur), "EUR", payment.value_date.isoformat(),
        )  # fmt: skip
    # and each tranche approved (with its date) is a commitment of type 2; a planned one is not
    commitments = {t.get("ref"): t for t in document.xpath("//transaction[transaction-type/@code='2']")}
    approved = [t for t in loan.tranches if t.approved_on is not None]
    assert set(commitments) == {f"tranche-{t.pk}" for t in approved}
    for tranche in approved:
        assert commitments[f"tranche-{tranche.pk}"].xpath("value/text()") == [str(tranche.amount)]
        assert commitments[f"tranche-{tranche.pk}"].xpath("transaction-date/@iso-date") == [
            tranche.approved_on.isoformat()
        ]


def test_tranches_with_a_planned_date_are_planned_disbursements(client, loan: Loan):
    # Given tranches with a date planned, when the IATI file is downloaded
    document = iati_of(client, loan.release.number)

    # then each is a planned disbursement of its amount on that date
    planned = {
        (p.xpath("period-start/@iso-date")[0], p.xpath("value/text()")[0])
        for p in document.xpath("//planned-disbursement")
    }
    assert planned == {(t.planned_on.isoformat(), str(t.amount)) for t in loan.tranches if t.planned_on}


def test_a_source_online_is_a_document_link_of_the_activity_it_backs(client, loan: Loan):
    # Given a published source with an address, cited for the loan, and the test source without one
    document = iati_of(client, loan.release.number)

    # then the loan's activity links to the document, with its title, category, language and date;
    # a source with no address is not linked (IATI links only to documents online)
    source = loan.online_source
    (link,) = activity_of(document, loan.instruments[0]).xpath("document-link")
    assert link.get("url") == source.url
    assert link.xpath("title/narrative/text()") == [source.title]
    assert link.xpath("category/@code") == ["A02"]  # an official text (grade A): objectives of the activity
    assert link.xpath("language/@code") == ["en"]
    assert link.xpath("document-date/@iso-date") == [source.published_on.isoformat()]
    assert Source.objects.filter(url="").exists()
    assert activity_of(document, loan.instruments[1]).xpath("document-link") == []


def test_without_conditions_none_are_attached(client, loan: Loan):
    # Given a release with no condition published, when the IATI file is downloaded
    document = iati_of(client, loan.release.number)

    # then every activity says that no condition is attached
    assert document.xpath("//conditions/@attached") == ["0"] * len(loan.instruments)


@pytest.mark.skipif(
    not any(model._meta.model_name == "condition" for model in PUBLISHED_MODEL), reason="no Condition model yet"
)
def test_a_published_condition_is_attached_to_its_instruments_activity(client, loan: Loan, iati_schema):
    from tranches.models import Condition

    # Given a condition of the loan's drones tranche, assessed as partly met, published
    condition = Condition.objects.create(
        instrument=loan.instruments[0], tranche=loan.tranches[0], title="Reform of the customs service",
        area="public finance", steps_due=16, steps_met=13, assessed_on=datetime.date(2026, 6, 20),
    )  # fmt: skip
    cited = CitationFactory(
        source=loan.online_source, tranche=None, condition=condition, quote="13 of the 16 steps were met",
        claimed_amount=None,
    )  # fmt: skip
    later = released(condition, cited)

    # when the IATI file of that release is downloaded
    document = iati_of(client, later.number)

    # then the loan's activity has it attached, as a policy condition naming the tranche and the steps met
    assert schema_errors(iati_schema, document) == []
    (conditions,) = activity_of(document, loan.instruments[0]).xpath("conditions")
    assert conditions.get("attached") == "1"
    (text,) = conditions.xpath("condition[@type='1']/narrative/text()")
    assert "Reform of the customs service" in text
    assert "“Drones”" in text
    assert "13 of 16 steps met" in text
    assert activity_of(document, loan.instruments[1]).xpath("conditions/@attached") == ["0"]
    # and the source cited for the condition is linked as a document about conditions too
    assert activity_of(document, loan.instruments[0]).xpath("document-link/category/@code") == ["A02", "A04"]


def test_the_reporting_organisation_comes_from_the_setting(client, loan: Loan, settings):
    # Given the tracker's IATI organisation identifier set
    settings.IATI_REPORTING_ORG_REF = "XI-IATI-TRACKER"

    # when the IATI file is downloaded, then every activity is reported under it
    document = iati_of(client, loan.release.number)
    assert set(document.xpath("//reporting-org/@ref")) == {"XI-IATI-TRACKER"}
    assert all(i.startswith("XI-IATI-TRACKER-") for i in document.xpath("//iati-identifier/text()"))


def test_a_release_gives_the_same_file_every_time_later_releases_aside(client, loan: Loan):
    # Given release N's file
    url = f"/downloads/releases/{loan.release.number}/iati.xml"
    first = client.get(url)

    # when a later release adds a planned tranche, and release N's file is built again
    planned = TrancheFactory(
        component=loan.tranches[2].component, slug="fifth", purpose="budget support", amount=Decimal("1.00"),
        stage=Stage.PLANNED, planned_on=datetime.date(2026, 10, 1), approved_on=None,
    )  # fmt: skip
    later = released(planned)
    cache.clear()
    again = client.get(url)

    # then it is the same bytes, 304 on its ETag, and kept as immutable; the later release has the tranche
    assert again.content == first.content
    assert b"2026-10-01" not in first.content
    assert iati_of(client, later.number).xpath("//planned-disbursement/period-start/@iso-date[. = '2026-10-01']")
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert "immutable" in first["Cache-Control"]


def test_an_unknown_release_is_not_found_and_latest_redirects(client, loan: Loan):
    # Given releases up to N, then release N + 1's file is a 404 page and the latest is N's
    assert client.get(f"/downloads/releases/{loan.release.number + 1}/iati.xml").status_code == 404
    response = client.get("/downloads/latest-iati.xml")
    assert response.status_code == 302
    assert response["Location"] == f"/downloads/releases/{loan.release.number}/iati.xml"


def test_the_queries_are_one_per_kind_of_record(client, loan: Loan, django_assert_max_num_queries):
    # Given a release, when its IATI file is built, then the release and each kind of record are read once
    with django_assert_max_num_queries(1 + len(PUBLISHED_MODEL)):
        assert client.get(f"/downloads/releases/{loan.release.number}/iati.xml").status_code == 200


def test_the_shipped_dataset_is_valid_iati(client, shipped_dataset: Release, iati_schema):
    # Given the shipped dataset published as Release 1, when its IATI file is downloaded
    document = iati_of(client, shipped_dataset.number)

    # then the official schema finds no error, there is an activity per instrument, and a
    # disbursement per payment, adding up to the published payments
    assert schema_errors(iati_schema, document) == []
    number = shipped_dataset.number
    assert len(document.xpath("//iati-activity")) == public_versions(Instrument, release=number).count()
    values = document.xpath("//transaction[transaction-type/@code='3']/value/text()")
    payments = public_versions(Disbursement, release=number)
    assert len(values) == payments.count()
    assert sum(Decimal(v) for v in values) == sum(p.amount_eur for p in payments)
