"""Small inputs that must behave: each one a test, at the service (and database) level."""

import base64

import pytest
from django.core.exceptions import ValidationError
from django.urls import resolve

from enrollments.models import EnrollmentGroup, IndividualEnrollment, LinkedIotHub
from enrollments.services.enrollments import enrollment_group_create, individual_enrollment_create
from tests.factories import LinkedIotHubFactory

pytestmark = pytest.mark.django_db


def hub(name: str) -> LinkedIotHub:
    return LinkedIotHubFactory(host_name=name)


def errors_of(call, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as err:
        call(**kwargs)
    return err.value.message_dict


def nested(levels: int) -> dict:
    value: dict = {"leaf": 1}
    for i in range(levels - 1):
        value = {f"l{i}": value}
    return value


def test_DEVICE001_is_accepted_as_registration_id_and_device_id():
    enrollment = individual_enrollment_create(
        registration_id="DEVICE001", attestation_type="symmetricKey", device_id="DEVICE001"
    )
    enrollment.refresh_from_db()
    assert (enrollment.registration_id, enrollment.device_id) == ("DEVICE001", "DEVICE001")


def test_dev_01_a_b_c_is_accepted_and_its_details_page_url_works(admin_client):
    enrollment = individual_enrollment_create(registration_id="dev.01:a_b-c", attestation_type="symmetricKey")
    url = enrollment.get_absolute_url()
    assert resolve(url).kwargs == {"registration_id": "dev.01:a_b-c"}
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "dev.01:a_b-c" in response.content.decode()


def test_grp_dash_is_accepted_as_a_group_name():
    group = enrollment_group_create(enrollment_group_id="grp-", attestation_type="symmetricKey")
    assert EnrollmentGroup.objects.get(pk=group.pk).enrollment_group_id == "grp-"


@pytest.mark.parametrize(
    "call, field",
    [
        (
            lambda name: enrollment_group_create(enrollment_group_id=name, attestation_type="symmetricKey"),
            "enrollment_group_id",
        ),
        (
            lambda name: individual_enrollment_create(registration_id=name, attestation_type="symmetricKey"),
            "registration_id",
        ),
    ],
)
def test_128_a_is_accepted_and_129_a_refused(call, field):
    assert len(call("a" * 128).pk and "a" * 128) == 128
    with pytest.raises(ValidationError) as err:
        call("b" * 129)
    assert any("129 characters long; the limit is 128" in m for m in err.value.message_dict[field])


def test_Device_001_is_refused_while_device_001_exists():
    individual_enrollment_create(registration_id="device-001", attestation_type="symmetricKey")
    errors = errors_of(individual_enrollment_create, registration_id="Device-001", attestation_type="symmetricKey")
    assert errors == {
        "registration_id": [
            "An individual enrollment with registration ID “device-001” already exists "
            "(registration IDs are not case-sensitive)."
        ]
    }
    assert IndividualEnrollment.objects.count() == 1


def test_group_names_differing_only_in_case_are_refused():
    enrollment_group_create(enrollment_group_id="grp-", attestation_type="symmetricKey")
    errors = errors_of(enrollment_group_create, enrollment_group_id="GRP-", attestation_type="symmetricKey")
    assert errors == {
        "enrollment_group_id": ["An enrollment group named “grp-” already exists (names are not case-sensitive)."]
    }


def test_a_16_byte_key_is_accepted_and_a_65_byte_key_of_88_characters_refused():
    key16 = base64.b64encode(bytes(range(16))).decode()
    key65 = base64.b64encode(bytes(range(65))).decode()
    assert len(key65) == 88
    enrollment = individual_enrollment_create(
        registration_id="k16", attestation_type="symmetricKey", primary_key=key16, secondary_key=key16
    )
    enrollment.refresh_from_db()
    assert enrollment.primary_key == key16
    errors = errors_of(
        individual_enrollment_create,
        registration_id="k65",
        attestation_type="symmetricKey",
        primary_key=key65,
        secondary_key=key16,
    )
    assert list(errors) == ["primary_key"]
    assert errors["primary_key"][0].startswith("The key decodes to 65 bytes; DPS needs 16–64 bytes")


def test_tags_version_2_1_round_trip_through_the_service_and_the_database():
    group = enrollment_group_create(
        enrollment_group_id="tags", attestation_type="symmetricKey", initial_twin_tags={"version": "2.1"}
    )
    assert EnrollmentGroup.objects.get(pk=group.pk).initial_twin_tags == {"version": "2.1"}
    assert EnrollmentGroup.objects.filter(initial_twin_tags__version="2.1").count() == 1


def test_desired_properties_nested_11_levels_are_refused_and_10_accepted():
    enrollment_group_create(
        enrollment_group_id="ten", attestation_type="symmetricKey", initial_twin_desired_properties=nested(10)
    )
    assert EnrollmentGroup.objects.get(enrollment_group_id="ten").initial_twin_desired_properties == nested(10)
    errors = errors_of(
        enrollment_group_create,
        enrollment_group_id="eleven",
        attestation_type="symmetricKey",
        initial_twin_desired_properties=nested(11),
    )
    assert errors == {
        "initial_twin_desired_properties": [
            "Desired properties are nested 11 levels deep; the twin allows at most 10 levels (the top object "
            "counts as 1). Flatten the innermost objects."
        ]
    }


def test_static_configuration_with_two_hubs_is_refused():
    errors = errors_of(
        individual_enrollment_create,
        registration_id="static",
        attestation_type="symmetricKey",
        allocation_policy="static",
        iot_hubs=[hub("a.azure-devices.net"), hub("b.azure-devices.net")],
    )
    assert errors == {
        "iot_hubs": [
            "Static configuration assigns every device to one hub: select exactly one target IoT hub (selected: 2)."
        ]
    }


def test_static_configuration_with_one_hub_is_accepted():
    enrollment = individual_enrollment_create(
        registration_id="static",
        attestation_type="symmetricKey",
        allocation_policy="static",
        iot_hubs=[hub("a.azure-devices.net")],
    )
    assert [h.host_name for h in enrollment.iot_hubs.all()] == ["a.azure-devices.net"]


def test_custom_without_api_version_is_refused():
    errors = errors_of(
        enrollment_group_create,
        enrollment_group_id="custom",
        attestation_type="symmetricKey",
        allocation_policy="custom",
        webhook_url="https://fn.example.net/api/alloc?code=abc",
    )
    assert errors == {
        "api_version": ["Custom allocation needs the API version of the webhook request, e.g. 2021-10-01."]
    }
