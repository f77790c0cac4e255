"""``manage.py backup_data [PATH]``: the whole database in one file, for ``restore_data``.

PostgreSQL: ``pg_dump --format=custom`` (pg_dump of the server's major version must be on PATH);
SQLite: the sqlite3 online backup API. Both give a consistent copy while the site, the workers and
beat keep running. The file is written beside its final name and renamed at the end, so a failed
backup never leaves a truncated file under a good name. docs/DEPLOY.md ("Backups") tells how to
run it every night and how to check a restore."""

from __future__ import annotations

import datetime
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Max

from reports.models import FigureSnapshot
from tranches.models import Release

PG_MAGIC = b"PGDMP"  # the first bytes of a pg_dump custom-format file
SQLITE_MAGIC = b"SQLite format 3\x00"
# libpq settings Django may carry in OPTIONS, passed on to pg_dump / pg_restore as environment.
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
}


def size_text(size: int) -> str:
    """Bytes in words: '812 B', '41.3 kB', '12.6 MB' (powers of 1000)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def database_label(db: BaseDatabaseWrapper) -> str:
    settings = db.settings_dict
    if db.vendor == "postgresql":
        where = f"{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}"
        return f"PostgreSQL database '{settings['NAME']}' on {where}"
    return f"SQLite database {settings['NAME']}"


def database_size(db: BaseDatabaseWrapper) -> int:
    """Bytes the database takes (PostgreSQL: on the server; SQLite: its pages)."""
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0])
        cursor.execute("PRAGMA page_count")
        pages = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA page_size")
        return pages * int(cursor.fetchone()[0])


def latest_snapshot_hash(db: BaseDatabaseWrapper) -> str | None:
    """The content hash of the newest figure snapshot, to compare a backup with its restore."""
    try:
        return (
            FigureSnapshot.objects.using(db.alias)
            .order_by("-created_at", "-pk")
            .values_list("content_hash", flat=True)
            .first()
        )
    except DatabaseError:  # no such table: an empty or foreign database
        return None


def latest_release_number(db: BaseDatabaseWrapper) -> int | None:
    """The number of the latest release (what the public reads), to compare a backup with its restore."""
    try:
        return Release.objects.using(db.alias).aggregate(last=Max("number"))["last"]
    except DatabaseError:  # no such table: an empty or foreign database
        return None


def backup_label(db: BaseDatabaseWrapper) -> str:
    """'latest release 3, latest snapshot 9f2c…': what a restore must show again."""
    return f"latest release {latest_release_number(db) or 'none'}, latest snapshot {latest_snapshot_hash(db) or 'none'}"


def pg_tool(name: str, db: BaseDatabaseWrapper) -> tuple[list[str], dict[str, str]]:
    """The start of a pg_dump / pg_restore command line for ``db``, and its environment (the
    password goes in PGPASSWORD, never on the command line). Raises CommandError if not on PATH."""
    binary = shutil.which(name)
    if binary is None:
        raise CommandError(f"{name} is not on PATH: install the PostgreSQL client of the server's major version.")
    settings = db.settings_dict
    args = [binary, "--no-password"]
    if settings.get("HOST"):
        args.append(f"--host={settings['HOST']}")
    if settings.get("PORT"):
        args.append(f"--port={settings['PORT']}")
    if settings.get("USER"):
        args.append(f"--username={settings['USER']}")
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings["PASSWORD"])
    for option, variable in LIBPQ_OPTIONS.items():
        if option in settings.get("OPTIONS", {}):
            env[variable] = str(settings["OPTIONS"][option])
    return args, env


def run_tool(args: list[str], env: dict[str, str]) -> None:
    """Run pg_dump / pg_restore; raises CommandError with its own message if it fails."""
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603 (fixed binary, no shell)
    if done.returncode != 0:
        name = Path(args[0]).name
        raise CommandError(f"{name} failed (exit {done.returncode}): {done.stderr.strip() or done.stdout.strip()}")


def default_path(db: BaseDatabaseWrapper) -> Path:
    stamp = datetime.datetime.now(tz=datetime.UTC).strftime("%Y%m%d-%H%M%SZ")
    return Path(f"loantracker-{stamp}.{'dump' if db.vendor == 'postgresql' else 'sqlite3'}")


class Command(BaseCommand):
    help = (
        "Write the whole database to one file (PostgreSQL: pg_dump custom format; SQLite: a copy made with "
        "the sqlite3 backup API), safely while the site runs. Restore it with restore_data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", nargs="?", help="file to write (default: loantracker-<UTC time>.dump or .sqlite3 in this folder)"
        )
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def handle(self, *args: Any, path: str | None = None, database: str = "default", **options: Any) -> None:
        db = connections[database]
        if db.vendor not in ("postgresql", "sqlite"):
            raise CommandError(f"backup_data supports PostgreSQL and SQLite, not {db.vendor}.")
        target = Path(path).expanduser() if path else default_path(db)
        target = target.resolve()
        if target.exists():
            raise CommandError(f"{target} already exists; choose another name (a backup is never overwritten).")
        if not target.parent.is_dir():
            raise CommandError(f"{target.parent} is not a folder.")
        label = backup_label(db)
        self.stdout.write(f"Backing up {database_label(db)} ({size_text(database_size(db))}) to {target} …")
        partial = target.with_name(target.name + ".partial")
        started = time.monotonic()
        try:
            if db.vendor == "postgresql":
                command, env = pg_tool("pg_dump", db)
                name = db.settings_dict["NAME"]
                run_tool([*command, "--format=custom", f"--file={partial}", f"--dbname={name}"], env)
            else:
                db.ensure_connection()
                with sqlite3.connect(partial) as copy:
                    db.connection.backup(copy)
                copy.close()
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {target} ({size_text(target.stat().st_size)}) in {time.monotonic() - started:.1f} s; {label}."
            )
        )
        self.stdout.write(f"Restore it into an empty database with: manage.py restore_data {target}")
