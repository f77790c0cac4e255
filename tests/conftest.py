"""Shared fixtures. Tests that need a service this machine may lack (PostgreSQL, Redis, chromium)
skip with a reason, unless LOANTRACKER_REQUIRE_SERVICES=1 (set by .ci/run) makes that a failure."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from public import answers
from tests.factories import UserFactory
from tests.migrations import back_to_the_latest_migration  # noqa: F401  (a fixture of the migration tests)
from tests.pages import browser, watched_page  # noqa: F401  (fixtures for every page test)
from tests.skips import REQUIRE_SERVICES, skip_or_fail  # noqa: F401  (imported by test modules)


@pytest.fixture(autouse=True)
def answers_forgotten() -> None:
    """Each test starts without the answers an earlier one left in this process (public.answers):
    another test's rolled-back rows may have had the same ids."""
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
