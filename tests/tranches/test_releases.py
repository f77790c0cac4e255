"""Releases: reviewed changes published together as Release N, all or nothing, and the checks on
the whole published state that a release must pass."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.factories import ComponentFactory, DisbursementFactory, InstrumentFactory, TrancheFactory
from tests.releases import released
from tranches import selectors, services
from tranches.models import Disbursement, Purpose, Release, Stage, Status, Tranche
from tranches.services import checks

pytestmark = pytest.mark.django_db
BN = Decimal(1_000_000_000)


@pytest.fixture
def defence():
    """A published €90bn loan (2026–2027) with a published €60bn Defence component."""
    instrument = InstrumentFactory(short_name="USL")
    component = ComponentFactory(instrument=instrument, name="Defence", amount=60 * BN)
    released(instrument, component, note="The loan and its defence component")
    return component


def new_tranche(component, **fields) -> Tranche:
    values = {
        "component": component,
        "amount": 4 * BN,
        "stage": Stage.APPROVED,
        "approved_on": datetime.date(2026, 6, 1),
    }
    return services.tranche_save(tranche=TrancheFactory.build(**(values | fields)))


def refusal(*records, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        released(*records, **kwargs)
    return refused.value.messages


# -- a release publishes together, numbered in order


def test_a_release_publishes_its_changes_together_as_release_n(defence, reviewer):
    # Given a draft tranche with its payment
    tranche = new_tranche(defence, name="Drones", stage=Stage.APPROVED)
    payment = services.disbursement_save(
        disbursement=Disbursement(tranche=tranche, value_date=datetime.date(2026, 6, 30), amount_eur=BN)
    )
    # When a reviewer publishes both in one release
    release = released(tranche, payment, user=reviewer, note="First drone payment")
    # Then it is Release 2 (the loan was 1), by the reviewer, with its note, and both are public
    assert (release.number, release.published_by, release.note) == (2, reviewer, "First drone payment")
    assert list(selectors.public_versions(Tranche).values_list("name", flat=True)) == ["Drones"]
    assert selectors.public_versions(Disbursement).get().amount_eur == BN
    tranche.refresh_from_db()
    assert tranche.status == Status.PUBLISHED
    assert tranche.history.latest().history_change_reason == "published in Release 2"


def test_an_editor_cannot_publish_a_release(defence, editor):
    tranche = new_tranche(defence)
    with pytest.raises(PermissionDenied, match="Only reviewers may publish a release"):
        released(tranche, user=editor)
    assert not selectors.public_versions(Tranche).exists()


def test_a_release_needs_a_public_note(defence, reviewer):
    tranche = new_tranche(defence)
    with pytest.raises(ValidationError) as refused:
        released(tranche, user=reviewer, note="  ")
    assert refused.value.message_dict == {"note": ["Write a note for the release: what changed and why. It is public."]}


def test_a_draft_edited_after_the_review_is_refused(defence, reviewer, editor):
    # Given a reviewer who reviewed a draft tranche at €4bn
    tranche = new_tranche(defence, name="Drones")
    reviewed = services.Change.of(tranche)
    # When an editor changes it to €5bn before the reviewer clicks publish
    tranche.amount = 5 * BN
    services.tranche_save(tranche=tranche, user=editor)
    with pytest.raises(ValidationError) as refused:
        services.release_publish(changes=[reviewed], user=reviewer, note="Drones")
    # Then nothing is published, and the refusal says which record changed
    assert refused.value.messages == [
        services.CHANGED_SINCE_REVIEW.format(model="Tranche", record="Drones", yours=1, current=2)
    ]
    assert not selectors.public_versions(Tranche).exists()
    assert Release.objects.count() == 1


def test_an_edit_after_a_release_stays_a_draft_and_the_public_keeps_the_released_version(defence, editor):
    tranche = new_tranche(defence, amount=4 * BN)
    released(tranche)
    tranche.amount = 3 * BN
    services.tranche_save(tranche=tranche, user=editor)
    assert selectors.public_versions(Tranche).get().amount == 4 * BN
    assert Tranche.objects.get().status == Status.DRAFT


def test_an_edit_opened_before_a_release_is_refused_instead_of_undoing_the_publication(defence, editor):
    # Given an editor who opened a draft, and a release that publishes it meanwhile
    tranche = new_tranche(defence, name="Drones")
    opened = Tranche.objects.get(pk=tranche.pk)
    released(tranche)
    # When the editor saves what they opened
    opened.notes = "typo fixed"
    with pytest.raises(ValidationError, match="changed by someone else"):
        services.tranche_save(tranche=opened, user=editor)
    # Then the record is still published, by the release
    tranche.refresh_from_db()
    assert tranche.status == Status.PUBLISHED
    assert tranche.published_at is not None


def test_a_published_record_cannot_be_deleted_even_from_a_stale_copy(defence):
    tranche = new_tranche(defence)
    stale = Tranche.objects.get(pk=tranche.pk)  # loaded while still a draft, never published
    released(tranche)
    with pytest.raises(ValidationError, match="has been published and is kept for the record"):
        services.record_delete(record=stale)
    assert Tranche.objects.filter(pk=tranche.pk).exists()


def test_a_draft_save_enqueues_nothing_and_a_release_enqueues_its_figures(defence, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as saved:
        tranche = new_tranche(defence)
    assert saved == []
    with django_capture_on_commit_callbacks() as published:
        released(tranche)
    assert len(published) == 1


# -- the checks on the whole published state


def test_tranches_may_not_exceed_their_component(defence):
    first = new_tranche(defence, name="First", amount=40 * BN)
    released(first)
    # the draft rule counts drafts too, so the room is made by a draft reduction never released
    first.amount = 20 * BN
    services.tranche_save(tranche=first)
    second = new_tranche(defence, name="Second", amount=30 * BN)
    assert refusal(second) == [
        checks.TRANCHES_OVER.format(parent="Defence", total="€70.0bn", limit="€60.0bn"),
    ]


def test_a_payment_on_a_planned_tranche_is_refused(defence):
    # "committed" (€0) would show below "disbursed" (€1bn)
    tranche = new_tranche(
        defence, name="Planned", stage=Stage.PLANNED, approved_on=None, planned_on=datetime.date(2026, 5, 1)
    )
    payment = DisbursementFactory(tranche=tranche, amount_eur=BN)
    problems = refusal(tranche, payment)
    assert checks.PAYMENT_ON_UNAPPROVED.format(tranche="Planned", stage="planned", count=1, total="€1.0bn") in problems
    assert (
        checks.COMMITTED_BELOW_DISBURSED.format(
            level="Component", record="Defence", disbursed="€1.0bn", committed="€0.00"
        )
        in problems
    )


def test_a_payment_before_the_loan_period_is_refused(defence):
    tranche = new_tranche(defence, name="Drones", approved_on=datetime.date(2026, 6, 1))
    payment = DisbursementFactory(tranche=tranche, amount_eur=BN, value_date=datetime.date(2025, 1, 1))
    problems = refusal(tranche, payment)
    assert (
        checks.PAYMENT_OUTSIDE_PERIOD.format(
            payment=f"#{payment.pk} (€1.0bn)",
            tranche="Drones",
            date=datetime.date(2025, 1, 1),
            instrument="USL",
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2027, 12, 31),
        )
        in problems
    )
    assert (
        checks.PAYMENT_BEFORE_APPROVAL.format(
            payment=f"#{payment.pk} (€1.0bn)",
            tranche="Drones",
            date=datetime.date(2025, 1, 1),
            approved=datetime.date(2026, 6, 1),
        )
        in problems
    )


def test_a_tranche_marked_disbursed_while_its_payment_is_a_draft_is_refused(defence):
    tranche = new_tranche(defence, name="Drones", amount=BN)
    payment = services.disbursement_save(
        disbursement=Disbursement(tranche=tranche, value_date=datetime.date(2026, 6, 30), amount_eur=BN)
    )
    tranche.stage, tranche.disbursed_on = Stage.DISBURSED, datetime.date(2026, 6, 30)
    services.tranche_save(tranche=tranche)
    assert refusal(tranche) == [checks.DISBURSED_NOT_PAID.format(tranche="Drones", total="€0.00", limit="€1.0bn")]
    # Published with its payment, it goes out
    assert released(tranche, payment).number == 2


def test_a_figure_without_a_citation_is_refused(defence):
    tranche = new_tranche(defence, name="Uncited")
    assert refusal(tranche, cite=False) == [
        checks.NOT_CITED.format(count=1, model="tranches", records="“Uncited”"),
    ]


def test_a_child_without_its_parent_is_refused():
    component = ComponentFactory(name="Defence")
    problems = refusal(component)
    assert (
        checks.PARENT_NOT_PUBLIC.format(
            model="Component", record="Defence", parent="instrument", parent_id=component.instrument_id
        )
        in problems
    )


def test_a_purpose_must_be_on_the_list_and_its_variants_are_one(defence):
    # Given "Air defence" on the list of purposes
    Purpose.objects.create(name="Air defence")
    # When an editor types "air  defence"
    tranche = new_tranche(defence, purpose="air  defence")
    # Then the tranche takes the list's spelling
    assert tranche.purpose == "Air defence"
    # And a purpose that is not on the list is refused at release
    other = new_tranche(defence, name="Other", purpose="submarines")
    assert refusal(other, list_purposes=False) == [
        checks.PURPOSE_NOT_LISTED.format(tranche="Other", purpose="submarines")
    ]


# -- as_of and release=N


def test_as_of_and_release_give_what_was_public_then(defence):
    # Given a tranche released at €4bn on 1 July and changed to €5bn in a later release
    tranche = new_tranche(defence, amount=4 * BN)
    first = released(tranche)
    Release.objects.filter(number__lte=first.number).update(
        published_at=datetime.datetime(2026, 7, 1, tzinfo=datetime.UTC)
    )
    tranche.amount = 5 * BN
    services.tranche_save(tranche=tranche)
    second = released(tranche)
    # Then each release, and each day, shows its own amount
    assert selectors.public_versions(Tranche, release=first.number).get().amount == 4 * BN
    assert selectors.public_versions(Tranche, release=second.number).get().amount == 5 * BN
    july = datetime.datetime(2026, 7, 2, tzinfo=datetime.UTC)
    assert selectors.public_versions(Tranche, as_of=july).get().amount == 4 * BN
    assert selectors.public_versions(Tranche).get().amount == 5 * BN
    # and before the first release nothing was public
    assert not selectors.public_versions(Tranche, as_of=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)).exists()
    assert second.published_at <= timezone.now()


def test_a_payment_dated_after_the_day_of_the_release_is_refused(defence):
    # Given a payment dated 30 June 2026, published; when the checks run as if it were 29 June
    tranche = new_tranche(defence, name="Drones", approved_on=datetime.date(2026, 6, 1))
    payment = DisbursementFactory(tranche=tranche, amount_eur=BN, value_date=datetime.date(2026, 6, 30))
    released(tranche, payment)
    problems = checks.release_problems(today=datetime.date(2026, 6, 29))
    # Then the payment is named as being in the future
    assert problems == [
        checks.PAYMENT_IN_FUTURE.format(
            payment=f"#{payment.pk} (€1.0bn)",
            tranche="Drones",
            date=datetime.date(2026, 6, 30),
            today=datetime.date(2026, 6, 29),
        )
    ]


def test_a_release_note_keeps_the_value_rules(defence, reviewer):
    tranche = new_tranche(defence)
    with pytest.raises(ValidationError) as refused:
        released(tranche, user=reviewer, note="Fixed \u202eit")
    assert list(refused.value.message_dict) == ["note"]
    assert "direction" in refused.value.message_dict["note"][0]
    assert not selectors.public_versions(Tranche).exists()
