"""Production settings refuse to start without their secrets; the quickstart needs none."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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
    [({}, "SECRET_KEY must be set"), ({"SECRET_KEY": "x" * 50}, "ALLOWED_HOSTS must be set")],
)
def test_production_refuses_to_start_without_secret_key_and_allowed_hosts(env, missing):
    result = run_check("production", **env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_starts_with_them():
    result = run_check("production", SECRET_KEY="x" * 50, ALLOWED_HOSTS="tracker.example.org")
    assert result.returncode == 0, result.stderr


def test_local_settings_need_no_environment():
    assert run_check("local").returncode == 0


def test_production_passes_the_deployment_checklist_without_warnings():
    result = run_check(
        "production",
        "--deploy",
        "--fail-level=WARNING",
        SECRET_KEY="k" * 10 + "-x7Qz" * 10,
        ALLOWED_HOSTS="t.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
