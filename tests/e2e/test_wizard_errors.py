"""The wizard's rules in a real browser: an error on the first tab, found only after visiting the last one,
shown next to its field with every value on every tab intact, also after a reload; and a
registration ID with every allowed special character reaching its details page."""

import re

from playwright.sync_api import Page, expect

from enrollments.models import IndividualEnrollment, LinkedIotHub
from enrollments.services.enrollments import individual_enrollment_create

HUBS = ("hub-one.azure-devices.net", "hub-two.azure-devices.net")
WEBHOOK = "https://fn.azurewebsites.net/api/alloc?code=s3cr%2Ft%3D%3D&clientId=default&x=a+b"
TAGS = '{"version": "2.1"}'
DESIRED = '{\n  "telemetry": {"interval": 30}\n}'


def expect_tab(page: Page, name: str) -> None:
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def go_to(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    expect_tab(page, name)


def open_wizard(page: Page) -> None:
    page.goto(page.base + "/portal/individual-enrollments/")
    page.get_by_role("link", name="Add individual enrollment").click()
    expect_tab(page, "Registration + provisioning")


def expect_registration_values(page: Page, registration_id: str) -> None:
    expect(page.get_by_label("Registration ID")).to_have_value(registration_id)
    expect(page.get_by_label("IoT Hub Device ID")).to_have_value("DEVICE001")
    expect(page.get_by_label("Never re-provision device")).to_be_checked()
    expect(page.get_by_label("Enable this enrollment")).not_to_be_checked()


def expect_other_tabs_intact(page: Page) -> None:
    go_to(page, "IoT hubs")
    expect(page.get_by_label(HUBS[0])).to_be_checked()
    expect(page.get_by_label(HUBS[1])).not_to_be_checked()
    expect(page.get_by_label("Allocation policy")).to_have_value("custom")
    expect(page.get_by_label("Webhook URL")).to_have_value(WEBHOOK)
    expect(page.get_by_label("API version")).to_have_value("2021-10-01")
    go_to(page, "Device settings")
    expect(page.get_by_label("Enable IoT Edge on provisioned devices")).to_be_checked()
    expect(page.get_by_label("Device tags")).to_have_value(TAGS)
    expect(page.get_by_label("Desired properties")).to_have_value(DESIRED)


def test_error_on_the_first_tab_found_at_create_keeps_every_value_also_after_a_reload(signed_in_page: Page):
    page = signed_in_page
    for host in HUBS:
        LinkedIotHub.objects.create(host_name=host, shared_access_key_name="iothubowner", shared_access_key="a2V5")
    individual_enrollment_create(registration_id="device-001", attestation_type="symmetricKey")

    open_wizard(page)
    page.get_by_label("Registration ID").fill("Device-001")  # taken, ignoring case
    page.get_by_label("IoT Hub Device ID").fill("DEVICE001")
    page.get_by_label("Never re-provision device").check()
    page.get_by_label("Enable this enrollment").uncheck()
    go_to(page, "IoT hubs")
    page.get_by_label(HUBS[1]).uncheck()
    page.get_by_label("Allocation policy").select_option(label="Custom (use a webhook)")
    page.get_by_label("Webhook URL").fill(WEBHOOK)
    page.get_by_label("API version").fill("2021-10-01")
    go_to(page, "Device settings")
    page.get_by_label("Enable IoT Edge on provisioned devices").check()
    page.get_by_label("Device tags").fill(TAGS)
    page.get_by_label("Desired properties").fill(DESIRED)

    go_to(page, "Review + create")
    expect(page.get_by_role("tab", name="Registration + provisioning")).to_have_attribute("aria-invalid", "true")
    for name in ("IoT hubs", "Device settings"):
        expect(page.get_by_role("tab", name=name)).not_to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Create").click()

    expect_tab(page, "Registration + provisioning")
    expect(page).to_have_url(re.compile(r"/registration/$"))
    # Names the existing record's spelling once the wizard's form asks services.name_taken_message.
    message = re.compile(
        r"registration ID “[Dd]evice-001” already exists \(registration IDs are not case-sensitive\)\."
    )
    expect(page.locator("#div_id_registration_id")).to_contain_text(message)
    expect(page.get_by_label("Registration ID")).to_have_attribute("aria-invalid", "true")
    expect_registration_values(page, "Device-001")
    expect_other_tabs_intact(page)
    assert IndividualEnrollment.objects.count() == 1

    go_to(page, "Registration + provisioning")
    page.reload()
    expect_tab(page, "Registration + provisioning")
    expect(page.locator("#div_id_registration_id")).to_contain_text(message)
    expect_registration_values(page, "Device-001")
    expect_other_tabs_intact(page)
    page.reload()
    expect(page.get_by_label("Desired properties")).to_have_value(DESIRED)

    # Fixing only the registration ID is enough; everything else arrives as typed.
    go_to(page, "Registration + provisioning")
    page.get_by_label("Registration ID").fill("device-002")
    go_to(page, "Review + create")
    page.get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(r"/portal/individual-enrollments/$"))
    created = IndividualEnrollment.objects.get(registration_id="device-002")
    assert created.device_id == "DEVICE001"
    assert created.webhook_url == WEBHOOK
    assert created.initial_twin_tags == {"version": "2.1"}
    assert created.initial_twin_desired_properties == {"telemetry": {"interval": 30}}
    assert [h.host_name for h in created.iot_hubs.all()] == [HUBS[0]]
    assert (created.iot_edge, created.provisioning_status, created.reprovision_policy) == (True, "disabled", "never")


def test_registration_id_with_every_special_character_reaches_its_details_page(signed_in_page: Page):
    page = signed_in_page
    open_wizard(page)
    page.get_by_label("Registration ID").fill("dev.01:a_b-c")
    go_to(page, "Review + create")
    page.get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(r"/portal/individual-enrollments/$"))
    page.get_by_role("link", name="dev.01:a_b-c").click()
    expect(page).to_have_url(re.compile(r"/individual-enrollments/dev\.01:a_b-c/details/$"))
    expect(page.get_by_role("main")).to_contain_text("dev.01:a_b-c")
