"""Property: any sequence of writes through the services leaves every invariant intact.
Refusals are fine; a state that breaks a rule is not."""

import contextlib
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import InstrumentFactory
from tranches import services
from tranches.models import Component, Disbursement, Instrument, Stage, Tranche

BN = Decimal(1_000_000_000)
DAY = datetime.date(2026, 6, 30)

# Amounts from -1bn to 40bn in whole billions (so limits are hit exactly and often), plus odd cents.
amounts = st.one_of(
    st.integers(-1, 40).map(lambda n: Decimal(n) * BN),
    st.decimals(min_value=Decimal("-0.01"), max_value=Decimal("5000000000"), places=2),
)
index = st.integers(0, 7)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add_component"), amounts),
        st.tuples(st.just("add_tranche"), index, amounts),
        st.tuples(st.just("pay"), index, amounts),
        st.tuples(st.just("resize_instrument"), amounts),
        st.tuples(st.just("resize_component"), index, amounts),
        st.tuples(st.just("resize_tranche"), index, amounts),
        st.tuples(st.just("mark_disbursed"), index),
        st.tuples(st.just("delete_payment"), index),
        st.tuples(st.just("move_payment"), index, index),
    ),
    max_size=25,
)


def pick(queryset, i):
    rows = list(queryset.order_by("pk"))
    return rows[i % len(rows)] if rows else None


def apply(instrument: Instrument, op: tuple, serial: list[int]) -> None:
    serial[0] += 1
    n = serial[0]
    components = Component.objects.filter(instrument=instrument)
    tranches = Tranche.objects.filter(component__instrument=instrument)
    payments = Disbursement.objects.filter(tranche__component__instrument=instrument)
    kind = op[0]
    if kind == "add_component":
        services.component_save(component=Component(instrument=instrument, name=f"c{n}", slug=f"c{n}", amount=op[1]))
    elif kind == "add_tranche" and (component := pick(components, op[1])):
        tranche = Tranche(component=component, name=f"t{n}", slug=f"t{n}", purpose="p", amount=op[2])
        tranche.stage, tranche.approved_on = Stage.APPROVED, DAY
        services.tranche_save(tranche=tranche)
    elif kind == "pay" and (tranche := pick(tranches, op[1])):
        services.disbursement_save(disbursement=Disbursement(tranche=tranche, value_date=DAY, amount_eur=op[2]))
    elif kind == "resize_instrument":
        instrument.refresh_from_db()
        instrument.amount = op[1]
        services.instrument_save(instrument=instrument)
    elif kind == "resize_component" and (component := pick(components, op[1])):
        component.amount = op[2]
        services.component_save(component=component)
    elif kind == "resize_tranche" and (tranche := pick(tranches, op[1])):
        tranche.amount = op[2]
        services.tranche_save(tranche=tranche)
    elif kind == "mark_disbursed" and (tranche := pick(tranches, op[1])):
        tranche.stage, tranche.disbursed_on = Stage.DISBURSED, DAY
        services.tranche_save(tranche=tranche)
    elif kind == "delete_payment" and (payment := pick(payments, op[1])):
        services.record_delete(record=payment)
    elif kind == "move_payment" and (payment := pick(payments, op[1])) and (tranche := pick(tranches, op[2])):
        payment.tranche = tranche
        services.disbursement_save(disbursement=payment)


def assert_invariants(instrument: Instrument) -> None:
    """Checked in SQL on what is stored, independently of the services' own code."""
    instrument.refresh_from_db()
    assert instrument.amount > 0
    components = Component.objects.filter(instrument=instrument)
    assert (components.aggregate(s=Sum("amount"))["s"] or 0) <= instrument.amount
    assert not components.filter(amount__lte=0).exists()
    over = components.annotate(t=Sum("tranches__amount")).filter(t__gt=F("amount"))
    assert not over.exists(), list(over.values("amount", "t"))
    tranches = Tranche.objects.filter(component__instrument=instrument).annotate(
        paid=Sum("disbursements__amount_eur"), payments=Count("disbursements")
    )
    assert not tranches.filter(amount__lte=0).exists()
    assert not tranches.filter(paid__gt=F("amount")).exists()
    assert not tranches.filter(Q(stage=Stage.DISBURSED) & (Q(paid__isnull=True) | ~Q(paid=F("amount")))).exists()
    assert not Disbursement.objects.filter(tranche__in=tranches, amount_eur__lte=0).exists()


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_no_sequence_of_writes_breaks_an_invariant(ops):
    instrument = InstrumentFactory(amount=90 * BN)
    serial = [0]
    for op in ops:
        # A refusal writes nothing; either way the invariants must hold.
        with contextlib.suppress(ValidationError):
            apply(instrument, op, serial)
        assert_invariants(instrument)
