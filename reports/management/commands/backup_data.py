"""``manage.py backup_data [PATH]``: the database in one file, for ``restore_data``.

PostgreSQL: ``pg_dump --format=custom`` (pg_dump of the server's major version must be on PATH);
SQLite: the sqlite3 online backup API. Both give a consistent copy while the site, the workers and
beat keep running. The file is written beside its final name and renamed at the end, so a failed
backup never leaves a truncated file under a good name. docs/DEPLOY.md ("Backups") tells how to
run it every night and how to check a restore.

What is in it, and what is not (``EXCLUDED_DATA``):

- everything the newsroom made: records, drafts, releases, history, figures, rates, job runs;
- **user accounts and groups, with their password hashes**, so that editors and reviewers can log
  in after a restore (without them nobody could, and every history row would lose its author). The
  file is therefore as sensitive as the database: it is written readable by its owner only (0600;
  a folder it creates, 0700), and must be copied off the machine the same way;
- **not** the sessions (``django_session``): a restored session key would log its holder in
  again; after a restore everyone logs in anew;
- **not** the login throttle's records (``axes_*``): failed attempts and past logins with their
  addresses, of no use after a restore.

Their tables are kept, empty."""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Max

from reports.models import FigureSnapshot
from tranches.models import Release

# Tables whose rows are left out of every backup (their structure is kept): sessions, and the login
# throttle's attempts and logs. Patterns with * (pg_dump's --exclude-table-data and SQLite's GLOB alike).
EXCLUDED_DATA = ("django_session", "axes_*")
FILE_MODE = 0o600  # the backup file: its owner only
FOLDER_MODE = 0o700  # a folder backup_data creates for it
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


def run_tool(args: list[str], env: dict[str, str], stdout: IO[bytes] | None = None) -> None:
    """Run pg_dump / pg_restore (its output into ``stdout`` if given); raises CommandError with its
    own message if it fails."""
    done = subprocess.run(  # noqa: S603 (fixed binary, no shell)
        args, env=env, stdout=stdout if stdout is not None else subprocess.PIPE, stderr=subprocess.PIPE, check=False
    )
    if done.returncode != 0:
        name = Path(args[0]).name
        message = (done.stderr or done.stdout or b"").decode(errors="replace").strip()
        raise CommandError(f"{name} failed (exit {done.returncode}): {message}")


def make_folder(folder: Path) -> list[Path]:
    """Create ``folder`` and any missing parents, each readable by its owner only (FOLDER_MODE).
    Returns the folders created, outermost first."""
    missing = []
    for parent in (folder, *folder.parents):
        if parent.exists():
            break
        missing.append(parent)
    for path in reversed(missing):
        path.mkdir(mode=FOLDER_MODE)
        path.chmod(FOLDER_MODE)  # mkdir's mode passes through the umask; say it exactly
    return list(reversed(missing))


def create_private(path: Path) -> IO[bytes]:
    """A new, empty file at ``path`` that only its owner may read or write (FILE_MODE), whatever the
    umask; refuses if it exists. The caller writes into it and closes it."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    os.fchmod(descriptor, FILE_MODE)
    return os.fdopen(descriptor, "wb")


def pg_dump_exclusions() -> list[str]:
    return [f"--exclude-table-data={pattern}" for pattern in EXCLUDED_DATA]


def sqlite_drop_excluded(path: Path) -> None:
    """Empty the EXCLUDED_DATA tables of the SQLite copy at ``path`` and rewrite the file (VACUUM),
    with secure_delete on, so that the deleted rows are not left in free pages."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as copy:
        copy.execute("PRAGMA secure_delete = ON")
        where = " OR ".join("name GLOB ?" for _ in EXCLUDED_DATA)
        tables = [
            row[0]
            for row in copy.execute(f"SELECT name FROM sqlite_master WHERE type = 'table' AND ({where})", EXCLUDED_DATA)  # noqa: S608 (placeholders only)
        ]
        copy.execute("BEGIN")
        for table in tables:
            copy.execute(f'DELETE FROM "{table}"')  # noqa: S608 (names from sqlite_master)
        copy.execute("COMMIT")
        copy.execute("VACUUM")


def default_path(db: BaseDatabaseWrapper) -> Path:
    stamp = datetime.datetime.now(tz=datetime.UTC).strftime("%Y%m%d-%H%M%SZ")
    return Path(f"loantracker-{stamp}.{'dump' if db.vendor == 'postgresql' else 'sqlite3'}")


class Command(BaseCommand):
    help = (
        "Write the database to one file (PostgreSQL: pg_dump custom format; SQLite: a copy made with the sqlite3 "
        "backup API), safely while the site runs. Restore it with restore_data. The file keeps user accounts and "
        "groups with their password hashes (so that people can log in after a restore) and is written readable by "
        "its owner only (0600; a folder it creates, 0700); sessions and login-throttle records are left out."
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
        if target.parent.exists() and not target.parent.is_dir():
            raise CommandError(f"{target.parent} is not a folder.")
        for folder in make_folder(target.parent):
            self.stdout.write(f"Created {folder} (mode {FOLDER_MODE:04o}: its owner only).")
        label = backup_label(db)
        self.stdout.write(f"Backing up {database_label(db)} ({size_text(database_size(db))}) to {target} …")
        partial = target.with_name(target.name + ".partial")
        started = time.monotonic()
        try:
            with create_private(partial) as file:
                if db.vendor == "postgresql":
                    command, env = pg_tool("pg_dump", db)
                    name = db.settings_dict["NAME"]
                    run_tool([*command, "--format=custom", *pg_dump_exclusions(), f"--dbname={name}"], env, file)
            if db.vendor == "sqlite":
                db.ensure_connection()
                with contextlib.closing(sqlite3.connect(partial)) as copy:
                    db.connection.backup(copy)
                sqlite_drop_excluded(partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {target} ({size_text(target.stat().st_size)}, mode {FILE_MODE:04o}) in "
                f"{time.monotonic() - started:.1f} s; {label}. It holds user accounts with their password hashes: "
                "keep it as private as the database. Sessions and login attempts are left out."
            )
        )
        self.stdout.write(f"Restore it into an empty database with: manage.py restore_data {target}")
