"""The add-enrollment-group wizard in a real browser."""

import re

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from playwright.sync_api import Page, expect

from enrollments.models import EnrollmentGroup, LinkedIotHub

HUBS = ("hub-one.azure-devices.net", "hub-two.azure-devices.net")


def sha1_thumbprint(path) -> str:
    """The SHA-1 thumbprint the portal shows for a PEM file (the shared vectors or the generated set)."""
    certificate = x509.load_pem_x509_certificate(path.read_bytes())
    return certificate.fingerprint(hashes.SHA1()).hex().upper()


def link_two_hubs() -> None:
    # The hubs helper tests the linking UI; the wizard only needs linked hubs to exist.
    for host in HUBS:
        LinkedIotHub.objects.create(host_name=host, shared_access_key_name="iothubowner", shared_access_key="a2V5")


def open_wizard(page: Page) -> None:
    page.goto(page.base + "/portal/enrollment-groups/")
    page.get_by_role("link", name="Add enrollment group").click()
    expect(page.get_by_role("tab", name="Registration + provisioning")).to_have_attribute("aria-selected", "true")


def expect_tab(page: Page, name: str) -> None:
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def test_create_symmetric_key_and_x509_groups(signed_in_page: Page, vectors_dir):
    INTERMEDIATE_SHA1 = sha1_thumbprint(vectors_dir / "intermediate-ca.pem")  # noqa: N806
    page = signed_in_page
    link_two_hubs()

    # Symmetric key, keys generated, through Next buttons.
    open_wizard(page)
    expect(page.get_by_label("Generate symmetric keys automatically")).to_be_checked()
    expect(page.get_by_label("Enable this enrollment")).to_be_checked()
    expect(page.get_by_label("Re-provision device and migrate current data")).to_be_checked()
    page.get_by_label("Group name").fill("sym-group")
    page.get_by_role("button", name="Next: IoT hubs").click()
    expect_tab(page, "IoT hubs")
    for host in HUBS:
        expect(page.get_by_label(host)).to_be_checked()
    expect(page.get_by_label("Allocation policy")).to_have_value("hashed")
    page.get_by_role("button", name="Next: Device settings").click()
    expect_tab(page, "Device settings")
    page.get_by_label("Device tags").fill('{"site": "lab"}')
    page.get_by_role("button", name="Next: Review + create").click()
    expect_tab(page, "Review + create")
    review = page.get_by_role("tabpanel")
    expect(review).to_contain_text("sym-group")
    expect(review).to_contain_text("hub-one.azure-devices.net, hub-two.azure-devices.net")
    expect(review.get_by_role("textbox")).to_have_count(0)
    page.get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(r"/portal/enrollment-groups/$"))
    expect(page.get_by_role("alert")).to_contain_text("sym-group")

    # X.509 intermediate certificate, uploaded and parsed at once.
    open_wizard(page)
    page.get_by_label("Attestation").select_option(label="X.509 intermediate certificates")
    expect(page.get_by_label("Generate symmetric keys automatically")).to_have_count(0)
    page.get_by_label("Primary certificate").set_input_files(vectors_dir / "intermediate-ca.pem")
    expect(page.get_by_text(INTERMEDIATE_SHA1)).to_be_visible()
    page.get_by_label("Group name").fill("x509-group")
    page.get_by_role("tab", name="Review + create").click()
    expect_tab(page, "Review + create")
    expect(page.get_by_role("tabpanel")).to_contain_text(INTERMEDIATE_SHA1)
    page.get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(r"/portal/enrollment-groups/$"))

    rows = page.get_by_role("row")
    expect(rows.filter(has_text="sym-group")).to_contain_text("Symmetric key")
    expect(rows.filter(has_text="x509-group")).to_contain_text("X.509 intermediate certificates")
    page.get_by_role("link", name="x509-group").click()
    expect(page.get_by_text(INTERMEDIATE_SHA1)).to_be_visible()

    group = EnrollmentGroup.objects.get(enrollment_group_id="sym-group")
    assert group.initial_twin_tags == {"site": "lab"} and group.iot_hubs.count() == 2


def test_tpm_is_refused_and_disables_next(signed_in_page: Page):
    page = signed_in_page
    open_wizard(page)
    page.get_by_label("Attestation").select_option(label="TPM")
    expect(page.get_by_text("Enrollment groups do not support TPM attestation.")).to_be_visible()
    expect(page.get_by_role("button", name="Next: IoT hubs")).to_be_disabled()
    page.get_by_role("tab", name="Review + create").click()
    expect_tab(page, "Review + create")
    expect(page.get_by_role("button", name="Create")).to_be_disabled()


def test_values_survive_other_tabs_and_a_reload(signed_in_page: Page):
    page = signed_in_page
    link_two_hubs()
    open_wizard(page)
    page.get_by_label("Group name").fill("kept-name")
    page.get_by_label("Never re-provision device").check()
    page.get_by_role("tab", name="IoT hubs").click()
    expect_tab(page, "IoT hubs")
    page.get_by_label("hub-two.azure-devices.net").uncheck()
    page.get_by_role("tab", name="Device settings").click()
    expect_tab(page, "Device settings")
    page.get_by_label("Desired properties").fill('{"interval": 30')  # invalid JSON is kept too
    page.get_by_role("tab", name="Registration + provisioning").click()
    expect_tab(page, "Registration + provisioning")
    expect(page.get_by_label("Group name")).to_have_value("kept-name")
    expect(page.get_by_label("Never re-provision device")).to_be_checked()
    expect(page).to_have_url(re.compile(r"/registration/$"))

    page.reload()
    expect(page.get_by_label("Group name")).to_have_value("kept-name")
    page.get_by_role("tab", name="IoT hubs").click()
    expect(page.get_by_label("hub-one.azure-devices.net")).to_be_checked()
    expect(page.get_by_label("hub-two.azure-devices.net")).not_to_be_checked()
    page.get_by_role("tab", name="Device settings").click()
    expect_tab(page, "Device settings")
    page.reload()
    expect_tab(page, "Device settings")
    expect(page.get_by_label("Desired properties")).to_have_value('{"interval": 30')
    expect(page.get_by_role("tab", name="Device settings")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Not valid JSON")).to_be_visible()


def test_missing_required_fields_show_inline_errors_on_the_right_tab(signed_in_page: Page):
    page = signed_in_page
    link_two_hubs()
    open_wizard(page)
    page.get_by_label("Generate symmetric keys automatically").uncheck()
    page.get_by_label("Primary key").fill("not base64!")
    page.get_by_role("tab", name="Review + create").click()
    expect(page.get_by_role("tab", name="Registration + provisioning")).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Create").click()
    expect_tab(page, "Registration + provisioning")
    expect(page).to_have_url(re.compile(r"/registration/$"))
    group_name = page.get_by_label("Group name")
    expect(group_name).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#div_id_enrollment_group_id")).to_contain_text("This field is required.")
    expect(page.locator("#div_id_primary_key")).to_contain_text("not valid base64")
    expect(page.get_by_label("Primary key")).to_have_value("not base64!")
    assert not EnrollmentGroup.objects.exists()


def test_typing_while_a_certificate_file_is_sent_is_not_lost(signed_in_page: Page, monkeypatch, tmp_path):
    """The file's request is held on the server until the user has typed: its answer (the whole tab,
    rendered from what was posted before the typing) must not wipe what was typed, nor the focus."""
    import threading

    from enrollments import wizard as wizard_module
    from tests.conftest import make_certificate

    entered, release = threading.Event(), threading.Event()
    save_tab = wizard_module.EnrollmentWizard.save_tab

    def held_save_tab(self, slug, post, files, **kwargs):
        if post.get("_nav") == "refresh" and files:
            entered.set()
            release.wait(10)
        return save_tab(self, slug, post, files, **kwargs)

    monkeypatch.setattr(wizard_module.EnrollmentWizard, "save_tab", held_save_tab)
    page = signed_in_page
    open_wizard(page)
    page.get_by_label("Attestation").select_option(label="X.509 intermediate certificates")
    expect(page.get_by_label("Primary certificate")).to_be_visible()
    page.get_by_label("Group name").fill("fleet-")
    ca = tmp_path / "ca.pem"
    ca.write_bytes(make_certificate("Typing Test CA", is_ca=True)[0])
    page.get_by_label("Primary certificate").set_input_files(ca)
    assert entered.wait(10), "the file's request did not reach the server"
    page.get_by_label("Group name").click()
    page.keyboard.press("End")
    page.keyboard.type("typed-in-flight")
    page.get_by_label("Enable this enrollment").uncheck()
    page.get_by_label("Group name").focus()
    release.set()
    expect(page.locator("#div_id_primary_certificate")).to_contain_text("Typing Test CA")  # the answer is in
    expect(page.get_by_label("Group name")).to_have_value("fleet-typed-in-flight")
    expect(page.get_by_label("Group name")).to_be_focused()
    expect(page.get_by_label("Enable this enrollment")).not_to_be_checked()
    page.keyboard.type("!")  # the caret stayed at the end
    expect(page.get_by_label("Group name")).to_have_value("fleet-typed-in-flight!")
