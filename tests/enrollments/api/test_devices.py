"""The device API over HTTP with Django's test client (enrollments/api/devices.py): the docs' HTTPS
flow for symmetric keys, refusals, limits, records tied to their group."""

import json
import time

import pytest
from django.urls import reverse

from enrollments.models import DeviceOperation, LinkedIotHub, ProvisioningService, RegistrationRecord
from enrollments.services.enrollments import enrollment_delete, enrollment_update
from tests.devices import device_token, group_device_key, operation_path, register_path, status_path
from tests.factories import EnrollmentGroupFactory, IndividualEnrollmentFactory, LinkedIotHubFactory

pytestmark = pytest.mark.django_db

HUB = "hub-a.azure-devices.net"


@pytest.fixture
def scope(db) -> str:
    LinkedIotHubFactory(host_name=HUB)
    return ProvisioningService.objects.get_current().id_scope


def register(client, scope, rid, key=None, *, token=None, body=None, version="2021-06-01", **kw):
    token = token if token is not None else device_token(scope, rid, key, **kw)
    data = json.dumps({"registrationId": rid} if body is None else body)
    return client.put(
        register_path(scope, rid, version),
        data=data,
        content_type="application/json; charset=utf-8",
        headers={"Authorization": token},
    )


def assert_dps_error(response, status: int, code: int | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"errorCode", "trackingId", "message", "timestampUtc"}, body
    assert response["x-ms-error-code"] == str(body["errorCode"])
    if code is not None:
        assert body["errorCode"] == code
    return body


# --- individual enrollments ------------------------------------------------------------------------


@pytest.mark.parametrize("skn", [True, False])
def test_individual_registers_with_primary_then_secondary_key(client, scope, skn):
    enrollment = IndividualEnrollmentFactory(registration_id="my-symkey-device")
    first = register(client, scope, "my-symkey-device", enrollment.primary_key, skn=skn)
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["status"] == "assigned" and body["operationId"].startswith("5.")
    state = body["registrationState"]
    assert state["registrationId"] == "my-symkey-device"
    assert state["assignedHub"] == HUB and state["deviceId"] == "my-symkey-device"
    assert state["status"] == "assigned" and state["substatus"] == "initialAssignment"
    assert {"createdDateTimeUtc", "lastUpdatedDateTimeUtc", "etag"} <= set(state)

    second = register(client, scope, "my-symkey-device", enrollment.secondary_key, skn=skn)
    assert second.status_code == 200
    assert second.json()["registrationState"]["etag"] != state["etag"]
    record = RegistrationRecord.objects.get()
    assert record.individual_enrollment == enrollment and record.assigned_hub == HUB

    poll = client.get(
        operation_path(scope, "my-symkey-device", body["operationId"]),
        headers={"Authorization": device_token(scope, "my-symkey-device", enrollment.primary_key, skn=skn)},
    )
    assert poll.status_code == 200 and poll.json()["status"] == "assigned"
    assert poll.json()["registrationState"]["assignedHub"] == HUB


def test_individual_device_id_and_registration_id_case(client, scope):
    enrollment = IndividualEnrollmentFactory(registration_id="Dev-Case", device_id="hub-device-7")
    response = register(client, scope, "dev-case", enrollment.primary_key)
    assert response.status_code == 200
    assert response.json()["registrationState"]["deviceId"] == "hub-device-7"


@pytest.mark.parametrize("version", ["2019-03-31", "2021-06-01", "2018-09-01-preview"])
def test_every_device_api_version_is_accepted(client, scope, version):
    enrollment = IndividualEnrollmentFactory(registration_id="dev-v")
    assert register(client, scope, "dev-v", enrollment.primary_key, version=version).status_code == 200


def test_wrong_key_expired_token_and_wrong_scope_are_refused_and_write_nothing(client, scope):
    enrollment = IndividualEnrollmentFactory(registration_id="dev-1")
    other = IndividualEnrollmentFactory(registration_id="dev-2")
    assert_dps_error(register(client, scope, "dev-1", other.primary_key), 401, 401002)
    expired = device_token(scope, "dev-1", enrollment.primary_key, expiry=int(time.time()) - 5)
    assert_dps_error(register(client, scope, "dev-1", token=expired), 401, 401002)
    wrong_scope = device_token(scope, "dev-1", enrollment.primary_key, resource="0ne00000000/registrations/dev-1")
    assert_dps_error(register(client, scope, "dev-1", token=wrong_scope), 401, 401002)
    wrong_device = device_token(scope, "dev-1", enrollment.primary_key, resource=f"{scope}/registrations/dev-2")
    assert_dps_error(register(client, scope, "dev-1", token=wrong_device), 401, 401002)
    assert_dps_error(register(client, scope, "dev-1", token=""), 401, 401002)
    assert_dps_error(register(client, scope, "dev-1", token="Bearer x"), 401, 401002)
    assert not RegistrationRecord.objects.exists() and not DeviceOperation.objects.exists()


def test_disabled_individual_gets_status_disabled_and_a_wrong_signature_401(client, scope):
    enrollment = IndividualEnrollmentFactory(registration_id="dev-off", provisioning_status="disabled")
    response = register(client, scope, "dev-off", enrollment.primary_key)
    assert response.status_code == 200 and response.json()["status"] == "disabled"
    assert RegistrationRecord.objects.get().status == "disabled"
    assert_dps_error(register(client, scope, "dev-off", IndividualEnrollmentFactory().primary_key), 401)


def test_an_x509_individual_refuses_a_token(client, scope):
    from enrollments.attestation.x509 import parse_certificate
    from tests.conftest import make_certificate

    info = parse_certificate(make_certificate("x509-dev")[0])
    IndividualEnrollmentFactory(
        registration_id="x509-dev", attestation_type="x509", client_certificates={"primary": info}
    )
    body = assert_dps_error(register(client, scope, "x509-dev", "a2V5a2V5a2V5a2V5a2V5a2V5"), 401)
    assert "X.509" in body["message"]
    assert not RegistrationRecord.objects.exists()


# --- enrollment groups -----------------------------------------------------------------------------


def test_group_device_registers_with_its_derived_key_and_the_group_key_itself_is_refused(client, scope):
    group = EnrollmentGroupFactory(enrollment_group_id="fleet")
    EnrollmentGroupFactory(enrollment_group_id="other-fleet")
    key = group_device_key(group.primary_key, "sn-007")
    response = register(client, scope, "sn-007", key, skn=False)
    assert response.status_code == 200, response.content
    state = response.json()["registrationState"]
    assert state["deviceId"] == "sn-007" and state["symmetricKey"] == {"enrollmentGroupId": "fleet"}
    assert register(client, scope, "sn-008", group_device_key(group.secondary_key, "sn-008")).status_code == 200
    assert_dps_error(register(client, scope, "sn-009", group.primary_key), 401, 401002)
    records = RegistrationRecord.objects.order_by("registration_id")
    assert [(r.registration_id, r.enrollment_group_id) for r in records] == [("sn-007", group.pk), ("sn-008", group.pk)]


def test_disabled_individual_inside_an_enabled_group(client, scope):
    group = EnrollmentGroupFactory(enrollment_group_id="fleet")
    individual = IndividualEnrollmentFactory(registration_id="sn-1", provisioning_status="disabled")
    assert register(client, scope, "sn-1", individual.primary_key).json()["status"] == "disabled"
    # The group's derived key does not sign for a device whose individual enrollment decides.
    assert_dps_error(register(client, scope, "sn-1", group_device_key(group.primary_key, "sn-1")), 401)
    neighbour = register(client, scope, "sn-2", group_device_key(group.primary_key, "sn-2"))
    assert neighbour.status_code == 200 and neighbour.json()["status"] == "assigned"


def test_disabled_group_gives_status_disabled(client, scope):
    group = EnrollmentGroupFactory(enrollment_group_id="fleet", provisioning_status="disabled")
    response = register(client, scope, "sn-1", group_device_key(group.primary_key, "sn-1"))
    assert response.status_code == 200 and response.json()["status"] == "disabled"


def test_custom_allocation_fails_with_a_message_and_a_record(client, scope):
    group = EnrollmentGroupFactory(
        enrollment_group_id="hooked",
        allocation_policy="custom",
        webhook_url="https://example.com/api/allocate?code=abc",
        api_version="2021-10-01",
    )
    response = register(client, scope, "sn-1", group_device_key(group.primary_key, "sn-1"))
    assert response.status_code == 200
    state = response.json()["registrationState"]
    assert state["status"] == "failed" and "custom allocation" in state["errorMessage"].lower()
    assert state["errorCode"] == 501001
    assert RegistrationRecord.objects.get().status == "failed"


def test_no_linked_hub_fails_with_a_message(client, db):
    scope = ProvisioningService.objects.get_current().id_scope
    enrollment = IndividualEnrollmentFactory(registration_id="dev-1")
    state = register(client, scope, "dev-1", enrollment.primary_key).json()["registrationState"]
    assert state["status"] == "failed" and "link an IoT hub" in state["errorMessage"]


def _set(enrollment, **changes):
    return enrollment_update(enrollment=enrollment, expected_etag=None, changes=changes)


def test_reprovisioning_through_the_api(client, scope):
    hub_a = LinkedIotHub.objects.get(host_name=HUB)
    hub_b = LinkedIotHubFactory(host_name="hub-b.azure-devices.net")
    enrollment = IndividualEnrollmentFactory(registration_id="dev-r", iot_hubs=[hub_b])
    key = enrollment.primary_key

    def state():
        response = register(client, scope, "dev-r", key)
        assert response.status_code == 200, response.content
        body = response.json()["registrationState"]
        return body["assignedHub"], body["substatus"]

    assert state() == (hub_b.host_name, "initialAssignment")
    assert state() == (hub_b.host_name, "initialAssignment")  # migrate, same hub: nothing changes
    enrollment = _set(enrollment, iot_hubs=[hub_a])
    assert state() == (HUB, "deviceDataMigrated")
    enrollment = _set(enrollment, iot_hubs=[hub_b])
    assert state() == (hub_b.host_name, "reprovisionedToInitialAssignment")
    enrollment = _set(enrollment, iot_hubs=[hub_a], update_hub_assignment=False, migrate_device_data=False)
    assert state() == (hub_b.host_name, "reprovisionedToInitialAssignment")  # never: stays
    enrollment = _set(enrollment, update_hub_assignment=True, migrate_device_data=False)
    assert state() == (HUB, "deviceDataReset")
    assert state() == (HUB, "deviceDataReset")  # reset, same hub
    assert RegistrationRecord.objects.count() == 1


# --- records tied to their group by key ------------------------------------------------------------


def test_a_new_group_reusing_a_deleted_groups_name_starts_with_no_records(client, scope, admin_client):
    old = EnrollmentGroupFactory(enrollment_group_id="fleet")
    assert register(client, scope, "sn-1", group_device_key(old.primary_key, "sn-1")).status_code == 200
    enrollment_delete(enrollment=old)
    orphan = RegistrationRecord.objects.get()
    assert orphan.is_orphaned and orphan.enrollment_group_name == "fleet"
    new = EnrollmentGroupFactory(enrollment_group_id="FLEET")
    tab = reverse("enrollments:enrollment_group_detail_tab", args=[new.enrollment_group_id, "registration-records"])
    page = admin_client.get(tab).content
    assert b"sn-1" not in page.split(b'id="panel-registration-records"')[1]
    listing = admin_client.get(reverse("enrollments:registration_records")).content.decode()
    assert "sn-1" in listing and "Orphaned" in listing
    assert "sn-1" not in admin_client.get("/portal/registration-records/?group=fleet").content.decode()
    assert register(client, scope, "sn-2", group_device_key(new.primary_key, "sn-2")).status_code == 200
    assert "sn-2" in admin_client.get("/portal/registration-records/?group=fleet").content.decode()


def test_orphaned_records_count_against_the_registrations_quota(client, scope, settings):
    settings.DPS_MAX_REGISTRATIONS = 1
    old = EnrollmentGroupFactory(enrollment_group_id="fleet")
    assert register(client, scope, "sn-1", group_device_key(old.primary_key, "sn-1")).status_code == 200
    enrollment_delete(enrollment=old)
    new = EnrollmentGroupFactory(enrollment_group_id="fleet-2")
    body = assert_dps_error(register(client, scope, "sn-2", group_device_key(new.primary_key, "sn-2")), 403)
    assert "quota" in body["message"]
    assert RegistrationRecord.objects.count() == 1


def test_records_show_in_the_service_api(client, scope, api):
    group = EnrollmentGroupFactory(enrollment_group_id="fleet")
    register(client, scope, "sn-1", group_device_key(group.primary_key, "sn-1"))
    state = api.get("/registrations/sn-1").json()
    assert state["status"] == "assigned" and state["assignedHub"] == HUB
    assert [r["registrationId"] for r in api.post("/registrations/fleet/query").json()] == ["sn-1"]


# --- operations, status lookup, limits and errors --------------------------------------------------


def test_status_lookup(client, scope):
    enrollment = IndividualEnrollmentFactory(registration_id="dev-s")
    token = device_token(scope, "dev-s", enrollment.primary_key)
    path = status_path(scope, "dev-s")
    body = json.dumps({"registrationId": "dev-s"})
    headers = {"Authorization": token}
    assert_dps_error(client.post(path, body, content_type="application/json", headers=headers), 404)
    register(client, scope, "dev-s", enrollment.primary_key)
    response = client.post(path, body, content_type="application/json", headers=headers)
    assert response.status_code == 200 and response.json()["assignedHub"] == HUB


def test_polls_are_throttled_per_device(client, scope, settings):
    enrollment = IndividualEnrollmentFactory(registration_id="dev-p")
    operation_id = register(client, scope, "dev-p", enrollment.primary_key).json()["operationId"]
    headers = {"Authorization": device_token(scope, "dev-p", enrollment.primary_key)}
    for _ in range(settings.DPS_DEVICE_POLL_LIMIT):
        assert client.get(operation_path(scope, "dev-p", operation_id), headers=headers).status_code == 200
    throttled = client.get(operation_path(scope, "dev-p", operation_id), headers=headers)
    assert_dps_error(throttled, 429)
    assert 1 <= int(throttled["Retry-After"]) <= settings.DPS_DEVICE_POLL_WINDOW


def test_poll_limit_is_configurable_and_the_window_ends(client, scope, settings, monkeypatch):
    settings.DPS_DEVICE_POLL_LIMIT = 1
    settings.DPS_DEVICE_POLL_WINDOW = 10
    enrollment = IndividualEnrollmentFactory(registration_id="dev-p")
    operation_id = register(client, scope, "dev-p", enrollment.primary_key).json()["operationId"]
    headers = {"Authorization": device_token(scope, "dev-p", enrollment.primary_key)}
    assert client.get(operation_path(scope, "dev-p", operation_id), headers=headers).status_code == 200
    assert client.get(operation_path(scope, "dev-p", operation_id), headers=headers).status_code == 429
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 11)
    assert client.get(operation_path(scope, "dev-p", operation_id), headers=headers).status_code == 200


def test_an_operation_of_another_device_is_not_found(client, scope):
    one = IndividualEnrollmentFactory(registration_id="dev-1")
    two = IndividualEnrollmentFactory(registration_id="dev-2")
    operation_id = register(client, scope, "dev-1", one.primary_key).json()["operationId"]
    headers = {"Authorization": device_token(scope, "dev-2", two.primary_key)}
    assert_dps_error(client.get(operation_path(scope, "dev-2", operation_id), headers=headers), 404)


def test_an_oversized_body_is_413(client, scope):
    enrollment = IndividualEnrollmentFactory(registration_id="dev-big")
    body = {"registrationId": "dev-big", "payload": {"blob": "x" * (96 * 1024)}}
    assert_dps_error(register(client, scope, "dev-big", enrollment.primary_key, body=body), 413)
    assert not RegistrationRecord.objects.exists()
    small = {"registrationId": "dev-big", "payload": {"blob": "x" * (90 * 1024)}}
    assert register(client, scope, "dev-big", enrollment.primary_key, body=small).status_code == 200


def test_unknown_scope_mismatch_bad_version_method_and_paths_answer_dps_json(client, scope):
    enrollment = IndividualEnrollmentFactory(registration_id="dev-1")
    assert_dps_error(register(client, "0ne0000ABCD", "dev-1", enrollment.primary_key), 404)
    assert_dps_error(register(client, scope, "dev-1", enrollment.primary_key, body={"registrationId": "dev-2"}), 400)
    assert_dps_error(register(client, scope, "dev-1", enrollment.primary_key, body=[1]), 400)
    assert_dps_error(register(client, scope, "dev-1", enrollment.primary_key, version="2021-10-01"), 400)
    assert_dps_error(client.get(register_path(scope, "dev-1")), 405)
    assert_dps_error(client.get(f"/{scope}/registrations/dev-1/register/"), 404)
    assert_dps_error(client.get(f"/{scope}/nothing"), 404)
    assert_dps_error(register(client, scope, "bad id!", enrollment.primary_key), 400)
    assert not RegistrationRecord.objects.exists()


def test_lowest_latency_picks_the_hub_of_the_clients_network(client, scope, settings):
    settings.DPS_CLIENT_LOCATIONS = "10.1.0.0/16=westeurope,192.168.0.0/24=eastus"
    LinkedIotHubFactory(host_name="hub-eu.azure-devices.net", location="westeurope")
    LinkedIotHubFactory(host_name="hub-us.azure-devices.net", location="eastus")
    group = EnrollmentGroupFactory(enrollment_group_id="geo", allocation_policy="geoLatency")

    def hub(rid: str, address: str) -> str:
        token = device_token(scope, rid, group_device_key(group.primary_key, rid))
        response = client.put(
            register_path(scope, rid),
            data=json.dumps({"registrationId": rid}),
            content_type="application/json",
            headers={"Authorization": token},
            REMOTE_ADDR=address,
        )
        return response.json()["registrationState"]["assignedHub"]

    assert {hub(f"eu-{n}", "10.1.7.9") for n in range(8)} == {"hub-eu.azure-devices.net"}
    assert {hub(f"us-{n}", "192.168.0.20") for n in range(8)} == {"hub-us.azure-devices.net"}
    # An unknown network: the weighted hash over every candidate.
    assert len({hub(f"any-{n}", "172.16.0.1") for n in range(24)}) > 1
