"""Shared fixtures. Tests that need a service this machine may lack (PostgreSQL, Redis, chromium)
skip with a reason, unless LOANTRACKER_REQUIRE_SERVICES=1 (set by .ci/run) makes that a failure."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.db import connection

from tests.factories import UserFactory
from tests.pages import browser, watched_page  # noqa: F401  (fixtures for every page test)
from tests.skips import REQUIRE_SERVICES, skip_or_fail  # noqa: F401  (imported by test modules)
from tranches.api import answers


@pytest.fixture(autouse=True)
def process_cache_cleared() -> None:
    """Each test starts without what an earlier one left in this process (the pages keep the chart
    data head they read for a second and the pages they rendered; the API its answers): another
    test's rolled-back rows may have had the same ids."""
    caches["process"].clear()
    answers.answers_forget()


@pytest.fixture
def require_postgres() -> None:
    if connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://…")


@pytest.fixture
def editor(db):
    user = UserFactory(username="editor", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def reviewer(db):
    user = UserFactory(username="reviewer", is_staff=True)
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user
