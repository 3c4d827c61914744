"""factory-boy factories for the enrollment models.

Enrollments and CA certificates are made through `enrollments.services` (the one write path), so
generated keys, the etag and every rule are the same as for a portal or API create:
`EnrollmentGroupFactory(enrollment_group_id="g", iot_hubs=[hub])`. Linked IoT hubs and registration
records are plain rows (no connection string is parsed; devices write records):
`LinkedIotHubFactory(host_name="h.azure-devices.net")`, `RegistrationRecordFactory(enrollment_group=g)`.
A CA certificate is made afresh with `cryptography` for each instance unless `data` is given.
"""

import factory

from enrollments.models import CaCertificate, EnrollmentGroup, IndividualEnrollment, LinkedIotHub, RegistrationRecord
from enrollments.services import certificates as certificate_services
from enrollments.services import enrollments as enrollment_services


class LinkedIotHubFactory(factory.django.DjangoModelFactory):
    """A linked IoT hub with an owner-policy key (`a2V5` is base64 of "key")."""

    class Meta:
        model = LinkedIotHub

    host_name = factory.Sequence(lambda n: f"hub-{n}.azure-devices.net")
    shared_access_key_name = "iothubowner"
    shared_access_key = "a2V5"


class _ServiceFactory(factory.Factory):
    """Creates through the service function `_service` with the declared fields as keywords."""

    class Meta:
        abstract = True

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("these rows are only created through the services: use create()")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return cls._service(**kwargs)


class EnrollmentGroupFactory(_ServiceFactory):
    """A symmetric-key enrollment group (keys generated) via `enrollment_group_create`."""

    class Meta:
        model = EnrollmentGroup

    enrollment_group_id = factory.Sequence(lambda n: f"group-{n}")
    attestation_type = "symmetricKey"

    @staticmethod
    def _service(**kwargs):
        return enrollment_services.enrollment_group_create(**kwargs)


class IndividualEnrollmentFactory(_ServiceFactory):
    """A symmetric-key individual enrollment (keys generated) via `individual_enrollment_create`."""

    class Meta:
        model = IndividualEnrollment

    registration_id = factory.Sequence(lambda n: f"device-{n}")
    attestation_type = "symmetricKey"

    @staticmethod
    def _service(**kwargs):
        return enrollment_services.individual_enrollment_create(**kwargs)


def _fresh_ca_pem(certificate) -> bytes:
    from tests.conftest import make_certificate

    return make_certificate(f"{certificate.name} CA", is_ca=True)[0]


class CaCertificateFactory(_ServiceFactory):
    """A verified CA certificate (a fresh self-signed CA made with `cryptography`) via `ca_certificate_create`."""

    class Meta:
        model = CaCertificate

    name = factory.Sequence(lambda n: f"ca-{n}")
    data = factory.LazyAttribute(_fresh_ca_pem)
    verified = True

    @staticmethod
    def _service(**kwargs):
        return certificate_services.ca_certificate_create(**kwargs)


class RegistrationRecordFactory(factory.django.DjangoModelFactory):
    """A registration record; give `enrollment_group=` (its name is copied) or `individual_enrollment=`."""

    class Meta:
        model = RegistrationRecord

    registration_id = factory.Sequence(lambda n: f"device-{n}")
    enrollment_group_name = factory.LazyAttribute(
        lambda record: record.enrollment_group.enrollment_group_id if record.enrollment_group else ""
    )
    enrollment_group = None
    individual_enrollment = None
