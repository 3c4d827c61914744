"""Certificates page rules found by a new user: only CA certificates, each uploaded once; groups
refuse a non-CA CaCertificate row stored before the upload rule; the unverified-CA message says how
to get a verified one today."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from enrollments.attestation import x509 as x509_attestation
from enrollments.attestation.x509 import parse_certificate
from enrollments.exceptions import CA_NOT_CA, CA_UNVERIFIED
from enrollments.models import CaCertificate, EnrollmentGroup
from enrollments.services import certificates as certificate_services
from enrollments.services.certificates import ca_certificate_create
from enrollments.services.enrollments import enrollment_group_create

pytestmark = pytest.mark.django_db

ADD = reverse("enrollments:certificate_add")


def upload(client, data: bytes, name: str, filename: str = "ca.pem"):
    return client.post(ADD, {"name": name, "certificate": SimpleUploadedFile(filename, data), "verified": "on"})


# --- only CA certificates -----------------------------------------------------------------------


def test_a_device_certificate_is_refused_next_to_the_file_field(admin_client, vectors_dir):
    response = upload(admin_client, (vectors_dir / "device-001.pem").read_bytes(), name="device-001")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="error_1_id_certificate"' in html
    assert "not a CA certificate" in html
    assert not CaCertificate.objects.exists()


def test_service_refuses_a_non_ca_certificate(vectors_dir):
    with pytest.raises(ValidationError) as err:
        ca_certificate_create(name="device-001", data=(vectors_dir / "device-001.pem").read_bytes(), verified=True)
    assert err.value.message_dict == {"certificate": [x509_attestation.NOT_CA]}


def test_group_refuses_a_stored_non_ca_reference_from_before_the_upload_rule(vectors_dir):
    info = parse_certificate((vectors_dir / "device-001.pem").read_bytes())
    legacy = CaCertificate.objects.create(name="device-001", is_verified=True, **info.model_fields())
    with pytest.raises(ValidationError) as err:
        enrollment_group_create(enrollment_group_id="grp", attestation_type="x509", ca_primary=legacy)
    assert err.value.message_dict == {"ca_primary": [CA_NOT_CA.format(name="device-001")]}
    assert not EnrollmentGroup.objects.exists()


def test_group_accepts_a_verified_ca_reference(vectors_dir):
    ca = ca_certificate_create(name="root", data=(vectors_dir / "root-ca.pem").read_bytes(), verified=True)
    enrollment_group_create(enrollment_group_id="grp", attestation_type="x509", ca_primary=ca)
    assert EnrollmentGroup.objects.get().ca_primary == ca


# --- each certificate once ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant", ["intermediate-ca.pem", "intermediate-ca-bom.pem", "intermediate-ca-crlf.cer", "intermediate-ca-der.cer"]
)
def test_the_same_certificate_cannot_be_uploaded_twice(vectors_dir, variant):
    ca_certificate_create(name="ca-one", data=(vectors_dir / "intermediate-ca.pem").read_bytes())
    with pytest.raises(ValidationError) as err:
        ca_certificate_create(name="ca-two", data=(vectors_dir / variant).read_bytes())
    assert err.value.message_dict == {"certificate": ["This certificate is already uploaded as “ca-one”."]}
    assert CaCertificate.objects.count() == 1


def test_duplicate_certificate_is_refused_on_the_page_naming_the_existing_one(admin_client, vectors_dir):
    upload(admin_client, (vectors_dir / "root-ca.pem").read_bytes(), name="ca-one")
    response = upload(admin_client, (vectors_dir / "root-ca.pem").read_bytes(), name="ca-two")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="error_1_id_certificate"' in html
    assert "This certificate is already uploaded as “ca-one”." in html
    assert list(CaCertificate.objects.values_list("name", flat=True)) == ["ca-one"]


def test_database_refuses_a_second_row_with_the_same_thumbprint(vectors_dir):
    fields = parse_certificate((vectors_dir / "root-ca.pem").read_bytes()).model_fields()
    CaCertificate.objects.create(name="one", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        CaCertificate.objects.create(name="two", **fields)


def test_a_lost_race_on_the_thumbprint_names_the_winner(vectors_dir, monkeypatch):
    """Two uploads of one certificate at once: the check passes for both, the constraint stops one."""
    data = (vectors_dir / "root-ca.pem").read_bytes()
    ca_certificate_create(name="ca-one", data=data)
    monkeypatch.setattr(certificate_services, "_check_duplicate_certificate", lambda errors, certificate: None)
    with pytest.raises(ValidationError) as err:
        ca_certificate_create(name="ca-two", data=data)
    assert err.value.message_dict == {"certificate": ["This certificate is already uploaded as “ca-one”."]}


# --- the unverified message -----------------------------------------------------------------------


def test_unverified_reference_says_how_to_get_a_verified_one_today(vectors_dir):
    ca = ca_certificate_create(name="root", data=(vectors_dir / "root-ca.pem").read_bytes(), verified=False)
    with pytest.raises(ValidationError) as err:
        enrollment_group_create(enrollment_group_id="grp", attestation_type="x509", ca_primary=ca)
    message = err.value.message_dict["ca_primary"][0]
    assert message == CA_UNVERIFIED.format(name="root")
    assert "Verify it on the Certificates page first" not in message
    assert "Set certificate status to verified on upload" in message
    assert "Django admin" in message


@pytest.mark.django_db(transaction=True)
def test_migration_merges_duplicate_uploads_keeping_the_verified_one(vectors_dir):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        [("enrollments", "0009_policy_name_validator")],
        [("enrollments", "0010_ca_certificate_unique_thumbprint")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        OldCa, OldGroup = (
            apps.get_model("enrollments", "CaCertificate"),
            apps.get_model("enrollments", "EnrollmentGroup"),
        )
        fields = parse_certificate((vectors_dir / "root-ca.pem").read_bytes()).model_fields()
        first = OldCa.objects.create(name="first", is_verified=False, **fields)
        verified = OldCa.objects.create(name="verified", is_verified=True, **fields)
        OldGroup.objects.create(
            enrollment_group_id="g", attestation_type="x509", ca_primary=first, ca_secondary=verified
        )
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
        # Read through the models as they were at 0010: later migrations add columns.
        apps = executor.loader.project_state(after).apps
        NewCa, NewGroup = (
            apps.get_model("enrollments", "CaCertificate"),
            apps.get_model("enrollments", "EnrollmentGroup"),
        )
        assert list(NewCa.objects.values_list("name", flat=True)) == ["verified"]
        group = NewGroup.objects.get()
        assert group.ca_primary.name == group.ca_secondary.name == "verified"
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
