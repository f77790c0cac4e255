"""``manage.py fetch_rates``: the ECB exchange rates job, run here and now."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports import services
from reports.rates import RatesDownloadError, RatesFormatError


class Command(BaseCommand):
    help = "Download the ECB euro reference rates (whole history, or --daily for the latest day) and store them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--daily", action="store_true", help="only the latest day (ECB_RATES_DAILY_URL)")
        parser.add_argument("--no-refresh", action="store_true", help="do not refresh the figures afterwards")

    def handle(self, *args: Any, daily: bool = False, no_refresh: bool = False, **options: Any) -> None:
        which = "daily" if daily else "hist"
        url = settings.ECB_RATES_DAILY_URL if daily else settings.ECB_RATES_HIST_URL
        self.stdout.write(f"Downloading {url} …")
        try:
            with services.job_run(services.JOB_RATES, command=True, which=which) as outcome:
                result = services.rates_fetch(which=which)
                outcome.detail.update(
                    parsed=result.parsed, written=result.written, first=str(result.first), last=str(result.last)
                )
        except (RatesDownloadError, RatesFormatError) as exc:
            raise CommandError(f"Rates not updated (the old ones are kept): {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.parsed} rates from {result.first} to {result.last}; {result.written} new or changed."
            )
        )
        if result.written and not no_refresh:
            self.stdout.write("Rates changed: refreshing the figures…")
            from django.core.management import call_command

            call_command("refresh_figures", stdout=self.stdout._out)
