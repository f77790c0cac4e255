"""ECB rates: downloaded from a local server serving the ECB's own files; failures keep old rates."""

from __future__ import annotations

import csv
import datetime
import io
import time
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from reports import selectors, services
from reports.models import ExchangeRate
from reports.rates import RatesDownloadError, RatesFormatError
from reports.tasks import rates_fetch_task
from tests.reports.conftest import ECB_DIR, refreshed

pytestmark = pytest.mark.django_db


def test_the_history_is_stored_and_a_second_run_writes_nothing(ecb_server: Any) -> None:
    first = services.rates_fetch(which="hist")
    second = services.rates_fetch(which="hist")

    assert first.written == first.parsed == ExchangeRate.objects.filter(currency="USD").count()
    assert first.parsed > 6000  # every ECB business day since 1999
    assert second.written == 0
    assert first.last == datetime.date(2026, 10, 30)
    assert selectors.rate_on(datetime.date(2026, 6, 30)) == (datetime.date(2026, 6, 30), Decimal("1.1394"))


def _usd_in_file(zip_bytes: bytes, day: str) -> Decimal | None:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        rows = csv.DictReader(io.StringIO(archive.read("eurofxref-hist.csv").decode()))
        return next((Decimal(row["USD"]) for row in rows if row["Date"] == day), None)


def test_a_weekend_value_date_uses_the_previous_business_day(ecb_server: Any, ecb_hist_zip: Any) -> None:
    services.rates_fetch(which="hist")
    # Saturday 27 June 2026: the ECB published no rate; Friday's applies.
    assert _usd_in_file(ecb_hist_zip, "2026-06-27") is None
    friday = _usd_in_file(ecb_hist_zip, "2026-06-26")
    assert selectors.rate_on(datetime.date(2026, 6, 27)) == (datetime.date(2026, 6, 26), friday)


def test_the_daily_file_adds_the_latest_day(ecb_server: Any) -> None:
    result = services.rates_fetch(which="daily")
    assert (result.parsed, result.first) == (1, datetime.date(2026, 10, 30))
    assert ExchangeRate.objects.get(date=datetime.date(2026, 10, 30), currency="USD").rate == Decimal("1.1172")


def test_the_drones_tranche_in_usd_matches_the_reported_4_4bn(dataset: Any, ecb_server: Any) -> None:
    services.rates_fetch(which="hist")
    snapshot = refreshed()

    drones = next(d for d in snapshot.payload["disbursements"] if d["value_date"] == "2026-06-30")
    assert drones["usd_rate"] == "1.1394"
    assert drones["usd_rate_date"] == "2026-06-30"
    assert Decimal(drones["usd"]) == Decimal("3900000000.00") * Decimal("1.1394")
    assert round(Decimal(drones["usd"]) / 10**9, 1) == Decimal(drones["reported_amount"]) / 10**9  # $4.4bn


@pytest.mark.parametrize(
    ("respond", "error"),
    [
        (lambda s: s.respond_with_data("down for maintenance", status=503), RatesDownloadError),
        (lambda s: s.respond_with_data(b"<html>not a rates file</html>"), RatesFormatError),
        (lambda s: s.respond_with_data(b"PK\x03\x04 broken zip"), RatesFormatError),
    ],
)
def test_a_failed_download_keeps_the_old_rates_and_is_recorded(
    ecb_server: Any, settings: Any, respond: Any, error: Any
) -> None:
    services.rates_fetch(which="hist")
    before = ExchangeRate.objects.count()
    respond(ecb_server.expect_request("/broken"))
    settings.ECB_RATES_HIST_URL = ecb_server.url_for("/broken")

    # A network error is retried later, with backoff (Retry); a garbage file is not retried.
    with pytest.raises(Retry if error is RatesDownloadError else error) as raised:
        rates_fetch_task.delay(which="hist")

    assert ExchangeRate.objects.count() == before
    failure = selectors.job_failure_latest(services.JOB_RATES)
    assert failure is not None
    assert error.__name__ in failure.error
    if error is RatesDownloadError:
        # The first retry waits a random 0..30 s ("full jitter" of the 30 s backoff), not
        # Celery's default fixed 180 s: a jittered 0 is a legitimate draw, so bound it, don't
        # require it to be positive.
        assert raised.value.when is not None
        assert 0 <= raised.value.when <= 30
        assert rates_fetch_task.max_retries == settings.ECB_RATES_MAX_RETRIES > 0


def _slow(request: Any) -> Any:
    time.sleep(1.5)


def test_a_timeout_is_a_failed_download(ecb_server: Any, settings: Any) -> None:
    ecb_server.expect_request("/slow").respond_with_handler(_slow)
    settings.ECB_RATES_HIST_URL = ecb_server.url_for("/slow")
    settings.ECB_RATES_TIMEOUT = 0.3

    with pytest.raises(RatesDownloadError, match="timed out"):
        services.rates_fetch(which="hist")


def test_fetch_rates_command_reports_progress_and_refuses_on_failure(
    ecb_server: Any, settings: Any, capsys: Any
) -> None:
    call_command("fetch_rates", "--no-refresh")
    assert "rates from 1999-01-04 to 2026-10-30" in capsys.readouterr().out

    settings.ECB_RATES_HIST_URL = ecb_server.url_for("/missing")
    with pytest.raises(CommandError, match="old ones are kept"):
        call_command("fetch_rates")


def test_an_offline_copy_can_be_read_from_a_file_url(db: Any, settings: Any) -> None:
    settings.ECB_RATES_HIST_URL = (ECB_DIR / "eurofxref-hist.zip").as_uri()
    result = services.rates_fetch(which="hist")
    assert result.written == result.parsed > 6000


def test_auto_fetches_the_whole_history_when_rates_are_missing_and_then_the_daily_file(ecb_server: Any) -> None:
    assert services.rates_which() == "hist"
    ExchangeRate.objects.create(date=timezone.now().date(), currency="USD", rate=Decimal("1.1"))
    assert services.rates_which() == "daily"
