"""Admin for operators: the snapshots (read-only), chart data, exchange rates and job runs; the
snapshot list shows, above it, when each job last ran and the last failure with its error. Editors
and reviewers may read the job runs too (the view permission, reports/migrations/0004), so that a
failed job is seen by the people who check the figures; nobody changes or deletes one."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

from tranches.admin.releases import ReleaseAdmin
from tranches.models import Release

from . import selectors, services
from .models import ChartData, ExchangeRate, FigureSnapshot, JobRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """Computed rows are written by the jobs only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FigureSnapshot)
class FigureSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("content_hash", "as_of", "created_at", "has_chart_data")
    readonly_fields = ("content_hash", "as_of", "created_at", "schema_version", "inputs_fingerprint", "payload_pretty")
    exclude = ("payload",)
    change_list_template = "admin/reports/figuresnapshot/change_list.html"

    @admin.display(boolean=True, description="chart data")
    def has_chart_data(self, obj: FigureSnapshot) -> bool:
        return ChartData.objects.filter(snapshot=obj).exists()

    @admin.display(description="payload")
    def payload_pretty(self, obj: FigureSnapshot) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        runs = selectors.job_runs_latest()
        context = {
            **(extra_context or {}),
            "latest_snapshot": selectors.snapshot_latest(),
            "job_runs": [
                {"job": job, "run": run, "last_failure": selectors.job_failure_latest(job)}
                for job, run in sorted(runs.items())
            ],
        }
        return super().changelist_view(request, extra_context=context)


@admin.register(ChartData)
class ChartDataAdmin(ReadOnlyAdmin):
    list_display = ("snapshot", "created_at")


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ReadOnlyAdmin):
    list_display = ("date", "currency", "rate", "updated_at")
    list_filter = ("currency",)
    date_hierarchy = "date"


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    """Every run of every job, newest first, filtered by job and status: read-only for whoever has
    ``view_jobrun`` (superusers, Editors, Reviewers)."""

    list_display = ("job", "started_at", "finished_at", "status", "error_short")
    list_filter = ("job", "status")
    readonly_fields = ("job", "started_at", "finished_at", "status", "error", "detail")

    @admin.display(description="error")
    def error_short(self, obj: JobRun) -> str:
        return obj.error[:120]


FIGURES_STATUS = {"built": "built", "failed": "last build failed (retried)", "pending": "not built yet"}

admin.site.unregister(Release)


@admin.register(Release)
class ReleaseWithFiguresAdmin(ReleaseAdmin):
    """The release list of tranches' admin, with whether each release's figures are built."""

    list_display: Any = (*ReleaseAdmin.list_display, "figures")
    readonly_fields: Any = (*ReleaseAdmin.readonly_fields, "figures")  # type: ignore[misc]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Release]:
        # One query for the page: a release is built when a snapshot of it or a later one exists
        # (the usual answer); only the others ask figures_status why not.
        built = FigureSnapshot.objects.filter(release__gte=OuterRef("number"))
        return super().get_queryset(request).annotate(built=Exists(built))

    @admin.display(description="figures")
    def figures(self, obj: Release) -> str:
        if getattr(obj, "built", False):
            return FIGURES_STATUS["built"]
        return FIGURES_STATUS[services.figures_status(release=obj.number)]
