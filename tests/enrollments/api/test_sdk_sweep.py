"""The real Azure DPS service SDK (azure-iot-deviceprovisioning 1.0.0b1) against this server:
every service API operation, over plain HTTP to pytest-django's live_server."""

import base64

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.iot.deviceprovisioning import DeviceProvisioningClient

from enrollments.attestation.x509 import parse_certificate
from enrollments.models import (
    CaCertificate,
    EnrollmentGroup,
    IndividualEnrollment,
    RegistrationRecord,
    SharedAccessPolicy,
)
from tests.factories import RegistrationRecordFactory

pytestmark = pytest.mark.django_db(transaction=True)

SYM = {"type": "symmetricKey"}


def key(ch: str) -> str:
    return base64.b64encode(ch.encode() * 32).decode()


@pytest.fixture
def endpoint(live_server) -> str:
    return live_server.url.replace("localhost", "127.0.0.1")


def connection_string(endpoint: str, policy: SharedAccessPolicy, key: str | None = None) -> str:
    return f"HostName={endpoint};SharedAccessKeyName={policy.name};SharedAccessKey={key or policy.primary_key}"


@pytest.fixture
def dps(endpoint):
    owner = SharedAccessPolicy.objects.ensure_owner()
    # Close the client's keep-alive connections while the live server still runs: a request thread
    # that outlives the server would close the shared in-memory SQLite connection from a foreign thread.
    with DeviceProvisioningClient.from_connection_string(connection_string(endpoint, owner), retry_total=0) as client:
        yield client


def test_symmetric_key_enrollment_create_get_update_with_etag_delete(dps):
    created = dps.enrollment.create_or_update(
        id="sym-dev-1",
        enrollment={
            "registrationId": "sym-dev-1",
            "attestation": {"type": "symmetricKey", "symmetricKey": {"primaryKey": key("p"), "secondaryKey": None}},
            "initialTwin": {"tags": {"site": "a"}, "properties": {"desired": {"interval": 5}}},
            "reprovisionPolicy": {"updateHubAssignment": True, "migrateDeviceData": False},
            "capabilities": {"iotEdge": True},
            "optionalDeviceInformation": {"model": "x1"},
        },
    )
    assert created["attestation"]["symmetricKey"]["primaryKey"] == key("p")
    assert created["attestation"]["symmetricKey"]["secondaryKey"]  # generated
    assert created["etag"]

    got = dps.enrollment.get(id="sym-dev-1")
    assert got["attestation"] == {"type": "symmetricKey"}  # no keys in GET
    assert got["initialTwin"] == {"tags": {"site": "a"}, "properties": {"desired": {"interval": 5}}}
    assert got["reprovisionPolicy"] == {"updateHubAssignment": True, "migrateDeviceData": False}
    assert got["capabilities"] == {"iotEdge": True}
    assert got["registrationState"]["status"] == "unassigned"

    updated = dps.enrollment.create_or_update(
        id="sym-dev-1", enrollment={**got, "provisioningStatus": "disabled"}, if_match=got["etag"]
    )
    assert updated["provisioningStatus"] == "disabled"
    assert updated["etag"] != got["etag"]
    # Keys survive an update whose body (from GET) carries none.
    assert updated["attestation"]["symmetricKey"]["primaryKey"] == key("p")
    assert IndividualEnrollment.objects.get(registration_id="sym-dev-1").provisioning_status == "disabled"

    with pytest.raises(HttpResponseError) as stale:
        dps.enrollment.create_or_update(id="sym-dev-1", enrollment=got, if_match=got["etag"])
    assert stale.value.status_code == 412

    mechanism = dps.enrollment.get_attestation_mechanism(id="sym-dev-1")
    assert mechanism["symmetricKey"]["primaryKey"] == key("p")

    dps.enrollment.delete(id="sym-dev-1", if_match=f'"{updated["etag"]}"')
    with pytest.raises(ResourceNotFoundError):
        dps.enrollment.get(id="sym-dev-1")


def test_x509_and_tpm_individual_enrollments(dps, vectors_dir, vectors):
    pem = (vectors_dir / "device-001.pem").read_text()
    x509 = dps.enrollment.create_or_update(
        id="device-001",
        enrollment={
            "registrationId": "device-001",
            "attestation": {"type": "x509", "x509": {"clientCertificates": {"primary": {"certificate": pem}}}},
        },
    )
    info = x509["attestation"]["x509"]["clientCertificates"]["primary"]["info"]
    assert info["subjectName"] == "CN=device-001"
    got = dps.enrollment.get(id="device-001")
    assert "certificate" not in got["attestation"]["x509"]["clientCertificates"]["primary"]
    # The SDK echoes `info` back; the certificate is kept.
    again = dps.enrollment.create_or_update(
        id="device-001", enrollment={**got, "deviceId": "dev-one"}, if_match=got["etag"]
    )
    assert again["deviceId"] == "dev-one"
    assert again["attestation"]["x509"]["clientCertificates"]["primary"]["info"]["sha256Thumbprint"]

    ek = vectors["tpm"]["endorsement_key"]
    tpm = dps.enrollment.create_or_update(
        id="tpm-device-01",
        enrollment={"registrationId": "tpm-device-01", "attestation": {"type": "tpm", "tpm": {"endorsementKey": ek}}},
    )
    assert tpm["attestation"]["tpm"]["endorsementKey"] == ek
    assert dps.enrollment.get(id="tpm-device-01")["attestation"]["tpm"]["endorsementKey"] == ek
    dps.enrollment.delete(id="device-001")
    dps.enrollment.delete(id="tpm-device-01")
    assert not IndividualEnrollment.objects.exists()


def test_enrollment_groups_symmetric_x509_signing_and_ca_reference(dps, vectors_dir):
    sym = dps.enrollment_group.create_or_update(
        id="grp-sym", enrollment_group={"enrollmentGroupId": "grp-sym", "attestation": SYM}
    )
    assert sym["attestation"]["symmetricKey"]["primaryKey"]
    got = dps.enrollment_group.get(id="grp-sym")
    assert got["attestation"] == {"type": "symmetricKey"}
    updated = dps.enrollment_group.create_or_update(
        id="grp-sym",
        enrollment_group={**got, "initialTwin": {"tags": {"fleet": "b"}}},
        if_match=got["etag"],
    )
    assert updated["initialTwin"]["tags"] == {"fleet": "b"}
    assert (
        dps.enrollment_group.get_attestation_mechanism(id="grp-sym")["symmetricKey"]
        == sym["attestation"]["symmetricKey"]
    )

    intermediate = (vectors_dir / "intermediate-ca.pem").read_text()
    signing = dps.enrollment_group.create_or_update(
        id="grp-x509",
        enrollment_group={
            "enrollmentGroupId": "grp-x509",
            "attestation": {
                "type": "x509",
                "x509": {"signingCertificates": {"primary": {"certificate": intermediate}}},
            },
        },
    )
    assert (
        signing["attestation"]["x509"]["signingCertificates"]["primary"]["info"]["subjectName"]
        == "CN=Example Intermediate CA"
    )

    root = parse_certificate((vectors_dir / "root-ca.pem").read_bytes())
    CaCertificate.objects.create(name="root-ca", is_verified=True, **root.model_fields())
    ca = dps.enrollment_group.create_or_update(
        id="grp-ca",
        enrollment_group={
            "enrollmentGroupId": "grp-ca",
            "attestation": {"type": "x509", "x509": {"caReferences": {"primary": "root-ca"}}},
        },
    )
    assert ca["attestation"]["x509"]["caReferences"] == {"primary": "root-ca"}
    assert EnrollmentGroup.objects.get(enrollment_group_id="grp-ca").ca_primary.name == "root-ca"

    for name in ("grp-sym", "grp-x509", "grp-ca"):
        dps.enrollment_group.delete(id=name)
    with pytest.raises(ResourceNotFoundError):
        dps.enrollment_group.get(id="grp-ca")


def test_query_pages_bulk_create_and_delete(dps):
    result = dps.enrollment.run_bulk_operation(
        bulk_operation={
            "mode": "create",
            "enrollments": [{"registrationId": f"bulk-{i:02d}", "attestation": SYM} for i in range(25)],
        }
    )
    assert result["isSuccessful"] is True
    assert IndividualEnrollment.objects.count() == 25

    pages = list(dps.enrollment.query(query_specification={"query": "*"}, top=10).by_page())
    sizes = [len(list(page)) for page in pages]
    assert sizes == [10, 10, 5]
    ids = [e["registrationId"] for e in dps.enrollment.query(query_specification={"query": "*"}, top=10)]
    assert ids == [f"bulk-{i:02d}" for i in range(25)]

    again = dps.enrollment.run_bulk_operation(
        bulk_operation={"mode": "create", "enrollments": [{"registrationId": "bulk-00", "attestation": SYM}]}
    )
    assert again["isSuccessful"] is False
    assert again["errors"][0]["errorCode"] == 409201

    deleted = dps.enrollment.run_bulk_operation(
        bulk_operation={
            "mode": "delete",
            "enrollments": [{"registrationId": f"bulk-{i:02d}", "attestation": SYM} for i in range(25)],
        }
    )
    assert deleted["isSuccessful"] is True
    assert not IndividualEnrollment.objects.exists()

    groups = dps.enrollment_group.run_bulk_operation(
        bulk_operation={
            "mode": "create",
            "enrollmentGroups": [{"enrollmentGroupId": f"g-{i}", "attestation": SYM} for i in range(3)],
        }
    )
    assert groups["isSuccessful"] is True
    assert [g["enrollmentGroupId"] for g in dps.enrollment_group.query(query_specification={"query": "*"})] == [
        "g-0",
        "g-1",
        "g-2",
    ]
    dps.enrollment_group.run_bulk_operation(
        bulk_operation={"mode": "delete", "enrollmentGroups": [{"enrollmentGroupId": "g-0", "attestation": SYM}]}
    )
    assert EnrollmentGroup.objects.count() == 2


def test_registration_states_get_delete_and_query_per_group(dps):
    dps.enrollment_group.create_or_update(
        id="fleet", enrollment_group={"enrollmentGroupId": "fleet", "attestation": SYM}
    )
    group = EnrollmentGroup.objects.get(enrollment_group_id="fleet")
    for i in range(5):
        RegistrationRecordFactory(
            registration_id=f"fleet-dev-{i}",
            enrollment_group=group,
            enrollment_group_name="fleet",
            attestation_type="symmetricKey",
            device_id=f"fleet-dev-{i}",
            assigned_hub="hub.azure-devices.net",
            status="assigned",
            substatus="initialAssignment",
        )
    RegistrationRecordFactory(registration_id="other-dev", enrollment_group_name="other")

    state = dps.device_registration_state.get(id="fleet-dev-0")
    assert state["assignedHub"] == "hub.azure-devices.net"
    assert state["status"] == "assigned"
    assert state["etag"]

    states = list(dps.device_registration_state.query(id="fleet", top=2))
    assert [s["registrationId"] for s in states] == [f"fleet-dev-{i}" for i in range(5)]

    dps.device_registration_state.delete(id="fleet-dev-0", if_match=state["etag"])
    with pytest.raises(ResourceNotFoundError):
        dps.device_registration_state.get(id="fleet-dev-0")
    with pytest.raises(HttpResponseError) as stale:
        dps.device_registration_state.delete(id="fleet-dev-1", if_match='"stale"')
    assert stale.value.status_code == 412
    dps.device_registration_state.delete(id="fleet-dev-1")
    assert RegistrationRecord.objects.count() == 4


def test_negative_wrong_key_invalid_body_unknown_id(dps, endpoint):
    owner = SharedAccessPolicy.objects.ensure_owner()
    with (
        DeviceProvisioningClient.from_connection_string(
            connection_string(endpoint, owner, key=key("w")), retry_total=0
        ) as wrong,
        pytest.raises(ClientAuthenticationError) as unauthorized,
    ):
        wrong.enrollment.get(id="anything")
    assert unauthorized.value.status_code == 401

    with pytest.raises(HttpResponseError) as invalid:
        dps.enrollment.create_or_update(
            id="bad-key",
            enrollment={
                "registrationId": "bad-key",
                "attestation": {"type": "symmetricKey", "symmetricKey": {"primaryKey": "not base64!"}},
            },
        )
    assert invalid.value.status_code == 400
    body = invalid.value.response.json()
    assert body["errorCode"] // 1000 == 400
    assert "attestation.symmetricKey.primaryKey" in body["message"]
    assert invalid.value.response.headers["x-ms-error-code"] == str(body["errorCode"])

    with pytest.raises(ResourceNotFoundError) as missing:
        dps.enrollment.get(id="no-such-device")
    assert missing.value.response.json()["errorCode"] == 404201
    with pytest.raises(ResourceNotFoundError):
        dps.enrollment_group.get(id="no-such-group")
    with pytest.raises(ResourceNotFoundError):
        dps.device_registration_state.get(id="no-such-device")
