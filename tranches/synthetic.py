"""Synthetic loan data at scale, for benchmarks only (``manage.py generate_synthetic_data``).

Every record is clearly marked: names start with ``SYNTHETIC``, slugs with ``synthetic-``, dataset
keys with ``synthetic:`` (disbursements are marked by their tranche), and one source, graded C,
says the figures are generated. A database that holds anything else is refused unless forced.

The rows go in with one bulk statement per table (``COPY`` on PostgreSQL, one ``executemany``
elsewhere), bypassing the services for speed, so this module keeps every rule the services and the
CheckConstraints keep, by construction, in integer cents:

- components of an instrument total at most its amount, tranches of a component at most the
  component, payments of a tranche at most the tranche, and a tranche at stage *disbursed* is paid
  exactly its amount (its payments are a split of it);
- amounts are more than zero; a reported amount comes with its currency;
- each stage reached has its date, dates are in order (planned ≤ approved ≤ paid ≤ disbursed,
  withheld or cancelled) and none is in the future (all fall in the two years before today);
- payments only on approved or disbursed tranches, within the instrument's period, after approval
  (the release checks). Tranches and payments are not cited one by one (instruments and components
  cite the one generator source): a million citations would only weigh on the benchmark.

Records are published by one release of their own ("SYNTHETIC benchmark data …"): each record is
written to its live table and, as that release's version, to its published table (public reads,
``as_of`` and the figure snapshots read only those). No history rows are written: history is the
audit log of edits, and generated data has none.

A second run replaces the previous synthetic data (same sizes, never doubled). One transaction:
a failure leaves the database as it was.
"""

from __future__ import annotations

import datetime
import random
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from .models import (
    PUBLISHED_MODEL,
    Citation,
    Component,
    Disbursement,
    Grade,
    Instrument,
    Publishable,
    Purpose,
    Release,
    Source,
    Stage,
    Status,
    Tranche,
)

NAME_PREFIX = "SYNTHETIC"
SLUG_PREFIX = "synthetic-"
KEY_PREFIX = "synthetic:"
REAL_DATA_PRESENT = (
    "Refused: the database holds real data ({found}). Synthetic records would be published beside it "
    "and counted in its public figures. Use an empty database, or --force if you really mean it."
)
MARKED_MODELS: tuple[type[Publishable], ...] = (Instrument, Component, Tranche, Source, Citation)
SYNTHETIC_MODELS: tuple[type[Publishable], ...] = (*MARKED_MODELS, Disbursement)
PURPOSES = ("drones", "ammunition", "air defence", "budget support", "energy", "reconstruction")
# Stage of the n-th tranche of a component (cycled): 40 % disbursed, 30 % approved, 15 % planned,
# 10 % withheld, 5 % cancelled; mixed early so that small runs see every stage.
STAGE_CYCLE = "DAPWCDADADDAPDADWDPA"
STAGES = {"D": Stage.DISBURSED, "A": Stage.APPROVED, "P": Stage.PLANNED, "W": Stage.WITHHELD, "C": Stage.CANCELLED}
PAYING = (Stage.DISBURSED, Stage.APPROVED)  # the stages a release accepts payments on
BN_CENTS = 100 * 1_000_000_000
WINDOW_DAYS = 720  # every date falls in the two years before today

Progress = Callable[[str, int, int], None]


class RealDataError(Exception):
    """The database holds records that are not synthetic (the message names them)."""


@dataclass(frozen=True)
class SyntheticCounts:
    instruments: int = 5
    components: int = 50  # in all, spread evenly over the instruments
    tranches: int = 20_000  # in all, spread evenly over the components
    disbursements: int = 1_000_000  # in all, over the approved and disbursed tranches

    def __post_init__(self) -> None:
        if self.instruments < 1 or min(self.components, self.tranches, self.disbursements) < 0:
            raise ValueError("Counts must be whole numbers, with at least one instrument.")
        if self.components < self.instruments or (self.tranches and not self.components):
            raise ValueError("Give each instrument at least one component, and tranches a component.")
        if self.disbursements and not self.tranches:
            raise ValueError("Disbursements need tranches to pay.")


@dataclass
class SyntheticReport:
    rows: dict[str, int] = field(default_factory=dict)  # records written per table (live + published)
    replaced: int = 0  # synthetic rows of a previous run deleted first
    seconds: float = 0.0

    def summary(self) -> str:
        written = ", ".join(f"{n:,} {name}" for name, n in self.rows.items())
        replaced = f" (replaced {self.replaced:,} rows of a previous run)" if self.replaced else ""
        return f"Wrote {written} in {self.seconds:.1f} s{replaced}."


# ------------------------------------------------------------------------------- guard, cleanup


def real_data_found() -> list[str]:
    """What the database holds that is not synthetic, e.g. ['3 instruments', '12 sources']."""
    found = []
    for model in MARKED_MODELS:
        count = model._default_manager.exclude(dataset_key__startswith=KEY_PREFIX).count()
        if count:
            found.append(f"{count:,} {model._meta.verbose_name_plural}")
    count = Disbursement.objects.exclude(tranche__dataset_key__startswith=KEY_PREFIX).count()
    if count:
        found.append(f"{count:,} {Disbursement._meta.verbose_name_plural}")
    return found


def _synthetic(model: type[Publishable]) -> models.QuerySet[Any]:
    if model is Disbursement:
        return Disbursement.objects.filter(tranche__dataset_key__startswith=KEY_PREFIX)
    return model._default_manager.filter(dataset_key__startswith=KEY_PREFIX)


def synthetic_delete() -> int:
    """Delete every synthetic record, its published versions and history, and the synthetic releases
    (raw deletes: no per-row signals). Returns the
    rows deleted. Raises IntegrityError if a real record points at a synthetic one."""
    deleted = 0
    order = (Citation, Disbursement, Tranche, Component, Instrument, Source)  # children first
    with transaction.atomic():
        for model in order:
            ids = _synthetic(model).values("id")
            deleted += model.history.model.objects.filter(id__in=ids)._raw_delete(connection.alias)
            deleted += PUBLISHED_MODEL[model].objects.filter(id__in=ids)._raw_delete(connection.alias)
        for model in order:
            deleted += _synthetic(model)._raw_delete(connection.alias)
        releases = Release.objects.filter(note__startswith=NAME_PREFIX)
        for published in PUBLISHED_MODEL.values():  # a synthetic release that published nothing else
            releases = releases.exclude(number__in=published.objects.values("entered_id"))
        deleted += releases._raw_delete(connection.alias)
    return int(deleted)


# ----------------------------------------------------------------------------------- the writer


def _tables(models_: Iterable[type[Publishable]]) -> list[type[models.Model]]:
    """Each model and its published model."""
    return [table for model in models_ for table in (model, PUBLISHED_MODEL[model])]


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)  # noqa: S101 (names are concrete fields)
    return field


def _columns(model: type[models.Model], names: Sequence[str]) -> str:
    return ", ".join(connection.ops.quote_name(_field(model, name).column) for name in names)


def _insert(model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """One bulk statement: COPY on PostgreSQL, else one executemany (values prepared by the fields)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({_columns(model, names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        fields = [_field(model, name) for name in names]
        prepared = ([f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)] for row in rows)
        placeholders = ", ".join(["%s"] * len(names))
        # Names come from the models' metadata, quoted; every value is a parameter.
        insert = f"INSERT INTO {table} ({_columns(model, names)}) VALUES ({placeholders})"  # noqa: S608
        cursor.executemany(insert, cast(Any, prepared))  # an iterator: one statement, however many rows


class _Table:
    """The live table of a model and its published table, written with explicit ids so that
    children can point at parents without reading them back."""

    PUBLIC = ("status", "published_at", "published_by_id", "dataset_key", "version", "created_at", "updated_at")

    def __init__(self, model: type[Publishable], names: Sequence[str], now: datetime.datetime, release: int) -> None:
        self.model, self.published = model, PUBLISHED_MODEL[model]
        self.own = tuple(names)
        self.names = ("id", *self.PUBLIC, *names)
        self.now, self.release = now, release
        self.next_id = (model._default_manager.aggregate(m=Max("id"))["m"] or 0) + 1

    def public(self, key: str | None) -> tuple[Any, ...]:
        return (Status.PUBLISHED, self.now, None, key, 1, self.now, self.now)

    def write(self, rows: Callable[[], Iterable[Sequence[Any]]], total: int, progress: Progress) -> int:
        """Write ``rows()`` (each: id, public columns, own columns) to the live table, then again, as
        the synthetic release's version, to the published table. Returns how many were written."""
        what = str(self.model._meta.verbose_name_plural)
        every = max(total // 20, 1)
        written = 0

        def counted(label: str, rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
            nonlocal written
            written = 0
            for row in rows:
                yield row
                written += 1
                if written % every == 0 or written == total:
                    progress(label, written, total)

        _insert(self.model, self.names, counted(what, rows()))
        skip = 1 + len(self.PUBLIC)
        published = ((row[0], *row[skip:], self.release) for row in rows())
        _insert(self.published, ("id", *self.own, "entered"), counted(f"{what} (published)", published))
        return written


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` cents in ``parts`` positive integers that add up to it exactly."""
    weights = [rng.randint(50, 150) for _ in range(parts)]
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    shares[-1] += total - sum(shares)
    if min(shares) < 1:
        raise ValueError(f"Cannot split {total} cents into {parts} positive parts.")
    return shares


def _cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def _even(total: int, slots: int) -> list[int]:
    return [total // slots + (1 if n < total % slots else 0) for n in range(slots)]


# ---------------------------------------------------------------------------------- generation


def synthetic_generate(
    *,
    counts: SyntheticCounts | None = None,
    seed: int = 2026,
    force: bool = False,
    progress: Progress | None = None,
) -> SyntheticReport:
    """Replace the synthetic data with a new set of ``counts`` records, all published, each with one
    published version, in one release of their own. Amounts in EUR with cents. The same ``seed``
    and day give the same data.
    Raises RealDataError if the database holds records that are not synthetic (unless ``force``)."""
    counts = counts or SyntheticCounts()
    report = SyntheticReport()
    started = time.perf_counter()
    step = progress or (lambda what, done, total: None)
    rng = random.Random(seed)  # noqa: S311 (benchmark data, not security)
    today = timezone.localdate()
    start = today - datetime.timedelta(days=WINDOW_DAYS)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            tables = ", ".join(connection.ops.quote_name(t._meta.db_table) for t in _tables(SYNTHETIC_MODELS))
            with connection.cursor() as cursor:  # no other writer picks ids while this one writes
                cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        found = real_data_found()
        if found and not force:
            raise RealDataError(REAL_DATA_PRESENT.format(found=", ".join(found)))
        now = timezone.now()
        # Ids continue after those of the data replaced (taken before it is deleted): never reused.
        last_ids = {model: (model._default_manager.aggregate(m=Max("id"))["m"] or 0) for model in SYNTHETIC_MODELS}
        report.replaced = synthetic_delete()
        last = Release.objects.order_by("-number").first()
        release = Release.objects.create(
            number=(last.number if last else 0) + 1,
            published_at=max(now, last.published_at + datetime.timedelta(microseconds=1)) if last else now,
            note=f"{NAME_PREFIX} benchmark data (manage.py generate_synthetic_data, seed {seed}); not real figures.",
        )
        Purpose.objects.bulk_create([Purpose(name=name) for name in PURPOSES], ignore_conflicts=True)
        source_t = _Table(Source, ("publisher", "title", "published_on", "url", "grade", "notes"), now, release.number)
        instrument_t = _Table(
            Instrument,
            ("name", "short_name", "slug", "legal_basis", "legal_basis_url", "amount", "currency", "period_start",
             "period_end", "lender", "borrower", "description"),
            now, release.number,
        )  # fmt: skip
        component_t = _Table(Component, ("instrument_id", "name", "slug", "amount", "description"), now, release.number)
        tranche_t = _Table(
            Tranche,
            ("component_id", "name", "slug", "purpose", "amount", "stage", "planned_on", "approved_on",
             "disbursed_on", "withheld_on", "cancelled_on", "budget_year", "notes"),
            now, release.number,
        )  # fmt: skip
        payment_t = _Table(
            Disbursement,
            ("tranche_id", "value_date", "amount_eur", "reported_amount", "reported_currency", "notes"),
            now,
            release.number,
        )
        citation_t = _Table(
            Citation,
            ("source_id", "instrument_id", "component_id", "tranche_id", "disbursement_id", "figure", "quote",
             "claimed_amount", "claimed_currency", "is_used", "locator"),
            now, release.number,
        )  # fmt: skip
        for table in (source_t, instrument_t, component_t, tranche_t, payment_t, citation_t):
            table.next_id = max(table.next_id, last_ids[table.model] + 1)
        note = f"{NAME_PREFIX} benchmark data from manage.py generate_synthetic_data; not real figures."

        # One source that says what this is.
        source_id = source_t.next_id
        source = (source_id, *source_t.public(f"{KEY_PREFIX}source"), f"{NAME_PREFIX} data generator",
                  f"{NAME_PREFIX} benchmark data (seed {seed}): generated, not from any document",
                  None, "", Grade.C, note)  # fmt: skip
        report.rows["sources"] = source_t.write(lambda: [source], 1, step)

        # Instruments and their components.
        instruments: list[tuple[Any, ...]] = []
        components: list[tuple[Any, ...]] = []
        component_amounts: list[int] = []
        per_instrument = _even(counts.components, counts.instruments)
        for i in range(counts.instruments):
            amount = (50 + 10 * (i % 5)) * BN_CENTS
            inst_id = instrument_t.next_id + i
            instruments.append(
                (inst_id, *instrument_t.public(f"{KEY_PREFIX}instrument:{i + 1}"),
                 f"{NAME_PREFIX} instrument {i + 1}", f"SYN{i + 1}", f"{SLUG_PREFIX}instrument-{i + 1}",
                 f"{NAME_PREFIX}: no legal basis (generated benchmark data)", "", _cents(amount), "EUR",
                 start, start + datetime.timedelta(days=3 * 365), "European Union", "Ukraine", note)
            )  # fmt: skip
            shares = _split(amount * 95 // 100, per_instrument[i], rng)  # 5 % left unallocated
            for share in shares:
                n = len(components)
                components.append(
                    (component_t.next_id + n, *component_t.public(f"{KEY_PREFIX}component:{n + 1}"), inst_id,
                     f"{NAME_PREFIX} component {n + 1}", f"{SLUG_PREFIX}component-{n + 1}", _cents(share), note)
                )  # fmt: skip
                component_amounts.append(share)
        report.rows["instruments"] = instrument_t.write(lambda: instruments, len(instruments), step)
        report.rows["components"] = component_t.write(lambda: components, len(components), step)

        # Tranches: stage, dates and amount; payments are planned here and written after.
        tranches: list[tuple[Any, ...]] = []
        paying: list[int] = []  # indexes into tranches of the approved and disbursed
        per_component = _even(counts.tranches, counts.components) if counts.components else []
        amounts: list[int] = []
        for c, (component, how_many) in enumerate(zip(components, per_component, strict=True)):
            shares = _split(component_amounts[c] * 90 // 100, how_many, rng) if how_many else []
            for n, share in enumerate(shares):
                stage = STAGES[STAGE_CYCLE[n % len(STAGE_CYCLE)]]
                planned = start + datetime.timedelta(days=rng.randint(0, 360))
                approved = planned + datetime.timedelta(days=rng.randint(0, 60)) if stage != Stage.PLANNED else None
                if stage == Stage.CANCELLED and (n // len(STAGE_CYCLE)) % 2:
                    approved = None  # some cancelled before approval, some after
                if stage in PAYING:
                    paying.append(len(tranches))
                number = len(tranches) + 1
                tranches.append(
                    (
                        tranche_t.next_id + len(tranches),
                        component[0],
                        stage,
                        planned,
                        approved,
                        number,
                        PURPOSES[(c + n) % len(PURPOSES)],
                        planned.year,
                    )
                )
                amounts.append(share)
        # Payments per paying tranche; a disbursed tranche needs at least one (it is paid in full).
        payments = _even(counts.disbursements, len(paying)) if paying else []
        for index, how_many in zip(paying, payments, strict=True):
            if how_many == 0 and tranches[index][2] == Stage.DISBURSED:
                tranches[index] = (*tranches[index][:2], Stage.APPROVED, *tranches[index][3:])

        # The payments, kept compact (a few bytes a row) and streamed twice: live and published rows.
        pay_tranche, pay_day, pay_cents = array("q"), array("q"), array("q")
        stage_dates: dict[int, tuple[datetime.date | None, datetime.date | None, datetime.date | None]] = {}
        for index, how_many in zip(paying, payments, strict=True):
            tranche_id, _, stage, planned, approved, *_ = tranches[index]
            assert approved is not None  # noqa: S101 (paying stages are approved first)
            paid_total = amounts[index] if stage == Stage.DISBURSED else amounts[index] * rng.randint(10, 60) // 100
            span = min((today - approved).days, 300)
            last = approved
            if how_many:
                for cents in _split(paid_total, how_many, rng):
                    day = approved + datetime.timedelta(days=rng.randint(0, span))
                    last = max(last, day)
                    pay_tranche.append(tranche_id)
                    pay_day.append(day.toordinal())
                    pay_cents.append(cents)
            stopped = min(today, last + datetime.timedelta(days=rng.randint(0, 30)))
            stage_dates[tranche_id] = (
                last if stage == Stage.DISBURSED else None,
                stopped if stage == Stage.WITHHELD else None,
                None,
            )

        def tranche_rows() -> Iterator[tuple[Any, ...]]:
            for (tranche_id, component_id, stage, planned, approved, number, purpose, year), amount in zip(
                tranches, amounts, strict=True
            ):
                disbursed, withheld, _ = stage_dates.get(tranche_id, (None, None, None))
                if stage == Stage.WITHHELD:
                    withheld = min(today, (approved or planned) + datetime.timedelta(days=30))
                cancelled = None
                if stage == Stage.CANCELLED:
                    cancelled = min(today, (approved or planned) + datetime.timedelta(days=30))
                yield (tranche_id, *tranche_t.public(f"{KEY_PREFIX}tranche:{number}"), component_id,
                       f"{NAME_PREFIX} tranche {number}", f"{SLUG_PREFIX}tranche-{number}", purpose, _cents(amount),
                       stage, planned, approved, disbursed, withheld, cancelled, year, note)  # fmt: skip

        report.rows["tranches"] = tranche_t.write(tranche_rows, len(tranches), step)

        total = len(pay_cents)

        def payment_rows() -> Iterator[tuple[Any, ...]]:
            public = payment_t.public(None)
            first = payment_t.next_id
            for n in range(total):
                cents = pay_cents[n]
                reported = (_cents(cents * 108 // 100), "USD") if n % 5 == 0 else (None, "")
                yield (first + n, *public, pay_tranche[n], datetime.date.fromordinal(pay_day[n]), _cents(cents),
                       *reported, "")  # fmt: skip

        report.rows["disbursements"] = payment_t.write(payment_rows, total, step)

        # A citation of the source on each instrument and component: the figure is generated.
        quote = f"{NAME_PREFIX}: generated figure, not quoted from any document."
        targets = [(inst[0], None) for inst in instruments] + [(None, comp[0]) for comp in components]
        citations = [
            (citation_t.next_id + n, *citation_t.public(f"{KEY_PREFIX}citation:{n + 1}"), source_id, inst, comp,
             None, None, "amount", quote, None, "EUR", True, "")
            for n, (inst, comp) in enumerate(targets)
        ]  # fmt: skip
        report.rows["citations"] = citation_t.write(lambda: citations, len(citations), step)

        sql = connection.ops.sequence_reset_sql(no_style(), _tables(SYNTHETIC_MODELS))
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)
    if connection.vendor == "postgresql":  # fresh statistics, or the planner guesses at 1M rows
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE " + ", ".join(connection.ops.quote_name(t._meta.db_table) for t in _tables(SYNTHETIC_MODELS))
            )
    report.seconds = time.perf_counter() - started
    return report
