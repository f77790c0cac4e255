"""Migrating the test database back and forth, for the tests of data migrations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(targets: list[tuple[str, str]]) -> Any:
    """Migrate the test database to ``targets`` (app, migration) and return the models as they
    were then (``apps.get_model``)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_latest() -> None:
    """Migrate the test database to the latest migration of every app (the schema the code reads)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def back_to_the_latest_migration() -> Iterator[None]:
    """Later tests run on the latest schema, not on the one a test stopped at."""
    yield
    migrate_to_latest()
