"""A release as a Frictionless Data Package (v1, tabular): a zip of one CSV per kind of record as
release N published it, ``datapackage.json`` describing every column (type, meaning, keys) and a
README.md with the citation, the licence and the release note.

The kinds are those of ``PUBLISHED_MODEL``: a kind added there is in the package with no change
here; its columns, types and descriptions come from the model's fields (verbose_name, help_text,
choices), its foreign keys from the draft model's ForeignKeys to other published kinds. One query
per kind. The same release always gives the same bytes: rows ordered by id, files in a fixed order,
zip timestamps at the release's publication time (UTC)."""

from __future__ import annotations

import datetime
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst, slugify

from public.api.renderers import csv_cells
from tranches.models import PUBLISHED_MODEL, Publishable, PublishedRow, Release
from tranches.selectors import public_versions

# The repository states no licence of its own for the data (README, docs): the open default.
DATA_LICENCE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0 International",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
DATA_DIR = "data"
# Columns of every row but the record's own fields: the release that published this version, and when.
RELEASE_COLUMN = "published_in_release"
TIME_COLUMN = "published_at"
BOOKKEEPING = {"row_id", "entered_id", "left_id"}


@dataclass(frozen=True)
class Column:
    """One CSV column: ``attname`` of the published row, its Table Schema ``field`` descriptor, and
    for decimals the number of places written (amounts always with their cents)."""

    attname: str
    field: dict[str, Any]
    places: int | None = None


@dataclass(frozen=True)
class Kind:
    """A kind of record as a resource of the package: ``name`` (``tranches``), the draft model and
    the published model it is read from, its columns and its foreign keys."""

    name: str
    record_model: type[Publishable]
    published_model: type[PublishedRow]
    columns: tuple[Column, ...]
    foreign_keys: tuple[dict[str, Any], ...]

    @property
    def path(self) -> str:
        return f"{DATA_DIR}/{self.name}.csv"

    @property
    def title(self) -> str:
        return capfirst(str(self.record_model._meta.verbose_name_plural))

    @property
    def description(self) -> str:
        """The draft model's docstring (what the record is), on one line."""
        doc = self.record_model.__doc__ or ""
        if doc.startswith(f"{self.record_model.__name__}("):  # Django's generated docstring
            return self.title
        return " ".join(doc.split())


def resource_name(model: type[models.Model]) -> str:
    """The resource (and CSV file) name of a kind of record: ``tranches``, ``open-questions``."""
    return slugify(str(model._meta.verbose_name_plural))


def _model_field(record_model: type[Publishable], published_model: type[PublishedRow], attname: str) -> models.Field:
    """The field that describes a published column best: the draft model's (it carries help texts
    and the ForeignKey a ``*_id`` column stands for), else the published model's own."""
    name = attname.removesuffix("_id") if attname.endswith("_id") else attname
    for model, lookup in ((record_model, name), (record_model, attname), (published_model, attname)):
        try:
            field = model._meta.get_field(lookup)
        except FieldDoesNotExist:
            continue
        if isinstance(field, models.Field):
            return field
    raise LookupError(f"{published_model.__name__} has no field {attname!r}")  # pragma: no cover


def _type_of(field: models.Field) -> tuple[str, dict[str, Any]]:
    """The Table Schema type of a model field (and the keys that type needs)."""
    if isinstance(field, models.BooleanField):
        return "boolean", {"trueValues": ["true"], "falseValues": ["false"]}
    if isinstance(field, models.IntegerField | models.AutoField | models.ForeignKey):
        return "integer", {}
    if isinstance(field, models.DecimalField):
        return "number", {"decimalChar": ".", "bareNumber": True}
    if isinstance(field, models.DateTimeField):  # before DateField, its base class
        return "datetime", {}
    if isinstance(field, models.DateField):
        return "date", {}
    if isinstance(field, models.URLField):
        return "string", {"format": "uri"}
    return "string", {}


def _field_descriptor(record_model: type[Publishable], published_model: type[PublishedRow], attname: str) -> Column:
    field = _model_field(record_model, published_model, attname)
    kind, extra = _type_of(field)
    title = capfirst(str(field.verbose_name))
    help_text = " ".join(str(field.help_text).split())
    if attname == "id":
        kind, extra, title = "integer", {}, "Id"
        text = f"The {record_model._meta.verbose_name}'s id: the same in every release and in the API."
    elif field.is_relation and isinstance(related := field.related_model, type):
        kind, extra = "integer", {}
        text = f"The id of the {related._meta.verbose_name} (in {resource_name(related)}.csv)."
        text += f" {help_text}" if help_text else ""
    else:
        if help_text:
            text = capfirst(help_text) + ("" if help_text.endswith((".", "?", "!")) else ".")
        else:
            text = f"{title} of the {record_model._meta.verbose_name}."
        if isinstance(field, models.DecimalField):
            text += f" A decimal with {field.decimal_places} places, written exactly (never a float)."
    if field.choices:
        text += " One of: " + ", ".join(f"{value} ({label})" for value, label in field.choices) + "."
    descriptor: dict[str, Any] = {"name": attname, "title": title, "type": kind, "description": text, **extra}
    constraints: dict[str, Any] = {}
    if attname == "id" or not (field.null or field.blank):
        constraints["required"] = True
    if field.choices:
        constraints["enum"] = [value for value, _ in field.choices]
    if constraints:
        descriptor["constraints"] = constraints
    places = field.decimal_places if isinstance(field, models.DecimalField) else None
    return Column(attname=attname, field=descriptor, places=places)


def _kind(record_model: type[Publishable], published_model: type[PublishedRow]) -> Kind:
    published = [f.attname for f in published_model._meta.concrete_fields if f.attname not in BOOKKEEPING]
    # The draft's order of fields, id first, then the records it refers to.
    order = {f.attname: i for i, f in enumerate(record_model._meta.concrete_fields)}
    refs = [name for name in published if name != "id" and name.endswith("_id")]
    fields = [name for name in published if name != "id" and name not in refs]

    def by_draft(names: list[str]) -> list[str]:
        return sorted(names, key=lambda name: order.get(name, len(order)))

    attnames = ["id", *by_draft(refs), *by_draft(fields)]
    columns = [_field_descriptor(record_model, published_model, name) for name in attnames]
    columns += [
        Column(
            attname="entered_id",
            field={
                "name": RELEASE_COLUMN,
                "title": "Published in release",
                "type": "integer",
                "description": "The release that published this version of the record (it stood so in this release).",
                "constraints": {"required": True},
            },
        ),
        Column(
            attname=TIME_COLUMN,
            field={
                "name": TIME_COLUMN,
                "title": "Published at",
                "type": "datetime",
                "description": "When that release was published (ISO 8601, UTC).",
                "constraints": {"required": True},
            },
        ),
    ]
    foreign_keys = []
    for name in refs:
        target = _model_field(record_model, published_model, name).related_model
        if isinstance(target, type) and target in PUBLISHED_MODEL:
            foreign_keys.append({"fields": name, "reference": {"resource": resource_name(target), "fields": "id"}})
    return Kind(
        name=resource_name(record_model),
        record_model=record_model,
        published_model=published_model,
        columns=tuple(columns),
        foreign_keys=tuple(foreign_keys),
    )


def package_kinds() -> list[Kind]:
    """Every kind of published record, in the order of PUBLISHED_MODEL."""
    return [_kind(record_model, published_model) for record_model, published_model in PUBLISHED_MODEL.items()]


def utc_text(when: datetime.datetime) -> str:
    """A time as ISO 8601 in UTC, ``2026-07-01T12:00:00Z``."""
    return when.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _cell(value: Any, places: int | None) -> Any:
    """A value as the CSV writes it: decimals with their places, dates ISO, times ISO in UTC."""
    if isinstance(value, Decimal):
        return f"{value:.{places if places is not None else 2}f}"
    if isinstance(value, datetime.datetime):
        return utc_text(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def kind_rows(kind: Kind, *, release: int) -> list[list[Any]]:
    """The rows of ``kind`` as release ``release`` published them, by id, laid out in its columns.
    One query."""
    rows = public_versions(kind.record_model, release=release).order_by("id")
    values = rows.values_list(*(column.attname for column in kind.columns))
    return [[_cell(value, column.places) for value, column in zip(row, kind.columns, strict=True)] for row in values]


def package_name(number: int) -> str:
    """``eu-ukraine-loan-tracker-release-3``: the package's name and its file's."""
    return f"{slugify(settings.SITE_NAME) or 'loan-tracker'}-release-{number}"


def release_url(number: int) -> str:
    return f"{settings.SITE_URL}/releases/{number}/"


def citation(release: Release) -> str:
    """How to cite the release: "EU Ukraine-loan tracker, release 3, published 2026-07-01, <url>"."""
    day = release.published_at.astimezone(datetime.UTC).date().isoformat()
    return f"{settings.SITE_NAME}, release {release.number}, published {day}, {release_url(release.number)}"


def descriptor(release: Release, kinds: Iterable[Kind]) -> dict[str, Any]:
    """The ``datapackage.json`` of ``release`` (Data Package v1, tabular)."""
    number = release.number
    return {
        "profile": "tabular-data-package",
        "name": package_name(number),
        "title": f"{settings.SITE_NAME}, release {number}",
        "description": (
            f"The published records of the {settings.SITE_NAME} exactly as release {number} left them: every "
            "figure with its source and the passage quoted. Cite it as: "
            + citation(release)
            + ". Release note: "
            + release.note
        ),
        "version": f"release-{number}",
        "created": utc_text(release.published_at),
        "homepage": f"{settings.SITE_URL}/",
        "licenses": [DATA_LICENCE],
        "sources": [
            {"title": f"{settings.SITE_NAME}, release {number}", "path": release_url(number)},
            {
                "title": f"{settings.SITE_NAME} API: release {number}",
                "path": f"{settings.SITE_URL}/api/v1/releases/{number}/",
            },
        ],
        "keywords": ["EU", "Ukraine", "loans", "disbursements", "tranches"],
        "resources": [
            {
                "name": kind.name,
                "title": kind.title,
                "description": kind.description,
                "profile": "tabular-data-resource",
                "path": kind.path,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [column.field for column in kind.columns],
                    "missingValues": [""],
                    "primaryKey": "id",
                    **({"foreignKeys": list(kind.foreign_keys)} if kind.foreign_keys else {}),
                },
            }
            for kind in kinds
        ],
    }


def _table_text(text: str) -> str:
    return text.replace("|", "\\|")


def readme(release: Release, counts: list[tuple[Kind, int]]) -> str:
    """README.md of the package: the citation, the licence, the release note and the files."""
    number = release.number
    note = "\n".join(f"> {line}".rstrip() for line in release.note.splitlines()) or ">"
    files = "\n".join(f"| `{kind.path}` | {count:,} | {_table_text(kind.description)} |" for kind, count in counts)
    return f"""# {settings.SITE_NAME}, release {number}

The published records of the {settings.SITE_NAME} exactly as release {number} left them, published
{utc_text(release.published_at)}. Every figure has its source and the passage quoted (`citations.csv`
links a source to the record it backs).

## Cite

{citation(release)}

## Licence

{DATA_LICENCE["title"]} ({DATA_LICENCE["name"]}, {DATA_LICENCE["path"]}): share and adapt the data for
any purpose, crediting the tracker with the citation above and saying what you changed.

## Release note

{note}

## Files

| file | rows | what |
| --- | ---: | --- |
{files}

`datapackage.json` describes every column (type, meaning, the keys between files) as a Frictionless
Data Package; `frictionless validate datapackage.json` checks the files against it.

- Amounts are decimals written exactly, with their cents (`3900000000.00`), in EUR unless the
  column says another currency. Dates are `YYYY-MM-DD`, times ISO 8601 in UTC.
- Instruments are never added together: the Ukraine Facility and the ERA loans are context,
  outside the Ukraine Support Loan's €90bn.
- A text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written with an
  apostrophe before it, so that no spreadsheet runs it as a formula.
- `published_in_release` and `published_at` say which release published the version shown.
"""


def _zip(files: list[tuple[str, bytes]], when: datetime.datetime) -> bytes:
    """A zip of ``files`` that is the same bytes for the same files and time: fixed timestamps,
    permissions, system and compression."""
    stamp = when.astimezone(datetime.UTC).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the machine
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def datapackage_build(release: Release) -> bytes:
    """The zip of ``release``: ``datapackage.json``, ``README.md`` and ``data/<kind>.csv`` (UTF-8,
    RFC 4180, every text cell neutralised against spreadsheet formulas by the API's CSV writer).
    One query per kind of record."""
    kinds = package_kinds()
    files: list[tuple[str, bytes]] = []
    counts: list[tuple[Kind, int]] = []
    for kind in kinds:
        rows = kind_rows(kind, release=release.number)
        header = [column.field["name"] for column in kind.columns]
        files.append((kind.path, b"".join(csv_cells(header, rows))))
        counts.append((kind, len(rows)))
    package = json.dumps(descriptor(release, kinds), ensure_ascii=False, indent=2) + "\n"
    return _zip(
        [("datapackage.json", package.encode()), ("README.md", readme(release, counts).encode()), *files],
        release.published_at,
    )
