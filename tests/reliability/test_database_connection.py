"""The database connection of the web server dropped (PostgreSQL restarted, a failover, a proxy
closing idle connections; here ``pg_terminate_backend``), against a real gunicorn. Between
requests: the next request succeeds, with the default settings (a connection per request) and
with persistent connections when health checks are on (``DATABASE_URL=…?conn_max_age=60&
conn_health_checks=True``, docs/DEPLOY.md). In the middle of an editor's save: the save fails as
a whole (nothing half-saved) and the same save sent again succeeds."""

from __future__ import annotations

import concurrent.futures
import html
import re
from typing import Any

import pytest
import requests
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from tests.reliability.conftest import database_url, pg_connect, wait_for, waiting_on_lock
from tranches.models import Disbursement, Tranche

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(90)]

# Persistent connections, checked before reuse (docs/DEPLOY.md). Without conn_health_checks the
# first request after a drop fails with a 500 (measured; not what a deployment should do).
PERSISTENT = {"conn_max_age": "60", "conn_health_checks": "True"}


def terminate_other_backends() -> int:
    """Drop every connection to this test database but the test's own; returns how many."""
    with pg_connect() as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' AND pid <> ALL(%s)",
            [list(django_pids())],
        ).fetchall()
    return len(rows)


def django_pids() -> set[int]:
    """The backend of this process's Django connection, which the test keeps."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return {int(cursor.fetchone()[0])}


@pytest.fixture
def editor_session(published_on_postgres: Any) -> requests.Session:
    """An HTTP session of a logged-in superuser (the session row is committed for the server)."""
    user = get_user_model().objects.create_superuser("chief-editor", "chief@example.org", "not-used-here")
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set(django_settings.SESSION_COOKIE_NAME, client.cookies[django_settings.SESSION_COOKIE_NAME].value)
    return session


def test_the_next_request_succeeds_after_the_connection_was_dropped(
    editor_session: requests.Session, start_web: Any
) -> None:
    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # both configurations of docs/DEPLOY.md
        per_request = pool.submit(start_web, "per-request")
        persistent = pool.submit(start_web, "persistent", DATABASE_URL=database_url(**PERSISTENT))
        servers = [per_request.result(), persistent.result()]
    pages = [web.url("/admin/tranches/tranche/") for web in servers]  # each request reads the session and the tranches
    assert [editor_session.get(page, timeout=10).status_code for page in pages] == [200, 200]

    dropped = terminate_other_backends()

    responses = [editor_session.get(page, timeout=10) for page in pages]
    assert [response.status_code for response in responses] == [200, 200], servers[1].log.read_text()[-3000:]
    name = html.escape(Tranche.objects.get(slug="drones-1").name)
    assert all(name in response.text for response in responses)
    assert dropped >= 1  # the persistent server's connection was there, and was dropped
    assert [editor_session.get(web.url("/api/v1/summary/"), timeout=10).status_code for web in servers] == [200, 200]


def _tranche_form(token: str, component_id: int) -> dict[str, Any]:
    """The admin's 'add tranche' form: a disbursed tranche and its payment, saved together."""
    management = {
        f"{prefix}-{name}": value
        for prefix, total in (("disbursements", 1), ("citations", 0))
        for name, value in (("TOTAL_FORMS", total), ("INITIAL_FORMS", 0), ("MIN_NUM_FORMS", 0), ("MAX_NUM_FORMS", 1000))
    }
    return {
        "csrfmiddlewaretoken": token,
        "component": component_id,
        "name": "Interrupted tranche",
        "slug": "interrupted-1",
        "purpose": "air defence",
        "amount": "1000000000.00",
        "stage": "disbursed",
        "disbursed_on": "2026-07-15",
        "budget_year": "2026",
        "notes": "",
        "version": 0,
        **management,
        "disbursements-0-value_date": "2026-07-15",
        "disbursements-0-amount_eur": "1000000000.00",
        "disbursements-0-reported_amount": "",
        "disbursements-0-reported_currency": "",
        "disbursements-0-notes": "",
        "disbursements-0-version": 0,
    }


def test_a_save_cut_off_by_a_dropped_connection_is_not_half_saved_and_can_be_sent_again(
    editor_session: requests.Session, start_web: Any
) -> None:
    web = start_web()
    add = web.url("/admin/tranches/tranche/add/")
    form_page = editor_session.get(add, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page.text)
    assert token is not None
    form = _tranche_form(token.group(1), Tranche.objects.get(slug="drones-1").component_id)
    insert = 'INSERT INTO "tranches_historicaldisbursement"'
    payments_before = Disbursement.objects.count()

    with pg_connect() as blocker, blocker.transaction(), concurrent.futures.ThreadPoolExecutor(1) as pool:
        # The save gets as far as the tranche, its history row and the payment, then waits on the
        # payment's history row: the connection is dropped right in the middle of the save.
        blocker.execute("LOCK TABLE tranches_historicaldisbursement IN SHARE ROW EXCLUSIVE MODE")
        pending = pool.submit(editor_session.post, add, data=form, timeout=30, allow_redirects=False)
        wait_for(lambda: waiting_on_lock(blocker, insert), 20, "the save to reach the payment's history", web.log)
        backend = waiting_on_lock(blocker, insert)
        blocker.execute("SELECT pg_terminate_backend(%s)", [backend])
        cut_off = pending.result(timeout=20)

    assert cut_off.status_code == 500  # the editor is told it failed
    assert not Tranche.objects.filter(slug="interrupted-1").exists()
    assert not Tranche.history.filter(slug="interrupted-1").exists()
    assert Disbursement.objects.count() == payments_before  # not the payment either

    again = editor_session.post(add, data=form, timeout=30, allow_redirects=False)  # the same form, sent again

    assert again.status_code == 302, again.text[-2000:]
    tranche = Tranche.objects.get(slug="interrupted-1")
    assert tranche.disbursements.get().amount_eur == tranche.amount
    assert tranche.history.count() == 1
