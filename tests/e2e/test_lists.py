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


def test_last_then_previous_shows_the_pages_first_then_next_showed(signed_in_page: Page):
    page = signed_in_page
    IndividualEnrollment.objects.bulk_create(
        [IndividualEnrollment(registration_id=f"meter-{i}", attestation_type="symmetricKey") for i in range(5)]
    )
    page.goto(page.base + "/portal/individual-enrollments/?page_size=2")
    rows = page.locator("table tbody td.portal-name a")
    forward = [rows.all_inner_texts()]
    while page.get_by_role("link", name="Next", exact=True).count():
        page.get_by_role("link", name="Next", exact=True).click()
        expect(rows.first).not_to_have_text(forward[-1][0])
        forward.append(rows.all_inner_texts())
    assert forward == [["meter-0", "meter-1"], ["meter-2", "meter-3"], ["meter-4"]]

    page.get_by_role("link", name="First", exact=True).click()
    expect(rows.first).to_have_text("meter-0")
    page.get_by_role("link", name="Last", exact=True).click()
    expect(rows).to_have_text(["meter-4"])
    backward = [rows.all_inner_texts()]
    while page.get_by_role("link", name="Previous", exact=True).count():
        page.get_by_role("link", name="Previous", exact=True).click()
        expect(rows.first).not_to_have_text(backward[-1][0])
        backward.append(rows.all_inner_texts())
    assert backward == forward[::-1]
