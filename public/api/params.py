"""Parsing of the query parameters shared by every resource.

The rules every parameter of the API follows (docs/API.md "Parameters"):
- an empty value (``?as_of=``, ``?page=``, ``?format=``) is the same as leaving the parameter out;
- a value that breaks the documented form or bounds (the OpenAPI schema's) is a 400 naming the
  parameter (``invalid_parameter``);
- a well-formed value that names nothing (a page past the end, a release not published) is a 404
  naming the parameter (``not_found``), like an unknown id in a path."""

from __future__ import annotations

import datetime
import re

from .errors import InvalidParameter

AS_OF = "as_of"
AS_OF_HELP = (
    "The data as the latest release published by the end of this day (UTC) left it: YYYY-MM-DD. "
    "Default: the latest release."
)
RELEASE = "release"
RELEASE_HELP = "The data as release N published it (1, 2, 3…; see /api/v1/releases/). Default: the latest release."
RELEASE_INVALID = "Enter a release number (1, 2, 3…); got {value!r}."
RELEASE_UNKNOWN = "There is no release {number}; the latest is {latest}."
RELEASE_AND_AS_OF = "Give either release or as_of, not both."
AS_OF_INVALID = "Enter a date as YYYY-MM-DD, e.g. 2026-06-30; got {value!r}."
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
RELEASE_MAX = 999_999_999  # nine digits


def is_whole_number(value: str, max_digits: int = 18) -> bool:
    """Only ASCII digits: ``str.isdigit`` also accepts '³' or '٣', which ``int()`` refuses."""
    return 0 < len(value) <= max_digits and value.isascii() and value.isdigit()


def parse_date(parameter: str, value: str) -> datetime.date:
    """A YYYY-MM-DD date; raises InvalidParameter naming ``parameter`` otherwise."""
    try:
        # Only the calendar form: fromisoformat would also take week dates (2026-W01-1).
        if not ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidParameter(parameter, AS_OF_INVALID.format(value=value)) from exc


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The last instant of ``day`` in UTC."""
    return datetime.datetime.combine(day, datetime.time.max, tzinfo=datetime.UTC)
