"""Playwright end-to-end fixtures: Debian's Chromium, a signed-in page against live_server."""

import os

import pytest
from playwright.sync_api import Page, expect

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "e2e-Password-123"  # a throwaway account in the test database only


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # `playwright install` cannot download browsers here: use Debian's chromium package.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def page(page: Page):
    """Every browser test fails on a Content-Security-Policy violation (Chromium reports each one
    on the console), so an inline script or style cannot creep back in."""
    violations: list[str] = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    yield page
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.com", PASSWORD)


def sign_in(page: Page, base_url: str, username: str = "admin", password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Overview")).to_be_visible()


@pytest.fixture
def signed_in_page(live_server, page: Page, admin_user) -> Page:
    """A Playwright page signed in as an administrator; `page.base` holds the live server URL."""
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url)
    page.base = live_server.url
    return page
