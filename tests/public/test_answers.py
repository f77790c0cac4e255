"""One way out: every public answer is a function of (what it shows, the request). A revalidation
costs one indexed query, a kept answer one query, a cold answer a number of queries that does not
depend on the page; a release is seen by the very next request, whichever process published it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from reports import services as report_services
from tests.releases import released
from tranches import services
from tranches.models import Tranche

pytestmark = pytest.mark.django_db

ANSWERS = [
    "/api/v1/instruments/",
    "/api/v1/tranches/?page_size=5",
    "/api/v1/disbursements/",
    "/api/v1/releases/",
    "/api/v1/changes/",
    "/api/v1/summary/",
    "/api/v1/timeseries/?interval=year",
    "/api/v1/summary/?format=csv",
    "/",
    "/embed/stages/",
    "/charts/stages.csv",
]


@pytest.mark.parametrize("path", ANSWERS)
def test_a_revalidation_and_a_kept_answer_cost_one_query(client, charted, django_assert_num_queries, path):
    first = client.get(path)
    assert first.status_code == 200
    assert first["ETag"]
    assert first["Last-Modified"]
    with django_assert_num_queries(1):  # what the answer shows: unchanged, so 304
        assert client.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    with django_assert_num_queries(1):
        assert client.get(path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    with django_assert_num_queries(1):  # unchanged: the kept body
        again = client.get(path)
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]


@pytest.mark.parametrize("page_size", [1, 10, 100])
def test_a_cold_list_costs_the_same_queries_whatever_its_page_size(
    client, charted, django_assert_num_queries, page_size
):
    # the state; the count and last version; the page; the parents of its rows
    with django_assert_num_queries(4):
        assert client.get(f"/api/v1/tranches/?page_size={page_size}").status_code == 200


def _usl_disbursed(client: Any) -> str:
    summary = client.get("/api/v1/summary/").json()
    return next(i for i in summary["instruments"] if i["slug"] == "ukraine-support-loan")["totals"]["committed"]


def test_answer_publish_answer_again_shows_the_new_amount_at_once(client, charted):
    tranche = Tranche.objects.get(slug="hostile")
    before_list = client.get(f"/api/v1/tranches/{tranche.pk}/").json()["amount"]
    before_summary = _usl_disbursed(client)
    before_page = client.get("/")
    assert before_list == "1500000000.00"

    tranche.amount = Decimal("2500000000.00")
    services.tranche_save(tranche=tranche)
    released(tranche)
    # The records follow the release at once, in every process (no process keeps anything).
    assert client.get(f"/api/v1/tranches/{tranche.pk}/").json()["amount"] == "2500000000.00"
    # The figures follow once the job has built them.
    snapshot = report_services.snapshot_refresh().snapshot
    report_services.chart_data_refresh(snapshot_id=snapshot.pk)
    assert _usl_disbursed(client) != before_summary
    after_page = client.get("/", HTTP_IF_NONE_MATCH=before_page["ETag"])
    assert after_page.status_code == 200
    assert after_page["ETag"] != before_page["ETag"]


def test_throttling_applies_to_kept_answers(client, charted, settings):
    client.get("/api/v1/summary/")  # kept
    settings.API_THROTTLE_ANON = "2/min"
    statuses = [client.get("/api/v1/summary/", REMOTE_ADDR="198.51.100.4").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
