"""``manage.py refresh_figures``: the figures refresh and chart data jobs, run here and now.

``make run`` runs it at every start, so figures that a refresh failed to build (an error, a killed
process, a broker that was down) are built at the next start without anyone stepping in: the latest
release is built unless its snapshot is stored, and a snapshot without chart data gets its chart
data (docs/JOBS.md, "Retried without a person")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from reports import services
from tranches.models import Release


class Command(BaseCommand):
    help = (
        "Build the figures of the latest release (unless its snapshot is stored) and their chart data, "
        "synchronously, with progress."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="rebuild even if no input changed")

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        release = Release.objects.order_by("-number").values_list("number", flat=True).first()
        if release is None:
            self.stdout.write("Nothing is published yet: no release, no figures.")
            return
        self.stdout.write(f"Building the figures of release {release} (the latest)…")
        with services.job_run(services.JOB_REFRESH, command=True, force=force) as outcome:
            result = services.snapshot_refresh(force=force)
            snapshot = result.snapshot
            outcome.detail.update(
                created=result.created,
                skipped=result.skipped,
                snapshot_id=snapshot.pk if snapshot else None,
                content_hash=snapshot.content_hash if snapshot else None,
                release=snapshot.release_id if snapshot else None,
            )
        assert snapshot is not None  # noqa: S101 (a release exists, and releases are never deleted)
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(f"New snapshot {snapshot.content_hash} as of {snapshot.as_of:%Y-%m-%d %H:%M} UTC")
            )
        elif result.skipped:
            self.stdout.write(f"Inputs unchanged: latest snapshot {snapshot.content_hash} kept.")
        else:
            self.stdout.write(f"Same figures as the latest snapshot {snapshot.content_hash}: nothing stored.")
        self.stdout.write(f"The figures of release {snapshot.release_id} are built.")
        self.stdout.write("Building the chart data…")
        with services.job_run(services.JOB_CHARTS, command=True, snapshot_id=snapshot.pk) as outcome:
            chart, created = services.chart_data_refresh(snapshot_id=snapshot.pk)
            outcome.detail.update(created=created, chart_data_id=chart.pk)
        self.stdout.write(self.style.SUCCESS("Chart data stored." if created else "Chart data already stored."))
