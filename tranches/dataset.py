"""Load the versioned dataset file (TOML) into the database through the services.

The file seeds, never overwrites:
- on an empty database (no record, no release) every record is saved and published as Release 1,
  "Initial dataset", in one transaction;
- on a database with data nothing is written by default: the report says how the file differs
  from the published state (new, changed, unchanged records, matched by their ``key``);
- with ``drafts=True`` those differences become drafts for a reviewer to release.
The file is read and every record checked before anything is written, and all writes run in one
``checked_together()`` transaction, so a bad file writes nothing.

Every problem is a ``DatasetError`` naming the record (``tranches[0] (key 'drones-1')``), the field
and the value, never another exception: each value must have its field's TOML type (a string, an
amount as a string of digits, a date without a time, a whole number, true or false) before the
model's own rules (``full_clean``, the value rules of ``tranches.models.rules``) run on it.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.db.models import Value
from django.db.models.functions import Lower

from . import services
from .models import (
    CITATION_TARGET,
    PUBLISHABLE_MODELS,
    PUBLISHED_MODEL,
    Citation,
    Component,
    Condition,
    Disbursement,
    Estimate,
    Instrument,
    Milestone,
    OpenQuestion,
    Publishable,
    Purpose,
    Release,
    Source,
    Tranche,
)
from .models.rules import PlainText

SUPPORTED_VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 2 added the record's context sections and the release note
# Problems, each after "where: field: " (module constants the tests import); {value} is ``shown``.
FILE_UNREADABLE = "cannot be read: {reason}"
NOT_TOML = "not valid TOML: {reason}"
TOO_DEEP = "not valid TOML: values nested too deeply to read"
WRONG_VERSION = "version: expected {expected}, got {value}"
SECTION_NOT_A_LIST = "{section}: expected a list of [[{section}]] tables; got {value}"
NOT_A_TABLE = "expected a table, [[{section}]] with its fields; got {value}"
KEY_REQUIRED = "key: required, a non-empty string"
KEY_TOO_LONG = "key: at most {limit} characters; got {length:,}"
NOT_TEXT = "expected a string in quotes; got {value}"
NOT_AN_AMOUNT = (
    "expected an amount as a string of digits, with at most {whole} before the decimal point and {places} "
    'after it, e.g. "3900000000.00"; got {value}'
)
NOT_A_DATE = "expected a date written YYYY-MM-DD, without quotes, time or offset; got {value}"
NOT_A_WHOLE_NUMBER = "expected a whole number without quotes, e.g. 2026; got {value}"
NOT_TRUE_OR_FALSE = "expected true or false, without quotes; got {value}"
NOT_A_KEY = "{value} is not a key in {section}"
DATABASE_REFUSED = (
    "{where}: the database refused it ({error}); this is a rule the loader should have named, please report it"
)
INITIAL_NOTE = "Initial dataset: the figures and sources of {name}, as first loaded."
NOT_WRITTEN = (
    "The database has data already, so nothing was written: the file seeds an empty database only. "
    "Run with --drafts to turn the differences above into drafts for a reviewer."
)

# Section name -> model, in write order (parents first). References name the parent's section.
SECTIONS: dict[str, type[Publishable]] = {
    "sources": Source,
    "instruments": Instrument,
    "components": Component,
    "tranches": Tranche,
    "disbursements": Disbursement,
    "milestones": Milestone,
    "conditions": Condition,
    "estimates": Estimate,
    "open_questions": OpenQuestion,
    "citations": Citation,
}
# References name the parent's section; those of a field that may be empty may be left out.
REFERENCES: dict[str, dict[str, str]] = {
    "components": {"instrument": "instruments"},
    "tranches": {"component": "components"},
    "disbursements": {"tranche": "tranches", "paid_through": "instruments"},
    "milestones": {"instrument": "instruments", "tranche": "tranches"},
    "conditions": {"instrument": "instruments", "tranche": "tranches"},
    "estimates": {"instrument": "instruments"},
    "open_questions": {"instrument": "instruments"},
    "citations": {"source": "sources"},
}
# A citation's ``target = "kind:key"``: the kind is the citation's field, the key one of its section.
TARGET_SECTIONS = {
    "instrument": "instruments",
    "component": "components",
    "tranche": "tranches",
    "disbursement": "disbursements",
    "milestone": "milestones",
    "condition": "conditions",
    "estimate": "estimates",
    "open_question": "open_questions",
}
TARGET_EXPECTED = ", ".join(f"'{kind}:KEY'" for kind in TARGET_SECTIONS)
NOTE_NOT_TEXT = "note: expected the release note as a string in quotes; got {value}"


class DatasetError(Exception):
    """The file cannot be loaded; ``problems`` names each line, or record, field and value at fault.
    Nothing was written."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass
class LoadReport:
    """What the file holds compared with the database: per section, records new to it, records
    whose published (else saved) version differs, and unchanged ones; what was written."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    differences: list[str] = field(default_factory=list)  # "tranches key 'x': amount"
    written: bool = False
    release: int | None = None  # the release that published it (seeding an empty database)

    @property
    def published(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values()) if self.release else 0

    def summary(self) -> str:
        verb = ("created", "updated") if self.written else ("new", "different")
        parts = [
            f"{section}: {self.created[section]} {verb[0]}, {self.updated[section]} {verb[1]}, "
            f"{self.unchanged[section]} unchanged"
            for section in SECTIONS
        ]
        parts += [f"  differs: {line}" for line in self.differences]
        if self.release is not None:
            parts.append(f"Published as Release {self.release}.")
        elif self.written:
            parts.append("Saved as drafts: a reviewer publishes them as a release (admin → Pending changes).")
        elif self.differences or sum(self.created.values()):
            parts.append(NOT_WRITTEN)
        else:
            parts.append("The file matches the published state: nothing to do.")
        return "\n".join(parts)


def _editable_fields(model: type[Publishable]) -> dict[str, models.Field[Any, Any]]:
    return {
        f.name: f
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and f.name not in ("created_at", "updated_at")
    }


def dataset_read(path: Path) -> dict[str, Any]:
    """Parse the TOML file; amounts stay exact (floats are read as Decimal).
    Raises DatasetError naming the line of a syntax error, or a wrong version."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DatasetError(path, ["file not found"]) from exc
    except UnicodeDecodeError as exc:
        raise DatasetError(path, [NOT_TOML.format(reason=exc)]) from exc
    except OSError as exc:
        raise DatasetError(path, [FILE_UNREADABLE.format(reason=exc.strerror or exc)]) from exc
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except RecursionError as exc:  # arrays or tables nested deeper than the parser's recursion
        raise DatasetError(path, [TOO_DEEP]) from exc
    except (tomllib.TOMLDecodeError, ValueError) as exc:  # ValueError: an integer of over 4,300 digits
        raise DatasetError(path, [NOT_TOML.format(reason=exc)]) from exc
    version = data.get("version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise DatasetError(path, [WRONG_VERSION.format(expected=SUPPORTED_VERSION, value=shown(version))])
    if not isinstance(data.get("note", ""), str):
        raise DatasetError(path, [NOTE_NOT_TEXT.format(value=shown(data["note"]))])
    unknown = sorted(set(data) - {"version", "note", *SECTIONS})
    if unknown:
        names = ", ".join(_name(name) for name in unknown)
        raise DatasetError(path, [f"unknown section(s): {names}; expected {', '.join(SECTIONS)}"])
    return data


def shown(value: Any, depth: int = 0) -> str:
    """``value`` as a problem shows it: strings quoted with every character that does not print
    escaped (``'First\\x00drones'``), long strings, numbers and lists cut short."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else f"{value[:60]!r}… ({len(value):,} characters)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value.bit_length() > 200:
        return f"a whole number of {value.bit_length():,} bits"
    if isinstance(value, int | Decimal):
        text = str(value)
        return text if len(text) <= 60 else f"{text[:60]}… ({len(text):,} characters)"
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list):
        if depth >= 2:
            return "[…]" if value else "[]"
        items = [shown(item, depth + 1) for item in value[:5]] + (["…"] if len(value) > 5 else [])
        return "[" + ", ".join(items) + "]"
    if isinstance(value, dict):
        if depth >= 2:
            return "{…}" if value else "{}"
        pairs = [f"{_name(name)} = {shown(item, depth + 1)}" for name, item in list(value.items())[:5]]
        return "{" + ", ".join(pairs + (["…"] if len(value) > 5 else [])) + "}"
    if value is None:
        return "nothing"
    return shown(repr(value))


def _name(name: str) -> str:
    """A field or section name as a problem shows it: bare if it is a plain TOML key, else quoted."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]{1,60}", name) else shown(name)


class _Refused(Exception):
    """A value whose TOML type is not its field's: the message is a problem for that field."""


_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _amount(field: models.DecimalField[Any, Any], value: Any) -> Decimal:
    places = field.decimal_places or 0
    whole = (field.max_digits or 0) - places
    refused = _Refused(NOT_AN_AMOUNT.format(whole=whole, places=places, value=shown(value)))
    digits = isinstance(value, str) and _AMOUNT.fullmatch(value) is not None
    whole_number = isinstance(value, int) and not isinstance(value, bool) and value.bit_length() <= 200
    if isinstance(value, Decimal) and value.is_finite():  # a TOML float, read exactly
        number = value
    elif digits or whole_number:
        number = Decimal(value)
    else:
        raise refused
    exponent = int(number.as_tuple().exponent)
    if max(0, -exponent) > places or len(number.as_tuple().digits) + exponent > whole:
        raise refused
    return number


def typed(field: models.Field[Any, Any], value: Any) -> Any:
    """``value`` from the file as ``field`` takes it. Raises _Refused when its TOML type is not the
    field's: a list for a name, true for an amount, a date-time (whose offset would move the day)
    or a string for a date, a float for a year."""
    if isinstance(field, models.BooleanField):
        if isinstance(value, bool):
            return value
        raise _Refused(NOT_TRUE_OR_FALSE.format(value=shown(value)))
    if isinstance(field, models.DecimalField):
        return _amount(field, value)
    if isinstance(field, models.DateField):
        if type(value) is datetime.date:
            return value
        raise _Refused(NOT_A_DATE.format(value=shown(value)))
    if isinstance(field, models.IntegerField):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _Refused(NOT_A_WHOLE_NUMBER.format(value=shown(value)))
    if isinstance(field, models.CharField | models.TextField):
        if isinstance(value, str):
            return value
        raise _Refused(NOT_TEXT.format(value=shown(value)))
    return value


def _errors_of(exc: ValidationError, values: dict[str, Any] | None = None) -> list[str]:
    """The messages of ``exc``, each after the name of its field; a message that does not give the
    value (Django's own, e.g. "Enter a valid URL.") gets it from ``values``."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    problems = []
    for name, errors in exc.message_dict.items():
        for message in errors:
            if name == "__all__":
                problems.append(message)
                continue
            if values is not None and name in values and "got " not in message:
                value = shown(values[name])
                if value not in message:
                    message = f"{message.rstrip('.')}; got {value}."
            problems.append(f"{'key' if name == 'dataset_key' else name}: {message}")
    return problems


class _Loader:
    def __init__(self, path: Path, data: dict[str, Any], save: bool, progress: Callable[[str], None]):
        self.path, self.data, self.save, self.progress = path, data, save, progress
        self.problems: list[str] = []
        self.records: dict[str, dict[str, dict[str, Any]]] = {}  # section -> key -> fields
        self.where: dict[tuple[str, str], str] = {}  # (section, key) -> "tranches[2] (key …)"
        self.saved: dict[tuple[str, str], Publishable] = {}
        self.writing: str | None = None  # where the record being written is, for a database refusal
        self.report = LoadReport()

    # -- checking, before any write
    def check(self) -> None:
        key_rule = PlainText("key")
        key_limit = Publishable._meta.get_field("dataset_key").max_length or 0
        for section, model in SECTIONS.items():
            rows = self.data.get(section, [])
            if not isinstance(rows, list):
                self.problems.append(SECTION_NOT_A_LIST.format(section=section, value=shown(rows)))
                continue
            allowed = set(_editable_fields(model)) - {"status", "dataset_key", "version"} | {"key"}
            if section == "citations":
                allowed = (allowed - set(Citation.TARGETS)) | {"target"}
            self.records[section] = {}
            for index, row in enumerate(rows):
                if not isinstance(row, dict):
                    self.problems.append(f"{section}[{index}]: {NOT_A_TABLE.format(section=section, value=shown(row))}")
                    continue
                key = row.get("key")
                where = f"{section}[{index}]" + (f" (key {shown(key)})" if key else "")
                if not isinstance(key, str) or not key:
                    self.problems.append(f"{where}: {KEY_REQUIRED}")
                    continue
                try:
                    key_rule(key)
                except ValidationError as exc:
                    self.problems.extend(f"{where}: key: {message}" for message in exc.messages)
                    continue
                if len(key) > key_limit:
                    self.problems.append(f"{where}: {KEY_TOO_LONG.format(limit=key_limit, length=len(key))}")
                    continue
                if key in self.records[section]:
                    self.problems.append(f"{where}: key: {key!r} is used twice in {section}")
                    continue
                for name in sorted(set(row) - allowed):
                    self.problems.append(
                        f"{where}: {_name(name)}: unknown field; allowed: {', '.join(sorted(allowed))}"
                    )
                self.records[section][key] = row
                self.where[(section, key)] = where
        for section, refs in REFERENCES.items():
            for key, row in self.records.get(section, {}).items():
                for name, target_section in refs.items():
                    value = row.get(name)
                    if value is None and getattr(SECTIONS[section]._meta.get_field(name), "null", False):
                        continue
                    if not isinstance(value, str) or value not in self.records.get(target_section, {}):
                        problem = NOT_A_KEY.format(value=shown(value), section=target_section)
                        self.problems.append(f"{self.where[(section, key)]}: {name}: {problem}")
        for key, row in self.records.get("citations", {}).items():
            target = row.get("target")
            kind, _, target_key = (target if isinstance(target, str) else "").partition(":")
            if kind not in TARGET_SECTIONS or target_key not in self.records.get(TARGET_SECTIONS[kind], {}):
                self.problems.append(
                    f"{self.where[('citations', key)]}: target: {shown(target)} should be one of "
                    f"{TARGET_EXPECTED} naming a record in this file"
                )
        if self.problems:
            raise DatasetError(self.path, self.problems)
        # Each value as its field takes it, then the field rules, on unsaved instances (references
        # are checked above and resolved on write).
        for section, model in SECTIONS.items():
            fields = _editable_fields(model)
            references = {f.name for f in model._meta.concrete_fields if f.is_relation}
            for key, row in self.records[section].items():
                where = self.where[(section, key)]
                values = self._values(section, row, resolve=False)
                refused: set[str] = set()
                for name, value in list(values.items()):
                    if name == "dataset_key":
                        continue
                    try:
                        values[name] = typed(fields[name], value)
                    except _Refused as exc:
                        self.problems.append(f"{where}: {name}: {exc}")
                        refused.add(name)
                        del values[name]
                self.records[section][key] = {**row, **{name: values[name] for name in row if name in values}}
                instance = model(**values)
                try:
                    if refused:  # each other field alone: rules across fields would read a default
                        instance.clean_fields(exclude=references | refused)
                    else:
                        instance.full_clean(exclude=references, validate_unique=False)
                except ValidationError as exc:
                    # Citation targets are references too: checked above, resolved on write.
                    messages = [message for message in _errors_of(exc, values) if message != CITATION_TARGET]
                    self.problems.extend(f"{where}: {message}" for message in messages)
        if self.problems:
            raise DatasetError(self.path, self.problems)

    def _values(self, section: str, row: dict[str, Any], *, resolve: bool) -> dict[str, Any]:
        values = {name: value for name, value in row.items() if name not in ("key", "target")}
        values["dataset_key"] = row["key"]
        for name, target_section in REFERENCES.get(section, {}).items():
            given = values.pop(name, None)
            if resolve:
                values[name] = self.saved[(target_section, given)] if given is not None else None
        if section == "citations":
            values.pop("source", None)
            kind, _, target_key = row["target"].partition(":")
            if resolve:
                values["source"] = self.saved[("sources", row["source"])]
                values[kind] = self.saved[(TARGET_SECTIONS[kind], target_key)]
        return values

    # -- comparing, and writing (``save``)
    def write(self) -> None:
        """Compare every record of the file with the database; with ``save``, save the new and
        changed ones as drafts (in one checked_together() transaction)."""
        with services.checked_together():
            for section, model in SECTIONS.items():
                fields = _editable_fields(model)
                rows = self.records[section]
                self.progress(f"{section}: {len(rows)} record(s)")
                for key, row in rows.items():
                    values = self._values(section, row, resolve=True)
                    if section == "citations":  # a citation names one target; clear the others
                        values = {**dict.fromkeys(Citation.TARGETS), **values}
                    # A field the file leaves out is the field's default: dropping a value from the
                    # file (a date no longer believed) clears it in the database too.
                    values = {**_defaults(fields, values), **values}
                    record = model.objects.filter(dataset_key=key).first()
                    if record is None:
                        record = model(**values)
                        self.report.created[section] += 1
                    else:
                        published = PUBLISHED_MODEL[model].objects.filter(id=record.pk, left__isnull=True).first()
                        changed = self._differs(published or record, fields, values)
                        if not changed:
                            self.saved[(section, key)] = record
                            self.report.unchanged[section] += 1
                            continue
                        self.report.differences.append(f"{section} key {key!r}: {', '.join(changed)}")
                        for name, value in values.items():
                            setattr(record, name, value)
                        self.report.updated[section] += 1
                    self.saved[(section, key)] = record
                    if not self.save:
                        continue
                    if isinstance(record, Tranche):
                        _purpose_listed(record.purpose)
                    self.writing = self.where[(section, key)]
                    try:
                        services.record_save(record=record, reason=f"loaded from {self.path.name}")
                    except ValidationError as exc:
                        raise DatasetError(
                            self.path, [f"{self.where[(section, key)]}: {m}" for m in _errors_of(exc, values)]
                        ) from exc
                    self.writing = None
        self.report.written = self.save

    @staticmethod
    def _differs(record: Any, fields: dict[str, models.Field[Any, Any]], values: dict[str, Any]) -> list[str]:
        """The names of the fields whose value in the file differs from ``record`` (a draft or a
        published version of it)."""
        changed = []
        for name, value in values.items():
            if name == "dataset_key":
                continue
            model_field = fields[name]
            if model_field.is_relation:
                if getattr(record, model_field.attname) != (value.pk if value is not None else None):
                    changed.append(name)
            elif getattr(record, name) != model_field.to_python(value):
                changed.append(name)
        return changed


def _defaults(fields: dict[str, models.Field[Any, Any]], given: dict[str, Any]) -> dict[str, Any]:
    """The default of every plain field (not a reference, not bookkeeping) absent from ``given``."""
    return {
        name: field.get_default()
        for name, field in fields.items()
        if name not in given and not field.is_relation and name not in ("status", "dataset_key", "version")
    }


def _purpose_listed(purpose: str) -> None:
    """Put the file's purpose on the list of purposes unless a spelling of it is there already
    (compared as the list's unique constraint compares them: lower case, in the database)."""
    name = " ".join(purpose.split())
    if name and not Purpose.objects.alias(lower=Lower("name")).filter(lower=Lower(Value(name))).exists():
        Purpose.objects.create(name=name)


def database_is_empty() -> bool:
    """No record of any kind and no release: the dataset file may seed it."""
    return not Release.objects.exists() and not any(model.objects.exists() for model in PUBLISHABLE_MODELS)


def dataset_load(
    *, path: Path, drafts: bool = False, progress: Callable[[str], None] = lambda message: None
) -> LoadReport:
    """Seed an empty database from ``path`` as Release 1; on a database with data, report how the
    file differs from the published state and write nothing, unless ``drafts`` (then the new and
    changed records become drafts). Raises DatasetError listing every problem found (line for
    syntax errors, section[index] (key) and field otherwise, or a release check); nothing is
    written then."""
    loader = _Loader(path, dataset_read(path), save=False, progress=progress)
    loader.check()
    try:
        with transaction.atomic():
            seed = database_is_empty()
            loader.save = seed or drafts
            loader.write()
            if seed:
                changes = [services.Change.of(record) for record in loader.saved.values()]
                note = loader.data.get("note") or INITIAL_NOTE.format(name=path.name)
                release = services.release_publish(changes=changes, user=None, note=note)
                loader.report.release = release.number
    except ValidationError as exc:  # a rule across rows or a release check, at the end
        raise DatasetError(path, _errors_of(exc)) from exc
    except DatabaseError as exc:  # a rule the checks above missed: still named, still nothing written
        error = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatasetError(path, [DATABASE_REFUSED.format(where=loader.writing or "the release", error=error)]) from exc
    return loader.report
