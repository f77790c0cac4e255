"""Backups: ``manage.py backup_data`` then ``manage.py restore_data`` (as documented in
docs/DEPLOY.md, in a process of their own) into an empty database give the same published state
(every release, the list of purposes, every published version of every record) and the same latest
snapshot, and recomputing the figures there gives the same hash again. A database that is not
empty is refused unless --force, which puts the backup's data back in place of what is there.

What the file holds: user accounts and groups with their password hashes (people log in after a
restore), but no session (a live session key is nowhere in it) and none of the login throttle's
records; it is readable by its owner only (0600), whatever the umask, as is a folder it creates (0700)."""

from __future__ import annotations

import datetime
import io
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Model
from django.test import Client

from reports import services
from tests.factories import UserFactory
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


def accounts(rows: Rows) -> list[tuple[Any, ...]]:
    """Every account with its password hash and groups: what people need to log in after a restore."""
    return rows(
        "SELECT u.username, u.password, u.is_staff, u.is_superuser, g.name FROM auth_user u "
        "LEFT JOIN auth_user_groups ug ON ug.user_id = u.id LEFT JOIN auth_group g ON g.id = ug.group_id "
        "ORDER BY u.username, g.name"
    )


def counted(rows: Rows, table: str) -> int:
    return int(rows(f'SELECT count(*) FROM "{table}"')[0][0])  # noqa: S608 (a table name of the test's)


ATTACKER = "198.51.100.7"


def logged_in_and_attacked() -> str:
    """A reviewer logged in (a live session) and a failed login from ATTACKER recorded by the login
    throttle; returns the session key, which must be in no backup."""
    reviewer = UserFactory(username="backup-reviewer", is_staff=True)
    reviewer.groups.add(Group.objects.get_or_create(name="Reviewers")[0])  # a flushed database has none
    browser = Client()
    browser.force_login(reviewer)
    Client().post("/admin/login/", {"username": "backup-reviewer", "password": "a guess"}, REMOTE_ADDR=ATTACKER)
    assert AccessAttempt.objects.filter(ip_address=ATTACKER).exists()
    assert counted(here, "django_session") >= 1
    return browser.cookies[settings.SESSION_COOKIE_NAME].value


def owner_only(path: Path, mode: int = 0o600) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == mode


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


def backed_up(path: Path) -> tuple[str, dict[str, list[tuple[Any, ...]]], str, str]:
    """A correction published as Release 2 (a new version of a published record replaces the
    old one), figures with USD rates, a logged-in reviewer and a failed login, backed up to ``path``
    (under a umask that would let everyone read it); returns (the latest snapshot hash, the published
    state, output, the reviewer's session key)."""
    session_key = logged_in_and_attacked()
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
    umask = os.umask(0o000)
    try:
        call_command("backup_data", str(path), stdout=out)
    finally:
        os.umask(umask)
    assert owner_only(path)
    return snapshot.content_hash, state, out.getvalue(), session_key


def restore_round_trip(dump: Path, content_hash: str, state: dict[str, Any], restored: Rows, restored_url: str) -> None:
    """Restore into the empty database at ``restored_url``: the same published state and the same
    accounts, no session and no login attempt; recompute the figures there: the same hash."""
    restore = manage("restore_data", str(dump), database_url=restored_url)
    assert restore.returncode == 0, restore.stderr
    assert f"latest release 2, latest snapshot {content_hash}" in restore.stdout
    assert published_state(restored) == state
    assert accounts(restored) == accounts(here)
    assert ("backup-reviewer", "Reviewers") in [(row[0], row[4]) for row in accounts(restored)]
    assert counted(restored, "django_session") == 0
    assert counted(restored, "axes_accessattempt") == 0
    assert counted(restored, "axes_accesslog") == 0
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

    assert counted(here, "django_session") == 0  # the sessions made since are gone too: all log in anew
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

    content_hash, state, output, session_key = backed_up(dump)

    assert dump.read_bytes().startswith(b"PGDMP")
    assert f"Wrote {dump}" in output
    assert "mode 0600" in output
    as_sql = subprocess.run(
        [shutil.which("pg_restore") or "pg_restore", "--file=-", str(dump)],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert "backup-reviewer" in as_sql  # the accounts are there ...
    assert session_key not in as_sql  # ... the session is not
    assert ATTACKER not in as_sql
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

    content_hash, state, output, session_key = backed_up(backup)

    assert backup.read_bytes().startswith(b"SQLite format 3\x00")
    assert "mode 0600" in output
    # Not even in the file's free pages: the rows were deleted with secure_delete and the file rewritten.
    assert session_key.encode() not in backup.read_bytes()
    assert ATTACKER.encode() not in backup.read_bytes()
    assert b"backup-reviewer" in backup.read_bytes()
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


def test_a_backup_folder_it_creates_is_its_owners_only(db: Any, request: Any, tmp_path: Path) -> None:
    if connection.vendor == "postgresql":
        request.getfixturevalue("pg_tools")
    target = tmp_path / "backups" / "nightly" / "loantracker.dump"
    out = io.StringIO()

    umask = os.umask(0o000)
    try:
        call_command("backup_data", str(target), stdout=out)
    finally:
        os.umask(umask)

    assert owner_only(tmp_path / "backups", 0o700)
    assert owner_only(tmp_path / "backups" / "nightly", 0o700)
    assert owner_only(target, 0o600)
    assert f"Created {tmp_path / 'backups'} (mode 0700: its owner only)." in out.getvalue()
    assert not list(target.parent.glob("*.partial"))
    assert "password hashes" in out.getvalue()
