"""Registration records in the browser: the `Status` filter beside `Filter`."""

import pytest
from playwright.sync_api import Page, expect

from enrollments.models import RegistrationRecord
from enrollments.services.enrollments import enrollment_group_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_status_filter_lists_only_records_in_that_status(signed_in_page: Page):
    page = signed_in_page
    group = enrollment_group_create(enrollment_group_id="fleet-r", attestation_type="symmetricKey")
    for rid, status in (("dev-1", "assigned"), ("dev-2", "failed"), ("dev-3", "disabled"), ("pump-4", "failed")):
        RegistrationRecord.objects.create(
            registration_id=rid, enrollment_group=group, enrollment_group_name="fleet-r", status=status
        )
    page.goto(page.base + "/portal/registration-records/")
    table = page.locator("form.registration-records tbody")
    expect(table.get_by_role("row")).to_have_count(4)

    page.get_by_label("Status").select_option(label="Failed")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(page.base + "/portal/registration-records/?group=&q=&status=failed&page_size=20")
    expect(table.get_by_role("row")).to_have_count(2)
    expect(table).to_contain_text("dev-2")
    expect(table).to_contain_text("pump-4")
    expect(page.get_by_label("Status")).to_have_value("failed")

    page.get_by_label("Filter").fill("DEV")
    page.get_by_role("button", name="Apply").click()
    expect(table.get_by_role("row")).to_have_count(1)
    expect(table).to_contain_text("dev-2")

    page.get_by_label("Status").select_option(label="Any status")
    page.get_by_role("button", name="Apply").click()
    expect(table.get_by_role("row")).to_have_count(3)  # dev-1, dev-2, dev-3
