"""Enrollment rules through create and update: TPM keys, twins exactly as JSON, nothing rewritten."""

import pytest
from django.core.exceptions import ValidationError

from enrollments.models import EnrollmentGroup, IndividualEnrollment, LinkedIotHub
from enrollments.services.enrollments import (
    enrollment_group_create,
    enrollment_update,
    individual_enrollment_create,
)
from tests.factories import LinkedIotHubFactory

pytestmark = pytest.mark.django_db

WEBHOOK = "https://fn.azurewebsites.net/api/alloc?code=Ab%2Fc%3D%3D&x=a+b&empty=&x=dup#frag"


def hub(name: str) -> LinkedIotHub:
    return LinkedIotHubFactory(host_name=name)


def test_tpm_enrollment_with_the_vector_key_is_created(vectors):
    enrollment = individual_enrollment_create(
        registration_id=vectors["tpm"]["registration_id"],
        attestation_type="tpm",
        endorsement_key=vectors["tpm"]["endorsement_key"],
    )
    enrollment.refresh_from_db()
    assert enrollment.endorsement_key == vectors["tpm"]["endorsement_key"]


@pytest.mark.parametrize("index", [0, 1])
def test_tpm_enrollment_with_a_bad_key_is_refused_on_its_field(vectors, index):
    with pytest.raises(ValidationError) as err:
        individual_enrollment_create(
            registration_id="tpm",
            attestation_type="tpm",
            endorsement_key=vectors["tpm"]["invalid_endorsement_keys"][index],
        )
    errors = err.value.message_dict
    assert list(errors) == ["endorsement_key"] and len(errors["endorsement_key"]) == 1


def test_tpm_enrollment_without_a_key_is_refused():
    with pytest.raises(ValidationError) as err:
        individual_enrollment_create(registration_id="tpm", attestation_type="tpm")
    assert err.value.message_dict == {"endorsement_key": ["This field is required."]}


def test_updating_a_tpm_key_to_garbage_is_refused(vectors):
    enrollment = individual_enrollment_create(
        registration_id="tpm", attestation_type="tpm", endorsement_key=vectors["tpm"]["endorsement_key"]
    )
    with pytest.raises(ValidationError) as err:
        enrollment_update(enrollment=enrollment, expected_etag=None, changes={"endorsement_key": "c2hvcnQ="})
    assert "only 5 bytes" in err.value.message_dict["endorsement_key"][0]
    enrollment.refresh_from_db()
    assert enrollment.endorsement_key == vectors["tpm"]["endorsement_key"]


def test_groups_refuse_tpm():
    with pytest.raises(ValidationError) as err:
        enrollment_group_create(enrollment_group_id="g", attestation_type="tpm")
    assert err.value.message_dict == {"attestation_type": ["Enrollment groups do not support TPM attestation."]}


def test_custom_allocation_refuses_a_malformed_api_version():
    with pytest.raises(ValidationError) as err:
        enrollment_group_create(
            enrollment_group_id="g",
            attestation_type="symmetricKey",
            allocation_policy="custom",
            webhook_url=WEBHOOK,
            api_version="latest",
        )
    assert list(err.value.message_dict) == ["api_version"]


def test_target_hubs_must_be_linked():
    with pytest.raises(ValidationError) as err:
        enrollment_group_create(
            enrollment_group_id="g", attestation_type="symmetricKey", iot_hubs=["not-linked.azure-devices.net"]
        )
    assert err.value.message_dict == {
        "iot_hubs": ["“not-linked.azure-devices.net” is not a linked IoT hub. Link it first."]
    }


TWIN_TAGS = {"version": "2.1", "z": [1, 2.5, None, True, {"a": "€"}], "a": {"b": {"c": 1e-7}}, "n": -0.0}
TWIN_DESIRED = {
    "telemetry": {"interval": 30, "unit": "s"},
    "emoji": "😀",
    "big": 4503599627370495,
    "small": -4503599627370496,
}


def test_twins_come_back_json_equal():
    group = enrollment_group_create(
        enrollment_group_id="twin",
        attestation_type="symmetricKey",
        initial_twin_tags=TWIN_TAGS,
        initial_twin_desired_properties=TWIN_DESIRED,
    )
    stored = EnrollmentGroup.objects.get(pk=group.pk)
    # JSON-equal: PostgreSQL's jsonb reorders keys and reads -0.0 back as 0 (equal numbers in JSON).
    assert stored.initial_twin_tags == TWIN_TAGS
    assert list(stored.initial_twin_tags["z"]) == TWIN_TAGS["z"]
    assert stored.initial_twin_desired_properties == TWIN_DESIRED


def test_saving_only_a_new_reprovision_policy_changes_nothing_else():
    a, b = hub("a.azure-devices.net"), hub("b.azure-devices.net")
    enrollment = individual_enrollment_create(
        registration_id="keep",
        attestation_type="symmetricKey",
        device_id="Keep-Device",
        iot_hubs=[a, b],
        allocation_policy="custom",
        webhook_url=WEBHOOK,
        api_version="2021-10-01",
        iot_edge=True,
        provisioning_status="disabled",
        initial_twin_tags=TWIN_TAGS,
        initial_twin_desired_properties=TWIN_DESIRED,
    )
    before = IndividualEnrollment.objects.get(pk=enrollment.pk)
    enrollment_update(
        enrollment=enrollment,
        expected_etag=before.etag,
        changes={"update_hub_assignment": True, "migrate_device_data": False},
    )
    after = IndividualEnrollment.objects.get(pk=enrollment.pk)
    for field in (
        "primary_key",
        "secondary_key",
        "device_id",
        "allocation_policy",
        "webhook_url",
        "api_version",
        "iot_edge",
        "provisioning_status",
        "initial_twin_tags",
        "initial_twin_desired_properties",
        "created_date_time_utc",
    ):
        assert getattr(after, field) == getattr(before, field), field
    assert after.initial_twin_tags == TWIN_TAGS
    assert sorted(h.host_name for h in after.iot_hubs.all()) == ["a.azure-devices.net", "b.azure-devices.net"]
    assert after.reprovision_policy == "reprovisionandresetdata"
    assert after.etag != before.etag


def test_a_refused_update_changes_nothing():
    group = enrollment_group_create(
        enrollment_group_id="g", attestation_type="symmetricKey", initial_twin_tags={"version": "2.1"}
    )
    before = EnrollmentGroup.objects.get(pk=group.pk)
    with pytest.raises(ValidationError):
        enrollment_update(
            enrollment=group,
            expected_etag=before.etag,
            changes={"iot_edge": True, "initial_twin_tags": {"bad.key": 1}},
        )
    after = EnrollmentGroup.objects.get(pk=group.pk)
    assert (after.iot_edge, after.initial_twin_tags, after.etag) == (False, {"version": "2.1"}, before.etag)


@pytest.mark.parametrize("key", ["a\x00b", "not base64!", "c2hvcnQ="])
def test_keys_given_to_a_non_symmetric_enrollment_are_still_validated(vectors, key):
    """The key fields carry the key rule themselves, so no path stores a NUL (PostgreSQL: a 500)."""
    enrollment = individual_enrollment_create(
        registration_id="tpm", attestation_type="tpm", endorsement_key=vectors["tpm"]["endorsement_key"]
    )
    with pytest.raises(ValidationError) as err:
        enrollment_update(enrollment=enrollment, expected_etag=None, changes={"primary_key": key})
    assert list(err.value.message_dict) == ["primary_key"]
