"""Load the versioned dataset file (TOML) into the database through the services.

The file seeds, never overwrites:
- on an empty database (no record, no release) every record is saved and published as Release 1,
  "Initial dataset", in one transaction;
- on a database with data nothing is written by default: the report says how the file differs
  from the published state (new, changed, unchanged records, matched by their ``key``);
- with ``drafts=True`` those differences become drafts for a reviewer to release.
The file is read and every record checked before anything is written, and all writes run in one
``checked_together()`` transaction, so a bad file writes nothing.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from . import services
from .models import (
    CITATION_TARGET,
    PUBLISHABLE_MODELS,
    PUBLISHED_MODEL,
    Citation,
    Component,
    Disbursement,
    Instrument,
    Publishable,
    Purpose,
    Release,
    Source,
    Tranche,
)

SUPPORTED_VERSION = 1
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
    "citations": Citation,
}
REFERENCES: dict[str, dict[str, str]] = {
    "components": {"instrument": "instruments"},
    "tranches": {"component": "components"},
    "disbursements": {"tranche": "tranches"},
    "citations": {"source": "sources"},
}
TARGET_SECTIONS = {
    "instrument": "instruments",
    "component": "components",
    "tranche": "tranches",
    "disbursement": "disbursements",
}


class DatasetError(Exception):
    """The file cannot be loaded; ``problems`` names each line or field at fault. Nothing was written."""

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
        data = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except FileNotFoundError as exc:
        raise DatasetError(path, ["file not found"]) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(path, [f"not valid TOML: {exc}"]) from exc
    if data.get("version") != SUPPORTED_VERSION:
        raise DatasetError(path, [f"version: expected {SUPPORTED_VERSION}, got {data.get('version')!r}"])
    unknown = sorted(set(data) - {"version", *SECTIONS})
    if unknown:
        raise DatasetError(path, [f"unknown section(s): {', '.join(unknown)}; expected {', '.join(SECTIONS)}"])
    return data


def _errors_of(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{name}: {message}" if name != "__all__" else message
            for name, errors in exc.message_dict.items()
            for message in errors
        ]
    return list(exc.messages)


class _Loader:
    def __init__(self, path: Path, data: dict[str, Any], save: bool, progress: Callable[[str], None]):
        self.path, self.data, self.save, self.progress = path, data, save, progress
        self.problems: list[str] = []
        self.records: dict[str, dict[str, dict[str, Any]]] = {}  # section -> key -> fields
        self.where: dict[tuple[str, str], str] = {}  # (section, key) -> "tranches[2] (key …)"
        self.saved: dict[tuple[str, str], Publishable] = {}
        self.report = LoadReport()

    # -- checking, before any write
    def check(self) -> None:
        for section, model in SECTIONS.items():
            rows = self.data.get(section, [])
            if not isinstance(rows, list):
                self.problems.append(f"{section}: expected a list of [[{section}]] tables")
                continue
            allowed = set(_editable_fields(model)) - {"status", "dataset_key", "version"} | {"key"}
            if section == "citations":
                allowed = (allowed - set(Citation.TARGETS)) | {"target"}
            self.records[section] = {}
            for index, row in enumerate(rows):
                key = row.get("key")
                where = f"{section}[{index}]" + (f" (key {key!r})" if key else "")
                if not isinstance(key, str) or not key:
                    self.problems.append(f"{where}: key: required, a non-empty string")
                    continue
                if key in self.records[section]:
                    self.problems.append(f"{where}: key: {key!r} is used twice in {section}")
                    continue
                for name in sorted(set(row) - allowed):
                    self.problems.append(f"{where}: {name}: unknown field; allowed: {', '.join(sorted(allowed))}")
                self.records[section][key] = row
                self.where[(section, key)] = where
        for section, refs in REFERENCES.items():
            for key, row in self.records.get(section, {}).items():
                for name, target_section in refs.items():
                    if row.get(name) not in self.records.get(target_section, {}):
                        self.problems.append(
                            f"{self.where[(section, key)]}: {name}: {row.get(name)!r} is not a key in {target_section}"
                        )
        for key, row in self.records.get("citations", {}).items():
            kind, _, target_key = str(row.get("target", "")).partition(":")
            if kind not in TARGET_SECTIONS or target_key not in self.records.get(TARGET_SECTIONS[kind], {}):
                self.problems.append(
                    f"{self.where[('citations', key)]}: target: {row.get('target')!r} should be "
                    "'instrument:KEY', 'component:KEY', 'tranche:KEY' or 'disbursement:KEY' "
                    "naming a record in this file"
                )
        if self.problems:
            raise DatasetError(self.path, self.problems)
        # Field rules, on unsaved instances (references are checked above and resolved on write).
        for section, model in SECTIONS.items():
            references = {f.name for f in model._meta.concrete_fields if f.is_relation}
            for key, row in self.records[section].items():
                instance = model(**self._values(section, row, resolve=False))
                try:
                    instance.full_clean(exclude=references, validate_unique=False)
                except ValidationError as exc:
                    # Citation targets are references too: checked above, resolved on write.
                    messages = [m for m in _errors_of(exc) if m != CITATION_TARGET]
                    self.problems.extend(f"{self.where[(section, key)]}: {m}" for m in messages)
        if self.problems:
            raise DatasetError(self.path, self.problems)

    def _values(self, section: str, row: dict[str, Any], *, resolve: bool) -> dict[str, Any]:
        values = {name: value for name, value in row.items() if name not in ("key", "target")}
        values["dataset_key"] = row["key"]
        for name, target_section in REFERENCES.get(section, {}).items():
            values.pop(name)
            if resolve:
                values[name] = self.saved[(target_section, row[name])]
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
                    try:
                        services.record_save(record=record, reason=f"loaded from {self.path.name}")
                    except ValidationError as exc:
                        raise DatasetError(
                            self.path, [f"{self.where[(section, key)]}: {m}" for m in _errors_of(exc)]
                        ) from exc
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


def _purpose_listed(purpose: str) -> None:
    """Put the file's purpose on the list of purposes unless a spelling of it is there already."""
    name = " ".join(purpose.split())
    if not Purpose.objects.filter(name__iexact=name).exists():
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
                release = services.release_publish(changes=changes, user=None, note=INITIAL_NOTE.format(name=path.name))
                loader.report.release = release.number
    except ValidationError as exc:  # a rule across rows or a release check, at the end
        raise DatasetError(path, _errors_of(exc)) from exc
    return loader.report
