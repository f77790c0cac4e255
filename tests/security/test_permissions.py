"""The permissions matrix (docs/SECURITY.md): who may do what on each surface, one test per cell.

Roles: anonymous; an editor (staff, group Editors); a reviewer (staff, group Reviewers); a superuser.
Logged-in roles use a session, as a browser would. The test client skips the CSRF check, as a
request carrying a valid token would pass it: a write refused here is refused by the view itself.

- Admin: anonymous users are sent to the login page; editors and reviewers open every page of the
  six tranches models but none of the reports or auth models; only reviewers and superusers publish;
  nobody deletes a published record or reverts history.
- Public surfaces (API, schema, docs, feed, dashboard, snapshot pages, embeds, chart CSVs): the same
  for everyone, logged in or not; GET and HEAD answer, writes are refused, and no response contains
  a draft, an unpublished edit, a change reason or anyone's identity (conftest.SECRETS).

Elsewhere, and only overlapped here by a cell or two: the messages of a publication or a refusal in
the admin (tests/tranches/test_admin.py), the refusals of the services themselves
(tests/tranches/test_publication.py), each kind of draft edit in the JSON lists (tests/api/test_drafts.py),
the framing headers of the dashboard and of one embed (tests/reports/test_charts.py).
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

from tests.security.conftest import DRAFT_MARK, PUBLISH_REASON, REPORTS_MODELS, ROLES, SECRETS, TRANCHES_MODELS, World
from tranches.models import Status

pytestmark = pytest.mark.django_db

CHARTS = ["stages", "pace", "purposes", "timeline"]
SAFE_METHODS = ["get", "head", "options"]
WRITE_METHODS = ["post", "put", "patch", "delete"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def client_for(world: World, role: str) -> Client:
    """A browser of ``role``: logged in (the session made once per module) unless anonymous."""
    client = Client()
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


def url(world: World, template: str) -> str:
    """Fill ``{instrument}``…``{citation}`` with published ids and ``{hash}`` with the snapshot's."""
    assert world.snapshot is not None
    ids = {model: record.pk for model, record in world.published.items()}
    return template.format(hash=world.snapshot.content_hash, **ids)


def text_of(response: Any) -> str:
    """Everything a reader receives: headers and body, an XLSX workbook unzipped."""
    body = response.content
    if response.get("Content-Type", "").startswith(XLSX):
        with zipfile.ZipFile(io.BytesIO(body)) as workbook:
            body = b"".join(workbook.read(name) for name in workbook.namelist())
    return f"{response.headers}\n{body.decode('utf-8', errors='replace')}"


# -- public surfaces ---------------------------------------------------------------------------

API_LISTS = [
    "/api/v1/instruments/",
    "/api/v1/components/",
    "/api/v1/tranches/",
    "/api/v1/disbursements/",
    "/api/v1/sources/",
    "/api/v1/citations/",
    "/api/v1/summary/",
    "/api/v1/timeseries/",
    "/api/v1/snapshots/",
    "/api/v1/changes/",
]
API_DETAILS = [
    "/api/v1/instruments/{instrument}/",
    "/api/v1/components/{component}/",
    "/api/v1/tranches/{tranche}/",
    "/api/v1/disbursements/{disbursement}/",
    "/api/v1/sources/{source}/",
    "/api/v1/citations/{citation}/",
    "/api/v1/snapshots/{hash}/",
]
API = API_LISTS + API_DETAILS
OTHER_PUBLIC = ["/api/schema/", "/api/docs/", "/feeds/changes/"]
PAGES = [
    "/",
    "/snapshots/{hash}/",
    *(f"/embed/{chart}/" for chart in CHARTS),
    *(f"/charts/{chart}.csv" for chart in CHARTS),
    # The same views with a snapshot's hash (one chart stands for the four).
    "/snapshots/{hash}/embed/stages/",
    "/snapshots/{hash}/charts/stages.csv",
]
PUBLIC = API + OTHER_PUBLIC + PAGES

# Representations besides the GET of each public path (whose cells check them already).
OTHER_REPRESENTATIONS = [
    *(f"{path}?format={fmt}" for path in API for fmt in ("csv", "xlsx")),
    "/api/v1/changes/?page_size=500",
    "/api/schema/?format=json",
]


def assert_nothing_secret(response: Any) -> None:
    received = text_of(response).lower()
    assert [secret for secret in SECRETS if secret.lower() in received] == []


def assert_framing(response: Any, path: str) -> None:
    """Only embed pages may be framed, by any site; nothing else may be framed at all."""
    policy = response["Content-Security-Policy"]
    if "/embed/" in path:
        assert "X-Frame-Options" not in response
        assert "frame-ancestors *" in policy
    else:
        assert response["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", SAFE_METHODS)
@pytest.mark.parametrize("path", API)
def test_the_api_answers_reads(world: World, role: str, method: str, path: str) -> None:
    response = getattr(client_for(world, role), method)(url(world, path))
    assert response.status_code == 200, response.content[:300]
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert_nothing_secret(response)
    assert_framing(response, path)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", WRITE_METHODS)
@pytest.mark.parametrize("path", API)
def test_the_api_refuses_writes_even_from_a_superuser(world: World, role: str, method: str, path: str) -> None:
    response = getattr(client_for(world, role), method)(
        url(world, path), data={"name": "written"}, content_type="application/json"
    )
    assert response.status_code == 405, response.content[:300]
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", ["get", "head"])
@pytest.mark.parametrize("path", OTHER_PUBLIC + PAGES)
def test_public_pages_answer_reads(world: World, role: str, method: str, path: str) -> None:
    response = getattr(client_for(world, role), method)(url(world, path))
    assert response.status_code == 200, response.content[:300]
    assert_nothing_secret(response)
    assert_framing(response, path)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", OTHER_PUBLIC + PAGES)
def test_options_on_public_pages_is_answered_or_refused_never_an_error(world: World, role: str, path: str) -> None:
    response = client_for(world, role).options(url(world, path))
    assert response.status_code in (200, 204, 405), response.content[:300]
    assert_nothing_secret(response)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", WRITE_METHODS)
@pytest.mark.parametrize("path", OTHER_PUBLIC + PAGES)
def test_public_pages_refuse_writes(world: World, role: str, method: str, path: str) -> None:
    response = getattr(client_for(world, role), method)(url(world, path), data="x=1", content_type="text/plain")
    assert response.status_code in (403, 405), response.content[:300]


@pytest.mark.parametrize("path", PUBLIC)
def test_a_write_without_a_csrf_token_is_refused(world: World, path: str) -> None:
    # As in production: CSRF checks on, a logged-in superuser, no token. The API (no sessions) refuses by method.
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions["superuser"]
    response = client.post(url(world, path), data={"name": "written"})
    assert response.status_code in (403, 405)


# The API has no authentication: a session cannot change what it answers (the cells above show it
# for every role), so exports are checked as the public and as the most privileged user.
@pytest.mark.parametrize("role", ["anonymous", "superuser"])
@pytest.mark.parametrize("path", OTHER_REPRESENTATIONS)
def test_no_draft_or_identity_in_exports(world: World, role: str, path: str) -> None:
    response = client_for(world, role).get(url(world, path))
    assert response.status_code == 200, response.content[:300]
    assert_nothing_secret(response)


def test_the_leak_check_would_see_a_secret(world: World) -> None:
    # The check is not vacuous: the same strings are where they belong, in the admin.
    client = client_for(world, "superuser")
    history = client.get(f"/admin/tranches/instrument/{world.published['instrument'].pk}/history/")
    drafts = client.get("/admin/tranches/tranche/?status=draft")
    with pytest.raises(AssertionError):
        assert_nothing_secret(history)
    received = text_of(history) + text_of(drafts)
    assert all(secret in received for secret in (DRAFT_MARK, PUBLISH_REASON, world.users["editor"].username))


# -- the admin ---------------------------------------------------------------------------------

# page -> (URL template, expected status for editors/reviewers, for superusers). {pub}, {draft}:
# a published record and a draft of the model; {hid}: a history row of the published record.
TRANCHES_PAGES = {
    "changelist": ("/admin/tranches/{model}/", 200, 200),
    "add": ("/admin/tranches/{model}/add/", 200, 200),
    "change": ("/admin/tranches/{model}/{pub}/change/", 200, 200),
    "delete draft": ("/admin/tranches/{model}/{draft}/delete/", 200, 200),
    "delete published": ("/admin/tranches/{model}/{pub}/delete/", 403, 403),
    "history": ("/admin/tranches/{model}/{pub}/history/", 200, 200),
    "history version": ("/admin/tranches/{model}/{pub}/history/{hid}/", 200, 200),
}
# Computed by the jobs: read-only for superusers, closed to editors and reviewers.
REPORTS_PAGES = {
    "changelist": ("/admin/reports/{model}/", 403, 200),
    "add": ("/admin/reports/{model}/add/", 403, 403),
    "change": ("/admin/reports/{model}/{pk}/change/", 403, 200),
    "delete": ("/admin/reports/{model}/{pk}/delete/", 403, 403),
    "history": ("/admin/reports/{model}/{pk}/history/", 403, 200),
}
# Accounts: only superusers, so nobody gives themselves a group or a permission.
AUTH_PAGES = {
    "users": ("/admin/auth/user/", 403, 200),
    "add user": ("/admin/auth/user/add/", 403, 200),
    "change own account": ("/admin/auth/user/{me}/change/", 403, 200),
    "groups": ("/admin/auth/group/", 403, 200),
    "change group": ("/admin/auth/group/{group}/change/", 403, 200),
}


def expect_admin(response: Any, role: str, staff: int, superuser: int, path: str) -> None:
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")
        return
    expected = superuser if role == "superuser" else staff
    assert response.status_code == expected, f"{role} {path}: {response.status_code}"


def tranches_url(world: World, model: str, template: str) -> str:
    published, draft = world.published[model], world.drafts[model]
    history_id = published.history.order_by("history_id").values_list("history_id", flat=True).first()
    return template.format(model=model, pub=published.pk, draft=draft.pk, hid=history_id)


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_index(world: World, role: str) -> None:
    response = client_for(world, role).get("/admin/")
    expect_admin(response, role, 200, 200, "/admin/")
    if role != "anonymous":
        page = response.content.decode()
        assert "/admin/tranches/tranche/" in page
        # The index lists only what the role may open.
        assert ("/admin/reports/jobrun/" in page) == (role == "superuser")
        assert ("/admin/auth/user/" in page) == (role == "superuser")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", TRANCHES_PAGES)
@pytest.mark.parametrize("model", TRANCHES_MODELS)
def test_the_admin_pages_of_the_tranches_models(world: World, role: str, page: str, model: str) -> None:
    template, staff, superuser = TRANCHES_PAGES[page]
    path = tranches_url(world, model, template)
    expect_admin(client_for(world, role).get(path), role, staff, superuser, path)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", REPORTS_PAGES)
@pytest.mark.parametrize("model", REPORTS_MODELS)
def test_the_admin_pages_of_the_reports_models(world: World, role: str, page: str, model: str) -> None:
    template, staff, superuser = REPORTS_PAGES[page]
    path = template.format(model=model, pk=world.reports[model].pk)
    expect_admin(client_for(world, role).get(path), role, staff, superuser, path)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", AUTH_PAGES)
def test_the_admin_pages_of_accounts(world: World, role: str, page: str) -> None:
    template, staff, superuser = AUTH_PAGES[page]
    me = world.users.get(role, world.users["editor"])
    path = template.format(me=me.pk, group=Group.objects.get(name="Reviewers").pk)
    expect_admin(client_for(world, role).get(path), role, staff, superuser, path)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", TRANCHES_MODELS)
def test_the_publish_action(world: World, role: str, model: str) -> None:
    record = world.publishable[model]
    response = client_for(world, role).post(
        f"/admin/tranches/{model}/", {"action": "publish_selected", "_selected_action": [str(record.pk)]}
    )
    assert response.status_code in (200, 302)
    if role == "anonymous":
        assert response["Location"].startswith("/admin/login/")
    record.refresh_from_db()
    may_publish = role in ("reviewer", "superuser")
    assert record.status == (Status.PUBLISHED if may_publish else Status.DRAFT)
    if may_publish:
        assert record.published_by == world.users[role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", TRANCHES_MODELS)
def test_the_publish_action_is_offered_to_reviewers_only(world: World, role: str, model: str) -> None:
    response = client_for(world, role).get(f"/admin/tranches/{model}/")
    if role == "anonymous":
        assert response.status_code == 302
        return
    assert ('value="publish_selected"' in response.content.decode()) == (role in ("reviewer", "superuser"))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("how", ["delete view", "delete action"])
@pytest.mark.parametrize("model", TRANCHES_MODELS)
def test_nobody_deletes_a_published_record(world: World, role: str, how: str, model: str) -> None:
    record = world.published[model]
    client = client_for(world, role)
    if how == "delete view":
        response = client.post(f"/admin/tranches/{model}/{record.pk}/delete/", {"post": "yes"})
    else:
        data = {"action": "delete_selected", "_selected_action": [str(record.pk)], "post": "yes"}
        response = client.post(f"/admin/tranches/{model}/", data)
    if how == "delete action" and role != "anonymous" and response.status_code == 200:
        # A record other records depend on: the confirmation page says so and deletes nothing.
        assert "<title>Cannot delete" in response.content.decode()
    else:
        expect_admin(response, role, 403, 403, how)
    assert type(record).objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", TRANCHES_MODELS)
def test_nobody_reverts_history(world: World, role: str, model: str) -> None:
    record = world.published[model]
    before = record.history.count()
    path = tranches_url(world, model, TRANCHES_PAGES["history version"][0])
    response = client_for(world, role).post(path, {"_change_history": "1"})
    expect_admin(response, role, 403, 403, path)
    assert record.history.count() == before
