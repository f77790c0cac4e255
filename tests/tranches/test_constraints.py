"""Single-row rules hold in the database itself, even for a write that skips the services."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from tests.factories import CitationFactory, ComponentFactory, DisbursementFactory, InstrumentFactory, TrancheFactory
from tranches.models import Stage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("factory", "fields"),
    [
        (InstrumentFactory, {"amount": Decimal("0.00")}),
        (InstrumentFactory, {"period_start": datetime.date(2027, 1, 1), "period_end": datetime.date(2026, 1, 1)}),
        (ComponentFactory, {"amount": Decimal("-1.00")}),
        (TrancheFactory, {"amount": Decimal("0.00")}),
        (TrancheFactory, {"stage": Stage.DISBURSED, "disbursed_on": None}),
        (TrancheFactory, {"planned_on": datetime.date(2026, 7, 1), "approved_on": datetime.date(2026, 6, 1)}),
        (TrancheFactory, {"budget_year": 1999}),
        (DisbursementFactory, {"amount_eur": Decimal("-3900000000.00")}),
        (DisbursementFactory, {"reported_amount": Decimal("4400000000.00"), "reported_currency": ""}),
        (CitationFactory, {"quote": ""}),
        (CitationFactory, {"component": ComponentFactory}),  # a second target
    ],
)
def test_check_constraints_refuse_bad_rows_written_directly(factory, fields):
    fields = {name: value() if value is ComponentFactory else value for name, value in fields.items()}
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**fields)
