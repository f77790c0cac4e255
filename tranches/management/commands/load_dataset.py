"""manage.py load_dataset: load the versioned initial dataset (idempotent)."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tranches.dataset import DatasetError, dataset_load


class Command(BaseCommand):
    help = (
        "Load the dataset file (default: DATASET_PATH, data/initial_dataset.toml) through the services. "
        "Unchanged records are left alone, changed ones updated and published; a bad file writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, default=None, help="TOML file to load")
        parser.add_argument(
            "--draft", action="store_true", help="leave new and changed records as drafts for a reviewer"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"] or Path(settings.DATASET_PATH)
        self.stdout.write(f"Loading {path}")
        try:
            report = dataset_load(
                path=path, publish=not options["draft"], progress=lambda msg: self.stdout.write(f"  {msg}")
            )
        except DatasetError as exc:
            raise CommandError(f"{exc}\nNothing was written.") from exc
        self.stdout.write(report.summary())
        self.stdout.write(self.style.SUCCESS("Dataset loaded."))
