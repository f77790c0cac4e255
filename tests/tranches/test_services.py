"""The invariants, enforced by the services every writer calls. Messages name the numbers."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import ComponentFactory, DisbursementFactory, InstrumentFactory, TrancheFactory
from tests.releases import released
from tranches import services
from tranches.models import (
    AMOUNT_NOT_POSITIVE,
    DATE_IN_FUTURE,
    DATES_OUT_OF_ORDER,
    STAGE_DATE_MISSING,
    Component,
    Disbursement,
    Stage,
    Tranche,
)

pytestmark = pytest.mark.django_db

BN = Decimal(1_000_000_000)


def test_components_may_not_exceed_their_instrument():
    # Given a €90bn instrument with a €60bn component
    instrument = InstrumentFactory(amount=90 * BN)
    ComponentFactory(instrument=instrument, amount=60 * BN)
    # When a €31bn component is added
    with pytest.raises(ValidationError) as exc:
        services.component_save(component=Component(instrument=instrument, name="Budget", slug="b", amount=31 * BN))
    # Then it is refused with the numbers (saying that the €60bn component is a draft), and nothing is written
    assert exc.value.messages == [
        services.COMPONENTS_EXCEED_INSTRUMENT.format(parent=instrument, total="€91.0bn", limit="€90.0bn")
        + " "
        + services.DRAFTS_IN_TOTAL.format(drafts="€60.0bn")
    ]
    assert instrument.components.count() == 1


def test_components_exactly_filling_the_instrument_are_accepted():
    instrument = InstrumentFactory(amount=90 * BN)
    ComponentFactory(instrument=instrument, amount=60 * BN)
    services.component_save(component=Component(instrument=instrument, name="Budget", slug="b", amount=30 * BN))
    assert instrument.components.count() == 2


def test_tranche_pushing_defence_past_60bn_is_refused_naming_the_numbers():
    defence = ComponentFactory(name="Defence", amount=60 * BN)
    TrancheFactory(component=defence, amount=57 * BN)
    tranche = TrancheFactory.build(component=defence, amount=4 * BN)
    with pytest.raises(ValidationError) as exc:
        services.tranche_save(tranche=tranche)
    assert exc.value.messages == [
        f"Tranches of {defence} would total €61.0bn, but the component is €60.0bn. "
        "That total counts €57.0bn of other drafts not yet published (every saved row counts)."
    ]
    assert defence.tranches.count() == 1


def test_a_refusal_counts_no_drafts_when_the_others_are_published():
    defence = ComponentFactory(name="Defence", amount=60 * BN)
    published = TrancheFactory(component=defence, amount=57 * BN)
    released(defence.instrument, defence, published)
    with pytest.raises(ValidationError) as exc:
        services.tranche_save(tranche=TrancheFactory.build(component=defence, amount=4 * BN))
    assert exc.value.messages == [f"Tranches of {defence} would total €61.0bn, but the component is €60.0bn."]


def test_raising_a_tranche_within_the_component_is_accepted_but_past_it_is_refused():
    defence = ComponentFactory(amount=60 * BN)
    tranche = TrancheFactory(component=defence, amount=50 * BN)
    tranche.amount = 60 * BN
    services.tranche_save(tranche=tranche)
    tranche.amount = Decimal("60000000000.01")
    with pytest.raises(ValidationError, match=r"would total €60,000,000,000\.01, but the component is €60\.0bn"):
        services.tranche_save(tranche=tranche)
    tranche.refresh_from_db()
    assert tranche.amount == Decimal("60000000000.00")


def test_shrinking_a_component_below_its_tranches_is_refused():
    defence = ComponentFactory(amount=60 * BN)
    TrancheFactory(component=defence, amount=10 * BN)
    defence.amount = 9 * BN
    with pytest.raises(ValidationError, match=r"would total €10\.0bn, but the component is €9\.0bn"):
        services.component_save(component=defence)


def test_disbursements_may_not_exceed_their_tranche():
    tranche = TrancheFactory(amount=Decimal("3900000000.00"))
    DisbursementFactory(tranche=tranche, amount_eur=Decimal("3000000000.00"))
    payment = Disbursement(tranche=tranche, value_date=datetime.date(2026, 6, 30), amount_eur=Decimal("900000000.01"))
    with pytest.raises(ValidationError) as exc:
        services.disbursement_save(disbursement=payment)
    assert exc.value.messages == [
        services.DISBURSEMENTS_EXCEED_TRANCHE.format(parent=tranche, total="€3,900,000,000.01", limit="€3.9bn")
        + " "
        + services.DRAFTS_IN_TOTAL.format(drafts="€3.0bn")
    ]
    assert tranche.disbursements.count() == 1


def test_a_disbursed_tranche_must_have_disbursements_totalling_its_amount():
    tranche = TrancheFactory(amount=Decimal("3900000000.00"))
    tranche.stage, tranche.disbursed_on = Stage.DISBURSED, datetime.date(2026, 6, 30)
    with pytest.raises(ValidationError) as exc:
        services.tranche_save(tranche=tranche)
    assert exc.value.messages == [services.DISBURSED_NOT_PAID.format(tranche=tranche, total="€0.00", limit="€3.9bn")]


def test_disbursed_stage_and_its_payment_saved_together_are_accepted():
    tranche = TrancheFactory(amount=Decimal("3900000000.00"))
    with services.checked_together():
        tranche.stage, tranche.disbursed_on = Stage.DISBURSED, datetime.date(2026, 6, 30)
        services.tranche_save(tranche=tranche)
        services.disbursement_save(
            disbursement=Disbursement(tranche=tranche, value_date=tranche.disbursed_on, amount_eur=tranche.amount)
        )
    tranche.refresh_from_db()
    assert tranche.stage == Stage.DISBURSED
    assert tranche.disbursements.get().amount_eur == Decimal("3900000000.00")


def test_checked_together_rolls_back_every_write_when_the_final_state_breaks_a_rule():
    component = ComponentFactory(amount=10 * BN)

    def save_both():
        with services.checked_together():
            services.tranche_save(tranche=TrancheFactory.build(component=component, amount=6 * BN))
            services.tranche_save(tranche=TrancheFactory.build(component=component, amount=5 * BN))

    with pytest.raises(ValidationError):
        save_both()
    assert Tranche.objects.count() == 0


@pytest.mark.parametrize("amount", [Decimal("0.00"), Decimal("-5.00")])
def test_zero_or_negative_amounts_are_refused(amount):
    tranche = TrancheFactory.build(component=ComponentFactory(), amount=amount)
    with pytest.raises(ValidationError) as exc:
        services.tranche_save(tranche=tranche)
    from tranches.money import eur

    assert exc.value.message_dict["amount"] == [AMOUNT_NOT_POSITIVE.format(label="Amount (EUR)", value=eur(amount))]


def test_stage_dates_must_be_in_order():
    tranche = TrancheFactory.build(
        component=ComponentFactory(),
        stage=Stage.APPROVED,
        planned_on=datetime.date(2026, 6, 10),
        approved_on=datetime.date(2026, 6, 1),
    )
    with pytest.raises(ValidationError) as exc:
        services.tranche_save(tranche=tranche)
    assert exc.value.message_dict["approved_on"] == [
        DATES_OUT_OF_ORDER.format(
            later_label="Date approved",
            later=datetime.date(2026, 6, 1),
            earlier_label="date planned",
            earlier=datetime.date(2026, 6, 10),
        )
    ]


def test_stage_dates_may_not_be_in_the_future():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    tranche = TrancheFactory.build(component=ComponentFactory(), stage=Stage.APPROVED, approved_on=tomorrow)
    with pytest.raises(ValidationError) as exc:
        services.tranche_save(tranche=tranche)
    assert exc.value.message_dict["approved_on"] == [
        DATE_IN_FUTURE.format(label="Date approved", date=tomorrow, today=timezone.localdate())
    ]


def test_the_stage_reached_needs_its_date():
    tranche = TrancheFactory.build(component=ComponentFactory(), stage=Stage.APPROVED, approved_on=None)
    with pytest.raises(ValidationError) as exc:
        services.tranche_save(tranche=tranche)
    assert exc.value.message_dict["approved_on"] == [STAGE_DATE_MISSING.format(stage="approved", label="date approved")]


def test_future_value_date_is_refused():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    payment = Disbursement(tranche=TrancheFactory(), value_date=tomorrow, amount_eur=BN)
    with pytest.raises(ValidationError) as exc:
        services.disbursement_save(disbursement=payment)
    assert "value_date" in exc.value.message_dict


def test_moving_a_disbursement_rechecks_the_tranche_it_left():
    # A fully paid, disbursed tranche may not lose its payment to another tranche.
    paid = TrancheFactory(amount=BN, stage=Stage.DISBURSED, disbursed_on=datetime.date(2026, 6, 30))
    payment = DisbursementFactory(tranche=paid, amount_eur=BN)
    payment.tranche = TrancheFactory(amount=2 * BN)
    with pytest.raises(
        ValidationError, match=r"is marked disbursed, but its disbursements total €0\.00 of its €1\.0bn"
    ):
        services.disbursement_save(disbursement=payment)


def test_a_save_records_a_history_row_with_user_and_reason(editor):
    tranche = TrancheFactory.build(component=ComponentFactory())
    services.tranche_save(tranche=tranche, user=editor, reason="typo")
    row = tranche.history.get()
    assert (row.history_user, row.history_change_reason, row.history_type) == (editor, "typo", "+")


def test_a_save_based_on_an_older_version_is_refused_so_no_edit_is_lost(editor):
    # Given two editors who opened the same tranche
    tranche = services.tranche_save(tranche=TrancheFactory.build(component=ComponentFactory()))
    first, second = Tranche.objects.get(pk=tranche.pk), Tranche.objects.get(pk=tranche.pk)
    # When the first saves a new purpose and the second, still on the old version, saves notes
    first.purpose = "air defence"
    services.tranche_save(tranche=first)
    second.notes = "checked against the Council decision"
    with pytest.raises(ValidationError) as exc:
        services.tranche_save(tranche=second)
    # Then the second is told to reload, and the first editor's change is still there
    assert exc.value.messages == [services.STALE_EDIT.format(model="Tranche", record=second, current=2, yours=1)]
    stored = Tranche.objects.get(pk=tranche.pk)
    assert (stored.purpose, stored.notes, stored.version) == ("air defence", "", 2)
