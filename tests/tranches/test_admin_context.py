"""The record around the money in the admin: milestones, conditions, estimates and open questions
entered by an editor (refusals on the form with the field and the numbers, drafts, citations inline),
reviewed and published by a reviewer; payments' date precision and the instrument paid through."""

from __future__ import annotations

import datetime
import html
import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from tests.factories import (
    ConditionFactory,
    EstimateFactory,
    InstrumentFactory,
    MilestoneFactory,
    OpenQuestionFactory,
    SourceFactory,
    TrancheFactory,
)
from tests.releases import released
from tranches import selectors, services
from tranches.models import (
    Citation,
    Condition,
    ConditionOutcome,
    DatePrecision,
    Disbursement,
    Milestone,
    OpenQuestion,
    Release,
    Source,
    Status,
    Tranche,
    condition_outcome,
)
from tranches.models.conditions import STEPS_MET_OVER_DUE, WITHHELD_OVER_STAKE
from tranches.models.milestones import TRANCHE_OF_ANOTHER_INSTRUMENT
from tranches.models.questions import ANSWER_PAIR
from tranches.models.records import MONTH_PRECISION_DAY, PAID_THROUGH_OWN
from tranches.money import eur

pytestmark = pytest.mark.django_db
BN = Decimal(1_000_000_000)
QUOTE = "Ukraine met 13 of the 16 steps; EUR 3.2 billion of the EUR 4.5 billion is paid."


def inline_management(prefix: str, total: int = 0) -> dict[str, int]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": 0,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def cited_by(source: Any, quote: str = QUOTE, figure: str = "steps met and money withheld") -> dict[str, Any]:
    """One citation in the inline of the form being posted."""
    return {
        **inline_management("citations", total=1),
        "citations-0-source": source.pk,
        "citations-0-figure": figure,
        "citations-0-quote": quote,
        "citations-0-claimed_amount": "",
        "citations-0-claimed_currency": "",
        "citations-0-is_used": "on",
        "citations-0-locator": "",
        "citations-0-version": 0,
    }


def condition_form(instrument: Any, **fields: Any) -> dict[str, Any]:
    """The Facility's 4th payment as an editor types it: 13 of 16 steps, €1.3bn of €4.5bn withheld."""
    return {
        "instrument": instrument.pk,
        "tranche": "",
        "title": "Ukraine Plan: reform steps of the 4th payment",
        "area": "public administration",
        "steps_due": "16",
        "steps_met": "13",
        "assessed_on": "2025-08-08",
        "amount_at_stake": "4500000000.00",
        "amount_withheld": "1300000000.00",
        "recoverable_until": "2026-08-08",
        "notes": "",
        "version": 0,
        **inline_management("citations"),
        **fields,
    }


def milestone_form(instrument: Any, **fields: Any) -> dict[str, Any]:
    return {
        "instrument": instrument.pk,
        "tranche": "",
        "kind": "payment",
        "title": "First payment",
        "planned_on": "2026-04-01",
        "planned_note": "early April",
        "happened_on": "2026-06-25",
        "notes": "",
        "version": 0,
        **inline_management("citations"),
        **fields,
    }


def question_form(**fields: Any) -> dict[str, Any]:
    return {
        "instrument": "",
        "question": "Which purchases count towards the 35% rule?",
        "open_since": "2026-06-30",
        "would_answer": "The Commission's implementing decision.",
        "answered_on": "",
        "answer": "",
        "notes": "",
        "version": 0,
        **inline_management("citations"),
        **fields,
    }


@pytest.fixture
def facility() -> Any:
    """A published instrument, and a published source editors cite."""
    instrument = InstrumentFactory(name="Ukraine Facility", short_name="UF", slug="ukraine-facility")
    released(instrument)
    source = services.source_save(source=SourceFactory.build(title="Commission decision on the 4th payment"))
    released(source)
    return instrument


@pytest.fixture
def source(facility: Any) -> Any:
    return Source.objects.get(title="Commission decision on the 4th payment")


def form_errors(response: Any) -> dict[str, list[str]]:
    return response.context["adminform"].form.errors


# -- an editor enters a condition ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"steps_met": "17"}, "steps_met", STEPS_MET_OVER_DUE.format(met=17, due=16)),
        (
            {"amount_withheld": "5000000000.00"},
            "amount_withheld",
            WITHHELD_OVER_STAKE.format(withheld=eur(5 * BN), at_stake=eur(Decimal("4.5") * BN)),
        ),
    ],
    ids=["steps-over-due", "withheld-over-stake"],
)
def test_a_condition_that_breaks_its_numbers_is_refused_on_its_field_and_nothing_is_saved(
    client, editor, facility, source, fields, field, message
):
    # Given an editor entering the 4th payment's condition, with its citation
    client.force_login(editor)
    # When a number is more than it can be
    response = client.post(
        reverse("admin:tranches_condition_add"), condition_form(facility, **fields, **cited_by(source))
    )
    # Then the same form comes back with the message on that field, naming both numbers
    assert response.status_code == 200
    assert form_errors(response)[field] == [message]
    assert html.escape(message) in response.content.decode()
    assert 'value="Ukraine Plan: reform steps of the 4th payment"' in response.content.decode()  # input kept
    # and neither the condition nor its citation was saved
    assert not Condition.objects.exists()
    assert not Citation.objects.filter(quote=QUOTE).exists()


def test_the_refusal_names_the_numbers_an_editor_typed(client, editor, facility):
    client.force_login(editor)
    response = client.post(reverse("admin:tranches_condition_add"), condition_form(facility, steps_met="17"))
    assert form_errors(response)["steps_met"] == ["Steps met (17) cannot be more than the steps due (16)."]


def test_a_tranche_of_another_instrument_is_refused(client, editor, facility):
    # Given a tranche of the Support Loan
    loan_tranche = TrancheFactory(name="First payment")
    client.force_login(editor)
    # When an editor links the Facility's condition to it
    response = client.post(reverse("admin:tranches_condition_add"), condition_form(facility, tranche=loan_tranche.pk))
    # Then the tranche field says it belongs to another instrument
    assert response.status_code == 200
    assert form_errors(response)["tranche"] == [TRANCHE_OF_ANOTHER_INSTRUMENT.format(tranche=loan_tranche)]
    assert not Condition.objects.exists()


def test_the_tranche_choices_name_their_instrument_and_component(client, editor, facility):
    loan_tranche = TrancheFactory(name="First payment")
    client.force_login(editor)
    page = client.get(reverse("admin:tranches_condition_add")).content.decode()
    assert f">{html.escape(str(loan_tranche.component))} · First payment</option>" in page


def test_a_valid_condition_saves_as_a_draft_with_its_citation_by_the_editor(client, editor, facility, source):
    client.force_login(editor)
    response = client.post(reverse("admin:tranches_condition_add"), condition_form(facility, **cited_by(source)))
    assert response.status_code == 302, form_errors(response)
    condition = Condition.objects.get()
    assert (condition.status, condition.steps_met, condition.steps_due) == (Status.DRAFT, 13, 16)
    assert condition.amount_withheld == Decimal("1300000000.00")
    assert condition.history.get().history_user == editor
    citation = condition.citations.get()
    assert (citation.status, citation.quote, citation.source) == (Status.DRAFT, QUOTE, source)
    # The public sees nothing of it yet
    assert not selectors.public_versions(Condition).exists()


# -- a reviewer publishes it -------------------------------------------------------------------


def pending_row(page: str, text: str) -> str:
    """The row of the pending-changes table that shows ``text``."""
    rows = re.findall(r"<tr>.*?</tr>", page, flags=re.DOTALL)
    return next(row for row in rows if html.escape(text) in row)


def test_a_reviewer_publishes_the_condition_with_its_citation_and_the_public_sees_it(
    client, editor, reviewer, facility, source
):
    # Given the condition an editor saved, with its citation
    client.force_login(editor)
    client.post(reverse("admin:tranches_condition_add"), condition_form(facility, **cited_by(source)))
    condition = Condition.objects.get()
    # When the reviewer opens the pending changes
    client.force_login(reviewer)
    page = client.get(reverse("admin:tranches_release_pending")).content.decode()
    # Then the condition is there by its title and kind, as new, and can be reviewed with its citation
    row = pending_row(page, condition.title)
    assert "<td>Condition</td>" in row
    assert "<td>new</td>" in row
    together = re.search(r'<a href="([^"]+)">Review with', row)
    assert together is not None
    review = client.get(html.unescape(together.group(1))).content.decode()
    tokens = re.findall(r'name="change" value="([^"]+)"', review)
    assert sorted(tokens) == sorted(services.Change.of(r).token for r in (condition, condition.citations.get()))
    assert '<th scope="row">Steps met</th><td>—</td><td>13</td>' in review
    assert 'id="review-checks-ok"' in review
    # When they publish it with a note
    number = services.release_latest_number() + 1
    response = client.post(
        reverse("admin:tranches_release_review"), {"change": tokens, "note": "The Facility's 4th payment"}, follow=True
    )
    # Then it is Release N, and the public reads the condition as entered
    assert f"Release {number} published (2 change(s))." in response.content.decode()
    assert Release.objects.get(number=number).published_by == reviewer
    public = selectors.public_versions(Condition).get(id=condition.pk)
    assert (public.steps_met, public.steps_due, public.amount_withheld) == (13, 16, Decimal("1300000000.00"))
    assert public.outcome == ConditionOutcome.PARTLY_MET
    condition.refresh_from_db()
    assert condition.status == Status.PUBLISHED


def test_a_changed_published_condition_shows_old_and_new_steps_in_the_review(client, editor, reviewer, facility):
    # Given a published condition, not assessed yet
    condition = services.condition_save(
        condition=ConditionFactory.build(
            instrument=facility, steps_met=None, assessed_on=None, amount_withheld=None, recoverable_until=None
        )
    )
    released(condition)
    # When an editor records the assessment
    condition.steps_met, condition.assessed_on = 13, datetime.date(2025, 8, 8)
    services.condition_save(condition=condition, user=editor)
    client.force_login(reviewer)
    # Then the pending changes say what changed, and the review shows old → new
    row = pending_row(client.get(reverse("admin:tranches_release_pending")).content.decode(), condition.title)
    assert "Steps met, Date assessed" in row
    review = client.get(
        f"{reverse('admin:tranches_release_review')}?change={services.Change.of(condition).token}"
    ).content.decode()
    assert '<th scope="row">Steps met</th><td>—</td><td>13</td>' in review


def test_the_pending_changes_list_every_new_kind_by_name(client, editor, facility):
    drafts = [
        services.milestone_save(milestone=MilestoneFactory.build(instrument=facility, title="Memorandum signed")),
        services.condition_save(condition=ConditionFactory.build(instrument=facility, title="Reform steps")),
        services.estimate_save(estimate=EstimateFactory.build(instrument=facility, title="Interest cost")),
        services.open_question_save(open_question=OpenQuestionFactory.build(question="When is the next payment?")),
    ]
    client.force_login(editor)
    page = client.get(reverse("admin:tranches_release_pending")).content.decode()
    for record in drafts:
        row = pending_row(page, str(record))
        assert f"<td>{record._meta.verbose_name.capitalize()}</td>" in row
        assert reverse(f"admin:tranches_{record._meta.model_name}_change", args=[record.pk]) in row


def test_a_tranche_is_reviewed_with_the_conditions_and_milestones_it_carries(client, reviewer, facility):
    # Given a draft tranche of the Facility, a condition gating it and a milestone of it, each cited
    tranche = TrancheFactory(component__instrument=facility, name="Fourth payment")
    condition = services.condition_save(condition=ConditionFactory.build(instrument=facility, tranche=tranche))
    milestone = services.milestone_save(milestone=MilestoneFactory.build(instrument=facility, tranche=tranche))
    unrelated = services.condition_save(condition=ConditionFactory.build(instrument=facility, title="Other"))
    source = services.source_save(source=SourceFactory.build(title="Council implementing decision"))
    for target in ({"tranche": tranche}, {"condition": condition}, {"milestone": milestone}):
        services.citation_save(citation=Citation(source=source, quote="the fourth instalment", **target))
    client.force_login(reviewer)
    # When the reviewer follows the tranche's "review together"
    row = pending_row(client.get(reverse("admin:tranches_release_pending")).content.decode(), "Fourth payment")
    link = re.search(r'<a href="([^"]+)">Review with', row)
    assert link is not None
    review = client.get(html.unescape(link.group(1))).content.decode()
    # Then the tranche comes with its condition, its milestone, the three citations and their source
    tokens = set(re.findall(r'name="change" value="([^"]+)"', review))
    expected = {tranche, condition, milestone, source, *Citation.objects.filter(source=source)}
    assert tokens == {services.Change.of(record).token for record in expected}
    assert services.Change.of(unrelated).token not in tokens


# -- milestones, questions, estimates ----------------------------------------------------------


def test_a_milestone_is_saved_with_its_citations_inline(client, editor, facility, source):
    client.force_login(editor)
    page = client.get(reverse("admin:tranches_milestone_add")).content.decode()
    assert 'name="citations-TOTAL_FORMS"' in page
    response = client.post(
        reverse("admin:tranches_milestone_add"),
        milestone_form(
            facility, **cited_by(source, quote="the first payment, planned for early April", figure="date planned")
        ),
    )
    assert response.status_code == 302, form_errors(response)
    milestone = Milestone.objects.get()
    citation = Citation.objects.get(milestone=milestone)
    assert citation.quote == "the first payment, planned for early April"
    assert citation.target == milestone
    # and its page lists the citation, to edit with it
    page = client.get(reverse("admin:tranches_milestone_change", args=[milestone.pk])).content.decode()
    assert "the first payment, planned for early April" in page


def test_the_milestone_list_shows_planned_against_happened(client, editor, facility):
    milestone = services.milestone_save(
        milestone=MilestoneFactory.build(
            instrument=facility, planned_on=datetime.date(2026, 4, 1), planned_note="early April"
        )
    )
    late = (milestone.happened_on - milestone.planned_on).days
    client.force_login(editor)
    page = client.get(reverse("admin:tranches_milestone_changelist")).content.decode()
    assert "01 Apr 2026 (“early April”)" in page
    assert f"{late} days late" in page


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"answered_on": "2026-07-15"}, "answer", ANSWER_PAIR),
        ({"answer": "Drones and air defence."}, "answer", ANSWER_PAIR),
    ],
    ids=["date-without-answer", "answer-without-date"],
)
def test_an_answer_without_its_date_or_a_date_without_answer_is_refused(client, editor, fields, field, message):
    client.force_login(editor)
    response = client.post(reverse("admin:tranches_openquestion_add"), question_form(**fields))
    assert response.status_code == 200
    assert form_errors(response)[field] == [message]
    assert not OpenQuestion.objects.exists()


def test_open_and_answered_questions_are_told_apart_in_the_list(client, editor):
    still_open = services.open_question_save(open_question=OpenQuestionFactory.build(question="Still open?"))
    answered = services.open_question_save(
        open_question=OpenQuestionFactory.build(
            question="Answered?", answered_on=datetime.date(2026, 11, 30), answer="Yes, in November."
        )
    )
    client.force_login(editor)
    url = reverse("admin:tranches_openquestion_changelist")
    assert list(client.get(f"{url}?answered=no").context["cl"].result_list) == [still_open]
    assert list(client.get(f"{url}?answered=yes").context["cl"].result_list) == [answered]
    assert "answered on 30 Nov 2026" in client.get(url).content.decode()


def test_an_estimate_list_shows_the_amount_as_the_source_qualifies_it(client, editor):
    estimate = services.estimate_save(estimate=EstimateFactory.build(qualifier="about", per_year=True))
    client.force_login(editor)
    page = client.get(reverse("admin:tranches_estimate_changelist")).content.decode()
    assert f"about {eur(estimate.amount)} a year" in page


# -- the conditions list -------------------------------------------------------------------------


def test_the_outcome_filter_keeps_the_rule_every_page_uses(client, editor, facility):
    # Given conditions of every outcome (and the edges: none met, all met)
    for due, met in [(16, None), (16, 0), (16, 1), (16, 13), (16, 15), (16, 16), (1, 0), (1, 1)]:
        services.condition_save(
            condition=ConditionFactory.build(
                instrument=facility,
                title=f"{met} of {due}",
                steps_due=due,
                steps_met=met,
                assessed_on=None if met is None else datetime.date(2025, 8, 8),
                amount_withheld=None,
            )
        )
    client.force_login(editor)
    url = reverse("admin:tranches_condition_changelist")
    for outcome in ConditionOutcome:
        # When the list is filtered by an outcome
        listed = {c.pk for c in client.get(f"{url}?outcome={outcome.value}").context["cl"].result_list}
        # Then it holds exactly the conditions condition_outcome gives that outcome
        expected = {c.pk for c in Condition.objects.all() if condition_outcome(c.steps_due, c.steps_met) == outcome}
        assert listed == expected, outcome
        assert expected, f"no example of {outcome}"


def test_the_conditions_list_shows_steps_outcome_and_money_withheld(client, editor, facility):
    condition = services.condition_save(condition=ConditionFactory.build(instrument=facility))
    client.force_login(editor)
    page = client.get(reverse("admin:tranches_condition_changelist")).content.decode()
    assert f"{condition.steps_met} of {condition.steps_due}" in page
    assert str(condition.outcome.label) in page
    assert f"{eur(condition.amount_withheld)} of {eur(condition.amount_at_stake)}" in page


# -- payments: how exactly the date is known, and the instrument paid through ---------------------


def payment_form(tranche: Any, **fields: Any) -> dict[str, Any]:
    return {
        "tranche": tranche.pk,
        "value_date": "2026-06-01",
        "value_date_precision": DatePrecision.MONTH,
        "amount_eur": "1000000000.00",
        "reported_amount": "",
        "reported_currency": "",
        "paid_through": "",
        "notes": "",
        "version": 0,
        **inline_management("citations"),
        **fields,
    }


def test_a_payment_known_to_the_month_and_paid_through_another_instrument_saves(client, editor, facility):
    tranche = TrancheFactory(name="Budget support 1")
    client.force_login(editor)
    response = client.post(reverse("admin:tranches_disbursement_add"), payment_form(tranche, paid_through=facility.pk))
    assert response.status_code == 302, form_errors(response)
    payment = Disbursement.objects.get()
    assert (payment.value_date_precision, payment.paid_through) == (DatePrecision.MONTH, facility)
    page = client.get(reverse("admin:tranches_disbursement_changelist")).content.decode()
    assert str(payment) in page  # "€1.0bn in Jun 2026"
    assert "the month only" in page


def test_a_month_precise_date_other_than_the_first_is_refused(client, editor):
    tranche = TrancheFactory(name="Budget support 1")
    client.force_login(editor)
    response = client.post(reverse("admin:tranches_disbursement_add"), payment_form(tranche, value_date="2026-06-15"))
    assert response.status_code == 200
    assert form_errors(response)["value_date"] == [MONTH_PRECISION_DAY.format(date=datetime.date(2026, 6, 15))]
    assert not Disbursement.objects.exists()


def test_a_payment_paid_through_its_own_instrument_is_refused(client, editor):
    tranche = TrancheFactory(name="Budget support 1")
    own = tranche.component.instrument
    client.force_login(editor)
    response = client.post(reverse("admin:tranches_disbursement_add"), payment_form(tranche, paid_through=own.pk))
    assert response.status_code == 200
    assert form_errors(response)["paid_through"] == [PAID_THROUGH_OWN.format(instrument=own)]
    assert not Disbursement.objects.exists()


def test_the_tranche_form_enters_a_payments_precision_and_channel(client, editor, facility):
    tranche = TrancheFactory(name="Budget support 1", stage="approved")
    client.force_login(editor)
    url = reverse("admin:tranches_tranche_change", args=[tranche.pk])
    data = {
        key: ("" if value is None else value)
        for key, value in client.get(url).context["adminform"].form.initial.items()
    }
    data.pop("id", None)
    data.update(
        **inline_management("disbursements", total=1),
        **inline_management("citations"),
        **{
            "disbursements-0-value_date": "2026-06-01",
            "disbursements-0-value_date_precision": DatePrecision.MONTH,
            "disbursements-0-amount_eur": "1000000000.00",
            "disbursements-0-reported_amount": "",
            "disbursements-0-reported_currency": "",
            "disbursements-0-paid_through": facility.pk,
            "disbursements-0-notes": "",
            "disbursements-0-version": 0,
        },
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    payment = Tranche.objects.get(pk=tranche.pk).disbursements.get()
    assert (payment.value_date_precision, payment.paid_through) == (DatePrecision.MONTH, facility)


# -- who may enter them --------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["milestone", "condition", "estimate", "openquestion"])
@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_editors_and_reviewers_enter_the_new_kinds(client, request, role, model):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse(f"admin:tranches_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:tranches_{model}_add")).status_code == 200
    assert f'href="/admin/tranches/{model}/"' in client.get(reverse("admin:index")).content.decode()


def test_a_payment_form_without_the_precision_dates_it_to_the_day_but_an_empty_one_is_refused(client, editor):
    # Given a payment form opened before the precision existed (or posted by a script): no such field
    tranche = TrancheFactory(name="Budget support 1")
    client.force_login(editor)
    omitted = payment_form(tranche, value_date="2026-06-15")
    del omitted["value_date_precision"]
    response = client.post(reverse("admin:tranches_disbursement_add"), omitted)
    # Then the payment is dated to the day, the model's default
    assert response.status_code == 302, form_errors(response)
    assert Disbursement.objects.get().value_date_precision == DatePrecision.DAY
    # while a form that sends it empty is refused on that field
    response = client.post(reverse("admin:tranches_disbursement_add"), payment_form(tranche, value_date_precision=""))
    assert response.status_code == 200
    assert form_errors(response)["value_date_precision"] == ["This field is required."]
    assert Disbursement.objects.count() == 1
