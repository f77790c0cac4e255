"""The record around the money: milestones, conditions, estimates and open questions, and how a
payment names the instrument it was paid through. Each rule is said where it belongs (the model and
its constraint) and a release refuses what would leave the public record inconsistent."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from tests.factories import (
    ComponentFactory,
    ConditionFactory,
    DisbursementFactory,
    EstimateFactory,
    InstrumentFactory,
    MilestoneFactory,
    OpenQuestionFactory,
    TrancheFactory,
)
from tests.releases import released
from tranches import services
from tranches.models import (
    Condition,
    ConditionOutcome,
    DatePrecision,
    Disbursement,
    OpenQuestion,
    PublishedCondition,
    PublishedDisbursement,
    PublishedMilestone,
    Stage,
    condition_outcome,
)
from tranches.models.conditions import STEPS_MET_OVER_DUE, WITHHELD_OVER_STAKE
from tranches.models.milestones import MILESTONE_UNDATED, TRANCHE_OF_ANOTHER_INSTRUMENT
from tranches.models.questions import ANSWER_PAIR
from tranches.models.records import MONTH_PRECISION_DAY, PAID_THROUGH_OWN
from tranches.services import checks

pytestmark = pytest.mark.django_db
BN = Decimal(1_000_000_000)


@pytest.fixture
def facility():
    """A published Facility-like instrument with a loans component and a paid €3.2bn instalment."""
    instrument = InstrumentFactory(name="Ukraine Facility", short_name="UF", amount=50 * BN,
                                   period_start=datetime.date(2024, 1, 1))  # fmt: skip
    loans = ComponentFactory(instrument=instrument, name="Loans", amount=33 * BN)
    tranche = TrancheFactory(component=loans, name="4th instalment", amount=Decimal("3.2") * BN,
                             stage=Stage.DISBURSED, approved_on=datetime.date(2025, 8, 1),
                             disbursed_on=datetime.date(2025, 8, 8))  # fmt: skip
    payment = DisbursementFactory(tranche=tranche, amount_eur=Decimal("3.2") * BN, value_date=datetime.date(2025, 8, 8))
    released(instrument, loans, tranche, payment, note="The Facility and its 4th instalment")
    return tranche


def messages(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict


# -- conditions: the numbers say the outcome


@pytest.mark.parametrize(
    ("due", "met", "outcome"),
    [(16, None, ConditionOutcome.NOT_ASSESSED), (16, 16, ConditionOutcome.MET), (16, 13, ConditionOutcome.PARTLY_MET),
     (4, 0, ConditionOutcome.NOT_MET)],
)  # fmt: skip
def test_a_conditions_outcome_is_what_its_steps_say(due, met, outcome):
    assert condition_outcome(due, met) == outcome


def test_a_condition_with_13_of_16_steps_is_published_partly_met_with_its_money_withheld(facility):
    # Given the 4th instalment's reform steps, 13 of 16 met, €1.3bn of €4.5bn withheld
    condition = services.condition_save(
        condition=ConditionFactory.build(instrument=facility.component.instrument, tranche=facility)
    )
    # When a release publishes it
    released(condition)
    # Then the public version says 13 of 16, partly met, and the money held back until when
    public = PublishedCondition.objects.get(id=condition.pk, left__isnull=True)
    assert (public.steps_met, public.steps_due, public.outcome) == (13, 16, ConditionOutcome.PARTLY_MET)
    assert (public.amount_withheld, public.recoverable_until) == (Decimal("1300000000.00"), datetime.date(2026, 8, 8))


def test_more_steps_met_than_due_is_refused_with_both_numbers():
    with pytest.raises(ValidationError) as refused:
        services.condition_save(condition=ConditionFactory.build(instrument=InstrumentFactory(), steps_met=17))
    assert messages(refused.value)["steps_met"] == [STEPS_MET_OVER_DUE.format(met=17, due=16)]


def test_more_money_withheld_than_at_stake_is_refused_with_both_amounts():
    with pytest.raises(ValidationError) as refused:
        services.condition_save(
            condition=ConditionFactory.build(instrument=InstrumentFactory(), amount_withheld=Decimal("5000000000.00"))
        )
    assert messages(refused.value)["amount_withheld"] == [
        WITHHELD_OVER_STAKE.format(withheld="€5.0bn", at_stake="€4.5bn")
    ]


def test_the_database_refuses_a_date_assessed_without_its_result_even_past_the_service():
    condition = ConditionFactory.build(instrument=InstrumentFactory(), steps_met=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        condition.save()
    assert not Condition.objects.exists()


def test_a_result_known_without_its_day_is_kept_without_inventing_one():
    # Given 11 of 20 steps met, on a day the sources do not give
    condition = services.condition_save(
        condition=ConditionFactory.build(
            instrument=InstrumentFactory(), steps_due=20, steps_met=11, assessed_on=None, recoverable_until=None
        )
    )
    # Then it is partly met, with no date assessed
    assert (condition.outcome, condition.assessed_on) == (ConditionOutcome.PARTLY_MET, None)


def test_a_condition_cannot_gate_a_tranche_of_another_instrument(facility):
    other = InstrumentFactory(name="Another loan")
    with pytest.raises(ValidationError) as refused:
        services.condition_save(condition=ConditionFactory.build(instrument=other, tranche=facility))
    assert messages(refused.value)["tranche"] == [TRANCHE_OF_ANOTHER_INSTRUMENT.format(tranche=facility)]


# -- milestones, estimates and open questions


def test_a_milestone_needs_a_date_planned_or_happened():
    with pytest.raises(ValidationError) as refused:
        services.milestone_save(
            milestone=MilestoneFactory.build(instrument=InstrumentFactory(), planned_on=None, happened_on=None)
        )
    assert messages(refused.value)["__all__"] == [MILESTONE_UNDATED]


def test_an_answer_needs_its_date_and_a_date_its_answer():
    with pytest.raises(ValidationError) as refused:
        services.open_question_save(open_question=OpenQuestionFactory.build(answered_on=datetime.date(2026, 11, 30)))
    assert messages(refused.value)["answer"] == [ANSWER_PAIR]
    assert not OpenQuestion.objects.exists()


def test_milestones_conditions_and_estimates_are_published_only_with_a_citation(facility):
    instrument = facility.component.instrument
    milestone = services.milestone_save(milestone=MilestoneFactory.build(instrument=instrument, title="First payment"))
    estimate = services.estimate_save(estimate=EstimateFactory.build(title="Interest from 2028"))
    with pytest.raises(ValidationError) as refused:
        released(milestone, estimate, cite=False)
    assert refused.value.messages == [
        checks.NOT_CITED.format(count=1, model="milestones", records="“First payment”"),
        checks.NOT_CITED.format(count=1, model="estimates", records="“Interest from 2028”"),
    ]
    # With a citation each, they go out
    released(milestone, estimate)
    assert PublishedMilestone.objects.filter(id=milestone.pk, left__isnull=True).exists()


def test_a_milestone_of_an_unpublished_instrument_is_refused():
    instrument = InstrumentFactory(name="Draft loan")
    milestone = services.milestone_save(milestone=MilestoneFactory.build(instrument=instrument, title="Proposal"))
    with pytest.raises(ValidationError) as refused:
        released(milestone)
    assert (
        checks.PARENT_NOT_PUBLIC.format(
            model="Milestone", record="Proposal", parent="instrument", parent_id=instrument.pk
        )
        in refused.value.messages
    )


# -- payments: paid through another instrument, and dates known to the month


def test_a_payment_paid_through_its_own_instrument_is_refused(facility):
    own = facility.component.instrument
    payment = facility.disbursements.get()
    payment.paid_through = own
    with pytest.raises(ValidationError) as refused:
        services.disbursement_save(disbursement=payment)
    assert messages(refused.value)["paid_through"] == [PAID_THROUGH_OWN.format(instrument=own)]


def test_a_payment_paid_through_another_instrument_is_published_with_the_link(facility):
    # Given the loan, published, and a payment of the Facility that went through it
    loan = InstrumentFactory(name="Support Loan")
    released(loan)
    payment = facility.disbursements.get()
    payment.paid_through = loan
    services.disbursement_save(disbursement=payment)
    released(payment)
    assert PublishedDisbursement.objects.get(id=payment.pk, left__isnull=True).paid_through_id == loan.pk


def test_a_date_known_only_to_the_month_is_the_months_first_day(facility):
    payment = DisbursementFactory.build(
        tranche=facility, value_date=datetime.date(2025, 5, 15), value_date_precision=DatePrecision.MONTH
    )
    with pytest.raises(ValidationError) as refused:
        services.disbursement_save(disbursement=payment)
    assert messages(refused.value)["value_date"] == [MONTH_PRECISION_DAY.format(date=datetime.date(2025, 5, 15))]


# -- what a form checks on a draft is held again when a release publishes it


def test_a_release_refuses_a_payment_paid_through_its_own_instrument_even_past_the_form(facility):
    # Given a payment whose channel was set to its own instrument behind the service's back
    # (as a concurrent move of its tranche would leave it)
    payment = facility.disbursements.get()
    Disbursement.objects.filter(pk=payment.pk).update(
        paid_through=facility.component.instrument, status="draft", version=F("version") + 1
    )
    payment.refresh_from_db()
    # When a reviewer publishes it, then the release is refused naming the payment and its tranche
    with pytest.raises(ValidationError) as refused:
        released(payment)
    assert checks.PAID_THROUGH_OWN.format(payment="€3.2bn on 08 Aug 2025", tranche="4th instalment") in (
        refused.value.messages
    )


def test_a_release_refuses_a_condition_whose_tranche_belongs_to_another_instrument(facility):
    # Given a published loan, and a condition of the loan gating the Facility's tranche (set behind the form)
    loan = InstrumentFactory(name="Support Loan")
    released(loan)
    condition = services.condition_save(condition=ConditionFactory.build(instrument=loan, title="Loan steps"))
    Condition.objects.filter(pk=condition.pk).update(tranche=facility, version=F("version") + 1)
    condition.refresh_from_db()
    # When it is published, then the release is refused
    with pytest.raises(ValidationError) as refused:
        released(condition)
    assert (
        checks.TRANCHE_OF_OTHER_INSTRUMENT.format(model="Condition", record="Loan steps", tranche="4th instalment")
        in refused.value.messages
    )
