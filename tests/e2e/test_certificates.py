"""Certificates in a real browser: upload a verified CA certificate, refuse a private key."""

from playwright.sync_api import Page, expect

from enrollments.attestation.x509 import parse_certificate


def open_add(page: Page) -> None:
    page.goto(page.base + "/portal/")
    page.get_by_role("link", name="Certificates").click()
    page.get_by_role("link", name="Add", exact=True).click()


def test_upload_verified_certificate_shows_status_and_thumbprint(signed_in_page: Page, vectors_dir):
    page = signed_in_page
    path = vectors_dir / "intermediate-ca.pem"
    thumbprint = parse_certificate(path.read_bytes()).sha1_thumbprint
    open_add(page)
    page.get_by_label("Certificate name").fill("intermediate-ca")
    page.get_by_label("Certificate .pem or .cer file").set_input_files(str(path))
    page.get_by_label("Set certificate status to verified on upload").check()
    page.get_by_role("button", name="Save").click()
    row = page.locator("#certificates").get_by_role("row").filter(has_text="intermediate-ca")
    expect(row).to_contain_text("Verified")
    expect(row).to_contain_text(thumbprint)
    row.get_by_role("link", name="intermediate-ca").click()
    expect(page.locator("#certificate-details")).to_contain_text(thumbprint)
    expect(page.get_by_role("button", name="Generate verification code")).to_have_count(0)


def test_private_key_is_refused_with_a_message(signed_in_page: Page, vectors_dir):
    page = signed_in_page
    open_add(page)
    page.get_by_label("Certificate name").fill("not-a-cert")
    page.get_by_label("Certificate .pem or .cer file").set_input_files(str(vectors_dir / "private-key.pem"))
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_certificate_error")).to_contain_text("private key")
    expect(page.get_by_label("Certificate name")).to_have_value("not-a-cert")
    page.get_by_role("link", name="Certificates").click()
    expect(page.locator("#no-certificates")).to_be_visible()
