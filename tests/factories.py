"""factory-boy factories. Records are built as drafts; use ``services`` to save and publish them
the way the application does (tests.helpers.saved / published)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from tranches.models import Citation, Component, Disbursement, Grade, Instrument, Source, Stage, Tranche

PAST = datetime.date(2026, 6, 30)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")


class InstrumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Instrument

    name = factory.Sequence(lambda n: f"Support Loan {n}")
    short_name = factory.Sequence(lambda n: f"SL{n}")
    slug = factory.Sequence(lambda n: f"support-loan-{n}")
    legal_basis = "Regulation (EU) 2026/467"
    amount = Decimal("90000000000.00")
    period_start = datetime.date(2026, 1, 1)
    period_end = datetime.date(2027, 12, 31)


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Component

    instrument = factory.SubFactory(InstrumentFactory)
    name = factory.Sequence(lambda n: f"Component {n}")
    slug = factory.Sequence(lambda n: f"component-{n}")
    amount = Decimal("60000000000.00")


class TrancheFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tranche

    component = factory.SubFactory(ComponentFactory)
    name = factory.Sequence(lambda n: f"Tranche {n}")
    slug = factory.Sequence(lambda n: f"tranche-{n}")
    purpose = "drones"
    amount = Decimal("3900000000.00")
    stage = Stage.APPROVED
    approved_on = datetime.date(2026, 6, 1)
    budget_year = 2026


class DisbursementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Disbursement

    tranche = factory.SubFactory(TrancheFactory)
    value_date = PAST
    amount_eur = Decimal("1000000000.00")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    publisher = "European Commission"
    title = factory.Sequence(lambda n: f"Press release {n}")
    published_on = PAST
    grade = Grade.A


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citation

    source = factory.SubFactory(SourceFactory)
    tranche = factory.SubFactory(TrancheFactory)
    quote = "a first tranche of 3.9 billion euros"
    claimed_amount = Decimal("3900000000.00")
