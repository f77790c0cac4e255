"""The figure snapshot: built from published data only, aggregated in SQL, content-hashed."""

from __future__ import annotations

import datetime
import importlib
import threading
import time
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.apps import apps as django_apps
from django.db import connection

from reports import figures, receivers, selectors, services
from reports.figures import SCHEMA_VERSION, payload_hash
from reports.models import FigureSnapshot, ImmutableError
from tests.factories import ComponentFactory, DisbursementFactory, InstrumentFactory, TrancheFactory
from tests.releases import released
from tests.reports.conftest import latest, refreshed
from tranches import services as tranche_services
from tranches.dataset import dataset_load
from tranches.models import Citation, Disbursement, Release, Source, Stage, Tranche
from tranches.selectors import public_versions

pytestmark = pytest.mark.django_db
BN = Decimal(1_000_000_000)


def usl(snapshot: FigureSnapshot) -> dict:
    return next(i for i in snapshot.payload["instruments"] if i["short_name"] == "USL")


def test_snapshot_of_the_dataset_gives_the_usl_totals(dataset: Any) -> None:
    result = services.snapshot_refresh()

    assert result.created
    assert result.snapshot is not None
    loan = usl(result.snapshot)
    totals = loan["totals"]
    assert Decimal(totals["amount"]) == 90 * BN
    assert Decimal(totals["disbursed"]) == Decimal("7.1") * BN  # €3.9bn drones + €3.2bn budget support
    assert Decimal(totals["remaining"]) == Decimal("82.9") * BN
    assert totals["percent_disbursed"] == "7.9"
    components = {c["name"]: c["totals"] for c in loan["components"]}
    assert Decimal(components["Defence"]["disbursed"]) == Decimal("3.9") * BN
    assert Decimal(components["Budget support"]["remaining"]) == Decimal("26.8") * BN
    assert {p["purpose"]: p["disbursed"] for p in loan["by_purpose"]} == {
        "budget support": "3200000000.00",
        "drones": "3900000000.00",
    }
    assert loan["by_budget_year"] == [
        {"budget_year": 2026, "allocated": "7100000000.00", "planned": "0.00", "committed": "7100000000.00",
         "disbursed": "7100000000.00"}
    ]  # fmt: skip
    assert loan["cumulative_by_month"] == [
        {"month": "2026-06", "disbursed": "7100000000.00", "cumulative": "7100000000.00"}
    ]


def test_context_instruments_are_never_added_to_the_loan(dataset: Any) -> None:
    snapshot = refreshed()
    amounts = {i["short_name"]: i["totals"]["amount"] for i in snapshot.payload["instruments"]}
    assert amounts == {"USL": "90000000000.00", "UF": "50000000000.00", "ERA (EU)": "18100000000.00"}


def test_drafts_do_not_count_and_a_draft_edit_keeps_the_published_figure(dataset: Any, editor: Any) -> None:
    services.snapshot_refresh()
    tranche = Tranche.objects.get(slug="drones-1")
    tranche_services.tranche_save(
        tranche=TrancheFactory.build(component=tranche.component, amount=Decimal("1000000000.00"), stage=Stage.PLANNED,
                                     approved_on=None, planned_on=datetime.date(2026, 7, 1)), user=editor,
    )  # fmt: skip

    result = services.snapshot_refresh()

    assert not result.created
    assert result.snapshot is not None
    assert FigureSnapshot.objects.count() == 1
    assert Decimal(usl(result.snapshot)["totals"]["planned"]) == 0


def test_the_same_data_gives_the_same_hash_and_no_new_snapshot(dataset: Any) -> None:
    first = services.snapshot_refresh()
    forced = services.snapshot_refresh(force=True)

    assert first.created
    assert not forced.created
    assert first.snapshot is not None
    assert forced.snapshot is not None
    assert forced.snapshot.pk == first.snapshot.pk
    assert FigureSnapshot.objects.count() == 1
    assert payload_hash(first.snapshot.payload) == first.snapshot.content_hash


def test_a_release_gives_a_new_snapshot_of_it_and_the_old_one_stays(dataset: Any) -> None:
    old = refreshed()
    defence = Tranche.objects.get(slug="drones-1").component
    new_tranche = tranche_services.tranche_save(
        tranche=TrancheFactory.build(component=defence, amount=Decimal("2000000000.00"), purpose="air defence",
                                     stage=Stage.APPROVED, approved_on=datetime.date(2026, 7, 15))
    )  # fmt: skip
    release = released(new_tranche)

    new = refreshed()

    assert new.content_hash != old.content_hash
    assert latest() == new
    assert selectors.snapshot_by_hash(old.content_hash) == old
    assert Decimal(usl(new)["totals"]["committed"]) == Decimal("9.1") * BN
    assert (old.release_id, new.release_id) == (1, release.number) == (1, 2)
    assert new.as_of == release.published_at > old.as_of == Release.objects.get(number=1).published_at
    assert new.payload["as_of"] == release.published_at.isoformat()


def _published_ids(model: Any, release: int) -> set[int]:
    return set(public_versions(model, release=release).values_list("id", flat=True))


def test_a_snapshot_shows_exactly_its_releases_rows_even_if_a_later_release_commits_while_it_is_built(
    dataset: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given release 2: a new approved €2bn tranche of Defence.
    defence = Tranche.objects.get(slug="drones-1").component
    tranche = tranche_services.tranche_save(
        tranche=TrancheFactory.build(component=defence, amount=Decimal("2000000000.00"), purpose="air defence",
                                     stage=Stage.APPROVED, approved_on=datetime.date(2026, 6, 15))
    )  # fmt: skip
    two = released(tranche)
    # When release 3 (the tranche raised to €2.5bn, a first €500m paid on it, each with a citation)
    # commits while release 2's figures are built: after the tranches are read, before the
    # payments, sources and citations.
    summed = figures.payments_summed
    meanwhile: list[Release] = []

    def release_three_first(*args: Any) -> Any:
        if not meanwhile:
            tranche.amount = Decimal("2500000000.00")
            tranche_services.tranche_save(tranche=tranche)
            payment = tranche_services.disbursement_save(
                disbursement=DisbursementFactory.build(tranche=tranche, amount_eur=Decimal("500000000.00"),
                                                       value_date=datetime.date(2026, 6, 30))
            )  # fmt: skip
            meanwhile.append(released(tranche, payment))
        return summed(*args)

    monkeypatch.setattr(figures, "payments_summed", release_three_first)
    snapshot = refreshed()

    # Then the snapshot records release 2 and holds exactly release 2's published rows.
    assert [release.number for release in meanwhile] == [3]
    assert (snapshot.release_id, snapshot.as_of) == (2, two.published_at)
    payload = snapshot.payload
    assert {t["id"] for t in payload["tranches"]} == _published_ids(Tranche, 2)
    assert {d["id"] for d in payload["disbursements"]} == _published_ids(Disbursement, 2)
    assert {c["id"] for c in payload["citations"]} == _published_ids(Citation, 2) != _published_ids(Citation, 3)
    assert {s["id"] for s in payload["sources"]} == _published_ids(Source, 2)
    new = next(t for t in payload["tranches"] if t["id"] == tranche.pk)
    assert (new["amount"], new["disbursed"], new["disbursement_count"]) == ("2000000000.00", "0.00", 0)
    totals = usl(snapshot)["totals"]
    assert (Decimal(totals["committed"]), Decimal(totals["disbursed"])) == (Decimal("9.1") * BN, Decimal("7.1") * BN)
    monkeypatch.undo()
    # The same figures as release 2 built now, after release 3 committed; release 3's differ.
    assert payload == figures.figures_build(release=two)[0]
    three = Release.objects.get(number=3)
    assert payload_hash(figures.figures_build(release=three)[0]) != snapshot.content_hash
    # They are not current: release 3 is not built, and the next refresh builds it.
    assert services.snapshot_inputs_changed()
    assert services.figures_status(release=2) == "built"
    assert services.figures_status(release=3) == "pending"
    newest = refreshed()
    assert newest.release_id == 3
    totals = usl(newest)["totals"]
    assert (Decimal(totals["committed"]), Decimal(totals["disbursed"])) == (Decimal("9.6") * BN, Decimal("7.6") * BN)


def test_an_older_release_builds_the_same_figures_after_newer_releases(dataset: Any) -> None:
    one = refreshed()
    defence = Tranche.objects.get(slug="drones-1").component
    tranche = tranche_services.tranche_save(
        tranche=TrancheFactory.build(component=defence, amount=Decimal("2000000000.00"), purpose="air defence",
                                     stage=Stage.APPROVED, approved_on=datetime.date(2026, 7, 15))
    )  # fmt: skip
    released(tranche)
    tranche.amount = Decimal("1000000000.00")
    tranche_services.tranche_save(tranche=tranche)
    released(tranche)
    three = refreshed()

    first = Release.objects.get(number=1)
    again, as_of = figures.figures_build(release=first)
    assert payload_hash(again) == one.content_hash
    assert again == one.payload
    assert as_of == one.as_of == first.published_at
    assert payload_hash(figures.figures_build(release=Release.objects.get(number=2))[0]) not in (
        one.content_hash,
        three.content_hash,
    )
    assert payload_hash(figures.figures_build(release=Release.objects.get(number=3))[0]) == three.content_hash


def test_the_snapshot_says_which_payload_schema_it_holds(dataset: Any, client: Any) -> None:
    snapshot = refreshed()
    assert snapshot.schema_version == snapshot.payload["schema_version"] == SCHEMA_VERSION
    assert client.get("/api/v1/summary/").json()["snapshot"]["schema_version"] == SCHEMA_VERSION
    # Snapshots stored before this was set kept the column's default; the migration reads the payload.
    FigureSnapshot.objects.filter(pk=snapshot.pk).update(schema_version=1)
    migration = importlib.import_module("reports.migrations.0002_snapshot_schema_version_from_payload")
    migration.schema_version_from_payload(django_apps, None)
    assert FigureSnapshot.objects.get(pk=snapshot.pk).schema_version == SCHEMA_VERSION


def test_a_snapshot_cannot_be_changed_or_deleted(dataset: Any) -> None:
    snapshot = refreshed()
    with pytest.raises(ImmutableError):
        snapshot.save()
    with pytest.raises(ImmutableError):
        snapshot.delete()


def _published_tree(tranches: int, disbursements_each: int) -> None:
    """An instrument, a component, tranches and their payments, published as one release."""
    component = ComponentFactory(instrument=InstrumentFactory(), amount=Decimal("60000000000.00"))
    records: list[Any] = [component.instrument, component]
    for n in range(tranches):
        tranche = TrancheFactory(component=component, purpose=f"purpose {n % 3}", budget_year=2026 + n % 2,
                                 amount=Decimal("100000000.00"), approved_on=datetime.date(2026, 1, 2))  # fmt: skip
        records.append(tranche)
        for m in range(disbursements_each):
            # Paid after the tranche's approval, in six different months.
            records.append(
                DisbursementFactory(tranche=tranche, amount_eur=Decimal("1000000.00"),
                                    value_date=datetime.date(2026, 1 + (n + m) % 6, 10))
            )  # fmt: skip
    released(*records)


@pytest.mark.parametrize(("tranches", "disbursements_each"), [(1, 1), (12, 4)])
def test_the_snapshot_job_makes_a_constant_number_of_queries(
    django_assert_num_queries: Any, tranches: Any, disbursements_each: Any
) -> None:
    _published_tree(tranches, disbursements_each)
    # Under the lock, the latest release and the rates are read again; the record around the money
    # (milestones, conditions, estimates, open questions) is four reads. PostgreSQL takes one more:
    # the advisory lock that serialises snapshot writers.
    with django_assert_num_queries(21 if connection.vendor == "postgresql" else 20):
        result = services.snapshot_refresh()
    assert result.snapshot is not None
    totals = result.snapshot.payload["instruments"][0]["totals"]
    assert Decimal(totals["disbursed"]) == Decimal("1000000.00") * tranches * disbursements_each


@pytest.mark.django_db(transaction=True)
def test_a_refresh_that_waited_for_another_builds_the_release_that_is_latest_by_then(
    require_postgres: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(receivers, "figures_refresh_request", lambda: False)  # only this test refreshes
    dataset_load(path=settings.DATASET_PATH)
    refreshed()
    defence = Tranche.objects.get(slug="drones-1").component

    def new_release(amount: str) -> Release:
        return released(
            tranche_services.tranche_save(
                tranche=TrancheFactory.build(component=defence, amount=Decimal(amount), purpose="air defence",
                                             stage=Stage.APPROVED, approved_on=datetime.date(2026, 7, 15))
            )
        )  # fmt: skip

    new_release("2000000000.00")  # release 2: its figures are asked for
    results: list[Any] = []

    def refresh() -> None:
        try:
            results.append(services.snapshot_refresh())
        finally:
            connection.close()

    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [services.SNAPSHOT_LOCK_KEY])  # another refresh, building
        waiting = threading.Thread(target=refresh)
        waiting.start()

        def at_the_lock() -> bool:
            other.execute("SELECT pg_stat_clear_snapshot()")
            row = other.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE '%%pg_advisory_xact_lock%%'"
            ).fetchone()
            return bool(row and row[0])

        deadline = time.monotonic() + 30
        while not at_the_lock():
            assert time.monotonic() < deadline, "the refresh never reached the snapshot lock"
            time.sleep(0.05)
        new_release("100000000.00")  # release 3 commits while the refresh waits
        other.execute("SELECT pg_advisory_unlock(%s)", [services.SNAPSHOT_LOCK_KEY])
        waiting.join(30)

    assert not waiting.is_alive()
    assert results[0].created
    assert results[0].snapshot.release_id == 3  # not release 2, which it was asked for
    assert latest().release_id == 3
    assert not FigureSnapshot.objects.filter(release=2).exists()
    assert Decimal(usl(latest())["totals"]["committed"]) == Decimal("9.2") * BN
