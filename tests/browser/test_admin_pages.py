"""The admin in a real browser, under the strict Content-Security-Policy: no console errors."""

import pytest
from django.conf import settings

from tests.factories import UserFactory
from tranches.dataset import dataset_load
from tranches.models import Tranche


@pytest.mark.django_db(transaction=True)
def test_an_editor_enters_a_tranche_and_sees_the_refusal_with_the_numbers(watched_page, live_server):
    dataset_load(path=settings.DATASET_PATH)
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    page = watched_page.page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")

    page.goto(f"{live_server.url}/admin/tranches/tranche/add/")
    page.select_option("#id_component", label="USL · Defence")
    page.fill("#id_name", "Air defence")  # the slug is prepopulated by the admin's script
    page.fill("#id_purpose", "air defence")
    page.fill("#id_amount", "57000000000")
    page.select_option("#id_stage", "approved")
    page.fill("#id_approved_on", "15/07/2026")
    page.click("input[name=_save]")

    error = page.locator(".errornote, .errorlist").first.inner_text()
    assert "Please correct the error below." in error or "would total" in error
    assert "Tranches of USL · Defence would total €60.9bn, but the component is €60.0bn." in page.content()
    assert page.input_value("#id_name") == "Air defence"  # nothing the editor typed is lost
    assert page.input_value("#id_slug") == "air-defence"
    watched_page.screenshot("admin-refusal")
    assert not Tranche.objects.filter(name="Air defence").exists()
    assert watched_page.console_errors == []
    assert watched_page.foreign_requests == []
