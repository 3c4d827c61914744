"""The wizard's tab forms: each tab's validation, and which fields each choice puts on the page."""

import base64

import pytest
from crispy_forms.utils import render_crispy_form
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict

from enrollments.attestation.x509 import parse_certificate
from enrollments.forms.wizard import (
    DeviceSettingsForm,
    EnrollmentGroupRegistrationForm,
    IndividualEnrollmentRegistrationForm,
    IotHubsForm,
)
from enrollments.models import CaCertificate, LinkedIotHub
from tests.conftest import make_certificate
from tests.factories import EnrollmentGroupFactory, LinkedIotHubFactory

pytestmark = pytest.mark.django_db

KEY_16 = base64.b64encode(b"k" * 16).decode()


def group_form(data, files=None, **kwargs):
    base = {"attestation": "symmetricKey", "auto_generate_keys": "on", "reprovision_policy": "never"}
    return EnrollmentGroupRegistrationForm(
        data={**base, **data}, files=MultiValueDict({k: [v] for k, v in (files or {}).items()}), **kwargs
    )


def individual_form(data, files=None, **kwargs):
    base = {"attestation": "symmetricKey", "auto_generate_keys": "on", "reprovision_policy": "never"}
    return IndividualEnrollmentRegistrationForm(
        data={**base, **data}, files=MultiValueDict({k: [v] for k, v in (files or {}).items()}), **kwargs
    )


def upload(content: bytes, name: str = "cert.pem") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def hub(host: str) -> LinkedIotHub:
    return LinkedIotHubFactory(host_name=host, shared_access_key_name="o")


# --- Registration + provisioning (enrollment group) -----------------------------------------


def test_group_defaults_are_valid_once_named():
    form = group_form({"enrollment_group_id": "grp-1", "provisioning_status": "on"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["provisioning_status"] is True
    assert "primary_key" not in form.fields


def test_group_name_is_required_and_checked():
    assert group_form({}).errors["enrollment_group_id"] == ["This field is required."]
    assert "may contain only" in group_form({"enrollment_group_id": "bad name"}).errors["enrollment_group_id"][0]


def test_group_name_must_be_new_ignoring_case():
    EnrollmentGroupFactory(enrollment_group_id="Grp")
    assert "already exists" in group_form({"enrollment_group_id": "grp"}).errors["enrollment_group_id"][0]


def test_unchecking_key_generation_asks_for_two_base64_keys():
    data = {"attestation": "symmetricKey", "enrollment_group_id": "g", "reprovision_policy": "never"}
    form = EnrollmentGroupRegistrationForm(data={**data, "primary_key": "nope!"})
    assert form.errors["primary_key"][0].startswith("The key is not valid base64")
    assert form.errors["secondary_key"] == ["This field is required."]
    form = EnrollmentGroupRegistrationForm(data={**data, "primary_key": KEY_16, "secondary_key": KEY_16})
    assert form.is_valid(), form.errors


def test_tpm_is_refused_for_groups():
    form = group_form({"attestation": "tpm", "enrollment_group_id": "g"})
    assert form.errors["attestation"] == ["Enrollment groups do not support TPM attestation."]
    assert not {"primary_key", "primary_certificate", "ca_primary"} & set(form.fields)


def test_fields_of_an_unchosen_attestation_are_not_in_the_form():
    x509 = group_form({"attestation": "x509SigningCertificates"})
    assert {"primary_certificate", "secondary_certificate"} <= set(x509.fields)
    assert not {"auto_generate_keys", "primary_key", "ca_primary"} & set(x509.fields)
    ca = group_form({"attestation": "x509CaReferences"})
    assert {"ca_primary", "ca_secondary"} <= set(ca.fields) and "primary_certificate" not in ca.fields


def test_intermediate_certificate_is_parsed_on_upload(vectors_dir, vectors):
    pem = (vectors_dir / "intermediate-ca.pem").read_bytes()
    form = group_form(
        {"attestation": "x509SigningCertificates", "enrollment_group_id": "g"}, {"primary_certificate": upload(pem)}
    )
    assert form.is_valid(), form.errors
    expected = vectors["certificates"]["intermediate-ca.pem"]["sha1Thumbprint"]
    assert form.cleaned_data["primary_certificate"].sha1_thumbprint == expected
    assert form.cleaned_data["secondary_certificate"] is None


def test_primary_certificate_is_required_and_a_stored_one_counts():
    form = group_form({"attestation": "x509SigningCertificates", "enrollment_group_id": "g"})
    assert form.errors["primary_certificate"] == ["This field is required."]
    stored = parse_certificate(make_certificate("CA", is_ca=True)[0]).as_dict()
    form = group_form(
        {"attestation": "x509SigningCertificates", "enrollment_group_id": "g"}, certificates={"primary": stored}
    )
    assert form.is_valid(), form.errors
    assert stored["sha1_thumbprint"] in str(form.fields["primary_certificate"].help_text)


@pytest.mark.parametrize(
    ("name", "message"),
    [("expired-ca.pem", "expired"), ("private-key.pem", "private key"), ("garbage.pem", "not an X.509")],
)
def test_refused_certificate_files_give_the_reason(vectors_dir, name, message):
    form = group_form(
        {"attestation": "x509SigningCertificates", "enrollment_group_id": "g"},
        {"primary_certificate": upload((vectors_dir / name).read_bytes())},
    )
    assert message in form.errors["primary_certificate"][0]


def test_a_leaf_certificate_cannot_sign_a_group(vectors_dir):
    form = group_form(
        {"attestation": "x509SigningCertificates", "enrollment_group_id": "g"},
        {"primary_certificate": upload((vectors_dir / "device-001.pem").read_bytes())},
    )
    assert "not a CA certificate" in form.errors["primary_certificate"][0]


def test_a_stored_refusal_stays_until_another_file_is_chosen():
    form = group_form(
        {"attestation": "x509SigningCertificates", "enrollment_group_id": "g"},
        certificate_errors={"primary": "The file is empty."},
    )
    assert form.errors["primary_certificate"] == ["The file is empty."]


def test_uploaded_ca_references_must_be_verified():
    info = parse_certificate(make_certificate("CA", is_ca=True)[0])
    ca = CaCertificate.objects.create(name="unverified-ca", is_verified=False, **info.model_fields())
    form = group_form({"attestation": "x509CaReferences", "enrollment_group_id": "g", "ca_primary": str(ca.pk)})
    assert "unverified" in form.errors["ca_primary"][0]
    assert [label for _, label in form.fields["ca_primary"].choices][1:] == ["unverified-ca"]
    ca.is_verified = True
    ca.save()
    form = group_form({"attestation": "x509CaReferences", "enrollment_group_id": "g", "ca_primary": str(ca.pk)})
    assert form.is_valid(), form.errors
    assert group_form({"attestation": "x509CaReferences"}).errors["ca_primary"] == ["This field is required."]


def test_labels_are_the_contracts_words_with_the_marker_outside():
    html = render_crispy_form(group_form({}))
    assert "Group name:" not in html and "asteriskField" not in html
    assert 'Group name</label><span class="required-marker" aria-hidden="true">' in html


# --- Registration + provisioning (individual enrollment) ------------------------------------


def test_individual_symmetric_key_needs_a_valid_registration_id():
    assert individual_form({}).errors["registration_id"] == ["This field is required."]
    assert "may contain only" in individual_form({"registration_id": "a b"}).errors["registration_id"][0]
    assert "IoT Hub Device ID" in individual_form({"registration_id": "d", "device_id": "a b"}).errors["device_id"][0]
    assert individual_form({"registration_id": "dev-1", "device_id": ""}).is_valid()


def test_individual_x509_takes_the_registration_id_from_the_certificate(vectors_dir):
    pem = (vectors_dir / "device-001.pem").read_bytes()
    form = individual_form({"attestation": "x509"}, {"primary_certificate": upload(pem)})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["registration_id"] == "device-001"
    assert form.fields["registration_id"].disabled


def test_individual_x509_refuses_a_common_name_that_is_no_registration_id(vectors_dir):
    pem = (vectors_dir / "device-bad-cn.pem").read_bytes()
    form = individual_form({"attestation": "x509"}, {"primary_certificate": upload(pem)})
    assert "common name" in form.errors["primary_certificate"][0]


def test_individual_tpm_needs_a_valid_endorsement_key(vectors):
    form = individual_form({"attestation": "tpm", "registration_id": "tpm-device-01"})
    assert form.errors["endorsement_key"] == ["This field is required."]
    form = individual_form({"attestation": "tpm", "registration_id": "tpm-1", "endorsement_key": "AAAA"})
    assert not form.is_valid() and form.errors["endorsement_key"]
    ek = vectors["tpm"]["endorsement_key"]
    form = individual_form({"attestation": "tpm", "registration_id": "tpm-device-01", "endorsement_key": ek})
    assert form.is_valid(), form.errors


# --- IoT hubs -------------------------------------------------------------------------------


def test_no_hub_checked_means_all_linked_hubs():
    """An empty target list means all linked hubs, including later ones (dps-reference §1.1, §7)."""
    a = hub("a.azure-devices.net")
    form = IotHubsForm(data={"allocation_policy": "hashed"})
    assert form.is_valid(), form.errors
    assert list(form.cleaned_data["iot_hubs"]) == []
    assert IotHubsForm(data=MultiValueDict({"allocation_policy": ["hashed"], "iot_hubs": [str(a.pk)]})).is_valid()


def test_api_version_is_checked_on_the_iot_hubs_tab():
    data = {"allocation_policy": "custom", "webhook_url": "https://fn.example.net/api/a"}
    assert IotHubsForm(data={**data, "api_version": "2021-10-01"}).is_valid()
    form = IotHubsForm(data={**data, "api_version": "2021-1-1"})
    assert not form.is_valid() and form.errors["api_version"]


def test_no_hub_needed_while_none_is_linked():
    assert IotHubsForm(data={"allocation_policy": "hashed"}).is_valid()


def test_static_allocation_needs_exactly_one_hub():
    a, b = hub("a.azure-devices.net"), hub("b.azure-devices.net")
    form = IotHubsForm(data=MultiValueDict({"allocation_policy": ["static"], "iot_hubs": [str(a.pk), str(b.pk)]}))
    assert "exactly one" in form.errors["iot_hubs"][0]


def test_custom_allocation_shows_and_requires_webhook_fields():
    assert "webhook_url" not in IotHubsForm(data={"allocation_policy": "hashed"}).fields
    form = IotHubsForm(data={"allocation_policy": "custom"})
    assert form.errors["webhook_url"] == ["This field is required."]
    assert form.errors["api_version"] == ["This field is required."]
    form = IotHubsForm(data={"allocation_policy": "custom", "webhook_url": "ftp://x", "api_version": "2021-10-01"})
    assert "http" in form.errors["webhook_url"][0]
    form = IotHubsForm(
        data={"allocation_policy": "custom", "webhook_url": "https://f.example/api", "api_version": "2021-10-01"}
    )
    assert form.is_valid(), form.errors


# --- Device settings ------------------------------------------------------------------------


def test_blank_twin_sections_mean_empty_objects():
    form = DeviceSettingsForm(data={"initial_twin_tags": "", "initial_twin_desired_properties": "  "})
    assert form.is_valid()
    assert form.cleaned_data == {"iot_edge": False, "initial_twin_tags": {}, "initial_twin_desired_properties": {}}


def test_twin_json_errors_name_line_and_column():
    form = DeviceSettingsForm(data={"initial_twin_tags": '{\n  "a": 1,\n}', "initial_twin_desired_properties": "[1]"})
    assert "line 3, column 1" in form.errors["initial_twin_tags"][0]
    assert "must be a JSON object" in form.errors["initial_twin_desired_properties"][0]


def test_twin_rules_apply():
    form = DeviceSettingsForm(data={"initial_twin_tags": '{"a.b": 1}', "iot_edge": "on"})
    assert "cannot contain" in form.errors["initial_twin_tags"][0]
    form = DeviceSettingsForm(data={"initial_twin_tags": '{"site": "lab"}', "iot_edge": "on"})
    assert form.is_valid() and form.cleaned_data["iot_edge"] is True


@pytest.mark.django_db
def test_duplicate_group_name_names_the_existing_spelling():
    from enrollments.forms.wizard import EnrollmentGroupRegistrationForm
    from enrollments.services.enrollments import enrollment_group_create

    enrollment_group_create(enrollment_group_id="grp-sym-auto", attestation_type="symmetricKey")
    form = EnrollmentGroupRegistrationForm(
        data={
            "attestation": "symmetricKey",
            "auto_generate_keys": "on",
            "enrollment_group_id": "GRP-SYM-AUTO",
            "enable": "on",
            "reprovision_policy": "reprovisionandmigratedata",
        }
    )
    form.is_valid()
    assert "“grp-sym-auto” already exists" in " ".join(form.errors.get("enrollment_group_id", []))
