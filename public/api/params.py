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

from rest_framework.request import Request

from tranches.models import Release

from .errors import InvalidParameter, ParameterNotFound

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


def as_of_param(request: Request) -> datetime.datetime | None:
    """The moment whose latest release a request reads, or None (the latest release):
    ``?as_of=YYYY-MM-DD`` as the end of that day in UTC, or ``?release=N`` as the moment release N
    was published (release times grow with their numbers, so the latest release by then is N).
    Raises InvalidParameter for a bad value, an unknown release, or both parameters."""
    value = request.query_params.get(AS_OF)
    number = request.query_params.get(RELEASE)
    if value not in (None, "") and number not in (None, ""):
        raise InvalidParameter(RELEASE, RELEASE_AND_AS_OF)
    if number not in (None, ""):
        return release_moment(str(number))
    if value is None or value == "":
        return None
    return end_of_day(parse_date(AS_OF, value))


def release_moment(value: str) -> datetime.datetime:
    """When release ``value`` was published. Raises InvalidParameter (400) for a value that is not
    a release number, ParameterNotFound (404) for a number no release has, both naming ``release``."""
    if not is_whole_number(value, max_digits=9) or int(value) < 1:
        raise InvalidParameter(RELEASE, RELEASE_INVALID.format(value=value))
    release = Release.objects.filter(number=int(value)).values_list("published_at", flat=True).first()
    if release is None:
        latest = Release.objects.order_by("-number").values_list("number", flat=True).first() or "none yet"
        raise ParameterNotFound(RELEASE, RELEASE_UNKNOWN.format(number=int(value), latest=latest))
    return release
