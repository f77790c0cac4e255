"""Drafts and unpublished edits never reach the API, the change log, the feed or the figures."""

from __future__ import annotations

import pytest

from reports import services as report_services
from tests.factories import CitationFactory, DisbursementFactory, SourceFactory, TrancheFactory
from tranches import services
from tranches.models import Component, Disbursement, Tranche

pytestmark = pytest.mark.django_db
SECRET = "DRAFT-ONLY-7f3a"


@pytest.fixture
def drafts(dataset, editor):
    """New draft records everywhere, and a draft edit of every kind of published record."""
    defence = Component.objects.get(slug="defence")
    tranche = TrancheFactory(component=defence, name=SECRET, slug="secret", purpose=SECRET)
    DisbursementFactory(tranche=tranche, notes=SECRET)
    CitationFactory(source=SourceFactory(title=SECRET), tranche=tranche, quote=SECRET)
    drones = Tranche.objects.get(slug="drones-1")
    drones.name, drones.amount = SECRET, drones.amount
    services.tranche_save(tranche=drones, user=editor)
    payment = Disbursement.objects.get(tranche=drones)
    payment.notes = SECRET
    services.disbursement_save(disbursement=payment, user=editor)
    defence.description = SECRET
    services.component_save(component=defence, user=editor)
    return tranche


PATHS = [
    "/api/v1/instruments/",
    "/api/v1/components/",
    "/api/v1/tranches/",
    "/api/v1/tranches/?search=DRAFT",
    "/api/v1/disbursements/",
    "/api/v1/sources/",
    "/api/v1/citations/",
    "/api/v1/milestones/",
    "/api/v1/conditions/",
    "/api/v1/conditions/ledger/",
    "/api/v1/estimates/",
    "/api/v1/open-questions/",
    "/api/v1/changes/?page_size=500",
    "/api/v1/releases/",
    "/api/v1/summary/",
    "/api/v1/timeseries/",
    "/api/v1/tranches/?format=csv",
    "/api/v1/changes/?format=csv",
    "/feeds/changes/",
]


@pytest.mark.parametrize("path", PATHS)
def test_drafts_are_invisible_everywhere(client, drafts, path):
    report_services.snapshot_refresh(force=True)
    response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    assert SECRET.encode() not in response.content
    assert b"editor" not in response.content  # nobody's identity either


def test_a_draft_record_has_no_detail_page(client, drafts):
    assert client.get(f"/api/v1/tranches/{drafts.pk}/").status_code == 404


def test_a_published_record_under_a_draft_edit_shows_its_published_version(client, drafts):
    drones = Tranche.objects.get(slug="drones-1")
    response = client.get(f"/api/v1/tranches/{drones.pk}/")
    assert response.json()["name"] == "First defence tranche: drones"
