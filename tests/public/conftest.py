"""Fixtures of the public side's tests: the dataset published as Release 1 with its figures and
charts built as the jobs build them, and an anonymous client."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from reports.models import FigureSnapshot
from tests.reports.conftest import charted_dataset


@pytest.fixture
def client() -> APIClient:
    return APIClient()


@pytest.fixture
def charted(db: Any, settings: Any) -> FigureSnapshot:
    settings.API_THROTTLE_ANON = None
    return charted_dataset()
