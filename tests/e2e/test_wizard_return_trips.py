"""Coming back to the add wizard: browser Back after Create, and the `Link a new IoT hub` round trip."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.test_hubs import KEY
from tests.e2e.test_wizard_group import HUBS, expect_tab, link_two_hubs, open_wizard

GONE = "This wizard was already completed or has expired: start a new one with Add enrollment group."


def test_browser_back_after_create_lands_on_the_list_with_a_note(signed_in_page: Page):
    page = signed_in_page
    open_wizard(page)
    page.get_by_label("Group name").fill("back-group")
    page.get_by_role("tab", name="Review + create").click()
    expect_tab(page, "Review + create")
    page.get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(r"/portal/enrollment-groups/$"))
    expect(page.get_by_role("alert")).to_contain_text("back-group")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/portal/enrollment-groups/$"))
    expect(page.get_by_text(GONE)).to_be_visible()
    expect(page.get_by_role("link", name="Add enrollment group")).to_be_visible()


def test_back_from_link_a_new_iot_hub_with_static_shows_no_error_until_next(signed_in_page: Page):
    page = signed_in_page
    link_two_hubs()
    open_wizard(page)
    page.get_by_label("Group name").fill("static-group")
    page.get_by_role("tab", name="IoT hubs").click()
    expect_tab(page, "IoT hubs")
    page.get_by_label("Allocation policy").select_option(label="Static configuration")
    expect(page.get_by_label("Allocation policy")).to_have_value("static")
    page.get_by_role("link", name="Link a new IoT hub").click()
    page.get_by_label("IoT hub connection string").fill(
        f"HostName=third-hub.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey={KEY}"
    )
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/portal/enrollment-groups/add/[0-9a-f-]+/iot-hubs/$"))
    expect(page.get_by_label("third-hub.azure-devices.net")).to_be_checked()
    expect(page.get_by_label("Allocation policy")).to_have_value("static")
    expect(page.get_by_text("select exactly one target IoT hub")).to_have_count(0)
    expect(page.get_by_role("tab", name="IoT hubs")).not_to_have_attribute("aria-invalid", "true")
    # The user acts: Next refuses three hubs, on this tab; one hub goes on.
    page.get_by_role("button", name="Next: Device settings").click()
    expect(page.get_by_text("select exactly one target IoT hub (selected: 3)")).to_be_visible()
    expect_tab(page, "IoT hubs")
    for host in HUBS:
        page.get_by_label(host).uncheck()
    page.get_by_role("button", name="Next: Device settings").click()
    expect_tab(page, "Device settings")
