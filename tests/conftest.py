"""Shared fixtures. Tests that need a service this machine may lack (PostgreSQL, Redis, chromium)
skip with a reason, unless LOANTRACKER_REQUIRE_SERVICES=1 (set by .ci/run) makes that a failure."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection

from tests.factories import UserFactory
from tests.migrations import back_to_the_latest_migration  # noqa: F401  (a fixture of the migration tests)
from tests.pages import browser, watched_page  # noqa: F401  (fixtures for every page test)
from tests.skips import REQUIRE_SERVICES, skip_or_fail  # noqa: F401  (imported by test modules)

# The first shipped dataset file, frozen: tests of the mechanics (the API, the loader's messages)
# run on it, so that the shipped record (data/initial_dataset.toml) can grow without moving them.
FIRST_DATASET = Path(__file__).resolve().parent / "data" / "v1" / "initial_dataset.toml"


@pytest.fixture(autouse=True)
def answers_forgotten() -> None:
    """Each test starts with an empty cache: the public answers an earlier test kept (public.answers,
    keyed by release) showed rolled-back rows that may have had the same ids, numbers and times."""
    cache.clear()


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
