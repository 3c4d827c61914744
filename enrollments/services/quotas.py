"""DPS quotas (dps-reference §6), each configurable in settings (DPS_MAX_*)."""

from django.conf import settings
from django.core.exceptions import ValidationError

from ..choices import AttestationType
from ..models import CaCertificate, EnrollmentGroup, IndividualEnrollment, LinkedIotHub, RegistrationRecord

QUOTA_MESSAGE = "This service already has {count} {what}, the most allowed (quota {limit}). Delete {one} first."


def _check(count: int, limit: int, what: str, one: str, field: str | None) -> None:
    if count >= limit:
        message = QUOTA_MESSAGE.format(count=count, what=what, limit=limit, one=one)
        raise ValidationError({field: message} if field else message, code="quota")


def check_individual_enrollment_quota() -> None:
    """Raise ValidationError when the individual-enrollment quota is reached."""
    _check(
        IndividualEnrollment.objects.count(),
        settings.DPS_MAX_INDIVIDUAL_ENROLLMENTS,
        "individual enrollments",
        "an individual enrollment",
        None,
    )


def check_enrollment_group_quota(attestation_type: str) -> None:
    """Raise ValidationError when the symmetric-key or X.509 group quota is reached (100 each)."""
    if attestation_type == AttestationType.SYMMETRIC_KEY:
        limit, what = settings.DPS_MAX_SYMMETRIC_KEY_GROUPS, "symmetric-key enrollment groups"
    else:
        limit, what = settings.DPS_MAX_X509_GROUPS, "X.509 enrollment groups"
    count = EnrollmentGroup.objects.filter(attestation_type=attestation_type).count()
    _check(count, limit, what, "an enrollment group of that kind", None)


def check_ca_certificate_quota() -> None:
    _check(CaCertificate.objects.count(), settings.DPS_MAX_CA_CERTIFICATES, "CA certificates", "a certificate", None)


def check_linked_hub_quota() -> None:
    _check(LinkedIotHub.objects.count(), settings.DPS_MAX_LINKED_HUBS, "linked IoT hubs", "a linked IoT hub", None)


def check_registration_quota() -> None:
    """Registration records, orphans of deleted groups included."""
    _check(
        RegistrationRecord.objects.count(),
        settings.DPS_MAX_REGISTRATIONS,
        "registration records",
        "registration records",
        None,
    )
