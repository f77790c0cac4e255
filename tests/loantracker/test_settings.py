"""Production settings refuse to start without their secrets, with a weak or published SECRET_KEY
and with a wildcard ALLOWED_HOSTS, saying what to set; the quickstart needs none."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A key as `secrets.token_urlsafe(50)` makes one (67 characters); only for these tests.
GOOD_KEY = "q3Jx9vTqL0m2Zr8WcYb5NfHs7Ud1Ke4Pa6Gi-Ow_Rl9Ct2Vn8Ej0Sy3Mh5Bx7Dk1Fu4Ap6Wz"
GENERATE = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'


def run_check(settings: str, *extra: str, **env: str) -> subprocess.CompletedProcess[str]:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests for their own process; a deployment never has it.
    dropped = ("SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", "check", f"--settings=loantracker.settings.{settings}", *extra],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "missing"),
    [({}, "SECRET_KEY must be set"), ({"SECRET_KEY": GOOD_KEY}, "ALLOWED_HOSTS must be set")],
)
def test_production_refuses_to_start_without_secret_key_and_allowed_hosts(env, missing):
    result = run_check("production", **env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_starts_with_them():
    result = run_check("production", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="tracker.example.org")
    assert result.returncode == 0, result.stderr


def test_local_settings_need_no_environment():
    assert run_check("local").returncode == 0


def test_production_passes_the_deployment_checklist_without_warnings():
    result = run_check(
        "production",
        "--deploy",
        "--fail-level=WARNING",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="t.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("short", "SECRET_KEY is 5 characters long; production needs at least 50 random characters"),
        (GOOD_KEY[:49], "SECRET_KEY is 49 characters long; production needs at least 50 random characters"),
        ("ab" * 40, "SECRET_KEY is 80 characters long; production needs at least 50 random characters (5 different"),
        ("django-insecure-" + GOOD_KEY, "SECRET_KEY is a known, published key (it starts with 'django-insecure')"),
        ("local-development-only-not-secret", "SECRET_KEY is a known, published key (a default of this project)"),
        ("test-only-not-secret", "SECRET_KEY is a known, published key (a default of this project)"),
    ],
)
def test_production_refuses_a_short_weak_or_published_secret_key(key: str, message: str) -> None:
    result = run_check("production", SECRET_KEY=key, ALLOWED_HOSTS="tracker.example.org")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
    assert f"Generate one with: {GENERATE}" in result.stderr or f"Set a new random one: {GENERATE}" in result.stderr
    assert key not in result.stderr.replace(message, "")  # the key itself is never printed


@pytest.mark.parametrize("hosts", ["*", "tracker.example.org,*", "*.example.org", " * "])
def test_production_refuses_a_wildcard_allowed_hosts(hosts: str) -> None:
    result = run_check("production", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS=hosts)

    assert result.returncode != 0
    assert "which accepts any Host header" in result.stderr
    assert "Name the public host name(s) instead, e.g. ALLOWED_HOSTS=tracker.example.org" in result.stderr


def test_production_accepts_a_leading_dot_for_subdomains() -> None:
    result = run_check("production", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS=".example.org")
    assert result.returncode == 0, result.stderr


def test_a_load_balancer_probes_health_over_plain_http_without_a_redirect(tmp_path: Path) -> None:
    # Production settings in a process of their own, on an empty SQLite file: /healthz/web/ needs
    # only a connection. Everything else is still redirected to https.
    probe = (
        "import django, json; django.setup(); from django.test import Client; c = Client(); "
        "h = c.get('/healthz/web/', HTTP_HOST='tracker.example.org'); "
        "s = c.get('/api/v1/summary/', HTTP_HOST='tracker.example.org'); "
        "print(json.dumps([h.status_code, h.content.decode(), s.status_code, s.get('Location')]))"
    )
    clean = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "loantracker.settings.production",
            "SECRET_KEY": GOOD_KEY,
            "ALLOWED_HOSTS": "tracker.example.org",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
            "CACHE_URL": "locmemcache://",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    health_status, health_body, summary_status, location = json.loads(result.stdout.strip().splitlines()[-1])

    assert health_status == 200, health_body
    assert json.loads(health_body) == {"healthy": True, "checks": {"database": "OK"}}
    assert summary_status == 301
    assert location == "https://tracker.example.org/api/v1/summary/"
