"""manage.py load_dataset: seed an empty database from the dataset file as Release 1; on a database
with data, report the differences (``--drafts``: save them as drafts for a reviewer)."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tranches.dataset import DatasetError, dataset_load


class Command(BaseCommand):
    help = (
        "Seed an empty database from the dataset file (default: DATASET_PATH, data/initial_dataset.toml) as "
        "Release 1. On a database with data, report how the file differs from the published state and write "
        "nothing; with --drafts, save the differences as drafts for a reviewer. A bad file writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, default=None, help="TOML file to load")
        parser.add_argument(
            "--drafts",
            action="store_true",
            help="on a database with data: save the file's new and changed records as drafts for a reviewer",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"] or Path(settings.DATASET_PATH)
        self.stdout.write(f"Loading {path}")
        try:
            report = dataset_load(
                path=path, drafts=options["drafts"], progress=lambda msg: self.stdout.write(f"  {msg}")
            )
        except DatasetError as exc:
            raise CommandError(f"{exc}\nNothing was written.") from exc
        self.stdout.write(report.summary())
        self.stdout.write(self.style.SUCCESS("Done."))
