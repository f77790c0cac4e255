"""Fixtures of the security tests: one world per test module, built once and rolled back at the end
of the module (each test runs in a savepoint inside it, so its own writes are rolled back too).

The world is the initial dataset as published by ``load_dataset`` (Release 1), people with
distinctive names in each role, drafts and draft edits whose texts carry ``DRAFT_MARK`` and whose
saves carry ``EDIT_REASON``, a release published by the reviewer (its note is public; who published
it is not), a figure snapshot with its chart data, an exchange rate and a job run. Public responses
must never contain any string of ``SECRETS``."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.template import Template
from django.test import Client, override_settings

from reports import services as report_services
from reports.models import ChartData, ExchangeRate, FigureSnapshot, JobRun
from tests.factories import (
    CitationFactory,
    ComponentFactory,
    ConditionFactory,
    DisbursementFactory,
    EstimateFactory,
    InstrumentFactory,
    MilestoneFactory,
    OpenQuestionFactory,
    SourceFactory,
    TrancheFactory,
    UserFactory,
)
from tests.releases import citations_of, released
from tranches import services
from tranches.dataset import dataset_load
from tranches.models import Citation, Component, Disbursement, Instrument, Publishable, Release, Source, Status, Tranche

BN = Decimal(1_000_000_000)
DRAFT_MARK = "DRAFTONLY-qz8w"  # in every draft record and every unpublished edit
EDIT_REASON = "EDITREASON-qz8w"  # the reason an editor gave for a draft save
# The public note of the reviewer's release: public by design (the corrections log), so not a secret.
RELEASE_NOTE = "RELEASENOTE-qz8w"
DATASET_KEY = "DATASETKEY-qz8w"  # the loader's internal key of a published record
# Internal fields of the records and their history: their names never appear in public either.
INTERNAL_FIELDS = ["dataset_key", "published_by", "history_user", "history_change_reason"]

# Role -> (username, email, first name, last name). None of these may reach the public.
PEOPLE = {
    "editor": ("ed-quillfeather", "ed.quillfeather@newsroom.invalid", "Edwina", "Quillfeather"),
    "reviewer": ("rv-marchbanks", "rv.marchbanks@newsroom.invalid", "Rowan", "Marchbanks"),
    "superuser": ("su-ostrakova", "su.ostrakova@newsroom.invalid", "Sunniva", "Ostrakova"),
}
SECRETS = [
    DRAFT_MARK,
    EDIT_REASON,
    DATASET_KEY,
    *INTERNAL_FIELDS,
    *(text for person in PEOPLE.values() for text in person),
]
ROLES = ["anonymous", "editor", "reviewer", "superuser"]
# The publishable models, in the admin's URL spelling, parents first: the money and its sources,
# then the record around it (tranches/admin/context.py).
MONEY_MODELS = ["instrument", "component", "tranche", "disbursement", "source", "citation"]
CONTEXT_MODELS = ["milestone", "condition", "estimate", "openquestion"]
TRANCHES_MODELS = MONEY_MODELS + CONTEXT_MODELS
REPORTS_MODELS = ["figuresnapshot", "chartdata", "exchangerate", "jobrun"]


@dataclass
class World:
    users: dict[str, Any]
    # Model name -> a published record (never deletable), a draft, and a draft whose parents are
    # published (so a reviewer can publish it in a release, with the drafts of ``publishable_with``:
    # the citation every published figure needs).
    published: dict[str, Publishable] = field(default_factory=dict)
    drafts: dict[str, Publishable] = field(default_factory=dict)
    publishable: dict[str, Publishable] = field(default_factory=dict)
    publishable_with: dict[str, list[Publishable]] = field(default_factory=dict)
    release: Release | None = None  # the reviewer's release
    reports: dict[str, Any] = field(default_factory=dict)
    snapshot: FigureSnapshot | None = None
    sessions: dict[str, str] = field(default_factory=dict)  # role -> session key of a logged-in browser


def _sessions(users: dict[str, Any]) -> dict[str, str]:
    """Log each person in once: a test sets the session cookie instead of logging in again."""
    keys = {}
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        keys[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return keys


def _people() -> dict[str, Any]:
    users: dict[str, Any] = {}
    for role, (username, email, first, last) in PEOPLE.items():
        user: Any = UserFactory(
            username=username,
            email=email,
            first_name=first,
            last_name=last,
            is_staff=True,
            is_superuser=role == "superuser",
        )
        if role == "editor":
            user.groups.add(Group.objects.get(name="Editors"))
        elif role == "reviewer":
            user.groups.add(Group.objects.get(name="Reviewers"))
        users[role] = user
    return users


def _build_world() -> World:
    dataset_load(path=settings.DATASET_PATH)
    report_services.snapshot_refresh()  # the figures of Release 1, for ``?release=1``
    world = World(users=_people())
    world.sessions = _sessions(world.users)
    editor, reviewer = world.users["editor"], world.users["reviewer"]

    def draft(record: Publishable) -> Publishable:
        return services.record_save(record=record, user=editor, reason=EDIT_REASON)

    # A published record edited by the editor (with a reason), a new source and a record of each
    # kind around the money, published by the reviewer as Release 2: history rows of public versions
    # name both of them, the release its reviewer.
    usl = Instrument.objects.get(slug="ukraine-support-loan")
    usl.description = f"{usl.description} Updated after review."
    draft(usl)
    added = draft(SourceFactory.build(title="Council press release, added in review", grade="A"))
    context: dict[str, Any] = {
        "milestone": draft(MilestoneFactory.build(instrument=usl, title="Regulation adopted, security test")),
        "condition": draft(ConditionFactory.build(instrument=usl, title="Reform steps, security test")),
        "estimate": draft(EstimateFactory.build(instrument=usl, title="Interest cost, security test")),
        "openquestion": draft(OpenQuestionFactory.build(instrument=usl, question="Who decides, security test?")),
    }
    world.release = released(usl, added, *context.values(), user=reviewer, note=RELEASE_NOTE)
    report_services.snapshot_refresh()  # the figures of Release 2

    # Draft edits of published records: the public keeps seeing the published version.
    drones = Tranche.objects.get(slug="drones-1")
    drones.name = f"{DRAFT_MARK} drones"
    draft(drones)
    payment = Disbursement.objects.filter(tranche=drones).get()
    payment.notes = DRAFT_MARK
    draft(payment)
    defence = Component.objects.get(slug="defence")
    defence.description = DRAFT_MARK
    draft(defence)
    for record in context.values():  # the published milestone, condition, estimate and question
        record.notes = DRAFT_MARK
        draft(record)

    # Drafts never published, of every kind (the component under a draft instrument: USL is full).
    draft_instrument = draft(InstrumentFactory.build(name=DRAFT_MARK, short_name="DRAFTI", slug="draft-instrument"))
    draft_component = draft(ComponentFactory.build(instrument=draft_instrument, name=DRAFT_MARK, amount=BN))
    draft_tranche = draft(
        TrancheFactory.build(component=defence, name=DRAFT_MARK, slug="draft-tranche", purpose=DRAFT_MARK, amount=BN)
    )
    draft_payment = draft(DisbursementFactory.build(tranche=draft_tranche, notes=DRAFT_MARK, amount_eur=BN))
    draft_source = draft(SourceFactory.build(title=DRAFT_MARK, publisher=DRAFT_MARK))
    draft_citation = draft(CitationFactory.build(source=draft_source, tranche=draft_tranche, quote=DRAFT_MARK))
    draft_milestone = draft(
        MilestoneFactory.build(instrument=draft_instrument, title=DRAFT_MARK, planned_note=DRAFT_MARK)
    )
    draft_condition = draft(ConditionFactory.build(instrument=draft_instrument, title=DRAFT_MARK, area=DRAFT_MARK))
    draft_estimate = draft(EstimateFactory.build(instrument=draft_instrument, title=DRAFT_MARK, notes=DRAFT_MARK))
    draft_question = draft(
        OpenQuestionFactory.build(instrument=draft_instrument, question=f"{DRAFT_MARK}?", would_answer=DRAFT_MARK)
    )
    world.drafts = dict(
        zip(
            TRANCHES_MODELS,
            [
                *(draft_instrument, draft_component, draft_tranche, draft_payment, draft_source, draft_citation),
                *(draft_milestone, draft_condition, draft_estimate, draft_question),
            ],
            strict=True,
        )
    )
    world.published = {
        "instrument": usl,
        "component": defence,
        "tranche": drones,
        "disbursement": payment,
        "source": Source.objects.get(pk=added.pk),
        "citation": Citation.objects.filter(status="published").order_by("pk").first(),  # type: ignore[dict-item]
        **context,  # published in Release 2, each with a draft edit since
    }

    # A small published loan with a draft of each kind whose parents are all published.
    loan: Any = InstrumentFactory(
        name="Security test loan", short_name="STL", slug="security-test-loan", amount=10 * BN
    )
    envelope: Any = ComponentFactory(instrument=loan, name="Envelope", slug="envelope", amount=5 * BN)
    portion: Any = TrancheFactory(component=envelope, name="Portion", slug="portion", amount=2 * BN)
    document: Any = SourceFactory(title="Security test source")
    released(loan, envelope, portion, document, note="The security test loan")
    world.publishable = dict(
        zip(
            TRANCHES_MODELS,
            [
                draft(InstrumentFactory.build(name=f"{DRAFT_MARK} loan", short_name="DRAFTL", slug="draft-loan")),
                draft(ComponentFactory.build(instrument=loan, name=DRAFT_MARK, slug="draft-envelope", amount=BN)),
                draft(TrancheFactory.build(component=envelope, name=DRAFT_MARK, slug="draft-portion", amount=BN)),
                draft(DisbursementFactory.build(tranche=portion, notes=DRAFT_MARK, amount_eur=BN)),
                draft(SourceFactory.build(title=f"{DRAFT_MARK} source")),
                draft(CitationFactory.build(source=document, tranche=portion, quote=DRAFT_MARK)),
                draft(MilestoneFactory.build(instrument=loan, tranche=portion, title=DRAFT_MARK)),
                draft(ConditionFactory.build(instrument=loan, tranche=portion, title=DRAFT_MARK)),
                draft(EstimateFactory.build(instrument=loan, title=DRAFT_MARK)),
                draft(OpenQuestionFactory.build(instrument=loan, question=f"{DRAFT_MARK}?")),
            ],
            strict=True,
        )
    )
    # Each figure draft with a draft citation of the (published) test source: a release that
    # publishes them passes every check.
    world.publishable_with = {
        model: [cited for cited in citations_of(record) if cited.status == Status.DRAFT]
        for model, record in world.publishable.items()
    }

    # What the jobs write: a rate, a snapshot and its chart data, a job run.
    report_services.rates_store({(datetime.date(2026, 6, 30), "USD"): Decimal("1.0850")})
    with report_services.job_run(report_services.JOB_REFRESH) as outcome:
        world.snapshot = report_services.snapshot_refresh(force=True).snapshot
        assert world.snapshot is not None
        outcome.detail["snapshot"] = world.snapshot.content_hash
    report_services.chart_data_refresh(snapshot_id=world.snapshot.pk)
    world.reports = {
        "figuresnapshot": world.snapshot,
        "chartdata": ChartData.objects.get(snapshot=world.snapshot),
        "exchangerate": ExchangeRate.objects.get(),
        "jobrun": JobRun.objects.get(),
    }
    return world


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """Built once per module inside a transaction that is rolled back after the module's last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world()
        transaction.set_rollback(True)


@pytest.fixture(scope="module", autouse=True)
def _no_throttle() -> Iterator[None]:
    """Throttling is off (test_throttling.py turns it on per test): otherwise cells would become 429s.
    Module-scoped: DRF reloads its settings at every change of settings, which costs a test each."""
    with override_settings(API_THROTTLE_ANON=None):
        yield


@pytest.fixture(scope="module", autouse=True)
def _no_template_capture() -> Iterator[None]:
    """The test environment makes every template render send a signal on which the test client
    copies the whole context (for ``response.context``): hundreds of copies per admin page, a quarter
    of its time. These tests never read ``response.context``, so templates render as in production."""
    original = getattr(Template, "_original_render", None)
    if original is None:  # not under the test environment: nothing to undo
        yield
        return
    instrumented = Template.__dict__["_render"]
    setattr(Template, "_render", original)  # noqa: B010  (mypy does not know the private method)
    try:
        yield
    finally:
        setattr(Template, "_render", instrumented)  # noqa: B010


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each cell renders its page itself: the page cache and throttle counts start empty."""
    cache.clear()
    yield
    cache.clear()
