"""A small run of the concurrent-editing soak (bench/soak.py runs the full 8 × 200)."""

import pytest

from bench.soak import run_soak


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_editors_break_no_invariant_and_lose_no_update(require_postgres):
    report = run_soak(editors=6, writes=30)
    assert sum(report.outcomes.values()) == 180
    assert report.violations == []
    assert report.lost_updates == []
    # The run really contended: some read-modify-writes were refused as stale and some saved.
    assert report.outcomes["note saved"] > 0
    assert report.outcomes["note refused (stale, reload)"] > 0
