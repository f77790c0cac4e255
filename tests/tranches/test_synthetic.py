"""Synthetic benchmark data: every rule of the services holds, it is public, marked, refused on a
database with real data, replaced (not doubled) by a second run, and written in a fixed number of
queries whatever the number of rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Max, Q, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tranches.dataset import dataset_load
from tranches.models import Citation, Component, Disbursement, Instrument, Release, Source, Stage, Status, Tranche
from tranches.selectors import public_versions
from tranches.services.checks import release_problems
from tranches.synthetic import (
    NAME_PREFIX,
    SYNTHETIC_MODELS,
    RealDataError,
    SyntheticCounts,
    synthetic_generate,
)

pytestmark = pytest.mark.django_db
SMALL = SyntheticCounts(instruments=2, components=5, tranches=45, disbursements=600)
CENT = Decimal("0.01")


def over_allocated() -> list[str]:
    """Every sum of children against its parent, recomputed with queries and compared as Decimal
    cents (SQLite would compare its float sums in SQL), and every disbursed tranche paid in full."""
    found = []
    levels = [
        (Instrument, Component.objects.values("instrument_id"), "instrument_id", "amount"),
        (Component, Tranche.objects.values("component_id"), "component_id", "amount"),
        (Tranche, Disbursement.objects.values("tranche_id"), "tranche_id", "amount_eur"),
    ]
    for parent, children, key, field in levels:
        sums = {row[key]: row["total"].quantize(CENT) for row in children.annotate(total=Sum(field))}
        for pk, amount in parent._default_manager.values_list("pk", "amount"):
            if sums.get(pk, Decimal(0)) > amount:
                found.append(f"{parent.__name__} {pk}: children total {sums[pk]} > {amount}")
    paid = {r["tranche_id"]: r["total"].quantize(CENT) for r in levels[2][1].annotate(total=Sum("amount_eur"))}
    for pk, amount in Tranche.objects.filter(stage=Stage.DISBURSED).values_list("pk", "amount"):
        if paid.get(pk) != amount:
            found.append(f"tranche {pk} is disbursed but paid {paid.get(pk)} of {amount}")
    return found


def test_synthetic_data_keeps_every_rule_of_the_services() -> None:
    report = synthetic_generate(counts=SMALL)

    assert report.rows == {
        "sources": 1, "instruments": 2, "components": 5, "tranches": 45, "disbursements": 600, "citations": 7
    }  # fmt: skip
    # Sums within parents and disbursed tranches paid in full, recomputed with queries.
    assert over_allocated() == []
    # Every stage appears; only approved, disbursed and withheld tranches have payments.
    assert set(Tranche.objects.values_list("stage", flat=True)) == set(Stage.values)
    payments = Tranche.objects.annotate(n=Count("disbursements"))
    assert not payments.filter(stage__in=[Stage.PLANNED, Stage.CANCELLED], n__gt=0).exists()
    assert payments.filter(stage=Stage.APPROVED, n__gt=0).exists()
    # No payment before its tranche was approved, none after it was marked disbursed.
    assert not Disbursement.objects.filter(value_date__lt=F("tranche__approved_on")).exists()
    assert not Disbursement.objects.filter(value_date__gt=F("tranche__disbursed_on")).exists()
    # Field rules, clean() (stage dates present, in order, not in the future) and the CheckConstraints.
    for model in SYNTHETIC_MODELS:
        for record in model._default_manager.all():
            record.full_clean()
    today = timezone.localdate()
    dates = Q(planned_on__gt=today) | Q(approved_on__gt=today) | Q(disbursed_on__gt=today)
    assert not Tranche.objects.filter(dates | Q(withheld_on__gt=today) | Q(cancelled_on__gt=today)).exists()
    assert Disbursement.objects.aggregate(last=Max("value_date"))["last"] <= today


def test_synthetic_data_is_published_in_a_release_of_its_own_and_marked() -> None:
    synthetic_generate(counts=SMALL)

    (release,) = Release.objects.all()
    assert release.note.startswith(NAME_PREFIX)
    for model in SYNTHETIC_MODELS:
        rows = model._default_manager.all()
        assert not rows.exclude(status=Status.PUBLISHED).exists()
        assert not rows.filter(published_at__isnull=True).exists()
        assert public_versions(model).count() == rows.count()  # all of it is public
        assert public_versions(model, release=release.number).count() == rows.count()
    assert not Instrument.objects.exclude(name__startswith=NAME_PREFIX).exists()
    assert not Instrument.objects.exclude(slug__startswith="synthetic-").exists()
    assert not Component.objects.exclude(name__startswith=NAME_PREFIX).exists()
    assert not Tranche.objects.exclude(name__startswith=NAME_PREFIX).exists()
    (source,) = Source.objects.all()
    assert source.publisher.startswith(NAME_PREFIX)
    assert "generated" in source.title
    assert Citation.objects.filter(source=source).count() == 7  # each instrument and component cites it


def test_it_is_refused_on_a_database_with_real_data_unless_forced() -> None:
    dataset_load(path=settings.DATASET_PATH)
    real = {model: model._default_manager.count() for model in SYNTHETIC_MODELS}

    with pytest.raises(RealDataError, match=r"Refused: the database holds real data \(3 instruments, .*--force"):
        synthetic_generate(counts=SMALL)
    with pytest.raises(CommandError, match="holds real data"):
        call_command("generate_synthetic_data", "--instruments=1", "--components=1", "--tranches=1",
                     "--disbursements=1")  # fmt: skip
    assert not Instrument.objects.filter(name__startswith=NAME_PREFIX).exists()

    synthetic_generate(counts=SMALL, force=True)
    synthetic_generate(counts=SMALL, force=True)  # replacing synthetic data leaves the real data alone
    for model, count in real.items():
        marked = Disbursement.objects.filter(tranche__name__startswith=NAME_PREFIX) if model is Disbursement else None
        synthetic = marked.count() if marked is not None else model._default_manager.filter(
            dataset_key__startswith="synthetic:"
        ).count()  # fmt: skip
        assert model._default_manager.count() - synthetic == count


def test_a_second_run_replaces_the_synthetic_data() -> None:
    synthetic_generate(counts=SMALL)
    first = set(Instrument.objects.values_list("pk", flat=True))

    report = synthetic_generate(counts=SMALL)

    # each record and its published version, and the first synthetic release
    assert report.replaced == 2 * (1 + 2 + 5 + 45 + 600 + 7) + 1
    assert Instrument.objects.count() == 2
    assert Disbursement.objects.count() == public_versions(Disbursement).count() == 600
    assert Release.objects.count() == 1
    assert first.isdisjoint(Instrument.objects.values_list("pk", flat=True))
    assert over_allocated() == []


def test_the_number_of_queries_does_not_grow_with_the_rows() -> None:
    def queries(counts: SyntheticCounts) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            synthetic_generate(counts=counts)
        return [q["sql"].split()[0] for q in captured.captured_queries]

    small = queries(SyntheticCounts(instruments=1, components=1, tranches=2, disbursements=3))
    large = queries(SyntheticCounts(instruments=3, components=9, tranches=300, disbursements=6000))

    assert large == small
    assert len(small) < 80


def test_the_command_reports_progress_and_what_it_wrote(capsys: Any) -> None:
    call_command("generate_synthetic_data", "--instruments=1", "--components=2", "--tranches=8", "--disbursements=40")

    out = capsys.readouterr().out
    assert f"Generating {NAME_PREFIX} data: 1 instruments, 2 components, 8 tranches, 40 disbursements" in out
    assert "] disbursements (published)" in out
    assert "Wrote 1 sources, 1 instruments, 2 components, 8 tranches, 40 disbursements, 3 citations" in out
    assert "refresh_figures" in out


def test_counts_that_cannot_be_met_are_refused() -> None:
    with pytest.raises(CommandError, match="at least one component"):
        call_command("generate_synthetic_data", "--instruments=3", "--components=2")


def test_synthetic_data_keeps_the_release_checks_but_the_citations_of_each_tranche_and_payment() -> None:
    synthetic_generate(counts=SMALL)
    problems = release_problems(today=timezone.localdate())
    assert [problem.split(" would have")[0] for problem in problems] == [
        "45 published tranches",
        "600 published disbursements",
    ]
