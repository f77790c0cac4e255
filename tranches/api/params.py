"""Parsing of the query parameters shared by every resource."""

from __future__ import annotations

import datetime

from rest_framework.request import Request

from .errors import InvalidParameter

AS_OF = "as_of"
AS_OF_HELP = (
    "The data as published at the end of this day (UTC), rebuilt from history: YYYY-MM-DD. Default: as published now."
)
AS_OF_INVALID = "Enter a date as YYYY-MM-DD, e.g. 2026-06-30; got {value!r}."


def is_whole_number(value: str, max_digits: int = 18) -> bool:
    """Only ASCII digits: ``str.isdigit`` also accepts '³' or '٣', which ``int()`` refuses."""
    return 0 < len(value) <= max_digits and value.isascii() and value.isdigit()


def parse_date(parameter: str, value: str) -> datetime.date:
    """A YYYY-MM-DD date; raises InvalidParameter naming ``parameter`` otherwise."""
    try:
        if len(value) != 10:
            raise ValueError(value)
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidParameter(parameter, AS_OF_INVALID.format(value=value)) from exc


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The last instant of ``day`` in UTC."""
    return datetime.datetime.combine(day, datetime.time.max, tzinfo=datetime.UTC)


def as_of_param(request: Request) -> datetime.datetime | None:
    """``?as_of=YYYY-MM-DD`` as the end of that day in UTC, or None (now)."""
    value = request.query_params.get(AS_OF)
    if value is None or value == "":
        return None
    return end_of_day(parse_date(AS_OF, value))
