"""DPS quotas (dps-reference §6), each configurable in settings, enforced with clear errors."""

import pytest
from django.core.exceptions import ValidationError

from enrollments.attestation.x509 import parse_certificate
from enrollments.models import EnrollmentGroup, IndividualEnrollment, RegistrationRecord
from enrollments.services import quotas
from enrollments.services.enrollments import (
    enrollment_delete,
    enrollment_group_create,
    individual_enrollment_create,
)
from tests.conftest import make_certificate
from tests.factories import RegistrationRecordFactory

pytestmark = pytest.mark.django_db


def test_symmetric_key_group_quota_is_separate_from_the_x509_one(settings):
    settings.DPS_MAX_SYMMETRIC_KEY_GROUPS = 2
    settings.DPS_MAX_X509_GROUPS = 1
    enrollment_group_create(enrollment_group_id="s1", attestation_type="symmetricKey")
    enrollment_group_create(enrollment_group_id="s2", attestation_type="symmetricKey")
    with pytest.raises(ValidationError, match="2 symmetric-key enrollment groups, the most allowed"):
        enrollment_group_create(enrollment_group_id="s3", attestation_type="symmetricKey")
    info = parse_certificate(make_certificate("CA one", is_ca=True)[0])
    enrollment_group_create(enrollment_group_id="x1", attestation_type="x509", signing_certificates={"primary": info})
    other = parse_certificate(make_certificate("CA two", is_ca=True)[0])
    with pytest.raises(ValidationError, match="1 X.509 enrollment groups, the most allowed"):
        enrollment_group_create(
            enrollment_group_id="x2", attestation_type="x509", signing_certificates={"primary": other}
        )
    assert EnrollmentGroup.objects.count() == 3


def test_individual_enrollment_quota(settings):
    settings.DPS_MAX_INDIVIDUAL_ENROLLMENTS = 1
    first = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey")
    with pytest.raises(ValidationError, match="1 individual enrollments, the most allowed .quota 1."):
        individual_enrollment_create(registration_id="dev-2", attestation_type="symmetricKey")
    enrollment_delete(enrollment=first)
    individual_enrollment_create(registration_id="dev-2", attestation_type="symmetricKey")
    assert IndividualEnrollment.objects.count() == 1


def test_registration_quota_counts_orphans_of_deleted_groups(settings):
    settings.DPS_MAX_REGISTRATIONS = 2
    group = enrollment_group_create(enrollment_group_id="g", attestation_type="symmetricKey")
    RegistrationRecordFactory(registration_id="d1", enrollment_group=group, enrollment_group_name="g")
    quotas.check_registration_quota()
    RegistrationRecordFactory(registration_id="d2", enrollment_group=group, enrollment_group_name="g")
    enrollment_delete(enrollment=group)
    assert RegistrationRecord.objects.filter(enrollment_group__isnull=True).count() == 2
    with pytest.raises(ValidationError, match="2 registration records, the most allowed"):
        quotas.check_registration_quota()


@pytest.mark.parametrize(
    "check, setting",
    [
        (quotas.check_ca_certificate_quota, "DPS_MAX_CA_CERTIFICATES"),
        (quotas.check_linked_hub_quota, "DPS_MAX_LINKED_HUBS"),
    ],
)
def test_a_quota_of_zero_refuses_the_first_one(settings, check, setting):
    setattr(settings, setting, 0)
    with pytest.raises(ValidationError, match="quota 0"):
        check()


def test_default_quotas_are_the_dps_limits(settings):
    from django.conf import settings as live

    assert live.DPS_MAX_INDIVIDUAL_ENROLLMENTS == 1_000_000
    assert (live.DPS_MAX_SYMMETRIC_KEY_GROUPS, live.DPS_MAX_X509_GROUPS) == (100, 100)
    assert (live.DPS_MAX_CA_CERTIFICATES, live.DPS_MAX_LINKED_HUBS, live.DPS_MAX_REGISTRATIONS) == (25, 50, 1_000_000)


def test_registration_quota_counts_exactly_once_record_keys_pass_the_limit(settings):
    """The quick bound (largest primary key) is only used below the quota; deleted records free their slots."""
    settings.DPS_MAX_REGISTRATIONS = 2
    first = RegistrationRecordFactory(registration_id="d1")
    RegistrationRecordFactory(registration_id="d2")
    first.delete()
    RegistrationRecordFactory(registration_id="d3")  # keys 1..3 used, 2 records left
    with pytest.raises(ValidationError, match="2 registration records, the most allowed"):
        quotas.check_registration_quota()
    RegistrationRecord.objects.filter(registration_id="d2").delete()
    quotas.check_registration_quota()  # one record, key 3 ≥ the limit: counted, and allowed
