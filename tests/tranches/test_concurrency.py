"""Two editors saving at once cannot over-allocate: writers lock the parent row (PostgreSQL)."""

import datetime
from collections import Counter
from decimal import Decimal

import pytest

from tests.concurrency import run_concurrently
from tests.factories import ComponentFactory, TrancheFactory
from tranches import services
from tranches.models import Disbursement, Tranche

BN = Decimal(1_000_000_000)
WRITERS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_tranches_never_exceed_the_component(require_postgres):
    # Given a €60bn component; when 8 editors each add a €10bn tranche at the same moment
    component = ComponentFactory(amount=60 * BN)

    def add_tranche(index: int) -> None:
        services.tranche_save(tranche=TrancheFactory.build(component=component, slug=f"t{index}", amount=10 * BN))

    outcomes = run_concurrently(add_tranche, WRITERS)
    # Then exactly six fit and two are refused; the component is never over-allocated
    assert outcomes == Counter(saved=6, refused=2)
    assert sum(Tranche.objects.filter(component=component).values_list("amount", flat=True)) == 60 * BN


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_disbursements_never_exceed_the_tranche(require_postgres):
    tranche = TrancheFactory(amount=Decimal("3900000000.00"))

    def pay(index: int) -> None:
        services.disbursement_save(
            disbursement=Disbursement(tranche=tranche, value_date=datetime.date(2026, 6, 30), amount_eur=BN)
        )

    outcomes = run_concurrently(pay, WRITERS)
    assert outcomes == Counter(saved=3, refused=5)
    assert sum(tranche.disbursements.values_list("amount_eur", flat=True)) == 3 * BN
