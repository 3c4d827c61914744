import base64

import pytest
from django.core.exceptions import ValidationError

from enrollments.attestation.x509 import parse_certificate
from enrollments.exceptions import EtagMismatchError
from enrollments.models import EnrollmentCertificate, EnrollmentGroup
from enrollments.services.enrollments import enrollment_group_create, enrollment_update, individual_enrollment_create
from tests.conftest import make_certificate
from tests.factories import LinkedIotHubFactory

pytestmark = pytest.mark.django_db


def hub(name="hub-a.azure-devices.net"):
    return LinkedIotHubFactory(host_name=name)


def test_symmetric_key_group_gets_generated_64_byte_keys():
    group = enrollment_group_create(enrollment_group_id="grp-1", attestation_type="symmetricKey")
    assert len(base64.b64decode(group.primary_key)) == 64
    assert group.primary_key != group.secondary_key


def test_group_names_are_unique_ignoring_case():
    enrollment_group_create(enrollment_group_id="Grp", attestation_type="symmetricKey")
    with pytest.raises(ValidationError) as err:
        enrollment_group_create(enrollment_group_id="grp", attestation_type="symmetricKey")
    assert "already exists" in err.value.message_dict["enrollment_group_id"][0]


def test_x509_group_stores_signing_certificate_and_refuses_reuse(ca_certificate_pem):
    info = parse_certificate(ca_certificate_pem)
    group = enrollment_group_create(
        enrollment_group_id="x509", attestation_type="x509", signing_certificates={"primary": info}
    )
    assert EnrollmentCertificate.objects.get(enrollment_group=group).sha256_thumbprint == info.sha256_thumbprint
    with pytest.raises(ValidationError) as err:
        enrollment_group_create(
            enrollment_group_id="x509b", attestation_type="x509", signing_certificates={"primary": info}
        )
    assert "already used" in err.value.message_dict["primary_certificate"][0]


def test_leaf_certificate_cannot_sign_a_group():
    pem, _ = make_certificate("leaf")
    with pytest.raises(ValidationError) as err:
        enrollment_group_create(
            enrollment_group_id="g", attestation_type="x509", signing_certificates={"primary": parse_certificate(pem)}
        )
    assert "not a CA" in err.value.message_dict["primary_certificate"][0]


def test_static_allocation_needs_exactly_one_hub():
    a, b = hub("a.azure-devices.net"), hub("b.azure-devices.net")
    with pytest.raises(ValidationError) as err:
        enrollment_group_create(
            enrollment_group_id="g", attestation_type="symmetricKey", allocation_policy="static", iot_hubs=[a, b]
        )
    assert "exactly one" in err.value.message_dict["iot_hubs"][0]
    assert not EnrollmentGroup.objects.exists()


def test_custom_allocation_needs_webhook_and_api_version():
    with pytest.raises(ValidationError) as err:
        enrollment_group_create(enrollment_group_id="g", attestation_type="symmetricKey", allocation_policy="custom")
    assert set(err.value.message_dict) >= {"webhook_url", "api_version"}


def test_update_is_conditional_on_the_etag():
    group = enrollment_group_create(enrollment_group_id="g", attestation_type="symmetricKey")
    opened_with = group.etag
    enrollment_update(enrollment=group, expected_etag=opened_with, changes={"iot_edge": True})
    with pytest.raises(EtagMismatchError):
        enrollment_update(enrollment=group, expected_etag=opened_with, changes={"iot_edge": False})
    group.refresh_from_db()
    assert group.iot_edge is True


def test_update_leaves_untouched_fields_alone():
    h = hub()
    group = enrollment_group_create(
        enrollment_group_id="g",
        attestation_type="symmetricKey",
        iot_hubs=[h],
        initial_twin_tags={"version": "2.1"},
    )
    keys = (group.primary_key, group.secondary_key)
    updated = enrollment_update(
        enrollment=group,
        expected_etag=group.etag,
        changes={"update_hub_assignment": False, "migrate_device_data": False},
    )
    updated.refresh_from_db()
    assert (updated.primary_key, updated.secondary_key) == keys
    assert list(updated.iot_hubs.all()) == [h]
    assert updated.initial_twin_tags == {"version": "2.1"}
    assert updated.reprovision_policy == "never"


def test_x509_individual_takes_registration_id_from_the_certificate(vectors_dir):
    info = parse_certificate((vectors_dir / "device-001.pem").read_bytes())
    enrollment = individual_enrollment_create(
        registration_id="", attestation_type="x509", client_certificates={"primary": info}
    )
    assert enrollment.registration_id == "device-001"


def test_update_refuses_credentials_of_another_attestation_type(vectors):
    tpm = individual_enrollment_create(
        registration_id="tpm-1", attestation_type="tpm", endorsement_key=vectors["tpm"]["endorsement_key"]
    )
    with pytest.raises(ValidationError) as err:
        enrollment_update(
            enrollment=tpm, expected_etag=tpm.etag, changes={"primary_key": base64.b64encode(b"k" * 32).decode()}
        )
    assert "TPM attestation" in err.value.message_dict["primary_key"][0]
    sym = individual_enrollment_create(registration_id="sym-1", attestation_type="symmetricKey")
    with pytest.raises(ValidationError) as err:
        enrollment_update(enrollment=sym, expected_etag=sym.etag, changes={"endorsement_key": "AAAA"})
    assert "endorsement_key" in err.value.message_dict
    tpm.refresh_from_db()
    assert tpm.primary_key == ""


def test_a_hub_listed_twice_counts_once_for_static_allocation():
    h = hub()
    group = enrollment_group_create(
        enrollment_group_id="g", attestation_type="symmetricKey", allocation_policy="static", iot_hubs=[h, h]
    )
    assert list(group.iot_hubs.all()) == [h]


def test_x509_individual_secondary_certificate_must_carry_the_primarys_common_name(vectors_dir):
    primary = parse_certificate((vectors_dir / "device-001.pem").read_bytes())
    other = parse_certificate((vectors_dir / "device-002.pem").read_bytes())
    with pytest.raises(ValidationError) as err:
        individual_enrollment_create(
            registration_id="", attestation_type="x509", client_certificates={"primary": primary, "secondary": other}
        )
    assert "“device-002” differs from the primary's “device-001”" in err.value.message_dict["secondary_certificate"][0]
    pem, _ = make_certificate("DEVICE-001")
    same_cn = parse_certificate(pem)
    enrollment = individual_enrollment_create(
        registration_id="", attestation_type="x509", client_certificates={"primary": primary, "secondary": same_cn}
    )
    assert enrollment.certificates.count() == 2


def test_a_ca_certificate_that_cannot_authenticate_a_device_is_refused_as_a_client_certificate():
    from tests.enrollments.attestation.test_x509_client_certificates import build

    info = parse_certificate(build(is_ca=True, key_usage=["key_cert_sign", "crl_sign"]))
    with pytest.raises(ValidationError) as excinfo:
        individual_enrollment_create(registration_id="", attestation_type="x509", client_certificates={"primary": info})
    assert "cannot authenticate a device" in excinfo.value.message_dict["primary_certificate"][0]
    # The same certificate is a fine signing certificate of an enrollment group.
    group = enrollment_group_create(
        enrollment_group_id="ca-group", attestation_type="x509", signing_certificates={"primary": info}
    )
    assert group.pk


def test_a_ca_certificate_usable_for_tls_is_accepted_as_a_client_certificate():
    info = parse_certificate(make_certificate("ca-as-device", is_ca=True)[0])
    enrollment = individual_enrollment_create(
        registration_id="", attestation_type="x509", client_certificates={"primary": info}
    )
    assert enrollment.registration_id == "ca-as-device"
