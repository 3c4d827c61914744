"""tests/factories.py: every factory makes a row the services would have made (the one write path)."""

import pytest

from enrollments.attestation.symmetric_keys import decode_symmetric_key
from enrollments.models import CaCertificate, EnrollmentGroup, IndividualEnrollment, RegistrationRecord
from tests.factories import (
    CaCertificateFactory,
    EnrollmentGroupFactory,
    IndividualEnrollmentFactory,
    LinkedIotHubFactory,
    RegistrationRecordFactory,
)

pytestmark = pytest.mark.django_db


def test_enrollments_are_created_through_the_services_with_generated_keys():
    hub = LinkedIotHubFactory()
    group = EnrollmentGroupFactory(iot_hubs=[hub])
    individual = IndividualEnrollmentFactory()
    assert EnrollmentGroup.objects.get().enrollment_group_id == group.enrollment_group_id
    assert list(group.iot_hubs.all()) == [hub]
    assert IndividualEnrollment.objects.get().registration_id == individual.registration_id
    for enrollment in (group, individual):
        assert len(decode_symmetric_key(enrollment.primary_key)) == 64 and enrollment.etag


def test_service_rules_apply_to_factory_rows():
    EnrollmentGroupFactory(enrollment_group_id="taken")
    with pytest.raises(Exception, match="already exists"):
        EnrollmentGroupFactory(enrollment_group_id="TAKEN")
    with pytest.raises(NotImplementedError):
        EnrollmentGroupFactory.build()


def test_each_ca_certificate_is_a_fresh_verified_ca():
    first, second = CaCertificateFactory(), CaCertificateFactory(verified=False)
    assert first.is_verified and not second.is_verified
    assert first.sha256_thumbprint != second.sha256_thumbprint
    assert CaCertificate.objects.count() == 2


def test_registration_records_copy_their_groups_name():
    group = EnrollmentGroupFactory(enrollment_group_id="grp-1")
    record = RegistrationRecordFactory(enrollment_group=group)
    assert RegistrationRecord.objects.get().enrollment_group_name == "grp-1" == record.enrollment_group_name
