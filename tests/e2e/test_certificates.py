"""Certificates in a real browser: upload a verified CA certificate, refuse a private key,
proof of possession (verification code, verification certificate made with `cryptography`)."""

import datetime as dt

from django.utils import timezone
from playwright.sync_api import Page, expect

from enrollments.attestation.x509 import parse_certificate
from enrollments.models import CaCertificate
from tests.conftest import make_certificate


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


def _upload_unverified_ca(page: Page, tmp_path):
    pem, pair = make_certificate("Fabrikam Root CA", is_ca=True)
    path = tmp_path / "fabrikam-root.pem"
    path.write_bytes(pem)
    open_add(page)
    page.get_by_label("Certificate name").fill("fabrikam-root")
    page.get_by_label("Certificate .pem or .cer file").set_input_files(str(path))
    page.get_by_role("button", name="Save").click()
    row = page.locator("#certificates").get_by_role("row").filter(has_text="fabrikam-root")
    expect(row).to_contain_text("Unverified")
    row.get_by_role("link", name="fabrikam-root").click()
    return pair


def test_proof_of_possession_verifies_the_ca(signed_in_page: Page, tmp_path):
    page = signed_in_page
    pair = _upload_unverified_ca(page, tmp_path)
    page.get_by_role("button", name="Generate verification code").click()
    code_field = page.get_by_label("Verification code", exact=True)
    expect(code_field).to_have_attribute("readonly", "")
    code = code_field.input_value()
    assert len(code) == 48
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("[data-copy-from]")).to_have_attribute("data-copied", "true")

    # A certificate with the right CN but signed by another key: the wrong signer, named as such.
    forged = tmp_path / "forged.pem"
    forged.write_bytes(make_certificate(code)[0])
    page.get_by_label("Verification certificate .pem or .cer file").set_input_files(str(forged))
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#id_verification_certificate_error")).to_contain_text("not signed by this CA")
    expect(page.locator("#certificate-details")).to_contain_text("Unverified")

    # The wrong CN, signed by the CA.
    wrong = tmp_path / "wrong-cn.pem"
    wrong.write_bytes(make_certificate("device-001", issuer=pair)[0])
    page.get_by_label("Verification certificate .pem or .cer file").set_input_files(str(wrong))
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#id_verification_certificate_error")).to_contain_text(
        "common name (CN) is “device-001”, not the verification code"
    )

    good = tmp_path / "verification.cer"
    good.write_bytes(make_certificate(code, issuer=pair)[0])
    page.get_by_label("Verification certificate .pem or .cer file").set_input_files(str(good))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Certificate “fabrikam-root” is verified.")).to_be_visible()
    expect(page.locator("#certificate-details")).to_contain_text("Verified")
    expect(page.get_by_role("button", name="Generate verification code")).to_have_count(0)
    page.get_by_role("link", name="Certificates").first.click()
    row = page.locator("#certificates").get_by_role("row").filter(has_text="fabrikam-root")
    expect(row).to_contain_text("Verified")


def test_expired_code_says_so(signed_in_page: Page, tmp_path):
    page = signed_in_page
    pair = _upload_unverified_ca(page, tmp_path)
    page.get_by_role("button", name="Generate verification code").click()
    code = page.get_by_label("Verification code", exact=True).input_value()
    CaCertificate.objects.filter(name="fabrikam-root").update(
        verification_code_expires_utc=timezone.now() - dt.timedelta(seconds=1)
    )
    path = tmp_path / "verification.pem"
    path.write_bytes(make_certificate(code, issuer=pair)[0])
    page.get_by_label("Verification certificate .pem or .cer file").set_input_files(str(path))
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#id_verification_certificate_error")).to_contain_text("The verification code expired")
    expect(page.locator("#certificate-details")).to_contain_text("Unverified")
