"""Fixtures of the downloads' tests: a small loan published as a release through the reviewers' way
(tests.releases.released), the shipped dataset loaded as `manage.py load_dataset` does, and the
official IATI 2.03 schema (tests/data/iati-2.03, from the pyIATI 0.4.1 sdist)."""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from lxml import etree

from tests.factories import (
    CitationFactory,
    ComponentFactory,
    DisbursementFactory,
    InstrumentFactory,
    SourceFactory,
    TrancheFactory,
)
from tests.releases import released
from tranches.dataset import dataset_load
from tranches.models import Disbursement, Instrument, Release, Source, Stage, Tranche

IATI_SCHEMA = Path(__file__).resolve().parents[1] / "data" / "iati-2.03" / "iati-activities-schema.xsd"
FORMULA_NAME = '=HYPERLINK("http://attacker.example/","Click for the figures")'


@dataclass
class Loan:
    """What the small loan's release published."""

    release: Release
    instruments: list[Instrument]
    tranches: list[Tranche]
    payments: list[Disbursement]
    online_source: Source
    formula_tranche: Tranche


@pytest.fixture
def loan(db: Any) -> Loan:
    """Two instruments published as one release: a loan with a Defence component, an approved
    "Drones" tranche (planned, then approved) paid in two payments, a planned tranche whose name is
    a spreadsheet formula, and a source that is online; and a context instrument with one payment."""
    usl = InstrumentFactory(name="Ukraine Support Loan", short_name="USL", slug="usl")
    defence = ComponentFactory(instrument=usl, name="Defence", slug="defence", amount=Decimal("60000000000.00"))
    drones = TrancheFactory(
        component=defence,
        name="Drones",
        slug="drones",
        purpose="drones",
        amount=Decimal("3900000000.00"),
        stage=Stage.APPROVED,
        planned_on=datetime.date(2026, 4, 1),
        approved_on=datetime.date(2026, 6, 1),
    )
    formula = TrancheFactory(
        component=defence,
        name=FORMULA_NAME,
        slug="formula",
        purpose="air defence",
        amount=Decimal("1000000000.00"),
        stage=Stage.PLANNED,
        planned_on=datetime.date(2026, 9, 1),
        approved_on=None,
    )
    payments = [
        DisbursementFactory(tranche=drones, amount_eur=Decimal("2500000000.00"), value_date=datetime.date(2026, 6, 25)),
        DisbursementFactory(tranche=drones, amount_eur=Decimal("1399999999.99"), value_date=datetime.date(2026, 6, 30)),
    ]
    facility = InstrumentFactory(name="Ukraine Facility", short_name="UF", slug="uf", amount=Decimal("50000000000.00"))
    facility_budget = ComponentFactory(
        instrument=facility, name="Budget support", slug="budget", amount=Decimal("30000000000.00")
    )
    instalment = TrancheFactory(
        component=facility_budget, name="Fourth instalment", slug="fourth", purpose="budget support",
        amount=Decimal("3200000000.00"), approved_on=datetime.date(2026, 5, 1),
    )  # fmt: skip
    paid = datetime.date(2026, 5, 5)
    payments.append(DisbursementFactory(tranche=instalment, amount_eur=Decimal("3200000000.00"), value_date=paid))
    online = CitationFactory(
        source=SourceFactory(
            publisher="Official Journal of the European Union",
            title="Regulation (EU) 2026/467",
            url="http://data.europa.eu/eli/reg/2026/467/oj",
        ),
        tranche=None,
        instrument=usl,
        quote="a loan of EUR 90 000 000 000",
        claimed_amount=Decimal("90000000000.00"),
    )
    release = released(
        usl, defence, drones, formula, facility, facility_budget, instalment, *payments, online.source, online,
        note="Two instruments\n\nThe loan's first drone payments and the Facility's fourth instalment.",
    )  # fmt: skip
    return Loan(
        release=release,
        instruments=[usl, facility],
        tranches=[drones, formula, instalment],
        payments=payments,
        online_source=online.source,
        formula_tranche=formula,
    )


@pytest.fixture
def shipped_dataset(db: Any) -> Release:
    """The shipped dataset (data/initial_dataset.toml), loaded and published as `manage.py
    load_dataset` does on an empty database."""
    report = dataset_load(path=settings.DATASET_PATH)
    return Release.objects.get(number=report.release)


@pytest.fixture(scope="session")
def iati_schema() -> etree.XMLSchema:
    """The official IATI 2.03 activity schema (with iati-common.xsd and xml.xsd beside it)."""
    return etree.XMLSchema(etree.parse(str(IATI_SCHEMA)))


def unzipped(body: bytes) -> dict[str, bytes]:
    """The files of a zip, by name."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
