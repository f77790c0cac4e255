"""The ECB answers 200 with a zip that is not what it should be (tests/reports/test_rates.py covers
an error status, a timeout, an HTML page and a broken zip). No rate changes, not even those of the
file's readable rows; the figures keep the old rates; the failure is recorded, with what was wrong,
and shown in the admin; the next good download works."""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from decimal import Decimal
from typing import Any

import pytest

from reports import selectors, services
from reports.models import ExchangeRate, FigureSnapshot, JobRun
from reports.rates import RatesFormatError
from reports.tasks import figures_refresh_task, rates_fetch_task
from tests.reliability.conftest import admin_pages
from tests.reports.conftest import latest

pytestmark = pytest.mark.django_db

# Rows newest first, as the ECB writes them. The first rows are readable and would add a day and
# change another; a later row is garbage, so none of them may be stored.
HEADER = "Date,USD,JPY,\n"
GOOD_ROWS = "2026-11-02,9.9999,150.00,\n2026-10-30,1.2000,150.00,\n"
STORED = {
    (datetime.date(2026, 6, 30), "USD"): Decimal("1.1394"),
    (datetime.date(2026, 10, 29), "USD"): Decimal("1.1160"),
    (datetime.date(2026, 10, 30), "USD"): Decimal("1.1172"),
}
OLD_RATES = {day: rate for (day, _), rate in STORED.items()}


def zipped(name: str, text: str | bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


CSV = "eurofxref-hist.csv"
GARBAGE = [  # what the ECB might send in its zip, and what the recorded failure says about it
    (CSV, HEADER + GOOD_ROWS + "2026-10-29,1.1x5,150.00,\n", "unreadable rate '1.1x5'"),
    (CSV, HEADER + GOOD_ROWS + "29/10/2026,1.1,150.00,\n", "unreadable date '29/10/2026'"),
    (CSV, HEADER + GOOD_ROWS + "2026-10-29,-1.1,150.00,\n", "impossible rate '-1.1'"),
    (CSV, "Date,JPY,\n2026-10-29,150.00,\n", "none of USD is in the file"),
    (CSV, "\x00\x01 binary garbage \x02", "no 'Date' header"),
    ("README.txt", "maintenance", "the zip holds no CSV file"),
]


def test_a_malformed_rates_file_changes_no_rate_and_the_figures_keep_the_old_rates(
    published_dataset: Any, ecb_server: Any, settings: Any, admin_client: Any
) -> None:
    services.rates_store(STORED)  # rates of earlier downloads
    figures_refresh_task.delay()
    before, snapshots = latest(), FigureSnapshot.objects.count()
    drones = next(d for d in before.payload["disbursements"] if d["value_date"] == "2026-06-30")
    assert (drones["usd_rate"], drones["usd_rate_date"]) == ("1.1394", "2026-06-30")

    for n, (name, text, problem) in enumerate(GARBAGE):
        case = f"garbage {n}: {problem}"
        ecb_server.expect_request(f"/{n}.zip").respond_with_data(zipped(name, text), content_type="application/zip")
        settings.ECB_RATES_HIST_URL = ecb_server.url_for(f"/{n}.zip")

        with pytest.raises(RatesFormatError, match=re.escape(problem)):  # not retried: the same file would come again
            rates_fetch_task.delay(which="hist")

        assert dict(ExchangeRate.objects.values_list("date", "rate")) == OLD_RATES, case
        figures_refresh_task.delay(force=True)
        assert latest().pk == before.pk, case  # the same figures, with the old rates: nothing new stored
        failure = selectors.job_failure_latest(services.JOB_RATES)
        assert failure is not None
        assert "RatesFormatError" in failure.error, case
        assert problem in failure.error, case
        assert problem in admin_pages(admin_client), case

    rates_fetch_task.delay(which="daily")  # the next good file is stored
    assert JobRun.objects.filter(job=services.JOB_RATES).latest().status == JobRun.Status.OK
    assert ExchangeRate.objects.get(date=datetime.date(2026, 10, 30)).rate == Decimal("1.1172")
    assert FigureSnapshot.objects.count() == snapshots  # the same rate as before: the same figures


def test_a_zipped_csv_that_is_not_utf8_is_a_format_error(ecb_server: Any, settings: Any) -> None:
    services.rates_store(STORED)
    body = zipped("eurofxref-hist.csv", (HEADER + "2026-10-29,1.1,150.00,\n").encode("utf-16"))
    ecb_server.expect_request("/utf16.zip").respond_with_data(body, content_type="application/zip")
    settings.ECB_RATES_HIST_URL = ecb_server.url_for("/utf16.zip")

    with pytest.raises(RatesFormatError):  # so that `fetch_rates` says "the old ones are kept", no traceback
        rates_fetch_task.delay(which="hist")

    assert dict(ExchangeRate.objects.values_list("date", "rate")) == OLD_RATES
