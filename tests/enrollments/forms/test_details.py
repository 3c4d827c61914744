"""The details pages' forms: `changes` (only what the user changed reaches enrollment_update)."""

import json

import pytest
from django.http import QueryDict

from enrollments.forms.details import EnrollmentDetailsForms, initial_values
from enrollments.models import LinkedIotHub, ProvisioningService
from enrollments.services.enrollments import enrollment_group_create, individual_enrollment_create
from tests.factories import LinkedIotHubFactory

STORED = "https://fn.example.net/api/alloc?code=Ab%2Fc%3D%3D&x=a+b&Code=second&empty=&x=dup#frag"


# --- EnrollmentDetailsForms.changes ------------------------------------------------------------------


def _hub(name: str) -> LinkedIotHub:
    return LinkedIotHubFactory(host_name=name, shared_access_key_name="o")


def _as_posted(enrollment, **edits) -> QueryDict:
    """The unchanged page as a browser posts it, plus `edits` (None removes a field)."""
    initial = initial_values(enrollment, ProvisioningService.objects.get_current())
    data = QueryDict(mutable=True)
    for name, value in initial.items():
        if name in ("attestation", "enrollment_group_id", "registration_id"):
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data.setlist(name, [str(v) for v in value])
        else:
            data[name] = value.replace("\n", "\r\n")
    for name, value in edits.items():
        if value is None:
            data.pop(name, None)
        elif isinstance(value, list):
            data.setlist(name, value)
        else:
            data[name] = value
    return data


def _changes(enrollment, **edits) -> dict:
    forms = EnrollmentDetailsForms(enrollment, _as_posted(enrollment, **edits), url="/x/")
    assert forms.is_valid(), {slug: forms[slug].errors for slug in ("registration", "iot-hubs", "device-settings")}
    return forms.changes()


@pytest.mark.django_db
def test_the_unchanged_page_changes_nothing():
    hubs = [_hub("h1.example.net"), _hub("h2.example.net")]
    group = enrollment_group_create(
        enrollment_group_id="g",
        attestation_type="symmetricKey",
        iot_hubs=hubs,
        allocation_policy="custom",
        webhook_url=STORED,
        api_version="2021-10-01",
        iot_edge=True,
        initial_twin_tags={"b": 1, "a": {"y": [1, 2.5], "x": None}},
        update_hub_assignment=True,
        migrate_device_data=False,
    )
    assert _changes(group) == {}


@pytest.mark.django_db
def test_each_field_alone():
    h1, h2 = _hub("h1.example.net"), _hub("h2.example.net")
    e = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey", iot_hubs=[h1])
    assert _changes(e, provisioning_status=None) == {"provisioning_status": "disabled"}
    assert _changes(e, reprovision_policy="never") == {"update_hub_assignment": False, "migrate_device_data": False}
    assert _changes(e, device_id="d-1") == {"device_id": "d-1"}
    assert _changes(e, iot_hubs=[str(h1.pk), str(h2.pk)]) == {"iot_hubs": [h1, h2]}
    assert _changes(e, allocation_policy="geoLatency") == {"allocation_policy": "geoLatency"}
    assert _changes(e, iot_edge="on") == {"iot_edge": True}
    assert _changes(e, initial_twin_tags='{"a": 1}') == {"initial_twin_tags": {"a": 1}}
    assert _changes(e, initial_twin_desired_properties="") == {}
    assert _changes(e, allocation_policy="custom", webhook_url="https://w.example/", api_version="2021-10-01") == {
        "allocation_policy": "custom",
        "webhook_url": "https://w.example/",
        "api_version": "2021-10-01",
    }


@pytest.mark.django_db
def test_stored_null_flags_and_allocation_stay_null_when_untouched():
    e = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey")
    assert e.allocation_policy is None and e.update_hub_assignment is None
    assert _changes(e, iot_edge="on") == {"iot_edge": True}


@pytest.mark.django_db
def test_a_null_allocation_policy_is_the_service_default_option_until_a_policy_is_chosen():
    e = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey")
    field = EnrollmentDetailsForms(e, url="/x/")["iot-hubs"].fields["allocation_policy"]
    assert field.choices[0] == ("", "Service default (Evenly weighted distribution)")
    assert _changes(e, allocation_policy="") == {}
    assert _changes(e, allocation_policy="hashed") == {"allocation_policy": "hashed"}
    chosen = individual_enrollment_create(
        registration_id="dev-2", attestation_type="symmetricKey", allocation_policy="hashed"
    )
    field = EnrollmentDetailsForms(chosen, url="/x/")["iot-hubs"].fields["allocation_policy"]
    assert "" not in dict(field.choices)
    forms = EnrollmentDetailsForms(chosen, _as_posted(chosen, allocation_policy=""), url="/x/")
    assert not forms.is_valid()


@pytest.mark.django_db
def test_a_reordered_twin_counts_as_a_change_and_an_equal_one_does_not():
    e = individual_enrollment_create(
        registration_id="dev-1", attestation_type="symmetricKey", initial_twin_tags={"b": 1, "a": 2}
    )
    assert _changes(e, initial_twin_tags='{"b":1,"a":2}') == {}
    changed = _changes(e, initial_twin_tags='{"a": 2, "b": 1}')
    assert json.dumps(changed["initial_twin_tags"]) == '{"a": 2, "b": 1}'


@pytest.mark.django_db
def test_leaving_custom_allocation_drops_the_webhook():
    e = individual_enrollment_create(
        registration_id="dev-1",
        attestation_type="symmetricKey",
        allocation_policy="custom",
        webhook_url=STORED,
        api_version="2021-10-01",
    )
    assert _changes(e, allocation_policy="hashed", webhook_url=None, api_version=None) == {
        "allocation_policy": "hashed",
        "webhook_url": "",
        "api_version": "",
    }
    assert _changes(e, api_version="2022-01-01") == {"api_version": "2022-01-01"}


@pytest.mark.django_db
def test_a_masked_code_that_cannot_be_restored_is_a_field_error():
    e = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey")
    data = _as_posted(
        e, allocation_policy="custom", webhook_url="https://w.example/?code=••••", api_version="2021-10-01"
    )
    forms = EnrollmentDetailsForms(e, data, url="/x/")
    assert not forms.is_valid()
    assert "type the key again" in forms["iot-hubs"].errors["webhook_url"][0]
    assert forms.first_invalid_tab() == "iot-hubs"
