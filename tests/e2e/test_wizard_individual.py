"""The add-individual-enrollment wizard in a real browser."""

import re

from playwright.sync_api import Page, expect

from enrollments.models import IndividualEnrollment, LinkedIotHub


def link_hub() -> None:
    LinkedIotHub.objects.create(
        host_name="hub-one.azure-devices.net", shared_access_key_name="iothubowner", shared_access_key="a2V5"
    )


def open_wizard(page: Page) -> None:
    page.goto(page.base + "/portal/individual-enrollments/")
    page.get_by_role("link", name="Add individual enrollment").click()
    expect_tab(page, "Registration + provisioning")


def expect_tab(page: Page, name: str) -> None:
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def create(page: Page) -> None:
    page.get_by_role("tab", name="Review + create").click()
    expect_tab(page, "Review + create")
    page.get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(r"/portal/individual-enrollments/$"))


def test_create_one_individual_enrollment_of_each_kind(signed_in_page: Page, vectors_dir, vectors):
    page = signed_in_page
    link_hub()

    open_wizard(page)
    expect(page.get_by_label("Attestation")).to_have_value("symmetricKey")
    page.get_by_label("Registration ID").fill("sym-device-01")
    page.get_by_label("IoT Hub Device ID").fill("sym-device-01-hub")
    create(page)
    expect(page.get_by_role("alert")).to_contain_text("sym-device-01")

    open_wizard(page)
    page.get_by_label("Attestation").select_option(label="X.509 client certificates")
    page.get_by_label("Primary certificate").set_input_files(vectors_dir / "device-001.pem")
    registration_id = page.get_by_label("Registration ID")
    expect(registration_id).to_have_value("device-001")
    expect(registration_id).not_to_be_editable()
    expect(page.get_by_text(vectors["certificates"]["device-001.pem"]["sha1Thumbprint"])).to_be_visible()
    create(page)

    open_wizard(page)
    page.get_by_label("Attestation").select_option(label="TPM")
    page.get_by_label("Endorsement key").fill(vectors["tpm"]["endorsement_key"])
    page.get_by_label("Registration ID").fill("tpm-device-01")
    create(page)

    rows = page.get_by_role("row")
    expect(rows.filter(has_text="sym-device-01")).to_contain_text("Symmetric key")
    expect(rows.filter(has_text="device-001")).to_contain_text("X.509 client certificates")
    expect(rows.filter(has_text="tpm-device-01")).to_contain_text("TPM")
    by_id = {e.registration_id: e for e in IndividualEnrollment.objects.all()}
    assert set(by_id) == {"sym-device-01", "device-001", "tpm-device-01"}
    assert by_id["sym-device-01"].device_id == "sym-device-01-hub"
    assert by_id["tpm-device-01"].endorsement_key == vectors["tpm"]["endorsement_key"]
    assert (
        by_id["device-001"].certificates.get().sha1_thumbprint
        == vectors["certificates"]["device-001.pem"]["sha1Thumbprint"]
    )
    page.get_by_role("link", name="device-001").click()
    expect(page.get_by_text(vectors["certificates"]["device-001.pem"]["sha1Thumbprint"])).to_be_visible()


def test_missing_required_fields_show_inline_errors_and_keep_what_was_typed(signed_in_page: Page):
    page = signed_in_page
    link_hub()
    open_wizard(page)
    page.get_by_label("Attestation").select_option(label="TPM")
    expect(page.get_by_label("Endorsement key")).to_be_visible()
    page.get_by_label("IoT Hub Device ID").fill("kept-device-id")
    page.get_by_role("tab", name="IoT hubs").click()
    expect_tab(page, "IoT hubs")
    page.get_by_label("Allocation policy").select_option(label="Custom (use a webhook)")
    expect(page.get_by_label("Webhook URL")).to_be_visible()
    page.get_by_role("tab", name="Review + create").click()
    expect_tab(page, "Review + create")
    expect(page.get_by_role("tab", name="Registration + provisioning")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("tab", name="IoT hubs")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("tab", name="Device settings")).not_to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Create").click()

    expect_tab(page, "Registration + provisioning")
    expect(page.locator("#div_id_endorsement_key")).to_contain_text("This field is required.")
    expect(page.locator("#div_id_registration_id")).to_contain_text("This field is required.")
    expect(page.get_by_label("IoT Hub Device ID")).to_have_value("kept-device-id")
    expect(page.get_by_label("Attestation")).to_have_value("tpm")
    page.get_by_role("tab", name="IoT hubs").click()
    expect(page.locator("#div_id_webhook_url")).to_contain_text("This field is required.")
    expect(page.get_by_label("Allocation policy")).to_have_value("custom")
    assert not IndividualEnrollment.objects.exists()


def test_a_ca_certificate_as_client_certificate_is_warned_about_or_refused(signed_in_page: Page, tmp_path):
    from tests.enrollments.attestation.test_x509_client_certificates import build

    page = signed_in_page
    link_hub()
    open_wizard(page)
    page.get_by_label("Attestation").select_option(label="X.509 client certificates")
    ca = tmp_path / "ca.pem"
    ca.write_bytes(build(is_ca=True))
    page.get_by_label("Primary certificate").set_input_files(ca)
    expect(page.get_by_label("Registration ID")).to_have_value("device-ca-test")
    warning = page.locator("#div_id_primary_certificate .certificate-warning")
    expect(warning).to_contain_text("This is a CA certificate (its basic constraints say CA:TRUE)")
    expect(warning).to_contain_text("will not be authenticated")

    signing_only = tmp_path / "signing-only-ca.pem"
    signing_only.write_bytes(build(is_ca=True, key_usage=["key_cert_sign", "crl_sign"]))
    page.get_by_label("Primary certificate").set_input_files(signing_only)
    expect(page.locator("#div_id_primary_certificate")).to_contain_text(
        "This certificate cannot authenticate a device: its key usage (keyCertSign, cRLSign)"
    )
    page.get_by_role("tab", name="Review + create").click()
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#div_id_primary_certificate")).to_contain_text("cannot authenticate a device")
    assert not IndividualEnrollment.objects.exists()
