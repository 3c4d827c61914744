"""The docs' HTTPS flow (dps-reference §4.1; Azure's iot-dps-https-sym-key-support.md) with plain HTTP
clients over TLS: `requests` and `http.client`, trusting only the CA certificate downloaded from the
portal, against the device TLS server the session shares (device_tls_server, 127.0.12.1).

Each test makes its own keys and enrollments through the services (committed: the server reads
them on its own connections) and looks at the records afterwards."""

import json
import time
from urllib.parse import quote

import pytest
import requests
from django.urls import reverse

from enrollments.attestation.device_sas import generate_device_token
from enrollments.attestation.symmetric_keys import derive_device_key, generate_symmetric_key
from enrollments.models import ProvisioningService, RegistrationRecord
from enrollments.services.enrollments import enrollment_group_create, individual_enrollment_create
from enrollments.services.hubs import linked_iot_hub_create

pytestmark = pytest.mark.django_db(transaction=True)

API = "api-version=2021-06-01"
HUB = "fleet-hub.azure-devices.net"


@pytest.fixture
def ca_file(device_tls_server, admin_client, tmp_path):
    """The CA certificate as an operator gets it: Overview → Download server CA certificate."""
    response = admin_client.get(reverse("enrollments:server_ca_certificate"))
    assert response.status_code == 200
    path = tmp_path / "dps-server-ca.pem"
    path.write_bytes(response.content)
    return str(path)


@pytest.fixture
def hub():
    key = generate_symmetric_key()
    return linked_iot_hub_create(
        connection_string=f"HostName={HUB};SharedAccessKeyName=iothubowner;SharedAccessKey={key}"
    )


@pytest.fixture
def id_scope():
    return ProvisioningService.objects.get_current().id_scope


def register(server, ca_file, id_scope, registration_id, key, *, skn=True, token=None, body=None):
    """`curl -L -i -X PUT --cacert ca.pem -H 'Content-Type: application/json' -H 'Content-Encoding: utf-8'
    -H 'Authorization: <token>' -d '{"registrationId": "<id>"}' https://host/<scope>/registrations/<id>/register?api-version=2021-06-01`
    as the docs write it, with requests."""
    token = token or generate_device_token(
        id_scope=id_scope, registration_id=registration_id, key=key, key_name="registration" if skn else None
    )
    return requests.put(
        f"{server.url}/{id_scope}/registrations/{quote(registration_id, safe='')}/register?{API}",
        headers={"Content-Type": "application/json", "Content-Encoding": "utf-8", "Authorization": token},
        data=json.dumps(body if body is not None else {"registrationId": registration_id}),
        verify=ca_file,
        timeout=30,
    )


def test_individual_enrollment_primary_then_secondary_key_with_and_without_skn(
    device_tls_server, ca_file, hub, id_scope
):
    enrollment = individual_enrollment_create(
        registration_id="my-symkey-device", attestation_type="symmetricKey", iot_hubs=[hub]
    )
    first = register(device_tls_server, ca_file, id_scope, "my-symkey-device", enrollment.primary_key, skn=True)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["status"] == "assigned" and answer["operationId"]
    state = answer["registrationState"]
    assert state["registrationId"] == "my-symkey-device"
    assert state["assignedHub"] == HUB and state["deviceId"] == "my-symkey-device"
    assert state["status"] == "assigned" and state["substatus"] == "initialAssignment"
    assert state["etag"] and state["createdDateTimeUtc"] and state["lastUpdatedDateTimeUtc"]

    again = register(device_tls_server, ca_file, id_scope, "my-symkey-device", enrollment.secondary_key, skn=False)
    assert again.status_code == 200, again.text
    assert again.json()["registrationState"]["assignedHub"] == HUB
    record = RegistrationRecord.objects.get(registration_id="my-symkey-device")
    assert record.status == "assigned" and record.assigned_hub == HUB
    assert RegistrationRecord.objects.count() == 1


def test_a_poll_of_the_operation_with_http_client(device_tls_server, ca_file, hub, id_scope):
    """The docs' second call: GET …/operations/{operationId} with the same token (http.client)."""
    enrollment = individual_enrollment_create(registration_id="poller", attestation_type="symmetricKey")
    operation_id = register(device_tls_server, ca_file, id_scope, "poller", enrollment.primary_key).json()[
        "operationId"
    ]
    token = generate_device_token(id_scope=id_scope, registration_id="poller", key=enrollment.primary_key)
    status, headers, body = device_tls_server.request(
        "GET",
        f"/{id_scope}/registrations/poller/operations/{quote(operation_id, safe='')}?{API}",
        headers={"Authorization": token, "Host": device_tls_server.host},
    )
    assert status == 200, body
    answer = json.loads(body)
    assert answer["operationId"] == operation_id and answer["status"] == "assigned"
    assert answer["registrationState"]["assignedHub"] == HUB
    assert headers["content-type"].startswith("application/json")


def test_group_device_with_a_derived_key(device_tls_server, ca_file, hub, id_scope):
    group = enrollment_group_create(enrollment_group_id="thermostats", attestation_type="symmetricKey")
    key = derive_device_key(group_key=group.primary_key, registration_id="thermostat-0042")
    response = register(device_tls_server, ca_file, id_scope, "thermostat-0042", key, skn=False)
    assert response.status_code == 200, response.text
    state = response.json()["registrationState"]
    assert state["assignedHub"] == HUB and state["deviceId"] == "thermostat-0042"
    record = RegistrationRecord.objects.get(registration_id="thermostat-0042")
    assert record.enrollment_group_id == group.pk and record.status == "assigned"


def _assert_refused(response):
    assert response.status_code == 401, response.text
    answer = response.json()
    assert answer["errorCode"] == 401002
    assert set(answer) >= {"errorCode", "trackingId", "message", "timestampUtc"}
    assert RegistrationRecord.objects.count() == 0  # a refusal changes no record
    return answer["message"]


def test_the_group_key_itself_is_refused(device_tls_server, ca_file, hub, id_scope):
    group = enrollment_group_create(enrollment_group_id="sensors", attestation_type="symmetricKey")
    _assert_refused(register(device_tls_server, ca_file, id_scope, "sensor-1", group.primary_key))


def test_an_expired_token_is_refused(device_tls_server, ca_file, hub, id_scope):
    enrollment = individual_enrollment_create(registration_id="late-device", attestation_type="symmetricKey")
    token = generate_device_token(
        id_scope=id_scope, registration_id="late-device", key=enrollment.primary_key, expiry=int(time.time()) - 60
    )
    _assert_refused(register(device_tls_server, ca_file, id_scope, "late-device", "", token=token))


def test_a_token_for_another_id_scope_is_refused(device_tls_server, ca_file, hub, id_scope):
    enrollment = individual_enrollment_create(registration_id="scoped", attestation_type="symmetricKey")
    token = generate_device_token(id_scope="0ne0000FFFF", registration_id="scoped", key=enrollment.primary_key)
    _assert_refused(register(device_tls_server, ca_file, id_scope, "scoped", "", token=token))


def test_a_wrong_key_is_refused(device_tls_server, ca_file, hub, id_scope):
    individual_enrollment_create(registration_id="guessed", attestation_type="symmetricKey")
    _assert_refused(register(device_tls_server, ca_file, id_scope, "guessed", generate_symmetric_key()))


def test_a_disabled_enrollment_answers_disabled(device_tls_server, ca_file, hub, id_scope):
    enrollment = individual_enrollment_create(
        registration_id="parked", attestation_type="symmetricKey", provisioning_status="disabled"
    )
    response = register(device_tls_server, ca_file, id_scope, "parked", enrollment.primary_key)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "disabled"
    assert RegistrationRecord.objects.get(registration_id="parked").status == "disabled"


def test_a_disabled_individual_inside_an_enabled_group_while_its_neighbour_registers(
    device_tls_server, ca_file, hub, id_scope
):
    """Azure's way to stop one device of a group: a disabled individual enrollment for its
    registration ID, with its derived key; the group's other devices register as before."""
    group = enrollment_group_create(enrollment_group_id="pumps", attestation_type="symmetricKey")
    pump_2_key = derive_device_key(group_key=group.primary_key, registration_id="pump-2")
    individual_enrollment_create(
        registration_id="pump-2",
        attestation_type="symmetricKey",
        primary_key=pump_2_key,
        provisioning_status="disabled",
    )
    pump_2 = register(device_tls_server, ca_file, id_scope, "pump-2", pump_2_key)
    assert pump_2.status_code == 200 and pump_2.json()["status"] == "disabled", pump_2.text
    pump_1_key = derive_device_key(group_key=group.primary_key, registration_id="pump-1")
    neighbour = register(device_tls_server, ca_file, id_scope, "pump-1", pump_1_key)
    assert neighbour.status_code == 200 and neighbour.json()["status"] == "assigned", neighbour.text
    assert neighbour.json()["registrationState"]["assignedHub"] == HUB
    assert sorted(RegistrationRecord.objects.values_list("registration_id", "status")) == [
        ("pump-1", "assigned"),
        ("pump-2", "disabled"),
    ]


def test_an_unknown_id_scope_is_a_dps_404(device_tls_server, ca_file, id_scope):
    response = requests.put(
        f"{device_tls_server.url}/0ne00000000/registrations/x/register?{API}",
        json={"registrationId": "x"},
        verify=ca_file,
        timeout=30,
    )
    assert response.status_code == 404 and response.headers["content-type"].startswith("application/json")
    assert response.json()["errorCode"] // 1000 == 404


def test_without_the_ca_certificate_a_client_does_not_trust_the_endpoint(device_tls_server, id_scope):
    with pytest.raises(requests.exceptions.SSLError):
        requests.put(f"{device_tls_server.url}/{id_scope}/registrations/x/register?{API}", json={}, timeout=30)
