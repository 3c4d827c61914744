"""Overview in the browser: where devices connect and `Download server CA certificate`."""

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_overview_offers_the_server_ca_certificate(signed_in_page: Page):
    page = signed_in_page
    page.goto(page.base + "/portal/")
    expect(page.locator("#https-device-endpoint")).to_have_text(
        f"https://127.0.0.1:{settings.DPS_DEVICE_PORT}".replace(":443", "")
    )
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download server CA certificate", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == "dps-portal-server-ca.pem"
    content = open(download.path(), "rb").read()
    assert content.startswith(b"-----BEGIN CERTIFICATE-----") and b"PRIVATE KEY" not in content
    assert content == (settings.DPS_DATA_DIR / "tls" / "ca.pem").read_bytes()
