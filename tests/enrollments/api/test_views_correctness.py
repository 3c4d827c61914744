"""Service API correctness: nothing sent is silently changed or dropped, If-Match follows RFC 9110,
the Azure CLI's query text is accepted, unknown paths answer DPS's JSON error, and each failure has
one message that says what is wrong."""

import base64

import pytest
from cryptography.hazmat.primitives import hashes

from enrollments.models import EnrollmentGroup, IndividualEnrollment, LinkedIotHub
from tests import pki
from tests.factories import LinkedIotHubFactory, RegistrationRecordFactory

from .test_views import SYM, assert_error, create

pytestmark = pytest.mark.django_db


def _hub(host="hub-a.azure-devices.net") -> LinkedIotHub:
    key = base64.b64encode(b"k" * 32).decode()
    return LinkedIotHubFactory(host_name=host, shared_access_key=key)


def _signing_pem() -> str:
    return pki.issue("Signing CA", ca=True).pem.decode()


# --- silent changes and losses --------------------------------------------------------------------


def test_group_with_signing_certificates_and_ca_references_is_refused_naming_both(api):
    body = {
        "attestation": {
            "type": "x509",
            "x509": {
                "signingCertificates": {"primary": {"certificate": _signing_pem()}},
                "caReferences": {"primary": "my-root"},
            },
        }
    }
    error = assert_error(api.put("/enrollmentGroups/g1", body), 400)
    assert error["message"] == (
        "attestation.x509: send either signingCertificates (certificates uploaded into the group) or "
        "caReferences (names of certificates on the Certificates page), not both."
    )
    assert not EnrollmentGroup.objects.exists()


def test_individual_x509_with_signing_certificates_is_refused_not_dropped(api):
    body = {"attestation": {"type": "x509", "x509": {"signingCertificates": {"primary": {"certificate": "x"}}}}}
    error = assert_error(api.put("/enrollments/dev-1", body), 400)
    assert error["message"].startswith("attestation.x509.signingCertificates: an individual enrollment's X.509")


def test_legacy_iot_hub_host_name_must_name_a_linked_hub(api):
    error = assert_error(
        api.put("/enrollments/dev-1", {"attestation": SYM, "iotHubHostName": "nope.azure-devices.net"}), 400
    )
    assert error["message"] == "iotHubHostName: “nope.azure-devices.net” is not a linked IoT hub. Link it first."
    error = assert_error(
        api.put("/enrollments/dev-1", {"attestation": SYM, "iotHubs": ["nope.azure-devices.net"]}), 400
    )
    assert "“nope.azure-devices.net” is not a linked IoT hub. Link it first." in error["message"]
    _hub()
    created = create(api, iotHubHostName="HUB-A.azure-devices.net")
    assert created["iotHubHostName"] == "HUB-A.azure-devices.net"
    # On update too.
    body = {"attestation": SYM, "iotHubHostName": "other.azure-devices.net"}
    assert_error(api.put("/enrollmentGroups/g1", body), 400)
    assert_error(api.put("/enrollments/dev-1", body), 400)
    assert IndividualEnrollment.objects.get().iot_hub_host_name == "HUB-A.azure-devices.net"


@pytest.mark.parametrize(
    ("member", "value", "message"),
    [
        (
            "capabilities",
            {"iotEdge": "yes"},
            'capabilities.iotEdge must be true or false (a JSON boolean), not a string ("yes").',
        ),
        (
            "capabilities",
            {"iotEdge": 1},
            "capabilities.iotEdge must be true or false (a JSON boolean), not a number (1).",
        ),
        (
            "reprovisionPolicy",
            {"updateHubAssignment": "false"},
            'reprovisionPolicy.updateHubAssignment must be true or false (a JSON boolean), not a string ("false").',
        ),
        (
            "reprovisionPolicy",
            {"migrateDeviceData": 0},
            "reprovisionPolicy.migrateDeviceData must be true or false (a JSON boolean), not a number (0).",
        ),
        ("deviceId", 123, "deviceId must be a JSON string, not a number (123)."),
        ("iotHubs", ["a", 7], "iotHubs[1] must be a JSON string, not a number (7)."),
        ("iotHubs", "hub.azure-devices.net", 'iotHubs must be a JSON array, not a string ("hub.azure-devices.net").'),
        ("iotHubHostName", True, "iotHubHostName must be a JSON string, not a boolean."),
        (
            "provisioningStatus",
            True,
            "provisioningStatus must be one of enabled, disabled (a JSON string), not a boolean.",
        ),
        ("provisioningStatus", "on", 'provisioningStatus must be one of enabled, disabled, not "on".'),
        (
            "allocationPolicy",
            1,
            "allocationPolicy must be one of hashed, geoLatency, static, custom (a JSON string), not a number (1).",
        ),
        (
            "attestation",
            {"type": 7},
            "attestation.type must be one of none, tpm, x509, symmetricKey (a JSON string), not a number (7).",
        ),
    ],
)
def test_wire_types_are_exact_never_coerced(api, member, value, message):
    error = assert_error(api.put("/enrollments/dev-1", {"attestation": SYM, member: value}), 400)
    assert error["message"] == message
    assert not IndividualEnrollment.objects.exists()


def test_json_booleans_are_kept(api):
    created = create(api, capabilities={"iotEdge": True}, reprovisionPolicy={"updateHubAssignment": False})
    assert created["capabilities"] == {"iotEdge": True}
    assert created["reprovisionPolicy"]["updateHubAssignment"] is False


def test_if_match_star_on_a_missing_record_is_412_and_creates_nothing(api):
    body = {"registrationId": "dev-1", "attestation": SYM}
    error = assert_error(api.put("/enrollments/dev-1", body, headers={"If-Match": "*"}), 412, 412002)
    assert error["message"] == (
        "Precondition failed: If-Match needs an existing record and “dev-1” does not exist. "
        "Leave If-Match out to create it."
    )
    assert_error(api.put("/enrollmentGroups/g1", {"attestation": SYM}, headers={"If-Match": "*"}), 412)
    assert not IndividualEnrollment.objects.exists() and not EnrollmentGroup.objects.exists()
    create(api)
    assert api.put("/enrollments/dev-1", body, headers={"If-Match": "*"}).status_code == 200


# --- queries --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/enrollments/query", "SELECT *"),
        ("/enrollments/query", "select  *"),
        ("/enrollments/query", "SELECT * FROM enrollments"),
        ("/enrollmentGroups/query", "SELECT *"),
        ("/enrollmentGroups/query", "SELECT * FROM enrollmentGroups"),
    ],
)
def test_cli_query_text_is_accepted(api, path, query):
    create(api)
    api.put("/enrollmentGroups/g1", {"attestation": SYM})
    response = api.post(path, {"query": query})
    assert response.status_code == 200, response.content
    assert len(response.json()) == 1


def test_other_query_text_is_refused_with_what_is_supported(api):
    error = assert_error(api.post("/enrollments/query", {"query": "SELECT * FROM enrollments WHERE x = 1"}), 400)
    assert error["message"] == (
        "query: only “*”, “SELECT *” or “SELECT * FROM enrollments” is supported: "
        "it returns every record, page by page."
    )


# --- errors that mislead --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/enrollments/dev%2F01"),
        ("GET", "/enrollments/"),
        ("POST", "/enrollments/"),
        ("PUT", "/enrollmentGroups/a/b/c"),
        ("GET", "/registrations/"),
        ("DELETE", "/registrations/x/y"),
        ("GET", "/enrollmentGroups/"),
    ],
)
def test_unknown_paths_under_the_api_roots_answer_the_dps_json_404(api, method, path):
    response = api.call(method, path, {} if method in ("POST", "PUT") else None)
    error = assert_error(response, 404, 404000)
    assert response["Content-Type"].startswith("application/json")
    assert error["message"].startswith("No service API operation at “/")
    assert "cannot contain “/” (not even as %2F)" in error["message"]


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (
            "/enrollments/dev-1",
            {"attestation": SYM, "deviceId": "d" * 129},
            "deviceId: IoT Hub Device ID is 129 characters long; the limit is 128.",
        ),
        (
            "/enrollmentGroups/" + "g" * 129,
            {"attestation": SYM},
            "enrollmentGroupId: Group name is 129 characters long; the limit is 128. Shorten it.",
        ),
        (
            "/enrollments/" + "r" * 129,
            {"attestation": SYM},
            "registrationId: Registration ID is 129 characters long; the limit is 128. Shorten it.",
        ),
    ],
)
def test_length_errors_have_one_message(api, path, body, message):
    error = assert_error(api.put(path, body), 400)
    assert error["message"] == message
    assert "Ensure this value" not in error["message"]


def test_a_too_long_key_has_one_message(api):
    body = {"attestation": {"type": "symmetricKey", "symmetricKey": {"primaryKey": "A" * 200}}}
    error = assert_error(api.put("/enrollments/dev-1", body), 400)
    assert "Ensure this value" not in error["message"]
    assert error["message"].startswith("attestation.symmetricKey.primaryKey: The key decodes to 150 bytes")


@pytest.mark.parametrize(
    ("twin", "message"),
    [
        ({"tags": []}, "initialTwin.tags must be a JSON object, not an array."),
        ({"tags": "x"}, 'initialTwin.tags must be a JSON object, not a string ("x").'),
        ({"properties": []}, "initialTwin.properties must be a JSON object, not an array."),
        ({"properties": {"desired": 5}}, "initialTwin.properties.desired must be a JSON object, not a number (5)."),
        ([], "initialTwin must be a JSON object, not an array."),
    ],
)
def test_twin_type_errors_say_what_the_member_must_be(api, twin, message):
    error = assert_error(api.put("/enrollments/dev-1", {"attestation": SYM, "initialTwin": twin}), 400)
    assert error["message"] == message


@pytest.mark.parametrize("certificate", ["", "   ", "\n\t"])
def test_an_empty_certificate_says_it_is_empty(api, certificate):
    body = {"attestation": {"type": "x509", "x509": {"clientCertificates": {"primary": {"certificate": certificate}}}}}
    error = assert_error(api.put("/enrollments/dev-1", body), 400)
    assert error["message"] == (
        "attestation.x509.clientCertificates.primary.certificate: the certificate is empty. Send the PEM text "
        "(-----BEGIN CERTIFICATE-----…) or the base64 DER of one X.509 certificate, or leave the member out "
        "to keep the stored one."
    )


@pytest.mark.parametrize("content", ["AAAA", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", "QUJD="])
def test_a_complete_pem_block_that_is_not_a_certificate_says_so(api, content):
    pem = f"-----BEGIN CERTIFICATE-----\n{content}\n-----END CERTIFICATE-----\n"
    body = {"attestation": {"type": "x509", "x509": {"clientCertificates": {"primary": {"certificate": pem}}}}}
    error = assert_error(api.put("/enrollments/dev-1", body), 400)
    assert error["message"] == (
        "attestation.x509.clientCertificates.primary.certificate: The PEM block has its BEGIN and END CERTIFICATE "
        "lines, but the text between them is not a certificate (it does not decode to X.509 DER: damaged, edited "
        "or another kind of data). Export the certificate again."
    )
    assert "no END CERTIFICATE line" not in error["message"]


def test_a_little_endian_endorsement_key_says_how_to_convert_it(api):
    import struct

    from tests.enrollments.attestation.test_tpm import rsa_public

    public = rsa_public()
    le = struct.pack("<HHHI", len(public), *struct.unpack(">HHI", public[:8])) + public[8:]
    body = {"attestation": {"type": "tpm", "tpm": {"endorsementKey": base64.b64encode(le).decode()}}}
    error = assert_error(api.put("/enrollments/tpm-1", body), 400)
    assert error["message"].startswith(
        "attestation.tpm.endorsementKey: The endorsement key's numbers are in little-endian"
    )
    assert "tpm2_readpublic -c 0x81010001 -f tss -o ek.pub" in error["message"]


# --- paging: keyset continuation tokens -----------------------------------------------------------


def _iterate(api, path, *, size=2, between=None, body=None):
    """Every page of a query; `between(page_number)` runs after each page (changes mid-iteration)."""
    seen, token, page = [], None, 0
    while True:
        headers = {"x-ms-max-item-count": str(size), **({"x-ms-continuation": token} if token else {})}
        response = api.post(path, body, headers=headers)
        assert response.status_code == 200, response.content
        seen.extend(response.json())
        token = response.headers.get("x-ms-continuation")
        page += 1
        if not token:
            return seen
        assert token.isascii() and not token.isdigit()
        if between:
            between(page)


@pytest.mark.parametrize(("path", "kind"), [("/enrollments/query", "enrollments"), ("/enrollmentGroups/query", "g")])
def test_query_never_skips_or_repeats_a_record_when_others_are_inserted_or_deleted(api, path, kind):
    url = "/enrollments/{}" if kind == "enrollments" else "/enrollmentGroups/{}"
    member = "registrationId" if kind == "enrollments" else "enrollmentGroupId"
    for name in ["b", "d", "f", "h", "j", "l"]:
        assert api.put(url.format(name), {"attestation": SYM}).status_code == 200

    def change(page):
        if page == 1:  # after b, d: delete one already sent and one not yet sent, insert before and after
            assert api.delete(url.format("b")).status_code == 204
            assert api.delete(url.format("h")).status_code == 204
            assert api.put(url.format("a"), {"attestation": SYM}).status_code == 200
            assert api.put(url.format("K"), {"attestation": SYM}).status_code == 200

    ids = [r[member] for r in _iterate(api, path, body={"query": "*"}, between=change)]
    assert len(ids) == len(set(ids))
    assert {"d", "f", "j", "l"} <= set(ids)  # every record that existed throughout, exactly once
    assert "a" not in ids  # inserted behind the position: not repeated as an offset would


def test_registration_query_pages_by_keyset_too(api):
    from enrollments.models import RegistrationRecord

    for name in ["r1", "r3", "r5", "r7"]:
        RegistrationRecordFactory(registration_id=name, enrollment_group_name="grp")

    def change(page):
        if page == 1:
            RegistrationRecord.objects.filter(registration_id="r1").delete()
            RegistrationRecordFactory(registration_id="r0", enrollment_group_name="grp")

    ids = [r["registrationId"] for r in _iterate(api, "/registrations/grp/query", between=change)]
    assert ids == ["r1", "r3", "r5", "r7"]


@pytest.mark.parametrize("token", ["2", "abc", "eyJzIjoiZW5yb2xsbWVudHMifQ:bad:sig"])
def test_a_token_not_issued_here_is_refused(api, token):
    error = assert_error(api.post("/enrollments/query", {"query": "*"}, headers={"x-ms-continuation": token}), 400)
    assert error["message"] == (
        "x-ms-continuation is not a token this service issued for this query. Start again without it."
    )


def test_a_token_of_another_query_is_refused(api):
    for name in ["a", "b", "c"]:
        create(api, name)
    token = api.post("/enrollments/query", {"query": "*"}, headers={"x-ms-max-item-count": "1"})["x-ms-continuation"]
    assert_error(api.post("/enrollmentGroups/query", {"query": "*"}, headers={"x-ms-continuation": token}), 400, 400006)
    assert api.post("/enrollments/query", {"query": "*"}, headers={"x-ms-continuation": token}).status_code == 200


# --- older api-versions ---------------------------------------------------------------------------

ALL_VERSIONS = [
    "2017-08-31-preview",
    "2017-11-15",
    "2018-04-01",
    "2018-09-01-preview",
    "2019-03-31",
    "2021-10-01",
    "2021-11-01-preview",
    "2025-07-01-preview",
    "2026-04-01",
]


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_every_published_api_version_is_accepted(api, version):
    created = api.put("/enrollments/dev-1", {"attestation": SYM}, version=version)
    assert created.status_code == 200 and created.json()["registrationId"] == "dev-1"
    read = api.get("/enrollments/dev-1", version=version)
    assert read.status_code == 200 and read.json()["etag"] == created.json()["etag"]
    query = api.post("/enrollments/query", {"query": "*"}, version=version)
    assert query.status_code == 200 and [e["registrationId"] for e in query.json()] == ["dev-1"]
    records = api.post("/registrations/g/query", version=version)
    assert records.status_code == 200 and records.json() == []


@pytest.mark.parametrize(
    ("version", "absent"),
    [
        (
            "2017-11-15",
            {"allocationPolicy", "iotHubs", "capabilities", "reprovisionPolicy", "optionalDeviceInformation"},
        ),
        ("2018-04-01", {"reprovisionPolicy", "customAllocationDefinition", "optionalDeviceInformation"}),
        ("2018-09-01-preview", {"optionalDeviceInformation"}),
        ("2019-03-31", {"optionalDeviceInformation"}),
    ],
)
def test_answers_have_the_shape_of_their_version(api, version, absent):
    _hub()
    create(
        api,
        allocationPolicy="hashed",
        iotHubs=["hub-a.azure-devices.net"],
        reprovisionPolicy={"updateHubAssignment": True, "migrateDeviceData": False},
        optionalDeviceInformation={"model": "x"},
    )
    body = api.get("/enrollments/dev-1", version=version).json()
    assert not absent & set(body)
    assert {"registrationId", "attestation", "etag", "provisioningStatus"} <= set(body)
    latest = api.get("/enrollments/dev-1").json()
    assert {"allocationPolicy", "iotHubs", "reprovisionPolicy", "optionalDeviceInformation"} <= set(latest)


def test_a_member_the_version_did_not_have_is_refused_not_dropped(api):
    error = assert_error(
        api.put("/enrollments/dev-1", {"attestation": SYM, "allocationPolicy": "hashed"}, version="2017-11-15"), 400
    )
    assert error["message"] == (
        "allocationPolicy is not part of api-version 2017-11-15 (it came with 2018-04-01): send a later api-version."
    )
    assert not IndividualEnrollment.objects.exists()


# --- X.509 certificates on PUT: replaced by a body, kept when echoed or left out, removed by null --


def _x509_individual(api, rid="device-x1"):
    from tests.pki import build_pki

    pki = build_pki("Put")
    primary, secondary = pki.device(rid), pki.device(rid)
    body = {
        "attestation": {
            "type": "x509",
            "x509": {"clientCertificates": {"primary": {"certificate": primary.pem.decode()}}},
        }
    }
    response = api.put(f"/enrollments/{rid}", body)
    assert response.status_code == 200, response.content
    return response.json(), primary, secondary


def _thumbprints(obj) -> dict[str, str]:
    return {row.slot: row.sha256_thumbprint for row in obj.certificates.all()}


def test_a_re_sent_get_answer_adds_a_secondary_certificate_and_keeps_the_primary(api):
    answer, primary, secondary = _x509_individual(api)
    answer["attestation"]["x509"]["clientCertificates"]["secondary"] = {"certificate": secondary.pem.decode()}
    response = api.put("/enrollments/device-x1", answer, headers={"If-Match": answer["etag"]})
    assert response.status_code == 200, response.content
    slots = _thumbprints(IndividualEnrollment.objects.get())
    assert set(slots) == {"primary", "secondary"}
    assert slots["primary"] == primary.certificate.fingerprint(hashes.SHA256()).hex().upper()
    info = response.json()["attestation"]["x509"]["clientCertificates"]
    assert info["secondary"]["info"]["sha256Thumbprint"] == slots["secondary"]


def test_a_secondary_certificate_set_to_null_is_removed_and_left_out_is_kept(api):
    answer, _, secondary = _x509_individual(api)
    answer["attestation"]["x509"]["clientCertificates"]["secondary"] = {"certificate": secondary.pem.decode()}
    answer = api.put("/enrollments/device-x1", answer).json()

    kept = {**answer, "attestation": {"type": "x509", "x509": {"clientCertificates": {"primary": {}}}}}
    answer = api.put("/enrollments/device-x1", kept).json()
    assert set(_thumbprints(IndividualEnrollment.objects.get())) == {"primary", "secondary"}

    answer["attestation"]["x509"]["clientCertificates"]["secondary"] = None
    response = api.put("/enrollments/device-x1", answer)
    assert response.status_code == 200, response.content
    assert set(_thumbprints(IndividualEnrollment.objects.get())) == {"primary"}
    assert "secondary" not in (response.json()["attestation"]["x509"]["clientCertificates"] or {})


def test_the_primary_certificate_set_to_null_is_refused_saying_what_to_send(api):
    answer, _, _ = _x509_individual(api)
    answer["attestation"]["x509"]["clientCertificates"]["primary"] = None
    error = assert_error(api.put("/enrollments/device-x1", answer), 400)
    assert error["message"] == (
        "attestation.x509.clientCertificates.primary: The primary certificate cannot be removed (null): send "
        '{"certificate": "<PEM>"} to replace it, leave out attestation.x509.clientCertificates to keep the '
        "stored certificates, or delete the enrollment."
    )
    assert set(_thumbprints(IndividualEnrollment.objects.get())) == {"primary"}


def test_a_group_switching_to_signing_certificates_with_only_a_secondary_is_told_to_send_the_primary(api):
    from enrollments.services.certificates import ca_certificate_create
    from tests.pki import build_pki

    pki = build_pki("Switch")
    ca_certificate_create(name="my-root", data=pki.root.pem, verified=True)
    body = {"attestation": {"type": "x509", "x509": {"caReferences": {"primary": "my-root"}}}}
    assert api.put("/enrollmentGroups/g-switch", body).status_code == 200
    body = {
        "attestation": {
            "type": "x509",
            "x509": {"signingCertificates": {"secondary": {"certificate": pki.intermediate_1.pem.decode()}}},
        }
    }
    error = assert_error(api.put("/enrollmentGroups/g-switch", body), 400)
    assert error["message"] == (
        "attestation.x509.signingCertificates.primary: This enrollment has no stored primary certificate to keep: "
        'send the primary as {"certificate": "<PEM>"}.'
    )
    assert EnrollmentGroup.objects.get().ca_primary.name == "my-root"
