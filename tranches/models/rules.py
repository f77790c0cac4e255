"""The value rules that every writer keeps: the admin, the dataset loader, the services and the jobs.

One place for them, so that no way in accepts what another refuses:

- **Dates** of the loan records (an instrument's period, a tranche's stage dates, a payment's value
  date, a source's date) lie between ``DATE_FIRST`` and ``DATE_LAST`` (01 Jan 2000 – 31 Dec 2100):
  a year 1 or 9999 is a typing error, and a chart would draw a line to it.
- **Text** holds no control characters (long text, ``multiline``: line breaks and tabs only) and
  none of the characters that override or isolate the direction of text (U+202A–U+202E,
  U+2066–U+2069), with which a name can display in another order than it is stored. PostgreSQL
  cannot store U+0000 at all.
- **Long text** (notes, descriptions, quotes) is at most ``TEXT_MAX_LENGTH`` characters, so that
  every export keeps it whole: an XLSX cell holds at most 32,767.

Each rule is a field validator, run by ``full_clean`` (the admin's forms, every service, the loader's
check before it writes), with a message that names the field and the value. Where PostgreSQL and
SQLite can both say a rule in SQL (dates, lengths), the draft tables also have it as a
CheckConstraint (``date_in_range``, ``length_at_most``). The characters are left to the validators:
SQLite has no regular expressions of its own (Django adds REGEXP per connection only).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.deconstruct import deconstructible
from django.utils.text import capfirst

DATE_FIRST = datetime.date(2000, 1, 1)
DATE_LAST = datetime.date(2100, 12, 31)
TEXT_MAX_LENGTH = 10_000
XLSX_CELL_MAX = 32_767  # characters an Excel cell holds; TEXT_MAX_LENGTH keeps well within it

DATE_OUT_OF_RANGE = "{label} must be between {first} and {last}; got {value}."
TEXT_CONTROL_CHARACTER = "{label} may not contain control characters; got {char} at character {position}: {text}."
TEXT_CONTROL_CHARACTER_MULTILINE = (
    "{label} may not contain control characters other than line breaks and tabs; "
    "got {char} at character {position}: {text}."
)
TEXT_DIRECTION_CHARACTER = (
    "{label} may not contain characters that override or isolate the direction of text (U+202A–U+202E, "
    "U+2066–U+2069), which can make it display in another order than it is stored; "
    "got {char} at character {position}: {text}."
)
TEXT_TOO_LONG = "{label} may be at most {limit:,} characters long, so that every export keeps it whole; got {length:,}."
# The database's own wording, for a write that bypassed the validators (raw SQL, bulk writes).
DATE_OUT_OF_RANGE_DB = "{field} must be between 01 Jan 2000 and 31 Dec 2100."
TEXT_TOO_LONG_DB = "{field} may be at most 10,000 characters long."

# Regular-expression classes: the direction characters, and the C0 and C1 control characters
# (Unicode category Cc, DEL included) without and with line breaks and tabs.
_DIRECTION_CLASS = r"\u202a-\u202e\u2066-\u2069"
_FORBIDDEN_SINGLE_LINE = re.compile(rf"[\x00-\x1f\x7f-\x9f{_DIRECTION_CLASS}]")
_FORBIDDEN_MULTILINE = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_DIRECTION_CLASS}]")
_DIRECTION = re.compile(rf"[{_DIRECTION_CLASS}]")
_EXCERPT = 20  # characters shown each side of a character at fault


def day(value: datetime.date) -> str:
    """``01 Jan 2000``; years before 1000 keep four digits (``01 Jan 0001``), whatever the platform."""
    return f"{value.day:02d} {value:%b} {value.year:04d}"


def character(char: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``, or ``U+0000`` for a character without a name."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def visible(text: str) -> str:
    """``text`` in double quotes with every character that does not print (controls, direction
    characters) written as ``\\uXXXX``, so a message shows what is there and cannot be spoofed."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def excerpt(text: str, index: int) -> str:
    """The characters around ``text[index]``, ``visible``, with ``…`` where the text goes on."""
    start, end = max(0, index - _EXCERPT), min(len(text), index + _EXCERPT + 1)
    return ("…" if start else "") + visible(text[start:end]) + ("…" if end < len(text) else "")


@deconstructible
class DateInRange:
    """A date between DATE_FIRST and DATE_LAST (``label`` names the field in the message)."""

    def __init__(self, label: str):
        self.label = label

    def __call__(self, value: object) -> None:
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date) and not DATE_FIRST <= value <= DATE_LAST:
            raise ValidationError(
                DATE_OUT_OF_RANGE.format(
                    label=capfirst(self.label), first=day(DATE_FIRST), last=day(DATE_LAST), value=day(value)
                ),
                code="date_out_of_range",
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DateInRange) and other.label == self.label

    def __hash__(self) -> int:
        return hash((type(self), self.label))


@deconstructible
class PlainText:
    """Text without control characters (with ``multiline``: but line breaks and tabs) and without
    characters that override or isolate the direction of text."""

    def __init__(self, label: str, multiline: bool = False):
        self.label = label
        self.multiline = multiline

    def __call__(self, value: object) -> None:
        if not isinstance(value, str):
            return
        found = (_FORBIDDEN_MULTILINE if self.multiline else _FORBIDDEN_SINGLE_LINE).search(value)
        if found is None:
            return
        if _DIRECTION.match(found.group()):
            message, code = TEXT_DIRECTION_CHARACTER, "text_direction_character"
        else:
            message = TEXT_CONTROL_CHARACTER_MULTILINE if self.multiline else TEXT_CONTROL_CHARACTER
            code = "text_control_character"
        raise ValidationError(
            message.format(
                label=capfirst(self.label),
                char=character(found.group()),
                position=f"{found.start() + 1:,}",
                text=excerpt(value, found.start()),
            ),
            code=code,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlainText) and (other.label, other.multiline) == (self.label, self.multiline)

    def __hash__(self) -> int:
        return hash((type(self), self.label, self.multiline))


@deconstructible
class LengthAtMost:
    """Text of at most ``limit`` characters (default TEXT_MAX_LENGTH)."""

    def __init__(self, label: str, limit: int = TEXT_MAX_LENGTH):
        self.label = label
        self.limit = limit

    def __call__(self, value: object) -> None:
        if isinstance(value, str) and len(value) > self.limit:
            raise ValidationError(
                TEXT_TOO_LONG.format(label=capfirst(self.label), limit=self.limit, length=len(value)),
                code="text_too_long",
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LengthAtMost) and (other.label, other.limit) == (self.label, self.limit)

    def __hash__(self) -> int:
        return hash((type(self), self.label, self.limit))


Validator = Callable[[Any], None]


def text_rules(label: str) -> list[Validator]:
    """The validators of a one-line text field (names, titles, short names, purposes, …)."""
    return [PlainText(label)]


def long_text_rules(label: str) -> list[Validator]:
    """The validators of a long text field (notes, descriptions, quotes)."""
    return [PlainText(label, multiline=True), LengthAtMost(label)]


def date_rules(label: str) -> list[Validator]:
    """The validators of a date of a loan record."""
    return [DateInRange(label)]


def date_in_range(field: str) -> models.CheckConstraint:
    """The database's side of DateInRange, for a draft table."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": DATE_FIRST, f"{field}__lte": DATE_LAST}),
        name="%(app_label)s_%(class)s_" + f"{field}_in_range",
        violation_error_message=DATE_OUT_OF_RANGE_DB.format(field=field),
    )


def length_at_most(field: str) -> models.CheckConstraint:
    """The database's side of LengthAtMost, for a draft table (LENGTH counts characters in both)."""
    return models.CheckConstraint(
        condition=LessThanOrEqual(Length(field), TEXT_MAX_LENGTH),
        name="%(app_label)s_%(class)s_" + f"{field}_length",
        violation_error_message=TEXT_TOO_LONG_DB.format(field=field),
    )
