"""Computed figures and what the jobs need to compute them: immutable figure snapshots, the chart
data built from each, ECB exchange rates, and a record of every job run for the operators."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models


class ImmutableError(Exception):
    """Raised when code tries to change or delete a stored snapshot (permalinks point at it)."""


class FigureSnapshot(models.Model):
    """The public figures as of one moment, computed from published data only. Immutable: the same
    figures give the same ``content_hash`` and no new row; older snapshots stay for permalinks.
    ``payload`` is described in docs/JOBS.md (amounts are EUR decimal strings)."""

    content_hash = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of the payload without as_of")
    as_of = models.DateTimeField(db_index=True, help_text="When the data it shows was last published (UTC)")
    created_at = models.DateTimeField(help_text="When the job computed it (UTC)")
    schema_version = models.PositiveSmallIntegerField(default=1, help_text="The payload's schema_version")
    payload = models.JSONField()
    release = models.ForeignKey(
        "tranches.Release",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="snapshots",
        help_text="The release whose published records it shows (empty for snapshots made before releases)",
    )
    inputs_fingerprint = models.CharField(
        max_length=300, blank=True, help_text="Marker of the inputs it was built from; unchanged inputs skip a rebuild"
    )

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        get_latest_by = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.content_hash[:12]} as of {self.as_of:%Y-%m-%d %H:%M} UTC"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableError("A figure snapshot is never changed; compute a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableError("A figure snapshot is kept for its permalinks.")


class ChartData(models.Model):
    """The data of every public chart, built from one snapshot, so pages never aggregate."""

    snapshot = models.OneToOneField(FigureSnapshot, on_delete=models.PROTECT, related_name="chart_data")
    created_at = models.DateTimeField()
    payload = models.JSONField()

    class Meta:
        verbose_name_plural = "chart data"

    def __str__(self) -> str:
        return f"charts of {self.snapshot}"


class ExchangeRate(models.Model):
    """An ECB euro reference rate: ``rate`` units of ``currency`` for 1 EUR on ``date``."""

    date = models.DateField()
    currency = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=18, decimal_places=6)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-date", "currency"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["date", "currency"], name="reports_exchangerate_unique_day"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="reports_exchangerate_rate_positive"),
        ]
        # Rates are only ever upserted (reports.services.rates_store), so the newest updated_at
        # says which rates every public answer shows (USD equivalents): one index probe per request.
        indexes: ClassVar = [models.Index(fields=["updated_at"], name="reports_exchangerate_updated")]

    def __str__(self) -> str:
        return f"1 EUR = {self.rate} {self.currency} on {self.date:%Y-%m-%d}"


class JobRun(models.Model):
    """One run of a background job: when, whether it worked, and the error if not."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        OK = "ok", "OK"
        FAILED = "failed", "Failed"

    job = models.CharField(max_length=50, db_index=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    error = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True, help_text="What it did, e.g. the snapshot hash")

    class Meta:
        ordering: ClassVar = ["-started_at", "-pk"]
        get_latest_by = ("started_at", "pk")
        indexes: ClassVar = [models.Index(fields=["job", "-started_at"], name="reports_jobrun_job_started")]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M:%S} {self.status}"
