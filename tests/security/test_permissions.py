"""The permissions matrix (docs/SECURITY.md): who may do what on each surface, one test per cell.

Roles: anonymous; an editor (staff, group Editors); a reviewer (staff, group Reviewers); a superuser.
Logged-in roles use a session, as a browser would. The test client skips the CSRF check, as a
request carrying a valid token would pass it: a write refused here is refused by the view itself.

- Admin: anonymous users are sent to the login page; editors and reviewers open every page of the
  ten tranches models (the money and its sources; milestones, conditions, estimates, open
  questions), read the job runs (not the other reports models) and none of the auth
  models; both see the releases and the pending changes; only reviewers and superusers review and
  publish a release (the review page) and keep the list of purposes; nobody edits or deletes a
  release, deletes a published record or reverts history.
- Public surfaces (API, schema, docs, feed, dashboard, snapshot pages, embeds, chart CSVs): the same
  for everyone, logged in or not; GET and HEAD answer, writes are refused, and no response contains
  a draft, an unpublished edit, a change reason or anyone's identity (conftest.SECRETS).

Elsewhere, and only overlapped here by a cell or two: the messages of a publication or a refusal in
the admin (tests/tranches/test_admin.py), the refusals of the services themselves
(tests/tranches/test_publication.py, tests/tranches/test_releases.py), each kind of draft edit in
the JSON lists (tests/api/test_drafts.py), the framing headers of the dashboard and of one embed
(tests/reports/test_charts.py).
"""

from __future__ import annotations

import io
import zipfile
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

from tests.security.conftest import (
    DRAFT_MARK,
    EDIT_REASON,
    RELEASE_NOTE,
    REPORTS_MODELS,
    ROLES,
    SECRETS,
    TRANCHES_MODELS,
    World,
)
from tranches import services
from tranches.models import PUBLISHED_MODEL, Publishable, Purpose, Release, Status

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
    """Fill ``{instrument}``…``{citation}`` with published ids, ``{hash}`` with the snapshot's and
    ``{release}`` with the number of the reviewer's release."""
    assert world.snapshot is not None
    assert world.release is not None
    ids = {model: record.pk for model, record in world.published.items()}
    return template.format(hash=world.snapshot.content_hash, release=world.release.number, **ids)


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
    "/api/v1/releases/",
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
    "/api/v1/releases/{release}/",
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
    # Past releases: Release 1 (the dataset) and 2 (the reviewer's; an edit of a published record).
    *(f"{path}?release={number}" for path in API_LISTS for number in (1, 2)),
    "/api/v1/instruments/{instrument}/?release=1",
    "/api/v1/changes/?release=2&format=csv",
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


@pytest.mark.parametrize("role", ["anonymous", "superuser"])
def test_a_release_shows_its_note_and_never_who_published_it(world: World, role: str) -> None:
    response = client_for(world, role).get(url(world, "/api/v1/releases/{release}/"))
    assert response.status_code == 200, response.content[:300]
    assert response.json()["note"] == RELEASE_NOTE  # public: the corrections log
    assert_nothing_secret(response)  # the reviewer is the release's published_by


def test_the_leak_check_would_see_a_secret(world: World) -> None:
    # The check is not vacuous: the same strings are where they belong, in the admin.
    client = client_for(world, "superuser")
    history = client.get(f"/admin/tranches/instrument/{world.published['instrument'].pk}/history/")
    drafts = client.get("/admin/tranches/tranche/?status=draft")
    with pytest.raises(AssertionError):
        assert_nothing_secret(history)
    releases = client.get("/admin/tranches/release/")
    received = text_of(history) + text_of(drafts) + text_of(releases)
    people = (world.users["editor"].username, world.users["reviewer"].username)
    assert all(secret in received for secret in (DRAFT_MARK, EDIT_REASON, *people))


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
# Computed by the jobs: read-only for superusers. Editors and reviewers read the job runs (so that a
# failed job is seen; reports/migrations/0004) and nothing else of them.
REPORTS_PAGES = {
    "changelist": ("/admin/reports/{model}/", 403, 200),
    "add": ("/admin/reports/{model}/add/", 403, 403),
    "change": ("/admin/reports/{model}/{pk}/change/", 403, 200),
    "delete": ("/admin/reports/{model}/{pk}/delete/", 403, 403),
    "history": ("/admin/reports/{model}/{pk}/history/", 403, 200),
}
# (model, page) -> what editors and reviewers get instead: the job runs, read-only.
REPORTS_STAFF_READS = {("jobrun", page): 200 for page in ("changelist", "change", "history")}
# Accounts: only superusers, so nobody gives themselves a group or a permission.
AUTH_PAGES = {
    "users": ("/admin/auth/user/", 403, 200),
    "add user": ("/admin/auth/user/add/", 403, 200),
    "change own account": ("/admin/auth/user/{me}/change/", 403, 200),
    "groups": ("/admin/auth/group/", 403, 200),
    "change group": ("/admin/auth/group/{group}/change/", 403, 200),
}
RELEASES = "/admin/tranches/release/"
PENDING = "/admin/tranches/release/pending/"
REVIEW = "/admin/tranches/release/review/"
# Releases and the list of purposes (tranches/admin/releases.py): page -> (URL template, expected
# status for editors, reviewers, superusers). Releases are made on the review page only and never
# edited or deleted, by anyone; editors see them and the pending changes; only reviewers review and
# publish; reviewers keep the list of purposes, which editors only read. {release}: the reviewer's
# release; {purpose}: a listed purpose no tranche uses; {changes}: the publishable instrument and its citation.
RELEASE_PAGES = {
    "releases": (RELEASES, 200, 200, 200),
    "release (read-only)": (RELEASES + "{release}/change/", 200, 200, 200),
    "release history": (RELEASES + "{release}/history/", 200, 200, 200),
    "add release": (RELEASES + "add/", 403, 403, 403),
    "delete release": (RELEASES + "{release}/delete/", 403, 403, 403),
    "pending changes": (PENDING, 200, 200, 200),
    "review": (REVIEW + "?{changes}", 403, 200, 200),
    "purposes": ("/admin/tranches/purpose/", 200, 200, 200),
    "add purpose": ("/admin/tranches/purpose/add/", 403, 200, 200),
    "purpose (editors: read-only)": ("/admin/tranches/purpose/{purpose}/change/", 200, 200, 200),
    "purpose history": ("/admin/tranches/purpose/{purpose}/history/", 200, 200, 200),
    "delete purpose": ("/admin/tranches/purpose/{purpose}/delete/", 403, 403, 200),
}


def expect_admin(response: Any, role: str, staff: int, superuser: int, path: str) -> None:
    expect_roles(response, role, {"editor": staff, "reviewer": staff, "superuser": superuser}, path)


def expect_roles(response: Any, role: str, expected: dict[str, int], path: str) -> None:
    """Anonymous users are sent to the login page; each other role gets its ``expected`` status."""
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")
        return
    assert response.status_code == expected[role], f"{role} {path}: {response.status_code}"


def tranches_url(world: World, model: str, template: str) -> str:
    published, draft = world.published[model], world.drafts[model]
    history_id = published.history.order_by("history_id").values_list("history_id", flat=True).first()
    return template.format(model=model, pub=published.pk, draft=draft.pk, hid=history_id)


def current(record: Publishable) -> Publishable:
    """``record`` as stored now (the world's objects are shared by the tests of the module)."""
    return type(record)._default_manager.get(pk=record.pk)


def release_changes(world: World, model: str) -> list[str]:
    """The review form's tokens of the publishable draft of ``model`` and the citation it needs."""
    return [
        services.Change.of(current(record)).token
        for record in (world.publishable[model], *world.publishable_with[model])
    ]


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_index(world: World, role: str) -> None:
    response = client_for(world, role).get("/admin/")
    expect_admin(response, role, 200, 200, "/admin/")
    if role != "anonymous":
        page = response.content.decode()
        assert [model for model in TRANCHES_MODELS if f"/admin/tranches/{model}/" not in page] == []
        assert RELEASES in page
        assert "/admin/tranches/purpose/" in page
        # The index lists only what the role may open.
        assert "/admin/reports/jobrun/" in page  # everyone on staff sees the job runs and their failures
        assert ("/admin/reports/figuresnapshot/" in page) == (role == "superuser")
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
    staff = REPORTS_STAFF_READS.get((model, page), staff)
    path = template.format(model=model, pk=world.reports[model].pk)
    response = client_for(world, role).get(path)
    expect_admin(response, role, staff, superuser, path)
    if page == "change" and response.status_code == 200:
        assert 'name="_save"' not in response.content.decode()  # read-only, for superusers too


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", AUTH_PAGES)
def test_the_admin_pages_of_accounts(world: World, role: str, page: str) -> None:
    template, staff, superuser = AUTH_PAGES[page]
    me = world.users.get(role, world.users["editor"])
    path = template.format(me=me.pk, group=Group.objects.get(name="Reviewers").pk)
    expect_admin(client_for(world, role).get(path), role, staff, superuser, path)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", RELEASE_PAGES)
def test_the_admin_pages_of_releases_and_purposes(world: World, role: str, page: str) -> None:
    template, editor, reviewer, superuser = RELEASE_PAGES[page]
    assert world.release is not None
    releases_before = Release.objects.count()
    path = template.format(
        release=world.release.number,
        purpose=Purpose.objects.get_or_create(name="unused purpose")[0].pk,  # one in use is never deleted
        changes=urlencode([("change", token) for token in release_changes(world, "instrument")]),
    )
    response = client_for(world, role).get(path)
    expect_roles(response, role, {"editor": editor, "reviewer": reviewer, "superuser": superuser}, path)
    assert Release.objects.count() == releases_before  # reading a page, even the review, publishes nothing


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", TRANCHES_MODELS)
def test_publishing_a_release_from_the_review_page(world: World, role: str, model: str) -> None:
    record = world.publishable[model]
    before = Release.objects.latest()
    response = client_for(world, role).post(
        REVIEW, {"change": release_changes(world, model), "note": "Published from the matrix"}
    )
    may_publish = role in ("reviewer", "superuser")
    if may_publish:
        assert response.status_code == 302, response.content[-2000:]
        assert response["Location"] == RELEASES
    else:
        expect_roles(response, role, {"editor": 403}, REVIEW)
    published = PUBLISHED_MODEL[type(record)].objects.filter(id=record.pk)
    assert current(record).status == (Status.PUBLISHED if may_publish else Status.DRAFT)
    assert published.exists() == may_publish
    release = Release.objects.latest()
    if may_publish:
        assert (release.number, release.published_by, release.note) == (
            before.number + 1,
            world.users[role],
            "Published from the matrix",
        )
        assert published.get().entered_id == release.number
    else:
        assert release == before


@pytest.mark.parametrize("role", ROLES)
def test_the_review_is_offered_to_reviewers_only(world: World, role: str) -> None:
    response = client_for(world, role).get(PENDING)
    expect_roles(response, role, {"editor": 200, "reviewer": 200, "superuser": 200}, PENDING)
    if role == "anonymous":
        return
    page = response.content.decode()
    may_publish = role in ("reviewer", "superuser")
    assert DRAFT_MARK in page  # everyone on staff sees what is pending
    assert ('name="change"' in page) == may_publish
    assert ("Review the ticked changes" in page) == may_publish
    assert ("Only reviewers can publish." in page) == (not may_publish)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", TRANCHES_MODELS)
def test_no_record_is_published_outside_a_release(world: World, role: str, model: str) -> None:
    # The lists' old "Publish selected records" action is gone: a forged POST of it publishes nothing.
    record = world.publishable[model]
    releases_before = Release.objects.count()
    response = client_for(world, role).post(
        f"/admin/tranches/{model}/", {"action": "publish_selected", "_selected_action": [str(record.pk)]}
    )
    assert response.status_code in (200, 302)
    if role == "anonymous":
        assert response["Location"].startswith("/admin/login/")
    else:
        assert (
            'value="publish_selected"' not in client_for(world, role).get(f"/admin/tranches/{model}/").content.decode()
        )
    assert current(record).status == Status.DRAFT
    assert Release.objects.count() == releases_before


def test_a_publication_without_a_csrf_token_is_refused(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions["reviewer"]
    releases_before = Release.objects.count()
    response = client.post(REVIEW, {"change": release_changes(world, "source"), "note": "Forged"})
    assert response.status_code == 403
    assert Release.objects.count() == releases_before
    assert current(world.publishable["source"]).status == Status.DRAFT


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("how", ["add", "change"])
def test_reviewers_keep_the_list_of_purposes(world: World, role: str, how: str) -> None:
    listed = Purpose.objects.create(name="unused purpose")  # a purpose in use keeps its name (tests/tranches)
    path = "/admin/tranches/purpose/add/" if how == "add" else f"/admin/tranches/purpose/{listed.pk}/change/"
    response = client_for(world, role).post(path, {"name": "Mine clearance", "description": "Written"})
    may_keep = role in ("reviewer", "superuser")
    if may_keep:
        assert response.status_code == 302, response.content[-2000:]
    else:
        expect_roles(response, role, {"editor": 403}, path)
    names = set(Purpose.objects.values_list("name", flat=True))
    assert ("Mine clearance" in names) == may_keep
    assert ("unused purpose" in names) == (how == "add" or not may_keep)


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
@pytest.mark.parametrize("how", ["change", "delete view", "delete action"])
def test_nobody_changes_or_deletes_a_release(world: World, role: str, how: str) -> None:
    assert world.release is not None
    number = world.release.number
    client = client_for(world, role)
    if how == "change":
        data = {"note": "Rewritten", "published_at_0": "2026-01-01", "published_at_1": "00:00:00"}
        response = client.post(f"{RELEASES}{number}/change/", data)
    elif how == "delete view":
        response = client.post(f"{RELEASES}{number}/delete/", {"post": "yes"})
    else:
        response = client.post(
            RELEASES, {"action": "delete_selected", "_selected_action": [str(number)], "post": "yes"}
        )
    if how == "delete action" and role != "anonymous":
        assert response.status_code in (200, 302)  # the list offers no such action: nothing happens
    else:
        expect_admin(response, role, 403, 403, how)
    release = Release.objects.get(number=number)
    assert (release.note, release.published_at) == (world.release.note, world.release.published_at)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", TRANCHES_MODELS)
def test_nobody_reverts_history(world: World, role: str, model: str) -> None:
    record = world.published[model]
    before = record.history.count()
    path = tranches_url(world, model, TRANCHES_PAGES["history version"][0])
    response = client_for(world, role).post(path, {"_change_history": "1"})
    expect_admin(response, role, 403, 403, path)
    assert record.history.count() == before
