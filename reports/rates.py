"""Download and parse the ECB euro foreign exchange reference rates.

The ECB publishes the whole history (``eurofxref-hist.zip``: ``Date,USD,JPY,…`` with ISO dates,
newest first, ``N/A`` where a currency had no rate) and the latest day (``eurofxref.zip``:
``Date, USD, …`` with a date like ``30 October 2026``). Both are a zip holding one CSV."""

from __future__ import annotations

import csv
import datetime
import io
import urllib.error
import urllib.request
import zipfile
from decimal import Decimal, InvalidOperation

MAX_BYTES = 50 * 1024 * 1024


class RatesDownloadError(Exception):
    """The download failed: connection refused, timeout, or an HTTP error status. Worth a retry."""


class RatesFormatError(Exception):
    """The file is not an ECB rates file (garbage, an HTML error page, no usable rate)."""


def rates_download(url: str, *, timeout: float) -> bytes:
    """The body of ``url``. Raises RatesDownloadError on a network error, timeout (seconds) or a
    status other than 200."""
    request = urllib.request.Request(url, headers={"User-Agent": "loantracker rates job"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (URL from settings)
            status = getattr(response, "status", None)  # None for a file:// URL (an offline copy)
            if status not in (None, 200):
                raise RatesDownloadError(f"{url} answered HTTP {status}")
            return bytes(response.read(MAX_BYTES))
    except urllib.error.HTTPError as exc:
        raise RatesDownloadError(f"{url} answered HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise RatesDownloadError(f"{url} could not be read: {exc}") from exc


def _csv_text(body: bytes) -> str:
    if body[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                names = [name for name in archive.namelist() if name.lower().endswith(".csv")]
                if not names:
                    raise RatesFormatError("the zip holds no CSV file")
                return archive.read(names[0]).decode("utf-8-sig")
        except zipfile.BadZipFile as exc:
            raise RatesFormatError(f"not a valid zip: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise RatesFormatError(f"the CSV in the zip is not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RatesFormatError("neither a zip nor UTF-8 text") from exc


def _date(text: str) -> datetime.date:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d %B %Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    raise RatesFormatError(f"unreadable date {text!r}")


def rates_parse(body: bytes, currencies: list[str]) -> dict[tuple[datetime.date, str], Decimal]:
    """The rates (units of currency per 1 EUR) of ``currencies`` in an ECB file, by (date, currency).
    Raises RatesFormatError unless the file has a Date column and at least one positive rate."""
    rows = list(csv.reader(io.StringIO(_csv_text(body))))
    if not rows or not rows[0] or rows[0][0].strip() != "Date":
        raise RatesFormatError("no 'Date' header: not an ECB reference rates file")
    header = [name.strip() for name in rows[0]]
    columns = {currency: header.index(currency) for currency in currencies if currency in header}
    if not columns:
        raise RatesFormatError(f"none of {', '.join(currencies)} is in the file")
    rates: dict[tuple[datetime.date, str], Decimal] = {}
    for row in rows[1:]:
        if not row or not row[0].strip():
            continue
        day = _date(row[0])
        for currency, index in columns.items():
            text = row[index].strip() if index < len(row) else ""
            if text in ("", "N/A"):
                continue
            try:
                value = Decimal(text)
            except InvalidOperation as exc:
                raise RatesFormatError(f"unreadable rate {text!r} for {currency} on {day}") from exc
            if value <= 0 or not value.is_finite():
                raise RatesFormatError(f"impossible rate {text!r} for {currency} on {day}")
            rates[(day, currency)] = value
    if not rates:
        raise RatesFormatError("the file holds no rate")
    return rates
