"""Backups: ``manage.py backup_data`` then ``manage.py restore_data`` (as documented in
docs/DEPLOY.md, in a process of their own) into an empty database give the same latest snapshot,
and recomputing the figures there gives the same hash again. A database that is not empty is
refused unless --force, which puts the backup's data back in place of what is there."""

from __future__ import annotations

import datetime
import io
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from reports import services
from tests.reliability.conftest import ROOT, new_tranche, pg_connect, service_env
from tests.reports.conftest import latest
from tranches.models import Tranche

RATES = {(datetime.date(2026, 6, 30), "USD"): Decimal("1.1394"), (datetime.date(2026, 6, 26), "USD"): Decimal("1.1")}


def manage(*args: str, database_url: str) -> subprocess.CompletedProcess:
    """``manage.py`` in a process of its own, on another database."""
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=service_env(DATABASE_URL=database_url),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def backed_up(path: Path) -> tuple[str, str]:
    """Figures with USD rates, backed up to ``path``; returns (the latest snapshot hash, output)."""
    services.rates_store(RATES)
    snapshot = services.snapshot_refresh().snapshot
    assert snapshot is not None
    out = io.StringIO()
    call_command("backup_data", str(path), stdout=out)
    return snapshot.content_hash, out.getvalue()


def restore_round_trip(dump: Path, content_hash: str, restored_url: str) -> None:
    """Restore into the empty database at ``restored_url``, and recompute the figures there."""
    restore = manage("restore_data", str(dump), database_url=restored_url)
    assert restore.returncode == 0, restore.stderr
    assert f"latest snapshot {content_hash}" in restore.stdout
    refresh = manage("refresh_figures", "--force", database_url=restored_url)
    assert refresh.returncode == 0, refresh.stderr
    assert f"Same figures as the latest snapshot {content_hash}: nothing stored." in refresh.stdout


def force_puts_the_backup_back(dump: Path, content_hash: str) -> None:
    """Here, on the test's own database: refused without --force; with it, later changes are gone."""
    tranche = new_tranche("400000000.00")
    assert services.snapshot_refresh().snapshot.content_hash != content_hash  # type: ignore[union-attr]
    with pytest.raises(CommandError, match=r"is not empty .* pass --force"):
        call_command("restore_data", str(dump))
    assert Tranche.objects.filter(pk=tranche.pk).exists()

    call_command("restore_data", str(dump), "--force", stdout=io.StringIO())

    assert not Tranche.objects.filter(pk=tranche.pk).exists()
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

    content_hash, output = backed_up(dump)

    assert dump.read_bytes().startswith(b"PGDMP")
    assert f"Wrote {dump}" in output
    assert " kB)" in output or " MB)" in output  # the file's size
    assert f"latest snapshot {content_hash}" in output
    restore_round_trip(dump, content_hash, empty_postgres_database)
    with psycopg.connect(empty_postgres_database) as restored:
        rows = restored.execute("SELECT count(*) FROM tranches_tranche").fetchone()
        rates = restored.execute("SELECT count(*) FROM reports_exchangerate").fetchone()
    assert rows == (Tranche.objects.count(),)
    assert rates == (len(RATES),)
    force_puts_the_backup_back(dump, content_hash)


@pytest.mark.timeout(120)
def test_an_sqlite_backup_restores_into_an_empty_database_with_the_same_figures(
    transactional_db: Any, published_dataset: Any, tmp_path: Path
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite backup runs when the suite runs on SQLite (make test without DATABASE_URL)")
    backup, restored = tmp_path / "loantracker.sqlite3", tmp_path / "restored.sqlite3"

    content_hash, output = backed_up(backup)

    assert backup.read_bytes().startswith(b"SQLite format 3\x00")
    assert f"Wrote {backup}" in output
    assert f"latest snapshot {content_hash}" in output
    restore_round_trip(backup, content_hash, f"sqlite:///{restored}")
    with sqlite3.connect(restored) as copy:
        rows = copy.execute("SELECT count(*) FROM tranches_tranche").fetchone()
    copy.close()
    assert rows == (Tranche.objects.count(),)
    force_puts_the_backup_back(backup, content_hash)


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
