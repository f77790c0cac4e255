"""``manage.py generate_synthetic_data``: a large, clearly marked synthetic dataset for benchmarks."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tranches.synthetic import NAME_PREFIX, RealDataError, SyntheticCounts, synthetic_generate

BAR = 30


class Command(BaseCommand):
    help = (
        f"Replace the synthetic data ({NAME_PREFIX} instruments, components, tranches, disbursements, "
        "all published) with a new set, written in bulk. For benchmarks only: refused on a database "
        "that holds anything else unless --force. Then run refresh_figures."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = SyntheticCounts()
        parser.add_argument("--instruments", type=int, default=defaults.instruments)
        parser.add_argument("--components", type=int, default=defaults.components, help="in all")
        parser.add_argument("--tranches", type=int, default=defaults.tranches, help="in all")
        parser.add_argument("--disbursements", type=int, default=defaults.disbursements, help="in all")
        parser.add_argument("--seed", type=int, default=2026, help="the same seed and day give the same data")
        parser.add_argument(
            "--force", action="store_true", help="write even though the database holds real (non-synthetic) data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = SyntheticCounts(
                instruments=options["instruments"],
                components=options["components"],
                tranches=options["tranches"],
                disbursements=options["disbursements"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Generating {NAME_PREFIX} data: {counts.instruments:,} instruments, {counts.components:,} components, "
            f"{counts.tranches:,} tranches, {counts.disbursements:,} disbursements (seed {options['seed']})"
        )
        tty = self.stdout.isatty()
        started = time.perf_counter()
        shown: dict[str, int] = {}  # not a terminal: a line per quarter done of each table

        def progress(what: str, done: int, total: int) -> None:
            filled = BAR * done // total if total else BAR
            line = f"  [{'#' * filled}{'.' * (BAR - filled)}] {what:<26} {done:>10,}/{total:,}"
            line += f"  {time.perf_counter() - started:6.1f} s"
            if tty:
                self.stdout.write("\r" + line, ending="\n" if done >= total else "")
                self.stdout.flush()
                return
            quarter = 4 * done // total if total else 4
            if quarter > shown.get(what, 0) and (quarter == 4 or total >= 1000):
                shown[what] = quarter
                self.stdout.write(line)

        try:
            report = synthetic_generate(counts=counts, seed=options["seed"], force=options["force"], progress=progress)
        except RealDataError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(report.summary())
        self.stdout.write(
            self.style.SUCCESS("Synthetic data published.")
            + " Build its figures with: manage.py refresh_figures --force"
        )
