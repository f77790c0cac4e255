"""``manage.py restore_data PATH [--force]``: put a ``backup_data`` file back into the database.

Refuses a database that already has tables unless ``--force`` (then the backup replaces them).
PostgreSQL: ``pg_restore`` in a single transaction (all or nothing), without the dump's owners and
grants, so a new server with another role works; SQLite: the sqlite3 backup API copies the file's
pages over the database. Stop the web servers, workers and beat first (docs/DEPLOY.md).

Backups keep user accounts and groups (people log in with their passwords as they were) but no
sessions and no login-throttle records (backup_data, ``EXCLUDED_DATA``): after a restore nobody is
logged in, and nobody is locked out."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from .backup_data import (
    PG_MAGIC,
    SQLITE_MAGIC,
    backup_label,
    database_label,
    database_size,
    pg_tool,
    run_tool,
    size_text,
)


class Command(BaseCommand):
    help = (
        "Restore a file written by backup_data into this database (DATABASE_URL). The database must be empty "
        "(no tables) unless --force, which replaces what is there. Stop the site, workers and beat first. User "
        "accounts come back with their passwords; sessions do not (everyone logs in again)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="a file written by backup_data")
        parser.add_argument("--force", action="store_true", help="replace the tables of a database that is not empty")
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def handle(self, *args: Any, path: str, force: bool = False, database: str = "default", **options: Any) -> None:
        source = Path(path).expanduser().resolve()
        if not source.is_file():
            raise CommandError(f"{source} is not a file.")
        with source.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
        kind = "postgresql" if head.startswith(PG_MAGIC) else "sqlite" if head == SQLITE_MAGIC else None
        if kind is None:
            raise CommandError(f"{source} is neither a pg_dump custom-format file nor an SQLite database.")
        db = connections[database]
        if kind != db.vendor:
            raise CommandError(
                f"{source} is a {'PostgreSQL' if kind == 'postgresql' else 'SQLite'} backup, but the database is "
                f"{database_label(db)}; restore it into the same kind of database."
            )
        tables = sorted(db.introspection.table_names())
        if tables and not force:
            raise CommandError(
                f"{database_label(db)} is not empty ({len(tables)} tables, e.g. {', '.join(tables[:3])}); restoring "
                "would replace its data. Restore into a new, empty database, or pass --force to replace it."
            )
        replacing = f", replacing its {len(tables)} tables" if tables else ""
        size = size_text(source.stat().st_size)
        self.stdout.write(f"Restoring {source} ({size}) into {database_label(db)}{replacing} …")
        started = time.monotonic()
        if kind == "postgresql":
            command, env = pg_tool("pg_restore", db)
            db.close()  # this process holds no lock the restore would wait for
            clean = ["--clean", "--if-exists"] if tables else []
            run_tool(
                [*command, "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges", *clean,
                 f"--dbname={db.settings_dict['NAME']}", str(source)],
                env,
            )  # fmt: skip
        else:
            with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup:
                check = backup.execute("PRAGMA quick_check").fetchone()
                if not check or check[0] != "ok":
                    raise CommandError(f"{source} is damaged: {check[0] if check else 'no answer'}.")
                db.ensure_connection()
                backup.backup(db.connection)
            backup.close()
        restored = len(db.introspection.table_names())
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored in {time.monotonic() - started:.1f} s: {restored} tables, database now "
                f"{size_text(database_size(db))}; {backup_label(db)}."
            )
        )
        self.stdout.write(
            "Backups hold no sessions: everyone logs in again (user accounts and passwords are restored). Next: "
            "manage.py migrate (if this release has newer migrations), then start the web servers, workers and beat; "
            "the figures refresh by themselves if the data needs it."
        )
