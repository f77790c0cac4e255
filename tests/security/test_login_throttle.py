"""The admin login throttle (django-axes; loantracker/settings/logins.py, loantracker/logins.py).

After LOGIN_FAILURE_LIMIT failed logins for one account, or from one address, logins are refused
with 429 and the lockout page — even with the right password — until LOGIN_COOLOFF seconds have
passed since the last failure or a superuser unlocks them. The address is the one the API throttle
counts (API_NUM_PROXIES): a client's own X-Forwarded-For never changes it.

Each attempt is a new browser (no cookies), as a password-guessing script would be."""

from __future__ import annotations

import collections
import datetime
import io
import re
import runpy
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from loantracker import logins
from tests.factories import UserFactory
from tests.reliability.conftest import ROOT, WebServer, service_env

pytestmark = pytest.mark.django_db

LOGINS_SETTINGS = Path(__file__).resolve().parents[2] / "loantracker" / "settings" / "logins.py"
LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
ATTACKER = "198.51.100.7"
ELSEWHERE = "198.51.100.99"
PROXY = "10.0.0.2"  # the reverse proxy, as the application sees it (REMOTE_ADDR)
WRONG_PASSWORD = "Please enter the correct username and password for a staff account."


def staff(username: str) -> Any:
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="Editors")[0])  # transactional tests may have flushed it
    return user


def attempt(username: str, password: str, remote_addr: str = ATTACKER, forwarded_for: str | None = None) -> str:
    """One login from a new browser: 'in' (redirected into the admin), 'wrong' (the login form again,
    with Django's wrong-password message) or 'locked' (429 and the lockout page)."""
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    response = Client().post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, **headers)  # type: ignore[arg-type]
    page = response.content.decode()
    if response.status_code == 302:
        assert response["Location"] == "/admin/"
        return "in"
    if response.status_code == 429:
        assert logins.lockout_message() in page
        return "locked"
    assert response.status_code == 200, response.status_code
    assert WRONG_PASSWORD in page
    return "wrong"


def test_fifty_wrong_passwords_lock_the_account_and_the_address_until_a_superuser_unlocks_them() -> None:
    staff("ed-target")
    staff("ed-colleague")
    staff("ed-elsewhere")
    limit = settings.AXES_FAILURE_LIMIT

    answers = collections.Counter(attempt("ed-target", f"guess-{n}") for n in range(50))

    # The measurement: only the first limit - 1 guesses were even checked.
    assert answers == {"wrong": limit - 1, "locked": 50 - (limit - 1)}
    assert attempt("ed-target", PASSWORD) == "locked"  # the right password too
    assert attempt("ed-target", PASSWORD, remote_addr=ELSEWHERE) == "locked"  # per account, from anywhere
    assert attempt("ed-colleague", PASSWORD) == "locked"  # per address, for any account
    assert attempt("ed-elsewhere", PASSWORD, remote_addr=ELSEWHERE) == "in"  # nobody else is affected

    out = io.StringIO()
    call_command("axes_reset_username", "ed-target", stdout=out)

    assert "attempts removed" in out.getvalue()
    assert attempt("ed-target", PASSWORD) == "in"
    assert attempt("ed-colleague", PASSWORD) == "in"  # the one refused try above is below the limit


def test_the_lockout_page_says_what_happened_for_how_long_and_who_can_unlock() -> None:
    staff("ed-target")
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt("ed-target", f"guess-{n}")

    response = Client().post(LOGIN, {"username": "ed-target", "password": PASSWORD}, REMOTE_ADDR=ATTACKER)

    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.LOGIN_COOLOFF)
    page = response.content.decode()
    assert (
        f"Too many failed logins ({settings.LOGIN_FAILURE_LIMIT}) for this account or from this address. "
        f"Logins are refused, even with the right password, until {settings.LOGIN_COOLOFF // 60} minutes"
    ) in page
    assert logins.UNLOCK in page
    assert "EU Ukraine-loan tracker" in page  # the admin's own page, with its header
    assert "id_password" not in page  # no form to keep guessing with
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_without_a_cool_off_the_page_says_until_a_superuser_unlocks(settings: Any) -> None:
    settings.AXES_COOLOFF_TIME = None
    staff("ed-target")
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt("ed-target", f"guess-{n}")

    response = Client().post(LOGIN, {"username": "ed-target", "password": PASSWORD}, REMOTE_ADDR=ATTACKER)

    assert response.status_code == 429
    assert "Retry-After" not in response
    assert "until a superuser unlocks them" in response.content.decode()


def test_the_lock_ends_after_the_cool_off_without_failures() -> None:
    staff("ed-target")
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt("ed-target", f"guess-{n}")
    assert attempt("ed-target", PASSWORD) == "locked"
    cooloff = datetime.timedelta(seconds=settings.LOGIN_COOLOFF)

    # Almost the whole cool-off since the last failure: still locked (and that try starts it again).
    AccessAttempt.objects.update(attempt_time=timezone.now() - cooloff + datetime.timedelta(seconds=30))
    assert attempt("ed-target", PASSWORD) == "locked"
    AccessAttempt.objects.update(attempt_time=timezone.now() - cooloff - datetime.timedelta(seconds=1))
    assert attempt("ed-target", PASSWORD) == "in"


def test_a_superuser_unlocks_in_the_admin_and_nobody_else_sees_the_attempts() -> None:
    staff("ed-target")
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt("ed-target", f"guess-{n}")
    superuser = Client()
    superuser.force_login(UserFactory(username="su-operator", is_staff=True, is_superuser=True))
    editor = Client()
    editor.force_login(staff("ed-other"))

    listed = superuser.get("/admin/axes/accessattempt/")
    assert listed.status_code == 200
    assert "ed-target" in listed.content.decode()
    assert ATTACKER in listed.content.decode()
    assert editor.get("/admin/axes/accessattempt/").status_code == 403
    assert "guess-" not in str(list(AccessAttempt.objects.values_list("post_data", flat=True)))  # no password kept

    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    deleted = superuser.post(
        "/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )

    assert deleted.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert attempt("ed-target", PASSWORD) == "in"


def test_spraying_one_password_over_many_accounts_locks_the_address() -> None:
    for n in range(10):
        staff(f"ed-{n}")
    limit = settings.AXES_FAILURE_LIMIT

    answers = [attempt(f"ed-{n}", "Summer2026!") for n in range(10)]

    assert answers == ["wrong"] * (limit - 1) + ["locked"] * (10 - limit + 1)
    assert attempt("ed-9", PASSWORD) == "locked"
    assert attempt("ed-9", PASSWORD, remote_addr=ELSEWHERE) == "in"  # the accounts themselves are not locked


def test_without_proxies_a_forged_forwarded_for_does_not_dodge_the_lock(settings: Any) -> None:
    # API_NUM_PROXIES=0 (the default): X-Forwarded-For is the client's own and counts for nothing.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    for n in range(10):
        staff(f"ed-{n}")
    limit = settings.AXES_FAILURE_LIMIT

    answers = [attempt(f"ed-{n}", "Summer2026!", forwarded_for=f"203.0.113.{n}") for n in range(10)]

    assert answers == ["wrong"] * (limit - 1) + ["locked"] * (10 - limit + 1)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_behind_one_proxy_the_address_it_appended_is_counted(settings: Any) -> None:
    # API_NUM_PROXIES=1: the proxy appends the address it saw; whatever the client wrote before it is ignored.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for n in range(10):
        staff(f"ed-{n}")
    limit = settings.AXES_FAILURE_LIMIT

    answers = [
        attempt(f"ed-{n}", "Summer2026!", remote_addr=PROXY, forwarded_for=f"203.0.113.{n}, {ATTACKER}")
        for n in range(10)
    ]

    assert answers == ["wrong"] * (limit - 1) + ["locked"] * (10 - limit + 1)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    # A colleague behind the same proxy is another address: not locked out with the attacker.
    assert attempt("ed-9", PASSWORD, remote_addr=PROXY, forwarded_for=ELSEWHERE) == "in"


@pytest.mark.parametrize(
    ("environment", "limit", "cooloff"),
    [
        ({}, 5, datetime.timedelta(minutes=15)),
        ({"LOGIN_FAILURE_LIMIT": "3", "LOGIN_COOLOFF": "60"}, 3, datetime.timedelta(minutes=1)),
        ({"LOGIN_COOLOFF": "0"}, 5, None),
    ],
)
def test_the_limit_and_the_cool_off_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], limit: int, cooloff: datetime.timedelta | None
) -> None:
    for name in ("LOGIN_FAILURE_LIMIT", "LOGIN_COOLOFF"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    loaded = runpy.run_path(str(LOGINS_SETTINGS))

    assert loaded["AXES_FAILURE_LIMIT"] == limit
    assert loaded["AXES_COOLOFF_TIME"] == cooloff
    assert loaded["AXES_LOCKOUT_PARAMETERS"] == ["username", "ip_address"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LOGIN_FAILURE_LIMIT", "0", "LOGIN_FAILURE_LIMIT must be 1 or more"),
        ("LOGIN_COOLOFF", "-1", "LOGIN_COOLOFF must be 0"),
    ],
)
def test_a_limit_below_one_or_a_negative_cool_off_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        runpy.run_path(str(LOGINS_SETTINGS))


# -- the same against a real gunicorn (PostgreSQL: the server reads this test's committed data) ---------


@pytest.fixture
def gunicorn(require_postgres: Any, transactional_db: Any, tmp_path: Path) -> Iterator[WebServer]:
    server = WebServer(tmp_path / "web.log")
    server.start()
    yield server
    server.stop()


def http_attempt(server: WebServer, username: str, password: str) -> str:
    """One login through gunicorn as a browser makes it: the form (CSRF cookie and token), then the POST."""
    session = requests.Session()
    form = session.get(server.url(LOGIN), timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert token, form.text[:500]
    response = session.post(
        server.url(LOGIN),
        data={"csrfmiddlewaretoken": token.group(1), "username": username, "password": password, "next": "/admin/"},
        allow_redirects=False,
        timeout=10,
    )
    if response.status_code == 302:
        return "in"
    if response.status_code == 429:
        return "locked"
    assert response.status_code == 200, response.status_code
    assert WRONG_PASSWORD in response.text
    return "wrong"


@pytest.mark.postgres
@pytest.mark.timeout(120)
def test_fifty_wrong_passwords_through_gunicorn(gunicorn: WebServer) -> None:
    staff("ed-target")
    limit = settings.AXES_FAILURE_LIMIT

    started = time.monotonic()
    answers = collections.Counter(http_attempt(gunicorn, "ed-target", f"guess-{n}") for n in range(50))
    seconds = time.monotonic() - started

    print(f"50 wrong passwords through gunicorn in {seconds:.1f} s: {dict(answers)}")
    assert answers == {"wrong": limit - 1, "locked": 50 - (limit - 1)}
    assert http_attempt(gunicorn, "ed-target", PASSWORD) == "locked"
    reset = subprocess.run(
        [sys.executable, "manage.py", "axes_reset_username", "ed-target"],
        cwd=ROOT, env=service_env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert reset.returncode == 0, reset.stderr
    assert http_attempt(gunicorn, "ed-target", PASSWORD) == "in"
