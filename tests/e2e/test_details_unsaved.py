"""Details pages: unsaved edits survive a reload of the page (nothing lost), kept in the
tab's sessionStorage under the enrollment and the etag the page was opened with."""

import json

import pytest
from playwright.sync_api import Page, expect

from enrollments.models import EnrollmentGroup, IndividualEnrollment
from enrollments.services.enrollments import enrollment_group_create, enrollment_update, individual_enrollment_create

pytestmark = pytest.mark.django_db(transaction=True)

RESTORED = "Unsaved changes restored"


def stored_edits(page: Page) -> str:
    return page.evaluate("JSON.stringify(Object.assign({}, window.sessionStorage))")


def test_edits_survive_a_reload_until_saved(signed_in_page: Page):
    page = signed_in_page
    group = enrollment_group_create(
        enrollment_group_id="fleet-r", attestation_type="symmetricKey", initial_twin_tags={"site": "north"}
    )
    page.goto(page.base + group.get_absolute_url())
    expect(page.get_by_text(RESTORED)).to_be_hidden()
    page.get_by_role("tab", name="Device settings").click()
    page.get_by_label("Desired properties").fill('{"telemetry": {"interval": 30}}')
    page.get_by_role("tab", name="Registration + provisioning").click()
    page.get_by_role("radio", name="Never re-provision device").check()

    page.reload()
    expect(page.get_by_text(RESTORED)).to_be_visible()
    expect(page.get_by_role("radio", name="Never re-provision device")).to_be_checked()
    page.get_by_role("tab", name="Device settings").click()
    expect(page.get_by_label("Desired properties")).to_have_value('{"telemetry": {"interval": 30}}')
    expect(page.get_by_label("Device tags")).to_have_value('{\n  "site": "north"\n}')
    # nothing is saved by a reload; no key material is kept in the browser
    group.refresh_from_db()
    assert group.initial_twin_desired_properties == {} and group.reprovision_policy == "reprovisionandmigratedata"
    kept = stored_edits(page)
    assert "telemetry" in kept and group.primary_key not in kept and group.secondary_key not in kept

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enrollment group “fleet-r” was saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_role("tab", name="Device settings")).to_have_attribute("aria-selected", "true")
    assert json.loads(page.get_by_label("Desired properties").input_value()) == {"telemetry": {"interval": 30}}
    page.get_by_role("tab", name="Registration + provisioning").click()
    expect(page.get_by_role("radio", name="Never re-provision device")).to_be_checked()
    expect(page.get_by_text(RESTORED)).to_be_hidden()
    assert "telemetry" not in stored_edits(page)  # cleared after the successful save
    group.refresh_from_db()
    assert group.initial_twin_desired_properties == {"telemetry": {"interval": 30}}
    assert group.reprovision_policy == "never" and group.initial_twin_tags == {"site": "north"}


def test_discard_changes_brings_back_the_stored_values(signed_in_page: Page):
    page = signed_in_page
    enrollment = individual_enrollment_create(registration_id="dev-r", attestation_type="symmetricKey")
    page.goto(page.base + enrollment.get_absolute_url())
    page.get_by_label("IoT Hub Device ID").fill("typed-device")
    page.reload()
    expect(page.get_by_text(RESTORED)).to_be_visible()
    expect(page.get_by_label("IoT Hub Device ID")).to_have_value("typed-device")
    page.get_by_role("button", name="Discard changes").click()
    expect(page.get_by_text(RESTORED)).to_be_hidden()
    expect(page.get_by_label("IoT Hub Device ID")).to_have_value("")
    page.reload()
    expect(page.get_by_label("IoT Hub Device ID")).to_have_value("")
    expect(page.get_by_text(RESTORED)).to_be_hidden()
    assert IndividualEnrollment.objects.get().device_id == ""


def test_a_restored_custom_allocation_brings_its_webhook_fields_back(signed_in_page: Page):
    page = signed_in_page
    group = enrollment_group_create(enrollment_group_id="fleet-w", attestation_type="symmetricKey")
    page.goto(page.base + group.get_absolute_url())
    page.get_by_role("tab", name="IoT hubs").click()
    page.get_by_label("Allocation policy").select_option(label="Custom (use a webhook)")
    page.get_by_label("Webhook URL").fill("https://fn.example.net/api/alloc?code=typed")
    page.get_by_label("API version").fill("2019-03-31")
    page.reload()
    expect(page.get_by_text(RESTORED)).to_be_visible()
    expect(page.get_by_label("Allocation policy")).to_have_value("custom")
    expect(page.get_by_label("Webhook URL")).to_have_value("https://fn.example.net/api/alloc?code=typed")
    expect(page.get_by_label("API version")).to_have_value("2019-03-31")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enrollment group “fleet-w” was saved.")).to_be_visible()
    group.refresh_from_db()
    assert (group.allocation_policy, group.webhook_url, group.api_version) == (
        "custom",
        "https://fn.example.net/api/alloc?code=typed",
        "2019-03-31",
    )
    assert "code=typed" not in stored_edits(page)


def test_edits_made_before_someone_else_saved_are_not_restored_over_their_version(signed_in_page: Page):
    page = signed_in_page
    group = enrollment_group_create(enrollment_group_id="fleet-e", attestation_type="symmetricKey")
    page.goto(page.base + group.get_absolute_url())
    page.get_by_role("tab", name="Device settings").click()
    page.get_by_label("Device tags").fill('{"mine": 1}')
    enrollment_update(enrollment=group, expected_etag=group.etag, changes={"iot_edge": True})
    page.reload()
    expect(page.get_by_text(RESTORED)).to_be_hidden()
    expect(page.get_by_label("Device tags")).to_have_value("{}")
    assert EnrollmentGroup.objects.get().initial_twin_tags == {}
