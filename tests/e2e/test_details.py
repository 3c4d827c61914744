"""Details pages in a browser: edit and save, delete through the dialog, two people saving
the same enrollment, keys shown only on `Show`."""

import json

import pytest
from playwright.sync_api import Browser, Page, expect

from enrollments.exceptions import ETAG_MISMATCH
from enrollments.models import EnrollmentGroup, IndividualEnrollment
from enrollments.services.enrollments import enrollment_group_create, individual_enrollment_create

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _open_group_from_the_list(page: Page, name: str) -> None:
    page.goto(page.base + "/portal/enrollment-groups/")
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


def test_edit_desired_properties_and_reprovision_policy_then_see_them_after_a_reload(signed_in_page: Page):
    page = signed_in_page
    enrollment_group_create(
        enrollment_group_id="fleet-1", attestation_type="symmetricKey", initial_twin_tags={"site": "north"}
    )
    _open_group_from_the_list(page, "fleet-1")

    page.get_by_role("tab", name="Device settings").click()
    expect(page.get_by_role("tab", name="Device settings")).to_have_attribute("aria-selected", "true")
    page.get_by_label("Desired properties").fill('{"telemetry": {"interval": 30}}')
    page.get_by_role("tab", name="Registration + provisioning").click()
    page.get_by_role("radio", name="Never re-provision device").check()
    page.get_by_role("tab", name="Device settings").click()
    expect(page.get_by_label("Desired properties")).to_have_value('{"telemetry": {"interval": 30}}')  # kept
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enrollment group “fleet-1” was saved.")).to_be_visible()

    page.reload()
    page.get_by_role("tab", name="Device settings").click()
    desired = json.loads(page.get_by_label("Desired properties").input_value())
    assert desired == {"telemetry": {"interval": 30}}
    assert json.loads(page.get_by_label("Device tags").input_value()) == {"site": "north"}
    page.get_by_role("tab", name="Registration + provisioning").click()
    expect(page.get_by_role("radio", name="Never re-provision device")).to_be_checked()
    group = EnrollmentGroup.objects.get()
    assert group.reprovision_policy == "never" and group.initial_twin_tags == {"site": "north"}


def test_an_error_marks_its_tab_and_keeps_every_value(signed_in_page: Page):
    page = signed_in_page
    individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey")
    page.goto(page.base + "/portal/individual-enrollments/dev-1/details/")
    page.get_by_role("radio", name="Re-provision device and reset to initial config").check()
    page.get_by_role("tab", name="Device settings").click()
    page.get_by_label("Device tags").fill('{"a": }')
    page.get_by_role("tab", name="Registration + provisioning").click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("tab", name="Device settings")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("tab", name="Device settings")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label("Device tags")).to_have_value('{"a": }')
    expect(page.get_by_text("line 1")).to_be_visible()
    page.get_by_role("tab", name="Registration + provisioning").click()
    expect(page.get_by_role("radio", name="Re-provision device and reset to initial config")).to_be_checked()
    assert IndividualEnrollment.objects.get().reprovision_policy == "reprovisionandmigratedata"


def test_delete_from_the_details_page_no_keeps_it_yes_deletes_it(signed_in_page: Page):
    page = signed_in_page
    individual_enrollment_create(registration_id="dev-a", attestation_type="symmetricKey")
    individual_enrollment_create(registration_id="dev-b", attestation_type="symmetricKey")
    page.goto(page.base + "/portal/individual-enrollments/")
    page.get_by_role("link", name="dev-a", exact=True).click()
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="No").click()
    expect(dialog).to_be_hidden()
    page.goto(page.base + "/portal/individual-enrollments/")
    expect(page.get_by_role("link", name="dev-a", exact=True)).to_be_visible()

    page.get_by_role("link", name="dev-a", exact=True).click()
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Yes").click()
    expect(page.get_by_text("Individual enrollment “dev-a” was deleted.")).to_be_visible()
    assert page.url.endswith("/portal/individual-enrollments/")
    expect(page.get_by_role("link", name="dev-a", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="dev-b", exact=True)).to_be_visible()


def test_two_people_save_the_same_enrollment_the_second_is_refused(live_server, browser: Browser, admin_user):
    group = enrollment_group_create(enrollment_group_id="fleet-2", attestation_type="symmetricKey")
    url = live_server.url + group.get_absolute_url()
    first_context, second_context = browser.new_context(), browser.new_context()
    try:
        first, second = first_context.new_page(), second_context.new_page()
        for page in (first, second):
            page.set_default_timeout(10_000)
            sign_in(page, live_server.url)
            page.goto(url)

        first.get_by_role("tab", name="Device settings").click()
        first.get_by_label("Desired properties").fill('{"owner": "first"}')
        second.get_by_role("radio", name="Never re-provision device").check()
        second.get_by_role("tab", name="Device settings").click()
        second.get_by_label("Device tags").fill('{"owner": "second"}')

        first.get_by_role("button", name="Save").click()
        expect(first.get_by_text("Enrollment group “fleet-2” was saved.")).to_be_visible()
        second.get_by_role("button", name="Save").click()
        conflict = second.locator("#details-conflict")
        expect(conflict).to_contain_text("Someone else saved this enrollment group after you opened it")
        expect(second.get_by_role("alert")).to_have_count(1)  # one next step, nothing contradicting it
        expect(second.get_by_text(ETAG_MISMATCH)).to_have_count(0)
        expect(second.locator("#details-restored")).to_be_hidden()
        expect(second.get_by_label("Device tags")).to_have_value('{"owner": "second"}')  # edits kept on screen
        second.get_by_role("tab", name="Registration + provisioning").click()
        expect(second.get_by_role("radio", name="Never re-provision device")).to_be_checked()

        group.refresh_from_db()
        assert group.initial_twin_desired_properties == {"owner": "first"}
        assert group.initial_twin_tags == {} and group.reprovision_policy == "reprovisionandmigratedata"
        # Saving again from the stale page is refused as well, with the same single alert.
        second.get_by_role("button", name="Save").click()
        expect(conflict).to_be_visible()
        expect(second.get_by_role("alert")).to_have_count(1)
        group.refresh_from_db()
        assert group.initial_twin_tags == {}

        # The next step: the current version with the fields the second person changed put back.
        second.get_by_role("tab", name="Device settings").click()
        second.get_by_label("Enable IoT Edge on provisioned devices").check()  # one more change on the stale page
        conflict.get_by_role("link", name="Open the current version").click()
        restored = second.locator("#details-restored")
        expect(restored).to_contain_text("Your changes were put back over the current version")
        expect(restored).to_contain_text("select Save to keep them")
        expect(conflict).to_have_count(0)
        second.get_by_role("tab", name="Device settings").click()
        expect(second.get_by_label("Desired properties")).to_have_value('{\n  "owner": "first"\n}')  # theirs
        expect(second.get_by_label("Device tags")).to_have_value('{"owner": "second"}')  # mine
        expect(second.get_by_label("Enable IoT Edge on provisioned devices")).to_be_checked()
        second.get_by_role("tab", name="Registration + provisioning").click()
        expect(second.get_by_role("radio", name="Never re-provision device")).to_be_checked()
        second.get_by_role("button", name="Save").click()
        expect(second.get_by_text("Enrollment group “fleet-2” was saved.")).to_be_visible()
        group.refresh_from_db()
        assert group.initial_twin_desired_properties == {"owner": "first"}
        assert group.initial_twin_tags == {"owner": "second"} and group.reprovision_policy == "never"
        assert group.iot_edge is True
        # Carried once: a later visit shows the saved values and no note.
        second.reload()
        expect(second.locator("#details-restored")).to_be_hidden()
    finally:
        first_context.close()
        second_context.close()


def test_show_reveals_a_key_that_the_page_did_not_hold(signed_in_page: Page):
    page = signed_in_page
    group = enrollment_group_create(enrollment_group_id="fleet-3", attestation_type="symmetricKey")
    page.goto(page.base + group.get_absolute_url())
    assert group.primary_key not in page.content()
    expect(page.get_by_label("Primary key")).to_have_value("••••")
    page.get_by_label("Primary key").locator("xpath=..").get_by_role("button", name="Show").click()
    expect(page.get_by_label("Primary key")).to_have_value(group.primary_key)
    expect(page.get_by_label("Secondary key")).to_have_value("••••")


def test_hide_masks_a_shown_key_again_and_show_fetches_it_again(signed_in_page: Page):
    page = signed_in_page
    enrollment = individual_enrollment_create(registration_id="dev-hide", attestation_type="symmetricKey")
    key_requests = []
    page.on("request", lambda r: key_requests.append(r.url) if "/keys/" in r.url else None)
    page.goto(page.base + enrollment.get_absolute_url())
    field = page.get_by_label("Primary key").locator("xpath=..")
    expect(field.get_by_role("button", name="Hide")).to_have_count(0)
    field.get_by_role("button", name="Show").click()
    expect(page.get_by_label("Primary key")).to_have_value(enrollment.primary_key)
    expect(field.get_by_role("button", name="Show")).to_have_count(0)
    expect(field.get_by_role("button", name="Copy")).to_be_visible()
    assert len(key_requests) == 1
    field.get_by_role("button", name="Hide").click()
    expect(page.get_by_label("Primary key")).to_have_value("••••")
    assert enrollment.primary_key not in page.content()
    expect(field.get_by_role("button", name="Hide")).to_have_count(0)
    expect(field.get_by_role("button", name="Show")).to_be_focused()
    expect(field.get_by_role("button", name="Copy")).to_be_visible()
    assert len(key_requests) == 1  # Hide asks the server for nothing
    field.get_by_role("button", name="Show").click()
    expect(page.get_by_label("Primary key")).to_have_value(enrollment.primary_key)
    assert len(key_requests) == 2
    expect(page.get_by_label("Secondary key")).to_have_value("••••")


def test_custom_allocation_shows_the_webhook_fields_without_losing_edits(signed_in_page: Page):
    page = signed_in_page
    group = enrollment_group_create(enrollment_group_id="fleet-4", attestation_type="symmetricKey")
    page.goto(page.base + group.get_absolute_url())
    page.get_by_role("tab", name="Device settings").click()
    page.get_by_label("Device tags").fill('{"typed": true}')
    page.get_by_role("tab", name="IoT hubs").click()
    page.get_by_label("Allocation policy").select_option(label="Custom (use a webhook)")
    page.get_by_label("Webhook URL").fill("https://fn.example.net/api/alloc?code=s3cr3t")
    page.get_by_label("API version").fill("2021-10-01")
    page.get_by_role("tab", name="Device settings").click()
    expect(page.get_by_label("Device tags")).to_have_value('{"typed": true}')
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enrollment group “fleet-4” was saved.")).to_be_visible()
    group.refresh_from_db()
    assert (group.allocation_policy, group.webhook_url) == ("custom", "https://fn.example.net/api/alloc?code=s3cr3t")
    assert group.initial_twin_tags == {"typed": True}
    assert "s3cr3t" not in page.content()


WEBHOOK = "https://fn.example.net/api/alloc?code=s3cr3t-key&clientId=default"


def _custom_group(name: str) -> EnrollmentGroup:
    return enrollment_group_create(
        enrollment_group_id=name,
        attestation_type="symmetricKey",
        allocation_policy="custom",
        webhook_url=WEBHOOK,
        api_version="2021-10-01",
    )


def test_show_hide_and_copy_the_webhook_urls_key(signed_in_page: Page):
    page = signed_in_page
    group = _custom_group("fleet-w")
    page.goto(page.base + group.get_absolute_url())
    page.get_by_role("tab", name="IoT hubs").click()
    field = page.get_by_label("Webhook URL")
    masked = "https://fn.example.net/api/alloc?code=••••&clientId=default"
    expect(field).to_have_value(masked)
    assert "s3cr3t-key" not in page.content()

    group_div = page.locator("#div_id_webhook_url")
    group_div.get_by_role("button", name="Show").click()
    expect(field).to_have_value(WEBHOOK)
    group_div.get_by_role("button", name="Hide").click()
    expect(field).to_have_value(masked)

    # Copy puts the whole URL on the clipboard, the key in place of the mask, the field unchanged.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    field.fill(masked.replace("clientId=default", "clientId=edited"))
    group_div.get_by_role("button", name="Copy").click()
    expect(group_div.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == WEBHOOK.replace("clientId=default", "clientId=edited")
    expect(field).to_have_value(masked.replace("clientId=default", "clientId=edited"))

    # A shown key is never kept with the unsaved edits, and saving a shown URL keeps it as it was.
    group_div.get_by_role("button", name="Show").click()
    expect(field).to_have_value(WEBHOOK.replace("clientId=default", "clientId=edited"))
    assert "s3cr3t-key" not in page.evaluate("JSON.stringify(Object.assign({}, window.sessionStorage))")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enrollment group “fleet-w” was saved.")).to_be_visible()
    group.refresh_from_db()
    assert group.webhook_url == WEBHOOK.replace("clientId=default", "clientId=edited")
    assert "s3cr3t-key" not in page.content()


def test_show_and_copy_never_fill_the_key_into_a_url_pointing_elsewhere(signed_in_page: Page):
    page = signed_in_page
    group = _custom_group("fleet-m")
    page.goto(page.base + group.get_absolute_url())
    page.get_by_role("tab", name="IoT hubs").click()
    field = page.get_by_label("Webhook URL")
    moved = "https://collect.example.org/api/alloc?code=••••&clientId=default"
    field.fill(moved)
    group_div = page.locator("#div_id_webhook_url")
    group_div.get_by_role("button", name="Show").click()
    expect(group_div.get_by_role("button", name="Not shown: the URL points elsewhere")).to_be_visible()
    expect(field).to_have_value(moved)

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    group_div.get_by_role("button", name="Copy").click()
    expect(group_div.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == moved
    assert "s3cr3t-key" not in field.input_value()


def test_a_plain_http_webhook_url_is_refused_on_its_field_except_to_loopback(signed_in_page: Page):
    page = signed_in_page
    group = _custom_group("fleet-h")
    page.goto(page.base + group.get_absolute_url())
    page.get_by_role("tab", name="IoT hubs").click()
    page.get_by_label("Webhook URL").fill("http://fn.example.net/api/alloc?code=k")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#div_id_webhook_url").get_by_text("Webhook URL uses http:// to fn.example.net")
    expect(error).to_be_visible()
    expect(error).to_contain_text("DPS would send the function key")
    expect(page.get_by_role("tab", name="IoT hubs")).to_have_attribute("aria-invalid", "true")
    group.refresh_from_db()
    assert group.webhook_url == WEBHOOK

    page.get_by_label("Webhook URL").fill("http://127.0.0.1:7071/api/alloc")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enrollment group “fleet-h” was saved.")).to_be_visible()
    group.refresh_from_db()
    assert group.webhook_url == "http://127.0.0.1:7071/api/alloc"
