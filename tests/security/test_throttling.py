"""Throttling behind proxies. The anonymous throttle counts requests per client; which address is the
client's comes from API_NUM_PROXIES (REST_FRAMEWORK["NUM_PROXIES"]): 0 trusts no X-Forwarded-For, so
a client cannot dodge the limit by sending one; N takes the N-th address from the end of the header,
the one the outermost of the N proxies in front of the application wrote.
tests/api/test_http.py covers the 429 itself (Retry-After, the error format)."""

from __future__ import annotations

import runpy
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

pytestmark = pytest.mark.django_db

API_SETTINGS = Path(__file__).resolve().parents[2] / "loantracker" / "settings" / "api.py"
PATH = "/api/v1/instruments/"
PROXY = "10.0.0.2"  # the reverse proxy, as the application sees it (REMOTE_ADDR)


@pytest.fixture
def three_a_minute(settings: Any) -> Iterator[Any]:
    settings.API_THROTTLE_ANON = "3/min"
    cache.clear()
    yield settings
    cache.clear()


def behind(settings: Any, proxies: int) -> None:
    # Changing REST_FRAMEWORK makes DRF reload its settings (its setting_changed receiver).
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}


def statuses(client: Client, forwarded_for: Sequence[str | None], remote_addr: str = PROXY) -> list[int]:
    codes = []
    for value in forwarded_for:
        headers = {"REMOTE_ADDR": remote_addr}
        if value is not None:
            headers["HTTP_X_FORWARDED_FOR"] = value
        codes.append(client.get(PATH, **headers).status_code)  # type: ignore[arg-type]
    return codes


@pytest.mark.parametrize(
    ("environment", "expected"),
    [({}, 0), ({"API_NUM_PROXIES": "0"}, 0), ({"API_NUM_PROXIES": "1"}, 1), ({"API_NUM_PROXIES": "2"}, 2)],
)
def test_api_num_proxies_comes_from_the_environment_and_defaults_to_none_trusted(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: int
) -> None:
    monkeypatch.delenv("API_NUM_PROXIES", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    loaded = runpy.run_path(str(API_SETTINGS))
    assert loaded["API_NUM_PROXIES"] == expected
    assert loaded["REST_FRAMEWORK"]["NUM_PROXIES"] == expected


def test_a_negative_number_of_proxies_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_NUM_PROXIES", "-1")
    with pytest.raises(ImproperlyConfigured, match="API_NUM_PROXIES must be 0 or more"):
        runpy.run_path(str(API_SETTINGS))


def test_without_proxies_a_forged_forwarded_for_does_not_dodge_the_throttle(three_a_minute: Any) -> None:
    behind(three_a_minute, 0)
    client = Client()
    forged = [f"203.0.113.{n}" for n in range(1, 6)]  # a new "client address" on every request
    assert statuses(client, forged, remote_addr="198.51.100.7") == [200, 200, 200, 429, 429]
    # Counted by the address the request really came from: another one is not affected.
    assert statuses(client, [None], remote_addr="198.51.100.8") == [200]


def test_without_proxies_the_header_does_not_frame_another_client(three_a_minute: Any) -> None:
    behind(three_a_minute, 0)
    client = Client()
    # A client naming someone else's address in the header uses up its own allowance, not theirs.
    assert statuses(client, ["198.51.100.8"] * 4, remote_addr="198.51.100.7") == [200, 200, 200, 429]
    assert statuses(client, [None], remote_addr="198.51.100.8") == [200]


def test_behind_one_proxy_the_last_forwarded_address_is_the_client(three_a_minute: Any) -> None:
    behind(three_a_minute, 1)
    client = Client()
    # Whatever a client puts in front, the proxy appends the address it saw: that one is counted.
    forged = [f"203.0.113.{n}, 198.51.100.7" for n in range(1, 6)]
    assert statuses(client, forged) == [200, 200, 200, 429, 429]
    # Other clients behind the same proxy are counted apart: the proxy's own address is no one's.
    assert statuses(client, ["198.51.100.8", "203.0.113.1, 198.51.100.9"]) == [200, 200]


def test_behind_two_proxies_the_second_last_forwarded_address_is_the_client(three_a_minute: Any) -> None:
    behind(three_a_minute, 2)
    client = Client()
    # A CDN appends the client, the load balancer behind it appends the CDN's address.
    forged = [f"203.0.113.{n}, 198.51.100.7, 192.0.2.10" for n in range(1, 6)]
    assert statuses(client, forged) == [200, 200, 200, 429, 429]
    assert statuses(client, ["198.51.100.8, 192.0.2.10"]) == [200]


def test_a_session_does_not_lift_the_throttle(three_a_minute: Any, django_user_model: Any) -> None:
    # The API has no authentication: a logged-in superuser is one more anonymous client.
    behind(three_a_minute, 0)
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("throttled-admin", "a@example.invalid", "pw"))
    assert statuses(client, [None] * 4, remote_addr="198.51.100.7") == [200, 200, 200, 429]
