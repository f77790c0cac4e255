"""EU money to Ukraine by instrument and year, each euro counted once (docs/METHODOLOGY-COUNTING.md):
the snapshot's ``instrument_years`` reconciles with the published payments, a payment paid through
another instrument counts once, drafts and estimates never count, in a constant number of queries."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from reports import figures
from tests.factories import ComponentFactory, DisbursementFactory, InstrumentFactory, SourceFactory, TrancheFactory
from tests.releases import released
from tests.reports.conftest import refreshed
from tranches import services as tranche_services
from tranches.models import (
    Citation,
    Component,
    Condition,
    Disbursement,
    Estimate,
    EstimateKind,
    Instrument,
    Milestone,
    MilestoneKind,
    OpenQuestion,
    Publishable,
    Release,
    Stage,
    Tranche,
)
from tranches.selectors import public_versions

pytestmark = pytest.mark.django_db
ZERO = Decimal("0.00")


def published_payments(release: int) -> list[dict[str, Any]]:
    """The payments release ``release`` published, each with its instrument (through its tranche and
    component, as published) and the calendar year of its value date: read here from the published
    tables, not from the snapshot."""
    component_instrument = dict(public_versions(Component, release=release).values_list("id", "instrument_id"))
    tranche_instrument = {
        tranche_id: component_instrument[component_id]
        for tranche_id, component_id in public_versions(Tranche, release=release).values_list("id", "component_id")
    }
    return [
        {**row, "instrument_id": tranche_instrument[row["tranche_id"]], "year": row["value_date"].year}
        for row in public_versions(Disbursement, release=release).values(
            "id", "tranche_id", "amount_eur", "value_date", "paid_through_id"
        )
    ]


def sums(payments: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], tuple[Decimal, int]]:
    """Amount and count of ``payments`` per value of ``keys``."""
    out: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [ZERO, 0])
    for payment in payments:
        row = out[tuple(payment[k] for k in keys)]
        row[0] += payment["amount_eur"]
        row[1] += 1
    return {key: (amount, count) for key, (amount, count) in out.items()}


def view_of(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The instrument view's rows by instrument slug."""
    return {row["slug"]: row for row in payload["instrument_years"]["instruments"]}


def assert_reconciles(payload: dict[str, Any], release: int) -> None:
    """Each instrument's paid, per year and in all, is the sum of its own published payments; the
    all-instruments row is the sum of the distinct published payments; nothing else is added."""
    payments = published_payments(release)
    assert len({p["id"] for p in payments}) == len(payments)
    view = payload["instrument_years"]
    by_instrument = sums(payments, "instrument_id")
    by_instrument_year = sums(payments, "instrument_id", "year")
    by_year = sums(payments, "year")
    totals = {i["id"]: i["totals"] for i in payload["instruments"]}
    for row in view["instruments"]:
        amount, count = by_instrument.get((row["id"],), (ZERO, 0))
        assert (Decimal(row["total"]["paid"]), row["total"]["count"]) == (amount, count), row["name"]
        # The same money as the instrument's own figures elsewhere in the snapshot.
        assert Decimal(totals[row["id"]]["disbursed"]) == amount
        for cell in row["years"]:
            assert (Decimal(cell["paid"]), cell["count"]) == by_instrument_year.get(
                (row["id"], cell["year"]), (ZERO, 0)
            )
    assert Decimal(view["total"]["paid"]) == sum((p["amount_eur"] for p in payments), ZERO)
    assert view["total"]["count"] == len(payments)
    assert {cell["year"]: (Decimal(cell["paid"]), cell["count"]) for cell in view["total"]["years"]} == {
        year: value for (year,), value in by_year.items()
    }


def test_on_the_shipped_dataset_every_instrument_reconciles_with_its_payments(dataset: Any) -> None:
    # Given the shipped dataset, published as Release 1
    # When its figures are built
    payload = refreshed().payload

    # Then the loan and both context instruments have payments, each instrument's total is the sum
    # of its payments and the all-instruments total the sum of the distinct payments
    paid = {slug: row["total"]["count"] for slug, row in view_of(payload).items()}
    assert all(paid[slug] > 0 for slug in ("ukraine-support-loan", "ukraine-facility", "era-loans-eu-share")), paid
    assert_reconciles(payload, release=1)
    assert payload["schema_version"] == figures.SCHEMA_VERSION == 3
    assert any("Regulation (EU) 2026/468" in rule for rule in payload["instrument_years"]["rules"])


def test_a_loan_payment_paid_through_the_facility_counts_once_under_the_loan(dataset: Any) -> None:
    # Given the shipped dataset's figures
    before = refreshed().payload
    loan = Instrument.objects.get(slug="ukraine-support-loan")
    facility = Instrument.objects.get(slug="ukraine-facility")
    budget = Component.objects.get(instrument=loan, slug="budget-support")
    amount = Decimal("1500000000.00")

    # When €1.5bn of the loan's budget support is paid as extra Facility loans (Regulation 2026/468)
    tranche = tranche_services.tranche_save(
        tranche=TrancheFactory.build(component=budget, purpose="budget support", amount=amount, stage=Stage.APPROVED,
                                     approved_on=datetime.date(2026, 7, 1))
    )  # fmt: skip
    payment = tranche_services.disbursement_save(
        disbursement=DisbursementFactory.build(tranche=tranche, amount_eur=amount,
                                               value_date=datetime.date(2026, 7, 15), paid_through=facility)
    )  # fmt: skip
    release = released(tranche, payment)
    after = refreshed().payload

    # Then it is counted once, under the loan: the all-instruments total grows by it, once
    old, new = view_of(before), view_of(after)

    def grew(was: dict[str, Any], now: dict[str, Any]) -> tuple[Decimal, int]:
        return Decimal(now["paid"]) - Decimal(was["paid"]), now["count"] - was["count"]

    assert grew(before["instrument_years"]["total"], after["instrument_years"]["total"]) == (amount, 1)
    assert grew(old["ukraine-support-loan"]["total"], new["ukraine-support-loan"]["total"]) == (amount, 1)
    # The Facility's money paid is unchanged: the payment is only linked to it, in its year
    assert grew(old["ukraine-facility"]["total"], new["ukraine-facility"]["total"]) == (ZERO, 0)
    linked = new["ukraine-facility"]["total"]["linked_in"]
    assert (Decimal(linked["amount"]), linked["count"]) == (amount, 1)
    assert linked["from"] == [{"instrument_id": loan.pk, "short_name": "USL", "amount": str(amount), "count": 1}]
    year_2026 = next(cell for cell in new["ukraine-facility"]["years"] if cell["year"] == 2026)
    assert Decimal(year_2026["linked_in"]["amount"]) == amount
    assert new["ukraine-support-loan"]["total"]["linked_in"]["count"] == 0
    assert next(d for d in after["disbursements"] if d["id"] == payment.pk)["paid_through_id"] == facility.pk
    assert_reconciles(after, release=release.number)


def _published_instrument(name: str) -> tuple[Instrument, list[Publishable]]:
    component = ComponentFactory(instrument=InstrumentFactory(name=name), amount=Decimal("60000000000.00"))
    return component.instrument, [component.instrument, component]


def test_a_draft_payment_never_counts(editor: Any) -> None:
    # Given two published instruments, each with a published payment
    _, records = _published_instrument("Loan")
    facility, more = _published_instrument("Facility")
    tranches = [TrancheFactory(component=component) for component in (records[1], more[1])]
    paid = [DisbursementFactory(tranche=tranche, amount_eur=Decimal("1000000000.00")) for tranche in tranches]
    release = released(*records, *more, *tranches, *paid)

    # When an editor saves a draft payment of the loan paid through the facility, unpublished
    tranche_services.disbursement_save(
        disbursement=DisbursementFactory.build(tranche=tranches[0], amount_eur=Decimal("500000000.00"),
                                               paid_through=facility), user=editor,
    )  # fmt: skip
    payload = refreshed().payload

    # Then the figures count the published payments only, and link nothing to the facility
    assert_reconciles(payload, release=release.number)
    assert payload["instrument_years"]["total"]["paid"] == "2000000000.00"
    assert all(row["total"]["linked_in"]["count"] == 0 for row in payload["instrument_years"]["instruments"])


def cited(record: Publishable) -> list[Publishable]:
    """``record`` (a draft) with a draft citation of a new draft source: what a release of it needs."""
    source = tranche_services.source_save(source=SourceFactory.build())
    citation = tranche_services.citation_save(
        citation=Citation(source=source, quote=f"Test passage backing {record}",
                          **{Citation.target_field(type(record)): record})
    )  # fmt: skip
    return [record, citation, source]


def test_an_estimate_is_never_added_to_money_paid_or_committed() -> None:
    # Given a published instrument with a paid tranche, and its figures
    loan, records = _published_instrument("Loan")
    tranche = TrancheFactory(component=records[1])
    released(*records, tranche, DisbursementFactory(tranche=tranche))
    before = refreshed().payload

    # When an estimate of €135.7bn of needs and one of interest are published
    needs = tranche_services.estimate_save(
        estimate=Estimate(kind=EstimateKind.NEEDS, title="Needs", amount=Decimal("135700000000.00"),
                          period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2027, 12, 31))
    )  # fmt: skip
    interest = tranche_services.estimate_save(
        estimate=Estimate(kind=EstimateKind.INTEREST, title="Interest", instrument=loan, qualifier="about",
                          per_year=True, amount=Decimal("3000000000.00"), period_start=datetime.date(2028, 1, 1))
    )  # fmt: skip
    released(*cited(needs), *cited(interest))
    after = refreshed().payload

    # Then they are in the snapshot as estimates, and every money figure is as it was
    assert [(e["title"], e["amount"], e["qualifier"], e["per_year"]) for e in after["estimates"]] == [
        ("Interest", "3000000000.00", "about", True),
        ("Needs", "135700000000.00", "", False),
    ]
    for key in ("instruments", "tranches", "disbursements", "instrument_years"):
        assert after[key] == before[key], key


def _record_of(instrument: Instrument, tranche: Tranche, n: int) -> list[Publishable]:
    """A milestone, a condition, an estimate and an open question of ``instrument``, with citations."""
    milestone = tranche_services.milestone_save(
        milestone=Milestone(instrument=instrument, tranche=tranche, kind=MilestoneKind.PAYMENT, title=f"Payment {n}",
                            planned_on=datetime.date(2026, 4, 1), happened_on=datetime.date(2026, 6, 30))
    )  # fmt: skip
    condition = tranche_services.condition_save(
        condition=Condition(instrument=instrument, tranche=tranche, title=f"Steps {n}", steps_due=16, steps_met=13,
                            assessed_on=datetime.date(2026, 6, 30), amount_at_stake=Decimal("4500000000.00"),
                            amount_withheld=Decimal("600000000.00"), recoverable_until=datetime.date(2027, 6, 30))
    )  # fmt: skip
    estimate = tranche_services.estimate_save(
        estimate=Estimate(kind=EstimateKind.INTEREST, title=f"Interest {n}", instrument=instrument,
                          amount=Decimal("1000000000.00"), period_start=datetime.date(2027, 1, 1))
    )  # fmt: skip
    question = tranche_services.open_question_save(
        open_question=OpenQuestion(instrument=instrument, question=f"When is payment {n + 1}?",
                                   open_since=datetime.date(2026, 7, 1), would_answer="A calendar.")
    )  # fmt: skip
    return [*cited(milestone), *cited(condition), *cited(estimate), question]


@pytest.mark.parametrize(("tranches", "payments_each", "with_record"), [(1, 1, False), (12, 4, True)])
def test_the_snapshot_with_its_record_takes_a_constant_number_of_queries(
    django_assert_num_queries: Any, tranches: int, payments_each: int, with_record: bool
) -> None:
    # Given two instruments; payments of the first, some paid through the second; and, in the
    # larger case, milestones, conditions, estimates and questions of each tranche
    loan, records = _published_instrument("Loan")
    facility, more = _published_instrument("Facility")
    records += more
    for n in range(tranches):
        tranche = TrancheFactory(component=records[1], amount=Decimal("100000000.00"),
                                 approved_on=datetime.date(2026, 1, 2))  # fmt: skip
        records.append(tranche)
        for m in range(payments_each):
            records.append(
                DisbursementFactory(tranche=tranche, amount_eur=Decimal("1000000.00"),
                                    value_date=datetime.date(2026, 1 + (n + m) % 6, 10),
                                    paid_through=facility if m % 2 else None)
            )  # fmt: skip
        if with_record:
            records += _record_of(loan, tranche, n)
    release = Release.objects.get(number=released(*records).number)

    # When the figures of the release are built: a constant number of queries (instruments,
    # components, tranches, the payments summed, rates, the payments listed, sources, citations,
    # milestones, conditions, estimates, open questions)
    with django_assert_num_queries(12):
        payload, _ = figures.figures_build(release=release)

    # Then the view reconciles, and a payment paid through the facility counts once, under the loan
    assert_reconciles(payload, release=release.number)
    through = [d for d in payload["disbursements"] if d["paid_through_id"] == facility.pk]
    linked = view_of(payload)[facility.slug]["total"]["linked_in"]
    assert (Decimal(linked["amount"]), linked["count"]) == (sum((Decimal(d["amount_eur"]) for d in through), ZERO),
                                                            len(through))  # fmt: skip
    assert view_of(payload)[facility.slug]["total"]["count"] == 0
    assert len(payload["conditions"]["ledger"]) == (tranches if with_record else 0)
