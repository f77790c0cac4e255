"""Failed jobs are seen by the newsroom, not only by superusers: editors and reviewers read the job
runs in the admin (reports/migrations/0004_job_runs_visible_to_staff.py), and cannot change,
delete or add one. The permissions matrix (test_permissions.py) has the cell per page and role."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from reports import services
from reports.models import JobRun

pytestmark = pytest.mark.django_db

ERROR = "RuntimeError: the ECB answered 503 Service Unavailable"


@pytest.fixture
def failed_run() -> JobRun:
    with pytest.raises(RuntimeError), services.job_run(services.JOB_RATES):
        raise RuntimeError("the ECB answered 503 Service Unavailable")
    return JobRun.objects.get(status=JobRun.Status.FAILED)


@pytest.mark.parametrize("group", ["Editors", "Reviewers"])
def test_the_groups_may_view_job_runs_and_nothing_more(group: str) -> None:
    codenames = set(
        Group.objects.get(name=group)
        .permissions.filter(content_type__app_label="reports")
        .values_list("codename", flat=True)
    )
    assert codenames == {"view_jobrun"}


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_editors_and_reviewers_see_a_failed_job_and_its_error(request: Any, role: str, failed_run: JobRun) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(role))

    listed = client.get("/admin/reports/jobrun/?status__exact=failed")
    opened = client.get(f"/admin/reports/jobrun/{failed_run.pk}/change/")

    assert listed.status_code == 200
    assert ERROR in listed.content.decode()
    assert opened.status_code == 200
    assert ERROR in opened.content.decode()
    assert 'name="_save"' not in opened.content.decode()


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_editors_and_reviewers_cannot_change_delete_or_add_a_job_run(
    request: Any, role: str, failed_run: JobRun
) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(role))
    change = f"/admin/reports/jobrun/{failed_run.pk}/change/"

    edited = client.post(change, {"job": "figures_refresh", "status": "ok", "error": ""})
    deleted = client.post(f"/admin/reports/jobrun/{failed_run.pk}/delete/", {"post": "yes"})
    bulk_deleted = client.post(
        "/admin/reports/jobrun/", {"action": "delete_selected", "_selected_action": [failed_run.pk], "post": "yes"}
    )
    added = client.post("/admin/reports/jobrun/add/", {"job": "figures_refresh", "status": "ok"})

    assert edited.status_code == 403
    assert deleted.status_code == 403
    assert bulk_deleted.status_code in (200, 302)  # no such action for them: the list again, nothing done
    assert added.status_code == 403
    failed_run.refresh_from_db()
    assert failed_run.status == JobRun.Status.FAILED
    assert failed_run.error == ERROR
    assert JobRun.objects.count() == 1
