"""Tests that need a service this machine may lack (PostgreSQL, Redis, chromium) skip with a reason,
unless LOANTRACKER_REQUIRE_SERVICES=1 (set by .ci/run) makes that a failure."""

from __future__ import annotations

import os

import pytest

REQUIRE_SERVICES = os.environ.get("LOANTRACKER_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where every service must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (LOANTRACKER_REQUIRE_SERVICES=1 requires it)")
    pytest.skip(reason)
