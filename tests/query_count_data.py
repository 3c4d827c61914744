"""Bulk test data for the query-count tests: n enrollments of every kind in a few `bulk_create`s.

Each builder makes a varied population (every attestation type, target hubs, certificates, CA
references, registration records) so every per-row fact a list or an API answer shows is present:
an N+1 anywhere shows up as a count that grows with n. Values are shaped like real ones but are
not parsed (nothing here goes through the services' certificate or key checks).
"""

import datetime as dt
import hashlib

from django.utils import timezone

from enrollments.models import (
    CaCertificate,
    EnrollmentCertificate,
    EnrollmentGroup,
    EnrollmentGroupIotHub,
    IndividualEnrollment,
    IndividualEnrollmentIotHub,
    LinkedIotHub,
    RegistrationRecord,
)

KEY = "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"
ENDORSEMENT_KEY = "AToAAQALAAMAsgAgg3GXZ0SEs/gakMyNRqXXJP1S124GUgtk8qHaGzMUaaoABgCAAEMAEAgAAAAAAAEA"


def _fake_certificate(seed: str) -> dict:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    now = timezone.now()
    return {
        "certificate": f"-----BEGIN CERTIFICATE-----\n{digest}\n-----END CERTIFICATE-----\n",
        "subject_name": f"CN={seed}",
        "issuer_name": "CN=Test CA",
        "sha1_thumbprint": digest[:40].upper(),
        "sha256_thumbprint": digest.upper(),
        "serial_number": digest[:16],
        "not_before_utc": now - dt.timedelta(days=1),
        "not_after_utc": now + dt.timedelta(days=365),
    }


def hubs(n: int, prefix: str = "hub") -> list[LinkedIotHub]:
    """`n` linked IoT hubs `<prefix>-0000.azure-devices.net`…"""
    LinkedIotHub.objects.bulk_create(
        [
            LinkedIotHub(
                host_name=f"{prefix}-{i:04d}.azure-devices.net",
                shared_access_key_name="iothubowner",
                shared_access_key=KEY,
                location=f"region-{i % 3}",
            )
            for i in range(n)
        ]
    )
    return list(LinkedIotHub.objects.filter(host_name__startswith=f"{prefix}-").order_by("host_name"))


def ca_certificates(n: int, prefix: str = "ca") -> list[CaCertificate]:
    """`n` uploaded CA certificates named `<prefix>-0000`…, every other one verified."""
    CaCertificate.objects.bulk_create(
        [
            CaCertificate(name=f"{prefix}-{i:04d}", is_verified=i % 2 == 0, **_fake_certificate(f"{prefix}-{i}"))
            for i in range(n)
        ]
    )
    return list(CaCertificate.objects.filter(name__startswith=f"{prefix}-").order_by("name"))


def enrollment_groups(n: int, prefix: str = "group") -> list[EnrollmentGroup]:
    """`n` enrollment groups cycling through symmetric key, X.509 with CA references (primary and
    secondary) and X.509 with signing certificates (primary and secondary); each targets two hubs and
    has a registration record."""
    hub_a, hub_b = hubs(2, f"{prefix}-hub")
    ca_primary, ca_secondary = ca_certificates(2, f"{prefix}-ca")
    groups = []
    for i in range(n):
        group = EnrollmentGroup(enrollment_group_id=f"{prefix}-{i:04d}", initial_twin_tags={"i": i})
        if i % 3 == 0:
            group.attestation_type, group.primary_key, group.secondary_key = "symmetricKey", KEY, KEY
        else:
            group.attestation_type = "x509"
            if i % 3 == 1:
                group.ca_primary, group.ca_secondary = ca_primary, ca_secondary
        groups.append(group)
    EnrollmentGroup.objects.bulk_create(groups)
    groups = list(EnrollmentGroup.objects.filter(enrollment_group_id__startswith=f"{prefix}-").order_by("pk"))
    EnrollmentGroupIotHub.objects.bulk_create(
        [EnrollmentGroupIotHub(enrollment_group=g, linked_iot_hub=h) for g in groups for h in (hub_a, hub_b)]
    )
    EnrollmentCertificate.objects.bulk_create(
        [
            EnrollmentCertificate(enrollment_group=g, slot=slot, **_fake_certificate(f"{g.enrollment_group_id}-{slot}"))
            for i, g in enumerate(groups)
            if i % 3 == 2
            for slot in ("primary", "secondary")
        ]
    )
    RegistrationRecord.objects.bulk_create(
        [
            RegistrationRecord(
                registration_id=f"{g.enrollment_group_id}-device",
                enrollment_group=g,
                enrollment_group_name=g.enrollment_group_id,
                status="assigned",
                assigned_hub=hub_a.host_name,
                device_id=f"{g.enrollment_group_id}-device",
            )
            for g in groups
        ]
    )
    return groups


def individual_enrollments(n: int, prefix: str = "device") -> list[IndividualEnrollment]:
    """`n` individual enrollments cycling through symmetric key, TPM and X.509 (client certificates
    in both slots); each targets two hubs, and every other one has a registration record."""
    hub_a, hub_b = hubs(2, f"{prefix}-hub")
    enrollments = []
    for i in range(n):
        enrollment = IndividualEnrollment(
            registration_id=f"{prefix}-{i:04d}", device_id=f"dev-{i}", optional_device_information={"i": i}
        )
        if i % 3 == 0:
            enrollment.attestation_type, enrollment.primary_key, enrollment.secondary_key = "symmetricKey", KEY, KEY
        elif i % 3 == 1:
            enrollment.attestation_type, enrollment.endorsement_key = "tpm", ENDORSEMENT_KEY
        else:
            enrollment.attestation_type = "x509"
        enrollments.append(enrollment)
    IndividualEnrollment.objects.bulk_create(enrollments)
    enrollments = list(IndividualEnrollment.objects.filter(registration_id__startswith=f"{prefix}-").order_by("pk"))
    IndividualEnrollmentIotHub.objects.bulk_create(
        [
            IndividualEnrollmentIotHub(individual_enrollment=e, linked_iot_hub=h)
            for e in enrollments
            for h in (hub_a, hub_b)
        ]
    )
    EnrollmentCertificate.objects.bulk_create(
        [
            EnrollmentCertificate(
                individual_enrollment=e, slot=slot, **_fake_certificate(f"{e.registration_id}-{slot}")
            )
            for i, e in enumerate(enrollments)
            if i % 3 == 2
            for slot in ("primary", "secondary")
        ]
    )
    RegistrationRecord.objects.bulk_create(
        [
            RegistrationRecord(
                registration_id=e.registration_id,
                individual_enrollment=e,
                status="assigned",
                assigned_hub=hub_a.host_name,
                device_id=e.device_id,
                payload={"i": i},
            )
            for i, e in enumerate(enrollments)
            if i % 2 == 0
        ]
    )
    return enrollments
