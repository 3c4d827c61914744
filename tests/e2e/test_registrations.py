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


def _group_with_two_records(name):
    group = enrollment_group_create(enrollment_group_id=name, attestation_type="symmetricKey")
    for rid in (f"{name}-dev-1", f"{name}-dev-2"):
        RegistrationRecord.objects.create(
            registration_id=rid, enrollment_group=group, enrollment_group_name=name, status="assigned"
        )
    return group


def test_group_delete_offers_to_delete_its_registration_records(signed_in_page: Page):
    page = signed_in_page
    keep, drop = _group_with_two_records("fleet-keep"), _group_with_two_records("fleet-drop")

    page.goto(page.base + keep.get_absolute_url())
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Device identities in the IoT hubs are not removed")
    checkbox = dialog.get_by_label("Also delete its registration records")
    expect(checkbox).not_to_be_checked()
    dialog.get_by_role("button", name="Yes").click()
    expect(
        page.get_by_text("Enrollment group “fleet-keep” was deleted. Its registration records were kept.")
    ).to_be_visible()
    assert RegistrationRecord.objects.filter(enrollment_group_name="fleet-keep").count() == 2

    page.goto(page.base + drop.get_absolute_url())
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog.get_by_label("Also delete its registration records").check()
    dialog.get_by_role("button", name="No").click()  # nothing happens, and the box starts unchecked again
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(dialog.get_by_label("Also delete its registration records")).not_to_be_checked()
    dialog.get_by_label("Also delete its registration records").check()
    dialog.get_by_role("button", name="Yes").click()
    expect(
        page.get_by_text("Enrollment group “fleet-drop” was deleted. 2 registration records deleted with it.")
    ).to_be_visible()
    assert not RegistrationRecord.objects.filter(enrollment_group_name="fleet-drop").exists()
    assert RegistrationRecord.objects.filter(enrollment_group_name="fleet-keep").count() == 2

    # Other confirm dialogs show no checkbox.
    page.goto(page.base + "/portal/registration-records/")
    page.get_by_role("checkbox", name="Select registration fleet-keep-dev-1").check()
    page.get_by_role("button", name="Delete registrations").click()
    expect(dialog.get_by_role("checkbox")).to_have_count(0)
    dialog.get_by_role("button", name="No").click()


def test_bulk_group_delete_offers_to_delete_their_registration_records(signed_in_page: Page):
    page = signed_in_page
    _group_with_two_records("fleet-b1")
    _group_with_two_records("fleet-b2")
    page.goto(page.base + "/portal/enrollment-groups/")
    page.get_by_role("checkbox", name="Select fleet-b1").check()
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Device identities in the IoT hubs are not removed")
    dialog.get_by_label("Also delete their registration records").check()
    dialog.get_by_role("button", name="Yes").click()
    expect(
        page.get_by_text("Deleted 1 enrollment group: fleet-b1. Their registration records were deleted too.")
    ).to_be_visible()
    assert set(RegistrationRecord.objects.values_list("enrollment_group_name", flat=True)) == {"fleet-b2"}
