"""Backups: ``manage.py backup_data`` then ``manage.py restore_data`` (as documented in
docs/DEPLOY.md, in a process of their own) into an empty database give the same published state
(every release, the list of purposes, every published version of every record) and the same latest
snapshot, and recomputing the figures there gives the same hash again. A database that is not
empty is refused unless --force, which puts the backup's data back in place of what is there."""

from __future__ import annotations

import datetime
import io
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Model

from reports import services
from tests.releases import released
from tests.reliability.conftest import ROOT, new_tranche, pg_connect, service_env
from tests.reports.conftest import latest
from tranches import services as tranche_services
from tranches.models import PUBLISHED_MODEL, Instrument, Purpose, Release, Tranche

RATES = {(datetime.date(2026, 6, 30), "USD"): Decimal("1.1394"), (datetime.date(2026, 6, 26), "USD"): Decimal("1.1")}


def manage(*args: str, database_url: str) -> subprocess.CompletedProcess:
    """``manage.py`` in a process of its own, on another database."""
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=service_env(DATABASE_URL=database_url),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


# The published state: what the public reads, and what a restore must give back row for row.
PUBLISHED_STATE: list[type[Model]] = [Release, Purpose, *PUBLISHED_MODEL.values()]
Rows = Callable[[str], list[tuple[Any, ...]]]


def published_state(rows: Rows) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the published state, read with ``rows`` (a query's rows, on
    this database or a restored one), in primary-key order."""
    state = {}
    for model in PUBLISHED_STATE:
        columns = ", ".join(f'"{field.column}"' for field in model._meta.concrete_fields)
        table, pk = model._meta.db_table, model._meta.pk.column
        state[table] = rows(f'SELECT {columns} FROM "{table}" ORDER BY "{pk}"')  # noqa: S608 (names from the models)
    return state


def here(query: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query)
        return [tuple(row) for row in cursor.fetchall()]


def in_postgres(url: str) -> Rows:
    def rows(query: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(url) as restored:
            return [tuple(row) for row in restored.execute(query).fetchall()]

    return rows


def in_sqlite(path: Path) -> Rows:
    def rows(query: str) -> list[tuple[Any, ...]]:
        # The same converters as Django's own connection (dates, booleans) read the same values.
        copy = sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)
        try:
            return [tuple(row) for row in copy.execute(query).fetchall()]
        finally:
            copy.close()

    return rows


def backed_up(path: Path) -> tuple[str, dict[str, list[tuple[Any, ...]]], str]:
    """A correction published as Release 2 (a new version of a published record replaces the
    old one) and figures with USD rates, backed up to ``path``; returns (the latest snapshot hash,
    the published state, output)."""
    usl = Instrument.objects.get(slug="ukraine-support-loan")
    usl.description = f"{usl.description} Corrected."
    released(tranche_services.record_save(record=usl), note="A corrected description")
    services.rates_store(RATES)
    snapshot = services.snapshot_refresh().snapshot
    assert snapshot is not None
    assert snapshot.release_id == 2
    state = published_state(here)
    assert len(state["tranches_release"]) == 2
    left = [field.column for field in PUBLISHED_MODEL[Instrument]._meta.concrete_fields].index("left_id")
    assert [row for row in state["tranches_publishedinstrument"] if row[left] == 2]  # the version it replaced
    out = io.StringIO()
    call_command("backup_data", str(path), stdout=out)
    return snapshot.content_hash, state, out.getvalue()


def restore_round_trip(dump: Path, content_hash: str, state: dict[str, Any], restored: Rows, restored_url: str) -> None:
    """Restore into the empty database at ``restored_url``: the same published state; recompute
    the figures there: the same hash."""
    restore = manage("restore_data", str(dump), database_url=restored_url)
    assert restore.returncode == 0, restore.stderr
    assert f"latest release 2, latest snapshot {content_hash}" in restore.stdout
    assert published_state(restored) == state
    refresh = manage("refresh_figures", "--force", database_url=restored_url)
    assert refresh.returncode == 0, refresh.stderr
    assert f"Same figures as the latest snapshot {content_hash}: nothing stored." in refresh.stdout


def force_puts_the_backup_back(dump: Path, content_hash: str, state: dict[str, Any]) -> None:
    """Here, on the test's own database: refused without --force; with it, later changes (a
    release, the purpose it listed) are gone and the published state is the backup's again."""
    tranche = new_tranche("400000000.00")  # Release 3, with a new purpose on the list
    assert services.snapshot_refresh().snapshot.content_hash != content_hash  # type: ignore[union-attr]
    assert published_state(here) != state
    with pytest.raises(CommandError, match=r"is not empty .* pass --force"):
        call_command("restore_data", str(dump))
    assert Tranche.objects.filter(pk=tranche.pk).exists()

    call_command("restore_data", str(dump), "--force", stdout=io.StringIO())

    assert not Tranche.objects.filter(pk=tranche.pk).exists()
    assert published_state(here) == state
    assert not Release.objects.filter(number=3).exists()
    assert latest().content_hash == content_hash


@pytest.fixture
def empty_postgres_database() -> Iterator[str]:
    """A new, empty database beside the test's; dropped afterwards. Yields its DATABASE_URL."""
    db = connection.settings_dict
    name = f"{db['NAME']}_restored"
    with pg_connect() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"
    with pg_connect() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
@pytest.mark.timeout(120)
def test_a_postgresql_backup_restores_into_an_empty_database_with_the_same_figures(
    pg_tools: Any, published_on_postgres: Any, empty_postgres_database: str, tmp_path: Path
) -> None:
    dump = tmp_path / "loantracker.dump"

    content_hash, state, output = backed_up(dump)

    assert dump.read_bytes().startswith(b"PGDMP")
    assert f"Wrote {dump}" in output
    assert " kB)" in output or " MB)" in output  # the file's size
    assert f"latest release 2, latest snapshot {content_hash}" in output
    restore_round_trip(dump, content_hash, state, in_postgres(empty_postgres_database), empty_postgres_database)
    with psycopg.connect(empty_postgres_database) as restored:
        rows = restored.execute("SELECT count(*) FROM tranches_tranche").fetchone()
        rates = restored.execute("SELECT count(*) FROM reports_exchangerate").fetchone()
    assert rows == (Tranche.objects.count(),)
    assert rates == (len(RATES),)
    force_puts_the_backup_back(dump, content_hash, state)


@pytest.mark.timeout(120)
def test_an_sqlite_backup_restores_into_an_empty_database_with_the_same_figures(
    transactional_db: Any, published_dataset: Any, tmp_path: Path
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite backup runs when the suite runs on SQLite (make test without DATABASE_URL)")
    backup, restored = tmp_path / "loantracker.sqlite3", tmp_path / "restored.sqlite3"

    content_hash, state, output = backed_up(backup)

    assert backup.read_bytes().startswith(b"SQLite format 3\x00")
    assert f"Wrote {backup}" in output
    assert f"latest release 2, latest snapshot {content_hash}" in output
    restore_round_trip(backup, content_hash, state, in_sqlite(restored), f"sqlite:///{restored}")
    with sqlite3.connect(restored) as copy:
        rows = copy.execute("SELECT count(*) FROM tranches_tranche").fetchone()
    copy.close()
    assert rows == (Tranche.objects.count(),)
    force_puts_the_backup_back(backup, content_hash, state)


def test_a_backup_of_the_other_kind_or_not_a_backup_is_refused(db: Any, tmp_path: Path) -> None:
    other = tmp_path / "other.bin"
    other.write_bytes(b"PGDMP" if connection.vendor == "sqlite" else b"SQLite format 3\x00")
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"<html>not a backup</html>")

    with pytest.raises(CommandError, match="restore it into the same kind of database"):
        call_command("restore_data", str(other), "--force")
    with pytest.raises(CommandError, match="neither a pg_dump custom-format file nor an SQLite database"):
        call_command("restore_data", str(garbage), "--force")
    garbage_backup = tmp_path / "exists.dump"
    garbage_backup.write_bytes(b"")
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup_data", str(garbage_backup))
