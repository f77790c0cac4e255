"""Data entry in the admin: refusals on the form (never a 500), drafts, publication, history."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import ComponentFactory, TrancheFactory
from tranches import services
from tranches.dataset import dataset_load
from tranches.models import Instrument, Status, Tranche
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
    services.records_publish(records=[component.instrument, component], user=None)
    TrancheFactory(component=component, amount=57 * BN)
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


def publish_action(client, model: str, pks) -> object:
    return client.post(
        reverse(f"admin:tranches_{model}_changelist"),
        {"action": "publish_selected", "_selected_action": [str(pk) for pk in pks]},
        follow=True,
    )


def test_an_editor_has_no_publish_action_and_cannot_use_it(client, editor, defence):
    client.force_login(editor)
    tranche = Tranche.objects.get(component=defence)
    changelist = client.get(reverse("admin:tranches_tranche_changelist"))
    assert "publish_selected" not in changelist.content.decode()
    publish_action(client, "tranche", [tranche.pk])
    tranche.refresh_from_db()
    assert tranche.status == Status.DRAFT


def test_a_reviewer_publishes_from_the_list(client, reviewer, defence):
    client.force_login(reviewer)
    tranche = Tranche.objects.get(component=defence)
    response = publish_action(client, "tranche", [tranche.pk])
    assert "Published 1 tranches." in response.content.decode()
    tranche.refresh_from_db()
    assert (tranche.status, tranche.published_by) == (Status.PUBLISHED, reviewer)


def test_publishing_a_child_before_its_parent_shows_an_error(client, reviewer):
    client.force_login(reviewer)
    tranche = TrancheFactory()
    response = publish_action(client, "tranche", [tranche.pk])
    assert "Nothing was published. Publish component" in response.content.decode()


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
