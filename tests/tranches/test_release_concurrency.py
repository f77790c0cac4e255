"""Releases under concurrency, on PostgreSQL with one connection per thread: numbered in commit
order, serialised so that two releases can never together break a rule, and no deadlock or lost
save when editors and reviewers work at the same instant."""

from __future__ import annotations

import datetime
import random
import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from reports.figures import figures_build
from tests.concurrency import run_concurrently
from tests.factories import ComponentFactory, InstrumentFactory, TrancheFactory
from tests.releases import citations_of, released
from tranches import selectors, services
from tranches.models import Citation, Disbursement, Purpose, Release, Stage, Status, Tranche
from tranches.services import checks

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
BN = Decimal(1_000_000_000)


@pytest.fixture
def defence(require_postgres):
    """A published €60bn Defence component of a €90bn loan, and the purposes the tests use."""
    Purpose.objects.bulk_create([Purpose(name=name) for name in ("drones", "air defence")])
    instrument = InstrumentFactory(short_name="USL")
    component = ComponentFactory(instrument=instrument, name="Defence", amount=60 * BN)
    released(instrument, component)
    return component


def drafts_for(record) -> list[services.Change]:
    """The changes a reviewer would review to publish ``record``: it and its draft citation."""
    records = [record, *(r for r in citations_of(record) if r.status == Status.DRAFT)]
    for each in records:
        each.refresh_from_db()
    return [services.Change.of(each) for each in records]


def test_releases_started_in_one_order_and_committed_in_the_other_both_reach_the_figures(defence):
    # Given two reviewers, each with a tranche to publish
    first = drafts_for(services.tranche_save(tranche=TrancheFactory.build(component=defence, name="First", amount=BN)))
    second = drafts_for(
        services.tranche_save(tranche=TrancheFactory.build(component=defence, name="Second", amount=2 * BN))
    )
    started, second_done = threading.Event(), threading.Event()
    numbers: dict[str, int] = {}

    def slow_reviewer() -> None:
        try:
            with transaction.atomic():  # starts first: its transaction is open before the other's
                Release.objects.count()
                started.set()
                second_done.wait(timeout=30)
                numbers["first"] = services.release_publish(changes=first, user=None, note="First").number
        finally:
            connection.close()

    def quick_reviewer() -> None:
        try:
            started.wait(timeout=30)
            numbers["second"] = services.release_publish(changes=second, user=None, note="Second").number
        finally:
            second_done.set()
            connection.close()

    threads = [threading.Thread(target=slow_reviewer), threading.Thread(target=quick_reviewer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Then they are numbered in commit order (the later-started one committed first) …
    assert numbers == {"second": 2, "first": 3}
    assert list(Release.objects.order_by("number").values_list("published_at", flat=True)) == sorted(
        Release.objects.values_list("published_at", flat=True)
    )
    # … and the figures of the latest release hold both
    payload, _ = figures_build(release=Release.objects.get(number=3))
    assert sorted(t["name"] for t in payload["tranches"]) == ["First", "Second"]
    payload, _ = figures_build(release=Release.objects.get(number=2))
    assert [t["name"] for t in payload["tranches"]] == ["Second"]


def test_two_releases_at_the_same_instant_cannot_together_over_allocate(defence):
    # Given €50bn of published tranches in the €60bn component: T1 €10bn, T2 €10bn, T3 €30bn
    t1, t2, t3 = (
        services.tranche_save(tranche=TrancheFactory.build(component=defence, name=name, amount=amount * BN))
        for name, amount in (("T1", 10), ("T2", 10), ("T3", 30))
    )
    released(t1, t2, t3)
    # and drafts that fit together only because T3 is reduced (a draft no one releases):
    # T3 → €20bn, T1 → €16bn, T2 → €16bn (drafts total €52bn)
    for tranche, amount in ((t3, 20), (t1, 16), (t2, 16)):
        tranche.refresh_from_db()
        tranche.amount = amount * BN
        services.tranche_save(tranche=tranche)
    reviews = [drafts_for(t1), drafts_for(t2)]

    # When two reviewers publish T1 and T2 at the same instant (each alone: €56bn, fine)
    outcomes = run_concurrently(lambda i: services.release_publish(changes=reviews[i], user=None, note=f"T{i + 1}"), 2)

    # Then one is published and the other refused; the public total never exceeds €60bn
    assert outcomes == Counter(saved=1, refused=1)
    total = sum(selectors.public_versions(Tranche).filter(component_id=defence.pk).values_list("amount", flat=True))
    assert total == 56 * BN
    assert checks.release_problems(today=datetime.date.today()) == []  # noqa: DTZ011


def test_an_edit_or_delete_racing_a_release_never_leaves_a_ghost(defence):
    for trial in range(10):
        # Given a draft tranche an editor opened, and a reviewer about to publish it
        tranche = services.tranche_save(
            tranche=TrancheFactory.build(component=defence, name=f"Trial {trial}", slug=f"trial-{trial}", amount=BN)
        )
        review = drafts_for(tranche)
        opened = Tranche.objects.get(pk=tranche.pk)
        deleting = Tranche.objects.get(pk=tranche.pk)
        opened.notes = "the editor's edit"

        def act(index: int, opened=opened, deleting=deleting, review=review) -> None:
            if index == 0:
                services.release_publish(changes=review, user=None, note="Publish the trial")
            elif index == 1:
                services.tranche_save(tranche=opened)
            else:
                Citation.objects.filter(tranche_id=deleting.pk, status=Status.DRAFT).delete()
                services.record_delete(record=deleting)

        # When the release, the edit and a delete happen at the same instant
        outcomes = run_concurrently(act, 3)
        assert set(outcomes) <= {"saved", "refused"}, outcomes
        # Then whatever won, no published version is left without its record, and a published
        # record still says so
        public = selectors.public_versions(Tranche).filter(id=tranche.pk).first()
        record = Tranche.objects.filter(pk=tranche.pk).first()
        if public is not None:
            assert record is not None
            assert record.published_at is not None
        assert checks.release_problems(today=datetime.date.today()) == []  # noqa: DTZ011


def test_mixed_concurrent_saves_and_releases_never_deadlock_or_lose_a_save(defence):
    # Given a tranche per writer, each published with its citation
    tranches = []
    for n in range(8):
        tranche = services.tranche_save(
            tranche=TrancheFactory.build(component=defence, name=f"W{n}", slug=f"w{n}", amount=BN, purpose="drones")
        )
        tranches.append(tranche)
    released(*tranches)
    acknowledged: dict[int, str] = {}
    errors: list[str] = []
    lock = threading.Lock()

    def writer(index: int) -> None:
        rng = random.Random(index)  # noqa: S311 (test data)
        mine = tranches[index]
        for step in range(12):
            action = rng.choice(["tranche", "component", "payment", "citation", "release", "release"])
            try:
                if action == "tranche":
                    record = Tranche.objects.get(pk=mine.pk)
                    record.notes = f"writer {index} step {step}"
                    services.tranche_save(tranche=record)
                    with lock:
                        acknowledged[mine.pk] = record.notes
                elif action == "component":
                    component = type(defence).objects.get(pk=defence.pk)
                    component.description = f"writer {index} step {step}"
                    services.component_save(component=component)
                elif action == "payment":
                    services.disbursement_save(
                        disbursement=Disbursement(
                            tranche_id=mine.pk, value_date=datetime.date(2026, 6, 30), amount_eur=Decimal("1000.00")
                        )
                    )
                elif action == "citation":
                    services.citation_save(
                        citation=Citation(source=Citation.objects.first().source, tranche_id=mine.pk, quote=f"q{step}")
                    )
                else:
                    drafts = [
                        services.Change.of(record)
                        for model in (Tranche, Disbursement, Citation)
                        for record in model.objects.filter(status=Status.DRAFT)
                    ]
                    if drafts:
                        services.release_publish(changes=drafts, user=None, note=f"writer {index} step {step}")
            except ValidationError:
                pass  # a refusal (stale edit, changed since review, a check) is an answer, not a fault
            except Exception as exc:  # a deadlock or any other fault fails the test below
                with lock:
                    errors.append(f"{action}: {type(exc).__name__}: {exc}")

    # When 8 editors and reviewers work at the same instant
    outcomes = run_concurrently(writer, 8, timeout=120)

    # Then nothing deadlocked or failed, every acknowledged save is in the database, and the
    # published state keeps every rule
    assert errors == []
    assert outcomes == Counter(saved=8)
    for pk, notes in acknowledged.items():
        saved = Tranche.objects.get(pk=pk).notes
        assert saved.startswith(f"writer {tranches.index(next(t for t in tranches if t.pk == pk))} step")
        assert int(saved.rsplit(" ", 1)[1]) >= int(notes.rsplit(" ", 1)[1])
    assert checks.release_problems(today=datetime.date.today()) == []  # noqa: DTZ011
    numbers = list(Release.objects.order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    assert Tranche.objects.filter(stage=Stage.APPROVED).count() == 8
