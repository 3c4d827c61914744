"""The API docs render in a real browser under their Content-Security-Policy (the `page` fixture
fails the test on any violation)."""

from playwright.sync_api import expect


def test_swagger_ui_renders_without_policy_violations(live_server, page):
    page.goto(live_server.url + "/api/docs/")
    expect(page.get_by_text("DPS Portal service API").first).to_be_visible(timeout=15_000)


def test_redoc_renders_without_policy_violations(live_server, page):
    page.goto(live_server.url + "/api/redoc/")
    expect(page.get_by_text("DPS Portal service API").first).to_be_visible(timeout=15_000)
