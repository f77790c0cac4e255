"""Data entry in the admin: refusals on the form (never a 500), drafts, publication, history."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import ComponentFactory, SourceFactory, TrancheFactory
from tests.releases import citations_of, released
from tranches import services
from tranches.dataset import dataset_load
from tranches.models import Citation, Disbursement, Instrument, Purpose, Release, Status, Tranche
from tranches.money import eur

pytestmark = pytest.mark.django_db
BN = Decimal(1_000_000_000)


def inline_management(prefix: str, total: int = 0, initial: int = 0) -> dict[str, int]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def tranche_form(component, **fields) -> dict:
    data = {
        "component": component.pk,
        "name": "Second defence tranche",
        "slug": "defence-2",
        "purpose": "air defence",
        "amount": "4000000000.00",
        "stage": "approved",
        "approved_on": "2026-07-15",
        "budget_year": "2026",
        "notes": "",
        "version": 0,
        **inline_management("disbursements"),
        **inline_management("citations"),
    }
    data.update(fields)
    return data


@pytest.fixture
def defence():
    component = ComponentFactory(name="Defence", amount=60 * BN)
    released(component.instrument, component)
    TrancheFactory(component=component, amount=57 * BN, name="Big tranche", purpose="drones")
    return component


@pytest.mark.parametrize("url", ["/admin/", "/admin/tranches/tranche/", "/admin/tranches/tranche/add/"])
def test_anonymous_users_cannot_reach_the_admin(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_over_allocating_tranche_is_refused_on_the_form_with_the_numbers(client, editor, defence):
    client.force_login(editor)
    response = client.post(reverse("admin:tranches_tranche_add"), tranche_form(defence))
    assert response.status_code == 200  # the form again, not a redirect and not a 500
    message = services.TRANCHES_EXCEED_COMPONENT.format(parent=defence, total=eur(61 * BN), limit=eur(60 * BN))
    assert message == f"Tranches of {defence} would total €61.0bn, but the component is €60.0bn."
    assert message in response.content.decode()
    assert 'value="Second defence tranche"' in response.content.decode()  # the input is kept
    assert not Tranche.objects.filter(slug="defence-2").exists()


def test_a_single_row_error_shows_on_its_field(client, editor, defence):
    client.force_login(editor)
    response = client.post(reverse("admin:tranches_tranche_add"), tranche_form(defence, amount="0"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["amount"] == ["Amount (EUR) must be more than zero; got €0.00."]


def test_an_editor_saves_a_draft_and_history_records_the_editor(client, editor, defence):
    client.force_login(editor)
    response = client.post(reverse("admin:tranches_tranche_add"), tranche_form(defence, amount="3000000000.00"))
    assert response.status_code == 302
    tranche = Tranche.objects.get(slug="defence-2")
    assert tranche.status == Status.DRAFT
    assert tranche.history.get().history_user == editor


def test_a_disbursed_tranche_and_its_payment_save_together_from_one_form(client, editor, defence):
    client.force_login(editor)
    data = tranche_form(
        defence,
        amount="3000000000.00",
        stage="disbursed",
        approved_on="",
        disbursed_on="2026-07-15",
        **inline_management("disbursements", total=1),
        **{
            "disbursements-0-value_date": "2026-07-15",
            "disbursements-0-amount_eur": "3000000000.00",
            "disbursements-0-reported_amount": "3400000000",
            "disbursements-0-reported_currency": "usd",
            "disbursements-0-notes": "",
            "disbursements-0-version": 0,
        },
    )
    response = client.post(reverse("admin:tranches_tranche_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    payment = Tranche.objects.get(slug="defence-2").disbursements.get()
    assert (payment.amount_eur, payment.reported_currency) == (Decimal("3000000000.00"), "USD")


def test_a_disbursed_tranche_without_its_payment_is_refused_on_the_form(client, editor, defence):
    client.force_login(editor)
    data = tranche_form(defence, amount="3000000000.00", stage="disbursed", disbursed_on="2026-07-15")
    response = client.post(reverse("admin:tranches_tranche_add"), data)
    assert response.status_code == 200
    assert "is marked disbursed, but its disbursements total €0.00 of its €3.0bn." in response.content.decode()
    assert not Tranche.objects.filter(slug="defence-2").exists()


def review_url(*records) -> str:
    tokens = "&".join(f"change={services.Change.of(record).token}" for record in records)
    return f"{reverse('admin:tranches_release_review')}?{tokens}"


def test_an_editor_sees_the_pending_changes_but_cannot_review_or_publish(client, editor, defence):
    client.force_login(editor)
    tranche = Tranche.objects.get(component=defence)
    page = client.get(reverse("admin:tranches_release_pending")).content.decode()
    assert "Big tranche" in page
    assert "Only reviewers can publish." in page
    assert 'name="change"' not in page
    assert client.get(review_url(tranche)).status_code == 403
    response = client.post(
        reverse("admin:tranches_release_review"), {"change": [services.Change.of(tranche).token], "note": "x"}
    )
    assert response.status_code == 403
    assert Release.objects.count() == 1


def test_a_reviewer_reviews_old_and_new_values_figures_and_checks_then_publishes(client, reviewer, defence):
    # Given a draft tranche with its draft citation (of a source published already)
    tranche = Tranche.objects.get(component=defence)
    Purpose.objects.create(name="drones")
    extra = [r for r in citations_of(tranche) if r.status == Status.DRAFT]
    client.force_login(reviewer)
    # When the reviewer opens the review of the two changes
    page = client.get(review_url(tranche, *extra)).content.decode()
    # Then each change is shown with human field names, and the figures before and after
    assert '<th scope="row">Amount (EUR)</th><td>—</td><td>€57,000,000,000.00 (€57.0bn)</td>' in page
    assert "<td>committed</td><td>€0.00 (€0.00)</td><td>€57,000,000,000.00 (€57.0bn)</td>" in page
    assert 'id="review-checks-ok"' in page
    assert "Publish as Release 2" in page
    # When they publish with a note
    data = {"change": [services.Change.of(r).token for r in (tranche, *extra)], "note": "The big tranche"}
    response = client.post(reverse("admin:tranches_release_review"), data, follow=True)
    # Then Release 2 is public, by them, with the note
    assert "Release 2 published (2 change(s))." in response.content.decode()
    release = Release.objects.get(number=2)
    assert (release.published_by, release.note) == (reviewer, "The big tranche")
    tranche.refresh_from_db()
    assert (tranche.status, tranche.published_by) == (Status.PUBLISHED, reviewer)


def test_the_review_shows_why_a_release_would_be_refused(client, reviewer, defence):
    tranche = Tranche.objects.get(component=defence)  # no citation, purpose not on the list
    client.force_login(reviewer)
    page = client.get(review_url(tranche)).content.decode()
    assert "1 published tranches would have no citation of a published source" in page
    assert "which is not on the list of purposes" in page
    assert 'Publish as Release 2" disabled' in page


def test_publishing_a_change_edited_after_the_review_is_refused_on_the_page(client, reviewer, editor, defence):
    tranche = Tranche.objects.get(component=defence)
    Purpose.objects.create(name="drones")
    extra = [r for r in citations_of(tranche) if r.status == Status.DRAFT]
    reviewed = [services.Change.of(r).token for r in (tranche, *extra)]
    tranche.amount = 58 * BN  # an editor changes it after the review was opened
    services.tranche_save(tranche=tranche, user=editor)
    client.force_login(reviewer)
    response = client.post(reverse("admin:tranches_release_review"), {"change": reviewed, "note": "Big"})
    assert response.status_code == 200
    assert "changed since you reviewed it" in response.content.decode()
    assert Release.objects.count() == 1


def test_the_instrument_page_shows_committed_disbursed_and_remaining(client, editor):
    dataset_load(path=settings.DATASET_PATH)
    client.force_login(editor)
    usl = Instrument.objects.get(short_name="USL")
    page = client.get(reverse("admin:tranches_instrument_change", args=[usl.pk])).content.decode()
    for label, value in [("Disbursed", "€7.1bn"), ("Remaining (amount − disbursed)", "€82.9bn")]:
        assert f"<tr><th>{label}</th><td>{value}</td><td>{value}</td></tr>" in page


def test_the_history_view_shows_who_changed_what(client, editor, reviewer, defence):
    tranche = Tranche.objects.get(component=defence)
    tranche.purpose = "long-range drones"
    services.tranche_save(tranche=tranche, user=editor)
    client.force_login(reviewer)
    page = client.get(reverse("admin:tranches_tranche_history", args=[tranche.pk])).content.decode()
    assert "editor" in page
    assert "long-range drones" in page


def test_a_published_record_offers_no_delete(client, reviewer, defence):
    client.force_login(reviewer)
    response = client.get(reverse("admin:tranches_component_delete", args=[defence.pk]))
    assert response.status_code == 403


def test_future_dates_are_refused_on_the_form(client, editor, defence):
    client.force_login(editor)
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)  # noqa: DTZ011
    response = client.post(reverse("admin:tranches_tranche_add"), tranche_form(defence, approved_on=str(tomorrow)))
    assert response.status_code == 200
    assert "which is in the future" in str(response.context["adminform"].form.errors["approved_on"])


def test_saving_a_form_opened_before_someone_elses_save_is_refused(client, editor, defence):
    client.force_login(editor)
    tranche = Tranche.objects.get(component=defence)
    url = reverse("admin:tranches_tranche_change", args=[tranche.pk])
    opened = client.get(url).context["adminform"].form.initial  # what the editor's form holds
    tranche.purpose = "artillery"
    services.tranche_save(tranche=tranche)  # a colleague saves meanwhile
    data = {key: ("" if value is None else value) for key, value in opened.items() if key != "id"}
    data.update(notes="my edit", **inline_management("disbursements"), **inline_management("citations"))
    response = client.post(url, data)
    assert response.status_code == 200
    assert "was changed by someone else after you opened it" in response.content.decode()
    tranche.refresh_from_db()
    assert (tranche.purpose, tranche.notes) == ("artillery", "")


def test_an_amount_shows_its_thousands_and_scale_beside_the_input(client, editor, defence):
    client.force_login(editor)
    tranche = Tranche.objects.get(component=defence)
    page = client.get(reverse("admin:tranches_tranche_change", args=[tranche.pk])).content.decode()
    assert '<output class="amount-scale" for="id_amount">€57,000,000,000.00 (€57.0bn)</output>' in page
    assert "tranches/amount.js" in page


def test_the_history_shows_what_an_editor_changed_without_bookkeeping(client, editor, reviewer, defence):
    tranche = Tranche.objects.get(component=defence)
    tranche.amount = 50 * BN
    services.tranche_save(tranche=tranche, user=editor)
    client.force_login(reviewer)
    page = client.get(reverse("admin:tranches_tranche_history", args=[tranche.pk])).content.decode()
    assert "draft saved" in page
    assert "<strong>Amount (EUR):</strong>" in page
    assert "<strong>Version:</strong>" not in page
    assert "<strong>Updated at:</strong>" not in page


def test_a_tranche_is_reviewed_together_with_its_payment_and_citations(client, reviewer, defence):
    # Given a draft tranche with a draft payment, each with a draft citation of a draft source
    tranche = Tranche.objects.get(component=defence)
    tranche.amount = BN
    services.tranche_save(tranche=tranche)
    payment = services.disbursement_save(
        disbursement=Disbursement(tranche=tranche, value_date=datetime.date(2026, 6, 30), amount_eur=BN)
    )
    source = services.source_save(source=SourceFactory.build(title="Council press release"))
    for target in ({"tranche": tranche}, {"disbursement": payment}):
        services.citation_save(citation=Citation(source=source, quote="3.9 billion euros", **target))
    other = TrancheFactory(component=defence, amount=BN, name="Unrelated")
    Purpose.objects.create(name="drones")
    client.force_login(reviewer)
    # When the reviewer follows "Review with its payments and citations" on the tranche's row
    page = client.get(reverse("admin:tranches_release_pending")).content.decode()
    link = re.search(r'href="([^"]+)">Review with its payments and citations', page).group(1)
    review = client.get(link.replace("&amp;", "&")).content.decode()
    # Then the review holds the five changes that belong together, and not the unrelated tranche
    assert review.count('name="change"') == 5
    assert "Council press release" in review
    assert other.name not in review
    assert 'id="review-checks-ok"' in review


def test_a_purpose_in_use_cannot_be_renamed_or_deleted(client, reviewer, admin_client, defence):
    # Given "drones" on the list and used by a tranche, and "unused" on the list
    drones = Purpose.objects.create(name="drones")
    unused = Purpose.objects.create(name="unused")
    client.force_login(reviewer)
    # Then the name of "drones" is read-only (renaming it would leave the tranche off the list)
    page = client.get(reverse("admin:tranches_purpose_change", args=[drones.pk])).content.decode()
    assert 'name="name"' not in page
    # nor deleted, even by a superuser, while an unused one can be
    assert admin_client.get(reverse("admin:tranches_purpose_delete", args=[drones.pk])).status_code == 403
    assert admin_client.get(reverse("admin:tranches_purpose_delete", args=[unused.pk])).status_code == 200
    # while an unused purpose can still be renamed
    page = client.get(reverse("admin:tranches_purpose_change", args=[unused.pk])).content.decode()
    assert 'name="name"' in page
