from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in


def test_sign_in_shows_overview_with_id_scope(live_server, page: Page, admin_user):
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/accounts/login/?next=/portal/")
    sign_in(page, live_server.url)
    expect(page.get_by_text("ID Scope")).to_be_visible()
    expect(page.locator("#id-scope")).to_have_text(__import__("re").compile(r"^0ne[0-9A-F]{8}$"))


def test_wrong_password_is_refused_with_a_message(live_server, page: Page, admin_user):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
