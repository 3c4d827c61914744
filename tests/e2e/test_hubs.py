"""Linked IoT hubs in a real browser: link, list, refuse a bad connection string, unlink with the dialog."""

import re

from playwright.sync_api import Page, expect

KEY = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY="


def link_hub(page: Page, host: str, *, location: str = "westeurope", weight: str = "1") -> None:
    page.get_by_role("link", name="Linked IoT hubs").click()
    page.get_by_role("link", name="Add", exact=True).click()
    page.get_by_label("IoT hub connection string").fill(
        f"HostName={host};SharedAccessKeyName=iothubowner;SharedAccessKey={KEY}"
    )
    page.get_by_label("Location", exact=True).fill(location)
    page.get_by_label("Allocation weight").fill(weight)
    page.get_by_role("button", name="Save").click()


def test_link_two_hubs_and_see_them_listed(signed_in_page: Page):
    page = signed_in_page
    page.goto(page.base + "/portal/")
    link_hub(page, "hub-one.azure-devices.net")
    expect(page.get_by_role("alert")).to_contain_text("Linked IoT hub “hub-one.azure-devices.net”.")
    link_hub(page, "hub-two.azure-devices.net", location="northeurope", weight="250")
    table = page.locator("#linked-iot-hubs")
    expect(table.get_by_role("row")).to_have_count(3)
    row = table.get_by_role("row").filter(has_text="hub-two.azure-devices.net")
    expect(row).to_contain_text("northeurope")
    expect(row).to_contain_text("250")
    expect(row).to_contain_text("Yes")
    expect(table).to_contain_text("hub-one.azure-devices.net")
    assert KEY not in page.content()


def test_missing_shared_access_key_is_named_next_to_the_field(signed_in_page: Page):
    page = signed_in_page
    page.goto(page.base + "/portal/linked-iot-hubs/add/")
    expect(page.get_by_label("Allocation weight")).to_have_value("1")
    expect(page.get_by_label("Apply allocation policy")).to_be_checked()
    page.get_by_label("IoT hub connection string").fill("HostName=h.azure-devices.net;SharedAccessKeyName=owner")
    page.get_by_role("button", name="Save").click()
    field = page.get_by_label("IoT hub connection string")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_connection_string_error")).to_contain_text("SharedAccessKey")
    expect(field).to_have_value("")


def test_unlink_with_the_dialog_no_keeps_yes_removes(signed_in_page: Page):
    page = signed_in_page
    page.goto(page.base + "/portal/")
    link_hub(page, "hub-gone.azure-devices.net")
    row = page.locator("#linked-iot-hubs").get_by_role("row").filter(has_text="hub-gone.azure-devices.net")
    row.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("hub-gone.azure-devices.net")
    dialog.get_by_role("button", name="No").click()
    expect(dialog).to_be_hidden()
    page.reload()
    expect(page.locator("#linked-iot-hubs")).to_contain_text("hub-gone.azure-devices.net")
    page.locator("#linked-iot-hubs").get_by_role("row").filter(has_text="hub-gone").get_by_role(
        "button", name="Delete"
    ).click()
    page.get_by_role("dialog").get_by_role("button", name="Yes").click()
    expect(page.get_by_role("alert")).to_contain_text("Unlinked IoT hub “hub-gone.azure-devices.net”.")
    expect(page.locator("#linked-iot-hubs")).to_have_count(0)


def test_link_a_new_iot_hub_from_the_wizard_comes_back_with_it_checked(signed_in_page: Page):
    page = signed_in_page
    page.goto(page.base + "/portal/enrollment-groups/add/")
    page.get_by_role("tab", name="IoT hubs").click()
    page.get_by_role("link", name="Link a new IoT hub").click()
    page.get_by_label("IoT hub connection string").fill(
        f"HostName=wizard-hub.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey={KEY}"
    )
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/portal/enrollment-groups/add/[0-9a-f-]+/iot-hubs/"))
    expect(page.get_by_label("wizard-hub.azure-devices.net")).to_be_checked()
