"""Drafts and the published state: a draft changes nothing public until a release publishes it."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import ComponentFactory, InstrumentFactory, TrancheFactory
from tests.releases import released
from tranches import selectors, services
from tranches.models import Status, Tranche
from tranches.services import checks

pytestmark = pytest.mark.django_db
BN = Decimal(1_000_000_000)


def test_new_records_are_drafts_and_invisible_to_the_public(editor):
    tranche = services.tranche_save(tranche=TrancheFactory.build(component=ComponentFactory()), user=editor)
    assert tranche.status == Status.DRAFT
    assert not selectors.public_versions(Tranche).exists()


def test_public_totals_read_the_published_state_only(reviewer, editor):
    # Given a published €60bn component with a published €4bn approved tranche
    instrument = InstrumentFactory(amount=90 * BN)
    component = ComponentFactory(instrument=instrument, amount=60 * BN)
    public = TrancheFactory(component=component, amount=4 * BN, stage="approved")
    released(instrument, component, public, user=reviewer)
    # When an editor adds a €6bn draft tranche and drafts the component down to €50bn
    TrancheFactory(component=component, amount=6 * BN, stage="approved")
    component.amount = 50 * BN
    services.component_save(component=component, user=editor)
    # Then the published totals show neither draft; the totals of everything saved show both
    published = selectors.component_totals(component=component, public=True)
    assert (published.amount, published.committed) == (60 * BN, 4 * BN)
    everything = selectors.component_totals(component=component)
    assert (everything.amount, everything.committed) == (50 * BN, 10 * BN)


def test_a_published_record_cannot_be_deleted_but_a_draft_can():
    instrument = InstrumentFactory()
    released(instrument)
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


def test_the_change_that_makes_room_is_published_in_the_same_release(editor, reviewer):
    # Given a published €10bn component, fully allocated to a published €10bn tranche
    component = ComponentFactory(amount=10 * BN, name="Defence")
    big = TrancheFactory(component=component, amount=10 * BN)
    released(component.instrument, component, big, user=reviewer)
    # An editor halves it and adds a €5bn tranche beside it (both fine as drafts)
    big.amount = 5 * BN
    services.tranche_save(tranche=big, user=editor)
    new = services.tranche_save(tranche=TrancheFactory.build(component=component, amount=5 * BN), user=editor)
    # Publishing the new tranche alone would show €15bn of tranches in a €10bn component
    with pytest.raises(ValidationError) as exc:
        released(new, user=reviewer)
    assert exc.value.messages == [checks.TRANCHES_OVER.format(parent="Defence", total="€15.0bn", limit="€10.0bn")]
    assert not selectors.public_versions(Tranche).filter(id=new.pk).exists()
    # Published together, the public total is exactly €10bn
    released(new, big, user=reviewer)
    assert sum(v.amount for v in selectors.public_versions(Tranche).filter(component_id=component.pk)) == 10 * BN
