"""Drafts and publication: only reviewers publish; only published versions count in public."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.factories import ComponentFactory, InstrumentFactory, SourceFactory, TrancheFactory
from tranches import selectors, services
from tranches.models import Citation, Status, Tranche

pytestmark = pytest.mark.django_db
BN = Decimal(1_000_000_000)


def published(record):
    services.record_publish(record=record, user=None)
    return record


def test_new_records_are_drafts_and_invisible_to_the_public(editor):
    tranche = services.tranche_save(tranche=TrancheFactory.build(component=ComponentFactory()), user=editor)
    assert tranche.status == Status.DRAFT
    assert not selectors.public_versions(Tranche).exists()


def test_an_editor_cannot_publish(editor):
    tranche = TrancheFactory()
    with pytest.raises(PermissionDenied, match="Only reviewers may publish"):
        services.record_publish(record=tranche, user=editor)
    tranche.refresh_from_db()
    assert tranche.status == Status.DRAFT


def test_a_reviewer_publishes_and_history_records_who_and_when(reviewer):
    component = ComponentFactory()
    published(component.instrument)
    published(component)
    tranche = TrancheFactory(component=component)
    before = timezone.now()
    services.record_publish(record=tranche, user=reviewer)
    tranche.refresh_from_db()
    assert (tranche.status, tranche.published_by) == (Status.PUBLISHED, reviewer)
    latest = tranche.history.latest()
    assert latest.history_user == reviewer
    assert latest.history_date >= before
    assert latest.status == Status.PUBLISHED


def test_a_child_cannot_be_published_before_its_parent(reviewer):
    tranche = TrancheFactory()
    with pytest.raises(ValidationError) as exc:
        services.record_publish(record=tranche, user=reviewer)
    assert exc.value.messages == [
        services.PUBLISH_PARENT_FIRST.format(
            parent_model="component", parent=tranche.component, model="tranche", record=tranche
        )
    ]


def test_records_publish_orders_parents_first_and_counts(reviewer):
    tranche = TrancheFactory()
    source = SourceFactory()
    citation = Citation.objects.create(source=source, tranche=tranche, quote="3.9 billion euros")
    records = [citation, tranche, source, tranche.component, tranche.component.instrument]
    assert services.records_publish(records=records, user=reviewer) == 5
    assert services.records_publish(records=records, user=reviewer) == 0  # already published


def test_editing_a_published_record_keeps_the_published_figure_public_until_republished(editor, reviewer):
    component = ComponentFactory()
    services.records_publish(records=[component.instrument, component], user=reviewer)
    tranche = TrancheFactory(component=component, amount=Decimal("3900000000.00"))
    services.record_publish(record=tranche, user=reviewer)
    published_at = timezone.now()

    # An editor changes the amount: a draft again, but the public still sees €3.9bn
    tranche.amount = Decimal("5900000000.00")
    services.tranche_save(tranche=tranche, user=editor)
    assert tranche.status == Status.DRAFT
    assert selectors.public_versions(Tranche).get(id=tranche.pk).amount == Decimal("3900000000.00")

    # The reviewer publishes: now €5.9bn, and as of before that, still €3.9bn
    services.record_publish(record=tranche, user=reviewer)
    assert selectors.public_versions(Tranche).get(id=tranche.pk).amount == Decimal("5900000000.00")
    as_of = selectors.public_versions(Tranche, as_of=published_at).get(id=tranche.pk)
    assert as_of.amount == Decimal("3900000000.00")


def test_public_totals_count_published_versions_only(reviewer):
    instrument = InstrumentFactory(amount=90 * BN)
    component = ComponentFactory(instrument=instrument, amount=60 * BN)
    services.records_publish(records=[instrument, component], user=reviewer)
    public = TrancheFactory(component=component, amount=4 * BN, stage="approved")
    services.record_publish(record=public, user=reviewer)
    TrancheFactory(component=component, amount=6 * BN, stage="approved")  # a draft
    assert selectors.component_totals(component=component, public=True).committed == 4 * BN
    assert selectors.component_totals(component=component).committed == 10 * BN


def test_a_published_record_cannot_be_deleted_but_a_draft_can(reviewer):
    instrument = published(InstrumentFactory())
    with pytest.raises(ValidationError, match="has been published and is kept for the record"):
        services.record_delete(record=instrument)
    draft = InstrumentFactory()
    services.record_delete(record=draft)
    assert not type(draft).objects.filter(pk=draft.pk).exists()


def test_deleting_the_payment_of_a_disbursed_tranche_is_refused():
    tranche = TrancheFactory(amount=BN, stage="disbursed", disbursed_on=datetime.date(2026, 6, 30))
    payment = tranche.disbursements.create(value_date=datetime.date(2026, 6, 30), amount_eur=BN)
    with pytest.raises(ValidationError, match="is marked disbursed"):
        services.record_delete(record=payment)
    assert tranche.disbursements.count() == 1


def test_publishing_may_not_make_the_public_figures_over_allocate(editor, reviewer):
    # Given a published €10bn component, fully allocated to a published €10bn tranche
    component = ComponentFactory(amount=10 * BN)
    big = TrancheFactory(component=component, amount=10 * BN)
    services.records_publish(records=[component.instrument, component, big], user=reviewer)
    # An editor halves it and adds a €5bn tranche beside it (both fine as drafts)
    big.amount = 5 * BN
    services.tranche_save(tranche=big, user=editor)
    new = services.tranche_save(tranche=TrancheFactory.build(component=component, amount=5 * BN), user=editor)
    # Publishing the new tranche alone would show €15bn of tranches in a €10bn component
    with pytest.raises(ValidationError) as exc:
        services.record_publish(record=new, user=reviewer)
    assert exc.value.messages == [
        services.PUBLIC_OVER.format(children="tranches", parent=component, total="€15.0bn", limit="€10.0bn")
    ]
    assert not selectors.public_versions(Tranche).filter(id=new.pk).exists()
    # Published together, the public total is exactly €10bn
    assert services.records_publish(records=[new, big], user=reviewer) == 2
    assert sum(v.amount for v in selectors.public_versions(Tranche).filter(component_id=component.pk)) == 10 * BN
