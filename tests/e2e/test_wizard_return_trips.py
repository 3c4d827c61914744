"""Coming back to the add wizard: browser Back after Create, and the `Link a new IoT hub` round trip."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.test_wizard_group import expect_tab, open_wizard

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
