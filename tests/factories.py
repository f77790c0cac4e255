"""factory-boy factories. Records are built as drafts; use ``services`` to save and publish them
the way the application does (tests.helpers.saved / published)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from tranches.models import (
    Citation,
    Component,
    Condition,
    Disbursement,
    Estimate,
    EstimateKind,
    Grade,
    Instrument,
    Milestone,
    MilestoneKind,
    OpenQuestion,
    Source,
    Stage,
    Tranche,
)

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


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    instrument = factory.SubFactory(InstrumentFactory)
    kind = MilestoneKind.PAYMENT
    title = factory.Sequence(lambda n: f"Milestone {n}")
    planned_on = datetime.date(2026, 4, 1)
    happened_on = PAST


class ConditionFactory(factory.django.DjangoModelFactory):
    """A Facility-like payment's reform steps: 13 of 16 met, €1.3bn of €4.5bn withheld."""

    class Meta:
        model = Condition

    instrument = factory.SubFactory(InstrumentFactory)
    title = factory.Sequence(lambda n: f"Reform steps {n}")
    steps_due = 16
    steps_met = 13
    assessed_on = datetime.date(2025, 8, 8)
    amount_at_stake = Decimal("4500000000.00")
    amount_withheld = Decimal("1300000000.00")
    recoverable_until = datetime.date(2026, 8, 8)


class EstimateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Estimate

    kind = EstimateKind.INTEREST
    title = factory.Sequence(lambda n: f"Interest estimate {n}")
    amount = Decimal("3000000000.00")
    qualifier = "about"
    per_year = True
    period_start = datetime.date(2028, 1, 1)


class OpenQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpenQuestion

    question = factory.Sequence(lambda n: f"Open question {n}?")
    open_since = datetime.date(2026, 11, 30)
    would_answer = "A Commission implementing decision."
