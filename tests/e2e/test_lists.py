"""Manage enrollments in the browser: the Filter box narrows the list as you type, paging keeps it."""

import pytest
from playwright.sync_api import Page, expect

from enrollments.models import IndividualEnrollment

pytestmark = pytest.mark.django_db(transaction=True)


def test_filter_as_you_type_and_page(signed_in_page: Page):
    page = signed_in_page
    IndividualEnrollment.objects.bulk_create(
        [IndividualEnrollment(registration_id=f"pump-{i}", attestation_type="symmetricKey") for i in range(3)]
        + [IndividualEnrollment(registration_id=f"Sensor-{i}", attestation_type="symmetricKey") for i in range(25)]
    )
    page.goto(page.base + "/portal/individual-enrollments/")
    expect(page.get_by_role("link", name="pump-0", exact=True)).to_be_visible()
    page.get_by_label("Filter").fill("SENSOR-1")
    expect(page.get_by_role("link", name="pump-0", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Sensor-1", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Sensor-10", exact=True)).to_be_visible()
    expect(page).to_have_url(page.base + "/portal/individual-enrollments/?q=SENSOR-1&page_size=20")
    page.get_by_label("Filter").fill("sensor")
    expect(page.get_by_role("link", name="Sensor-0", exact=True)).to_be_visible()
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_role("link", name="Sensor-9", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Sensor-0", exact=True)).to_have_count(0)
    page.reload()
    expect(page.get_by_label("Filter")).to_have_value("sensor")
    expect(page.get_by_role("link", name="Sensor-9", exact=True)).to_be_visible()
