"""CSV and XLSX renderers for every list and for summary and timeseries.

A response becomes a table: the ``results`` of a page (or the list, or the one object) are the rows;
nested objects become dotted column names (``totals.disbursed``) and nested lists a JSON text. Amounts
stay plain decimals (``3900000000.00``). A text cell that starts with ``=``, ``+``, ``-``, ``@``, tab or
carriage return is prefixed with an apostrophe so that no spreadsheet runs it as a formula (OWASP
"CSV injection"); plain negative numbers are left as they are.

An empty list keeps its header row (the columns of the view's serializer), so that a reader such as
pandas or csv.DictReader reads it as a table with no rows. In XLSX, dates (YYYY-MM-DD) are date cells
and times (ISO 8601, UTC) are date-time cells in UTC; amounts are exact decimal numbers."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rest_framework.renderers import BaseRenderer
from rest_framework.serializers import BaseSerializer, ListSerializer

from tranches.models.rules import XLSX_CELL_MAX

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
DECIMAL = re.compile(r"^-?\d+\.\d+$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_UTC_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")


XLSX_CUT = " … [cut: {cut:,} more characters; the CSV and JSON have this cell whole]"


def neutralise(value: str) -> str:
    """``value`` made safe for a spreadsheet cell (see the module docstring)."""
    if value.startswith(FORMULA_START) and not NUMBER.match(value):
        return "'" + value
    return value


def _flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, list | tuple):
            flat[name] = json.dumps(value, ensure_ascii=False, default=str)
        else:
            flat[name] = value
    return flat


def serializer_columns(serializer: Any) -> list[str]:
    """The columns a serializer's rows become (nested objects as dotted names, as ``_flatten``
    makes them): the header of a table with no rows."""
    if isinstance(serializer, ListSerializer):
        serializer = serializer.child
    columns: list[str] = []
    for name, field in getattr(serializer, "fields", {}).items():
        if field.write_only:
            continue
        if isinstance(field, BaseSerializer) and not isinstance(field, ListSerializer):
            columns += [f"{name}.{column}" for column in serializer_columns(field)]
        else:
            columns.append(name)
    return columns


def _view_columns(renderer_context: Mapping[str, Any] | None) -> list[str]:
    """The columns of the rows the view answers, from its serializer: ``export_serializer_class``
    (views whose table is not their JSON, e.g. summary), else its ``get_serializer_class()``."""
    view = (renderer_context or {}).get("view")
    serializer_class = getattr(view, "export_serializer_class", None)
    if serializer_class is None and hasattr(view, "get_serializer_class"):
        try:
            serializer_class = view.get_serializer_class()  # type: ignore[union-attr]
        except (AssertionError, AttributeError):
            serializer_class = None
    return serializer_columns(serializer_class()) if serializer_class is not None else []


def table(data: Any, renderer_context: Mapping[str, Any] | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """The column names and rows of a response body; with no rows, the columns of the view's serializer."""
    if isinstance(data, Mapping) and isinstance(data.get("results"), list):
        items = data["results"]
    elif isinstance(data, list):
        items = data
    elif data is None:
        items = []
    else:
        items = [data]
    rows = [_flatten(item) if isinstance(item, Mapping) else {"value": item} for item in items]
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    if not rows:
        columns = dict.fromkeys(_view_columns(renderer_context))
    return list(columns), rows


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(str(value))


def export_filename(view: Any) -> str:
    """The name (without extension) of a view's download: its export_name, else its basename."""
    return getattr(view, "export_name", None) or getattr(view, "basename", None) or "export"


def _filename(renderer_context: Mapping[str, Any] | None, extension: str) -> str:
    return f"{export_filename((renderer_context or {}).get('view'))}.{extension}"


def _attach(renderer_context: Mapping[str, Any] | None, extension: str) -> None:
    response = (renderer_context or {}).get("response")
    if response is not None and response.status_code < 400:
        response["Content-Disposition"] = f'attachment; filename="{_filename(renderer_context, extension)}"'


def csv_lines(items: Iterable[Any], flush_at: int = 64 * 1024, columns: list[str] | None = None) -> Iterator[bytes]:
    """The CSV of ``items`` (serialized rows), encoded as it is written, in pieces of about
    ``flush_at`` bytes: the same text as CSVRenderer, for a streamed answer. Every row of a list has
    the serializer's columns, so the first row's columns are the header; ``columns`` is the header
    when there is no row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    written: list[str] | None = None
    for item in items:
        row = _flatten(item) if isinstance(item, Mapping) else {"value": item}
        if written is None:
            written = list(row)
            writer.writerow([neutralise(column) for column in written])
        writer.writerow([cell_text(row.get(column)) for column in written])
        if out.tell() >= flush_at:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    if written is None:
        writer.writerow([neutralise(column) for column in columns or []])
    yield out.getvalue().encode("utf-8")


def csv_cells(columns: list[str], rows: Iterable[list[Any]], flush_at: int = 64 * 1024) -> Iterator[bytes]:
    """Like ``csv_lines`` for rows already laid out in ``columns`` (a list of values each)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(column) for column in columns])
    for row in rows:
        writer.writerow([cell_text(value) for value in row])
        if out.tell() >= flush_at:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def _date_or_time(text: str) -> datetime.date | datetime.datetime | None:
    """A date of the API's text (YYYY-MM-DD), or a time in UTC as a naive UTC datetime (Excel has
    no time zones); None for any other text."""
    try:
        if ISO_DATE.match(text):
            return datetime.date.fromisoformat(text)
        if ISO_UTC_TIME.match(text):
            return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None
    return None


class CSVRenderer(BaseRenderer):
    """RFC 4180 CSV, UTF-8, one header row."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        columns, rows = table(data, renderer_context)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([neutralise(column) for column in columns])
        for row in rows:
            writer.writerow([cell_text(row.get(column)) for column in columns])
        _attach(renderer_context, "csv")
        return out.getvalue().encode("utf-8")


class XLSXRenderer(BaseRenderer):
    """An Excel workbook (openpyxl) with the same columns as the CSV.
    Decimal amounts are numeric cells; every text cell is stored as text, never as a formula;
    control characters XML cannot hold become U+FFFD."""

    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        columns, rows = table(data, renderer_context)
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None  # noqa: S101 (a new workbook always has one sheet)
        sheet.title = "data"
        for column_index, column in enumerate(columns, start=1):
            self._write(sheet, 1, column_index, column)
        for row_index, row in enumerate(rows, start=2):
            for column_index, column in enumerate(columns, start=1):
                self._write(sheet, row_index, column_index, row.get(column))
        out = io.BytesIO()
        workbook.save(out)
        _attach(renderer_context, "xlsx")
        return out.getvalue()

    @staticmethod
    def _write(sheet: Any, row: int, column: int, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool | int | float | Decimal):
            sheet.cell(row=row, column=column, value=value)
            return
        text = str(value)
        if DECIMAL.match(text):
            amount = Decimal(text)
            cell = sheet.cell(row=row, column=column, value=amount)
            exponent = amount.as_tuple().exponent
            cell.number_format = "0." + "0" * -exponent if isinstance(exponent, int) and exponent < 0 else "0"
            return
        day = _date_or_time(text)
        if day is not None:
            cell = sheet.cell(row=row, column=column, value=day)
            cell.number_format = "yyyy-mm-dd hh:mm:ss" if isinstance(day, datetime.datetime) else "yyyy-mm-dd"
            return
        # XML 1.0 cannot hold most control characters: they become U+FFFD (the CSV keeps them).
        text = neutralise(ILLEGAL_CHARACTERS_RE.sub("\ufffd", text))
        if len(text.encode("utf-16-le")) // 2 > XLSX_CELL_MAX:  # Excel counts UTF-16 units
            # openpyxl would cut it silently; say so instead.
            kept = text.encode("utf-16-le")[: (XLSX_CELL_MAX - 120) * 2].decode("utf-16-le", errors="ignore")
            text = kept + XLSX_CUT.format(cut=len(text) - len(kept))
        cell = sheet.cell(row=row, column=column, value=text)
        cell.data_type = "s"  # never a formula, whatever the text
