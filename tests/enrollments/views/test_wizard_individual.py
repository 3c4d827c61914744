"""Views of the add-individual-enrollment wizard."""

import re

import pytest
from django.urls import reverse

from enrollments.forms.wizard import IndividualEnrollmentRegistrationForm
from enrollments.models import IndividualEnrollment, WizardDraft
from enrollments.services.enrollments import individual_enrollment_create
from tests.conftest import make_certificate
from tests.enrollments.views.test_wizard import HX, post_tab, start, tab_url

pytestmark = pytest.mark.django_db

BASE = {
    "attestation": "symmetricKey",
    "auto_generate_keys": "on",
    "provisioning_status": "on",
    "reprovision_policy": "never",
}


def create(client, draft):
    return client.post(tab_url(draft, "review"), {"_tab": "review", "_nav": "create"}, headers=HX)


def test_attestation_options_are_the_contracts():
    labels = [label for _, label in IndividualEnrollmentRegistrationForm().fields["attestation"].choices]
    assert labels == ["Symmetric key", "X.509 client certificates", "TPM"]


def test_symmetric_key_enrollment_is_created_and_lands_on_the_list(admin_client):
    draft = start(admin_client, "individual")
    post_tab(
        admin_client, draft, "registration", "review", {**BASE, "registration_id": "dev-1", "device_id": "hub-dev-1"}
    )
    response = create(admin_client, draft)
    assert response["HX-Redirect"] == reverse("enrollments:individual_enrollment_list")
    enrollment = IndividualEnrollment.objects.get()
    assert (enrollment.registration_id, enrollment.device_id) == ("dev-1", "hub-dev-1")
    assert enrollment.attestation_type == "symmetricKey" and len(enrollment.primary_key) == 88
    assert (enrollment.update_hub_assignment, enrollment.migrate_device_data) == (False, False)
    assert not WizardDraft.objects.exists()
    html = admin_client.get(reverse("enrollments:individual_enrollment_list")).content.decode()
    assert "Individual enrollment “dev-1” was created." in html


def test_x509_registration_id_is_the_certificates_common_name(admin_client, vectors_dir):
    draft = start(admin_client, "individual")
    data = {**BASE, "attestation": "x509"}
    post_tab(admin_client, draft, "registration", "registration", data, "refresh")
    with open(vectors_dir / "device-001.pem", "rb") as pem:
        html = post_tab(
            admin_client, draft, "registration", "registration", data, "refresh", {"primary_certificate": pem}
        ).content.decode()
    assert re.search(r'name="registration_id" value="device-001"[^>]*disabled', html)
    assert 'name="_fields" value="attestation,primary_certificate,secondary_certificate,device_id' in html
    create(admin_client, draft)
    enrollment = IndividualEnrollment.objects.get()
    assert enrollment.registration_id == "device-001" and enrollment.attestation_type == "x509"
    assert enrollment.certificates.get().subject_name == "CN=device-001"


def test_x509_certificate_of_an_existing_registration_is_refused(admin_client, vectors_dir):
    individual_enrollment_create(registration_id="DEVICE-001", attestation_type="symmetricKey")
    draft = start(admin_client, "individual")
    data = {**BASE, "attestation": "x509"}
    post_tab(admin_client, draft, "registration", "registration", data, "refresh")
    with open(vectors_dir / "device-001.pem", "rb") as pem:
        post_tab(admin_client, draft, "registration", "iot-hubs", data, "tab", {"primary_certificate": pem})
    html = create(admin_client, draft).content.decode()
    assert "already exists" in html and IndividualEnrollment.objects.count() == 1


def test_tpm_enrollment_takes_the_endorsement_key(admin_client, vectors):
    ek = vectors["tpm"]["endorsement_key"]
    draft = start(admin_client, "individual")
    data = {**BASE, "attestation": "tpm"}
    post_tab(admin_client, draft, "registration", "registration", data, "refresh")
    html = admin_client.get(tab_url(draft, "registration")).content.decode()
    assert 'name="endorsement_key"' in html and 'name="auto_generate_keys"' not in html
    post_tab(admin_client, draft, "registration", "review", {**data, "endorsement_key": ek, "registration_id": "tpm-1"})
    review = admin_client.get(tab_url(draft, "review")).content.decode()
    assert ek in review and "tpm-1" in review
    create(admin_client, draft)
    enrollment = IndividualEnrollment.objects.get()
    assert enrollment.attestation_type == "tpm" and enrollment.endorsement_key == ek


def test_missing_values_are_reported_on_the_registration_tab_and_kept(admin_client):
    draft = start(admin_client, "individual")
    data = {**BASE, "attestation": "tpm"}
    post_tab(admin_client, draft, "registration", "registration", data, "refresh")
    post_tab(admin_client, draft, "registration", "review", {**data, "device_id": "kept-id"})
    response = create(admin_client, draft)
    assert response["HX-Push-Url"] == tab_url(draft, "registration")
    html = response.content.decode()
    assert html.count("This field is required.") == 2
    assert 'value="kept-id"' in html
    assert not IndividualEnrollment.objects.exists()


def test_a_parsed_certificate_of_a_taken_registration_id_stays_in_the_draft_and_on_the_tab(admin_client, vectors_dir):
    # Upload on a refresh (the file input's change) and on Next: the error is shown, the certificate kept.
    individual_enrollment_create(registration_id="device-001", attestation_type="symmetricKey")
    for nav, to_tab in (("refresh", "registration"), ("next", "iot-hubs")):
        draft = start(admin_client, "individual")
        data = {**BASE, "attestation": "x509"}
        post_tab(admin_client, draft, "registration", "registration", data, "refresh")
        with open(vectors_dir / "device-001.pem", "rb") as pem:
            response = post_tab(admin_client, draft, "registration", to_tab, data, nav, {"primary_certificate": pem})
        html = response.content.decode()
        assert "already exists" in html
        assert "Current:" in html and "CN=device-001" in html
        assert re.search(r'name="registration_id" value="device-001"[^>]*disabled', html)
        draft.refresh_from_db()
        assert draft.data["certificates"]["primary"]["common_name"] == "device-001"
        assert "primary" not in draft.data["certificate_errors"]
        # A reload still shows the certificate and the error; Create is refused with the same message.
        html = admin_client.get(tab_url(draft, "registration")).content.decode()
        assert "Current:" in html and "already exists" in html
        html = create(admin_client, draft).content.decode()
        assert "already exists" in html and "Current:" in html
        assert IndividualEnrollment.objects.count() == 1


def test_secondary_certificate_with_another_common_name_is_refused_on_its_field(vectors_dir):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from enrollments.forms.wizard import IndividualEnrollmentRegistrationForm

    files = {
        "primary_certificate": SimpleUploadedFile("device-001.pem", (vectors_dir / "device-001.pem").read_bytes()),
        # A leaf whose CN (with spaces) is not even a valid registration ID: only the mismatch is reported.
        "secondary_certificate": SimpleUploadedFile("other.pem", make_certificate("Example Other Device")[0]),
    }
    form = IndividualEnrollmentRegistrationForm(
        data={"attestation": "x509", "provisioning_status": "on", "reprovision_policy": "reprovisionandmigratedata"},
        files=files,
    )
    form.is_valid()
    errors = " ".join(form.errors.get("secondary_certificate", []))
    assert "“Example Other Device” differs from the primary's “device-001”" in errors
    assert "registration ID) may contain only" not in errors
