import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from enrollments.attestation.x509 import parse_certificate
from enrollments.models import CaCertificate
from enrollments.services.certificates import ca_certificate_check, ca_certificate_create, ca_certificate_delete
from enrollments.services.enrollments import enrollment_group_create
from tests.conftest import make_certificate

pytestmark = pytest.mark.django_db


def test_upload_stores_parsed_info_and_status(ca_certificate_pem):
    cert = ca_certificate_create(name="root-ca", data=ca_certificate_pem, verified=True)
    info = parse_certificate(ca_certificate_pem)
    cert.refresh_from_db()
    assert cert.is_verified and cert.status_label == "Verified"
    assert cert.sha1_thumbprint == info.sha1_thumbprint
    assert cert.subject_name == "CN=Test CA"
    assert "BEGIN CERTIFICATE" in cert.certificate


def test_upload_defaults_to_unverified(ca_certificate_pem):
    assert ca_certificate_create(name="c", data=ca_certificate_pem).status_label == "Unverified"


def test_vectors_thumbprint_matches(vectors_dir, vectors):
    cert = ca_certificate_create(name="intermediate", data=(vectors_dir / "intermediate-ca.pem").read_bytes())
    assert cert.sha1_thumbprint.upper() in str(vectors).upper()


def test_private_key_is_refused_and_nothing_is_stored(vectors_dir):
    with pytest.raises(ValidationError) as err:
        ca_certificate_create(name="key", data=(vectors_dir / "private-key.pem").read_bytes())
    assert "private key" in err.value.message_dict["certificate"][0]
    assert not CaCertificate.objects.exists()


def test_expired_and_not_yet_valid_are_refused():
    now = dt.datetime.now(dt.UTC)
    expired, _ = make_certificate(
        "old", is_ca=True, not_before=now - dt.timedelta(days=9), not_after=now - dt.timedelta(days=1)
    )
    future, _ = make_certificate("new", is_ca=True, not_before=now + dt.timedelta(days=1))
    with pytest.raises(ValidationError) as err:
        ca_certificate_create(name="old", data=expired)
    assert "expired" in err.value.message_dict["certificate"][0]
    with pytest.raises(ValidationError) as err:
        ca_certificate_create(name="new", data=future)
    assert "not valid until" in err.value.message_dict["certificate"][0]


def test_name_is_required_checked_and_unique_ignoring_case(ca_certificate_pem):
    with pytest.raises(ValidationError) as err:
        ca_certificate_create(name="", data=ca_certificate_pem)
    assert err.value.message_dict["name"] == ["This field is required."]
    with pytest.raises(ValidationError) as err:
        ca_certificate_create(name="bad name!", data=ca_certificate_pem)
    assert "letters, digits" in err.value.message_dict["name"][0]
    ca_certificate_create(name="My-CA", data=ca_certificate_pem)
    with pytest.raises(ValidationError) as err:
        ca_certificate_create(name="my-ca", data=make_certificate("Other", is_ca=True)[0])
    assert err.value.message_dict["name"] == ["A certificate named “my-ca” already exists."]


def test_file_is_required():
    with pytest.raises(ValidationError) as err:
        ca_certificate_create(name="x", data=b"")
    assert err.value.message_dict["certificate"] == ["This field is required."]


def test_quota_is_enforced_from_settings(settings):
    settings.DPS_MAX_CA_CERTIFICATES = 1
    ca_certificate_create(name="one", data=make_certificate("One", is_ca=True)[0])
    with pytest.raises(ValidationError) as err:
        ca_certificate_create(name="two", data=make_certificate("Two", is_ca=True)[0])
    assert "quota 1" in err.value.message_dict["__all__"][0]


def test_existing_certificate_keeps_its_file_when_none_given(ca_certificate_pem):
    cert = ca_certificate_create(name="c", data=ca_certificate_pem)
    cert.name = "renamed"
    ca_certificate_check(certificate=cert, data=None)
    assert cert.sha256_thumbprint == parse_certificate(ca_certificate_pem).sha256_thumbprint


def test_delete_is_refused_while_a_group_references_it(ca_certificate_pem):
    cert = ca_certificate_create(name="ca", data=ca_certificate_pem, verified=True)
    enrollment_group_create(enrollment_group_id="grp-x", attestation_type="x509", ca_primary=cert)
    with pytest.raises(ValidationError) as err:
        ca_certificate_delete(certificate=cert)
    assert "“grp-x”" in err.value.messages[0]
    assert CaCertificate.objects.filter(pk=cert.pk).exists()


def test_delete_removes_an_unused_certificate(ca_certificate_pem):
    cert = ca_certificate_create(name="ca", data=ca_certificate_pem)
    ca_certificate_delete(certificate=cert)
    assert not CaCertificate.objects.exists()
