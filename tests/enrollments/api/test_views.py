"""Service API behaviour through the Django test client: status codes, headers, error shape,
authentication, rights, If-Match, paging and bulk."""

import base64
import time

import pytest
from django.test import Client
from django.urls import reverse

from enrollments.models import EnrollmentGroup, IndividualEnrollment
from enrollments.models import SharedAccessPolicy as Policy
from enrollments.services.enrollments import individual_enrollment_create
from tests.factories import EnrollmentGroupFactory, LinkedIotHubFactory, RegistrationRecordFactory

from .conftest import token_for

pytestmark = pytest.mark.django_db

SYM = {"type": "symmetricKey"}


def key(ch: str) -> str:
    return base64.b64encode(ch.encode() * 32).decode()


def assert_error(response, status: int, code: int | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"errorCode", "trackingId", "message", "timestampUtc"}
    assert response.headers["x-ms-error-code"] == str(body["errorCode"])
    assert 100000 <= body["errorCode"] <= 999999
    assert body["errorCode"] // 1000 == status
    if code is not None:
        assert body["errorCode"] == code
    return body


def create(api, rid="dev-1", **extra):
    response = api.put(f"/enrollments/{rid}", {"registrationId": rid, "attestation": SYM, **extra})
    assert response.status_code == 200, response.content
    return response.json()


# --- routing, versions, content -----------------------------------------------------------------


def test_root_paths_have_no_trailing_slash_and_are_not_redirected(api):
    query = api.post("/enrollments/query", {"query": "*"})
    assert query.status_code == 200 and query.json() == []
    bulk = api.post("/enrollments", {"mode": "create", "enrollments": []})
    assert bulk.status_code == 200 and bulk.json()["isSuccessful"] is True
    records = api.post("/registrations/g/query")
    assert records.status_code == 200 and records.json() == []
    assert api.get("/enrollments/query/").status_code == 404  # no redirect to a slash form


@pytest.mark.parametrize("version", ["2019-03-31", "2021-10-01", "2026-04-01"])
def test_supported_api_versions_are_accepted(api, version):
    create(api, "dev-1")
    response = api.post("/enrollments/query", {"query": "*"}, version=version)
    assert response.status_code == 200
    assert [item["registrationId"] for item in response.json()] == ["dev-1"]


@pytest.mark.parametrize("version", ["2020-01-01", "", None])
def test_other_api_versions_get_400_naming_the_supported_ones(api, version):
    body = assert_error(api.get("/enrollments/x", version=version), 400)
    assert body["message"].endswith(
        "Supported versions: 2017-08-31-preview, 2017-11-15, 2018-04-01, 2018-09-01-preview, 2019-03-31, "
        "2021-10-01, 2021-11-01-preview, 2025-07-01-preview, 2026-04-01."
    )


def test_put_answers_200_with_keys_etag_header_and_get_omits_keys(api):
    response = api.put(
        "/enrollments/dev-1",
        {"registrationId": "dev-1", "attestation": {"type": "symmetricKey", "symmetricKey": {"primaryKey": key("a")}}},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["attestation"]["symmetricKey"]["primaryKey"] == key("a")
    assert response.headers["ETag"] == f'"{body["etag"]}"'
    got = api.get("/enrollments/dev-1")
    assert got.json()["attestation"] == {"type": "symmetricKey"}
    assert got.headers["ETag"] == f'"{body["etag"]}"'
    listed = api.post("/enrollments/query", {"query": "*"}).json()
    assert listed[0]["attestation"] == {"type": "symmetricKey"}
    assert listed[0]["etag"] == body["etag"]


def test_attestation_mechanism_returns_keys_with_empty_body(api):
    created = create(api)
    response = api.post("/enrollments/dev-1/attestationmechanism")
    assert response.status_code == 200
    assert response.json()["symmetricKey"] == created["attestation"]["symmetricKey"]


def test_put_is_an_upsert_and_ignores_read_only_members(api):
    created = create(api)
    echoed = {
        **created,
        "etag": "whatever",
        "createdDateTimeUtc": "2000-01-01T00:00:00Z",
        "registrationState": {"status": "assigned"},
        "provisioningStatus": "disabled",
    }
    response = api.put("/enrollments/dev-1", echoed)
    assert response.status_code == 200
    assert response.json()["provisioningStatus"] == "disabled"
    assert response.json()["createdDateTimeUtc"] == created["createdDateTimeUtc"]
    assert IndividualEnrollment.objects.count() == 1


def test_delete_answers_204(api):
    create(api)
    response = api.delete("/enrollments/dev-1")
    assert response.status_code == 204
    assert not response.content
    assert not IndividualEnrollment.objects.exists()


def test_unknown_ids_give_404(api):
    assert_error(api.get("/enrollments/nope"), 404, 404201)
    assert_error(api.delete("/enrollments/nope"), 404, 404201)
    assert_error(api.get("/enrollmentGroups/nope"), 404, 404202)
    assert_error(api.post("/enrollmentGroups/nope/attestationmechanism"), 404, 404202)
    assert_error(api.get("/registrations/nope"), 404)


def test_non_json_body_gives_400_and_other_media_types_415(api):
    assert_error(api.put("/enrollments/dev-1", "{not json"), 400)
    assert_error(api.put("/enrollments/dev-1", "[1, 2]"), 400)
    response = api.client.put(
        "/enrollments/dev-1?api-version=2021-10-01",
        data="registrationId=x",
        content_type="text/plain",
        headers={"Authorization": token_for(api.policy)},
    )
    assert_error(response, 415)


# --- invalid bodies name the field ----------------------------------------------------------------


@pytest.mark.parametrize(
    "body, member",
    [
        ({"registrationId": "dev 1", "attestation": SYM}, "registrationId"),
        ({"registrationId": "dev-1"}, "attestation"),
        ({"registrationId": "dev-1", "attestation": {"type": "magic"}}, "attestation.type"),
        ({"registrationId": "dev-1", "attestation": {"type": "none"}}, "attestation.type"),
        ({"registrationId": "dev-1", "attestation": {"type": "tpm"}}, "attestation.tpm"),
        (
            {"registrationId": "dev-1", "attestation": {"type": "tpm", "tpm": {"endorsementKey": "c2hvcnQ="}}},
            "attestation.tpm.endorsementKey",
        ),
        (
            {"registrationId": "dev-1", "attestation": {"type": "symmetricKey", "symmetricKey": {"primaryKey": "x"}}},
            "attestation.symmetricKey.primaryKey",
        ),
        ({"registrationId": "dev-1", "attestation": SYM, "deviceId": "bad#id"}, "deviceId"),
        ({"registrationId": "dev-1", "attestation": SYM, "provisioningStatus": "on"}, "provisioningStatus"),
        ({"registrationId": "dev-1", "attestation": SYM, "initialTwin": {"tags": {"a.b": 1}}}, "initialTwin.tags"),
        ({"registrationId": "dev-1", "attestation": SYM, "allocationPolicy": "custom"}, "customAllocationDefinition"),
        ({"registrationId": "dev-1", "attestation": SYM, "iotHubs": ["nohub.example.net"]}, "iotHubs"),
        ({"registrationId": "dev-1", "attestation": SYM, "capabilities": {"iotEdge": "maybe"}}, "capabilities.iotEdge"),
        ({"registrationId": "dev-1", "attestation": SYM, "iotHubHostName": "a\x00b"}, "iotHubHostName"),
        (
            {
                "registrationId": "dev-1",
                "attestation": {"type": "x509", "x509": {"clientCertificates": {"primary": {"certificate": "junk"}}}},
            },
            "attestation.x509.clientCertificates.primary.certificate",
        ),
    ],
)
def test_invalid_body_gives_400_naming_the_member(api, body, member):
    message = assert_error(api.put("/enrollments/dev-1", body), 400)["message"]
    assert member in message
    assert not IndividualEnrollment.objects.exists()


def test_group_errors_name_group_members(api):
    message = assert_error(
        api.put(
            "/enrollmentGroups/g1",
            {"enrollmentGroupId": "g1", "attestation": {"type": "x509", "x509": {"caReferences": {"primary": "nope"}}}},
        ),
        400,
    )["message"]
    assert "attestation.x509.caReferences.primary" in message
    message = assert_error(api.put("/enrollmentGroups/g1", {"attestation": {"type": "tpm", "tpm": {}}}), 400)["message"]
    assert "attestation" in message


def test_changing_the_attestation_type_is_refused_as_a_conflict_naming_the_existing_id(api):
    create(api)
    body = {"registrationId": "DEV-1", "attestation": {"type": "tpm", "tpm": {"endorsementKey": "AAAA"}}}
    error = assert_error(api.put("/enrollments/DEV-1", body), 409)
    assert "“dev-1” already exists" in error["message"] and "cannot change" in error["message"]


def test_a_put_to_the_same_id_in_other_letter_case_updates_the_existing_record(api):
    created = create(api)
    response = api.put("/enrollments/DEV-1", {**created, "registrationId": "DEV-1", "deviceId": "renamed"})
    assert response.status_code == 200
    assert response.json()["registrationId"] == "dev-1"
    assert response.json()["deviceId"] == "renamed"


# --- If-Match ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["{etag}", '"{etag}"', "*", 'W/"{etag}"'])
def test_if_match_accepts_star_quoted_and_unquoted(api, form):
    created = create(api)
    response = api.put(
        "/enrollments/dev-1", {**created, "deviceId": "d"}, headers={"If-Match": form.format(etag=created["etag"])}
    )
    assert response.status_code == 200
    assert response.json()["deviceId"] == "d"


def test_stale_if_match_gives_412_on_put_and_delete(api):
    created = create(api)
    api.put("/enrollments/dev-1", {**created, "deviceId": "d"})
    assert_error(api.put("/enrollments/dev-1", created, headers={"If-Match": created["etag"]}), 412)
    assert_error(api.delete("/enrollments/dev-1", headers={"If-Match": f'"{created["etag"]}"'}), 412)
    assert IndividualEnrollment.objects.get().device_id == "d"


def test_if_match_on_a_missing_record_gives_412(api):
    body = {"registrationId": "dev-1", "attestation": SYM}
    assert_error(api.put("/enrollments/dev-1", body, headers={"If-Match": '"abc"'}), 412)
    assert api.put("/enrollments/dev-1", body).status_code == 200


def test_registration_delete_honours_if_match(api):
    record = RegistrationRecordFactory(registration_id="r1", enrollment_group_name="g")
    assert_error(api.delete("/registrations/r1", headers={"If-Match": '"old"'}), 412)
    assert api.delete("/registrations/R1", headers={"If-Match": record.etag}).status_code == 204


# --- authentication and rights --------------------------------------------------------------------


def test_missing_malformed_expired_and_wrong_tokens_give_401(api, owner):
    path = "/enrollments/x"
    assert_error(api.client.get(path + "?api-version=2021-10-01"), 401, 401002)
    assert_error(api.get(path, token="SharedAccessSignature sr=testserver"), 401)
    assert_error(api.get(path, token=token_for(owner, expiry=int(time.time()) - 5)), 401)
    assert_error(api.get(path, token=token_for(owner, key=key("w"))), 401)
    assert_error(api.get(path, token=token_for(owner, name="nobody")), 401)
    assert_error(api.get(path, token=token_for(owner, resource="elsewhere.example.com")), 401)
    create(api, "x")
    response = api.get(path, token=token_for(owner, key=owner.secondary_key))
    assert response.status_code == 200 and response.json()["registrationId"] == "x"


@pytest.mark.parametrize(
    "resource", ["testserver", "TESTSERVER", "http://testserver", "https://testserver/enrollments"]
)
def test_sr_host_matched_ignoring_case_and_scheme(api, owner, resource):
    create(api, "x")
    response = api.get("/enrollments/x", token=token_for(owner, resource=resource))
    assert response.status_code == 200 and response.json()["registrationId"] == "x"


def test_sr_may_name_the_public_url_host(api, owner, settings):
    settings.DPS_PUBLIC_URL = "https://dps.example.com"
    create(api, "x")
    response = api.get("/enrollments/x", token=token_for(owner, resource="dps.example.com"))
    assert response.status_code == 200 and response.json()["registrationId"] == "x"


def test_session_sign_in_is_not_enough_and_csrf_is_not_needed(admin_client, owner):
    assert_error(admin_client.get("/enrollments/x?api-version=2021-10-01"), 401)
    strict = Client(enforce_csrf_checks=True)
    response = strict.put(
        "/enrollments/dev-1?api-version=2021-10-01",
        data='{"registrationId": "dev-1", "attestation": {"type": "symmetricKey"}}',
        content_type="application/json",
        headers={"Authorization": token_for(owner)},
    )
    assert response.status_code == 200 and response.json()["registrationId"] == "dev-1"
    assert IndividualEnrollment.objects.get().registration_id == "dev-1"


def test_policy_lacking_a_right_gets_403(client, owner):
    reader = Policy.objects.create(name="reader", enrollment_read=True)
    token = token_for(reader)
    headers = {"Authorization": token}
    assert client.get("/enrollments/x?api-version=2021-10-01", headers=headers).status_code == 404
    response = client.put(
        "/enrollments/x?api-version=2021-10-01",
        data='{"attestation": {"type": "symmetricKey"}}',
        content_type="application/json",
        headers=headers,
    )
    body = assert_error(response, 403)
    assert "EnrollmentWrite" in body["message"]
    assert_error(client.get("/registrations/x?api-version=2021-10-01", headers=headers), 403)
    assert_error(client.delete("/registrations/x?api-version=2021-10-01", headers=headers), 403)


def test_owner_policy_is_created_on_first_use_with_all_rights(db):
    Policy.objects.all().delete()  # post_migrate made it already; it must also come back on first use
    owner = Policy.objects.ensure_owner()
    assert owner.name == "provisioningserviceowner"
    assert owner.rights == [
        "ServiceConfig",
        "EnrollmentRead",
        "EnrollmentWrite",
        "RegistrationStatusRead",
        "RegistrationStatusWrite",
    ]
    assert len(base64.b64decode(owner.primary_key)) == 32
    assert Policy.objects.ensure_owner().pk == owner.pk


# --- paging ---------------------------------------------------------------------------------------


def test_query_pages_with_continuation_absent_on_last_page(api):
    for i in range(5):
        individual_enrollment_create(registration_id=f"d{i}", attestation_type="symmetricKey")
    first = api.post("/enrollments/query", {"query": "*"}, headers={"x-ms-max-item-count": "2"})
    assert first.headers["x-ms-item-type"] == "enrollment"
    assert [e["registrationId"] for e in first.json()] == ["d0", "d1"]
    token = first.headers["x-ms-continuation"]
    second = api.post(
        "/enrollments/query", {"query": "*"}, headers={"x-ms-max-item-count": "2", "x-ms-continuation": token}
    )
    third = api.post(
        "/enrollments/query",
        {"query": "SELECT * FROM enrollments"},
        headers={"x-ms-max-item-count": "2", "x-ms-continuation": second.headers["x-ms-continuation"]},
    )
    assert [e["registrationId"] for e in third.json()] == ["d4"]
    assert "x-ms-continuation" not in third.headers


def test_query_rejects_bad_paging_headers_and_queries(api):
    assert_error(api.post("/enrollments/query", {"query": "*"}, headers={"x-ms-max-item-count": "0"}), 400)
    assert_error(api.post("/enrollments/query", {"query": "*"}, headers={"x-ms-continuation": "zz"}), 400)
    assert_error(api.post("/enrollments/query", {"query": "SELECT deviceId FROM x"}), 400)
    assert_error(api.post("/enrollments/query", {}), 400)


def test_registration_query_has_an_empty_body_and_item_type(api):
    group = EnrollmentGroupFactory(enrollment_group_id="g")
    RegistrationRecordFactory(registration_id="a", enrollment_group=group, enrollment_group_name="g")
    RegistrationRecordFactory(registration_id="b", enrollment_group_name="G")  # orphan of a deleted group
    RegistrationRecordFactory(registration_id="c", enrollment_group_name="other")  # orphan, no group of that name
    response = api.client.post(
        "/registrations/g/query?api-version=2021-10-01", headers={"Authorization": token_for(api.policy)}
    )
    assert response.status_code == 200
    assert response.headers["x-ms-item-type"] == "deviceRegistration"
    # Tied by key: the group `g` has only its own record, not the orphan of an earlier `G`.
    assert [r["registrationId"] for r in response.json()] == ["a"]
    orphans = api.client.post(
        "/registrations/other/query?api-version=2021-10-01", headers={"Authorization": token_for(api.policy)}
    )
    assert [r["registrationId"] for r in orphans.json()] == ["c"]


# --- bulk -------------------------------------------------------------------------------------------


def test_bulk_create_reports_existing_items_and_keeps_the_others(api):
    create(api, "dev-1")
    response = api.post(
        "/enrollments",
        {
            "mode": "create",
            "enrollments": [
                {"registrationId": "dev-1", "attestation": SYM},
                {"registrationId": "dev-2", "attestation": SYM},
                {"registrationId": "bad id", "attestation": SYM},
            ],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["isSuccessful"] is False
    codes = {e["registrationId"]: e["errorCode"] for e in body["errors"]}
    assert codes["dev-1"] == 409201
    assert codes["bad id"] // 1000 == 400
    assert body["errors"][0]["errorStatus"] == "Enrollment already exists."
    assert sorted(IndividualEnrollment.objects.values_list("registration_id", flat=True)) == ["dev-1", "dev-2"]


def test_bulk_update_modes_and_delete(api):
    created = create(api, "dev-1")
    update = api.post(
        "/enrollments",
        {"mode": "update", "enrollments": [{"registrationId": "dev-1", "attestation": SYM, "deviceId": "x"}]},
    )
    assert update.json() == {"isSuccessful": True, "errors": []}
    stale = api.post(
        "/enrollments",
        {
            "mode": "updateIfMatchETag",
            "enrollments": [{"registrationId": "dev-1", "attestation": SYM, "etag": created["etag"]}],
        },
    ).json()
    assert stale["errors"][0]["errorCode"] == 412002
    current = IndividualEnrollment.objects.get().etag
    fresh = api.post(
        "/enrollments",
        {
            "mode": "updateIfMatchETag",
            "enrollments": [{"registrationId": "dev-1", "attestation": SYM, "etag": current, "deviceId": "y"}],
        },
    ).json()
    assert fresh["isSuccessful"] is True
    assert IndividualEnrollment.objects.get().device_id == "y"
    deleted = api.post(
        "/enrollments",
        {
            "mode": "delete",
            "enrollments": [{"registrationId": "dev-1", "attestation": SYM}, {"registrationId": "gone"}],
        },
    ).json()
    assert [e["errorCode"] for e in deleted["errors"]] == [404201]
    assert not IndividualEnrollment.objects.exists()


@pytest.mark.parametrize(
    ("path", "collection", "id_member"),
    [("/enrollments", "enrollments", "registrationId"), ("/enrollmentGroups", "enrollmentGroups", "enrollmentGroupId")],
)
@pytest.mark.parametrize("etag", [7, ["x"], {"a": 1}, True])
def test_a_bulk_delete_etag_that_is_not_a_string_fails_that_item_and_deletes_nothing(
    api, path, collection, id_member, etag
):
    api.put(f"{path}/one", {"attestation": SYM})
    api.put(f"{path}/two", {"attestation": SYM})
    answer = api.post(path, {"mode": "delete", collection: [{id_member: "one", "etag": etag}, {id_member: "two"}]})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["isSuccessful"] is False and len(body["errors"]) == 1
    assert body["errors"][0][id_member] == "one" and body["errors"][0]["errorStatus"].startswith(
        "etag must be a JSON string, not"
    )
    assert api.get(f"{path}/one").status_code == 200 and api.get(f"{path}/two").status_code == 404


def test_bulk_limit_is_the_setting_not_azures_ten(api, settings):
    items = [{"registrationId": f"d{i}", "attestation": SYM} for i in range(12)]
    assert api.post("/enrollments", {"mode": "create", "enrollments": items}).json()["isSuccessful"] is True
    settings.DPS_MAX_BULK_ITEMS = 3
    assert (
        "at most 3" in assert_error(api.post("/enrollments", {"mode": "delete", "enrollments": items}), 400)["message"]
    )
    assert_error(api.post("/enrollments", {"mode": "sideways", "enrollments": []}), 400)


def test_bulk_group_items_are_each_atomic(api):
    response = api.post(
        "/enrollmentGroups",
        {
            "mode": "create",
            "enrollmentGroups": [
                {"enrollmentGroupId": "g1", "attestation": SYM},
                {"enrollmentGroupId": "g2", "attestation": SYM, "allocationPolicy": "static"},
            ],
        },
    ).json()
    assert [e["enrollmentGroupId"] for e in response["errors"]] == ["g2"]
    assert list(EnrollmentGroup.objects.values_list("enrollment_group_id", flat=True)) == ["g1"]


# --- one create path: the API and the portal share rows -------------------------------------------


def test_api_writes_are_portal_rows_and_portal_writes_are_api_records(api, admin_client):
    hub = LinkedIotHubFactory(host_name="hub-a.azure-devices.net", shared_access_key_name="o")
    create(api, "from-api", iotHubs=["HUB-A.azure-devices.net"], reprovisionPolicy={"updateHubAssignment": False})
    row = IndividualEnrollment.objects.get(registration_id="from-api")
    assert list(row.iot_hubs.all()) == [hub]
    assert row.reprovision_policy == "never"

    portal = individual_enrollment_create(
        registration_id="from-portal", attestation_type="symmetricKey", iot_edge=True, initial_twin_tags={"a": 1}
    )
    got = api.get("/enrollments/from-portal").json()
    assert got["etag"] == portal.etag
    assert got["capabilities"] == {"iotEdge": True}
    assert got["initialTwin"]["tags"] == {"a": 1}
    assert api.post("/enrollments/from-portal/attestationmechanism").json()["symmetricKey"]["primaryKey"] == (
        portal.primary_key
    )
    page = admin_client.get(reverse("enrollments:individual_enrollment_list")).content.decode()
    assert "from-api" in page and "from-portal" in page


# --- credentials replaced by PUT (services.enrollment_x509_replace, endorsement key check) ---------


def test_put_replaces_an_x509_client_certificate_and_checks_the_cn(api):
    from tests.conftest import make_certificate

    first, _ = make_certificate("cam-1")
    second, _ = make_certificate("cam-1")
    other_cn, _ = make_certificate("cam-2")
    body = {
        "registrationId": "cam-1",
        "attestation": {"type": "x509", "x509": {"clientCertificates": {"primary": {"certificate": first.decode()}}}},
    }
    created = api.put("/enrollments/cam-1", body).json()
    old = created["attestation"]["x509"]["clientCertificates"]["primary"]["info"]["sha256Thumbprint"]
    body["attestation"]["x509"]["clientCertificates"]["primary"]["certificate"] = second.decode()
    replaced = api.put("/enrollments/cam-1", body, headers={"If-Match": created["etag"]}).json()
    new = replaced["attestation"]["x509"]["clientCertificates"]["primary"]["info"]["sha256Thumbprint"]
    assert new != old
    assert IndividualEnrollment.objects.get().certificates.get().sha256_thumbprint == new
    body["attestation"]["x509"]["clientCertificates"]["primary"]["certificate"] = other_cn.decode()
    message = assert_error(api.put("/enrollments/cam-1", body), 400)["message"]
    assert "attestation.x509.clientCertificates.primary" in message
    assert IndividualEnrollment.objects.get().certificates.get().sha256_thumbprint == new  # rolled back


def test_put_switches_a_group_from_signing_certificate_to_ca_reference(api, ca_certificate_pem):
    from enrollments.attestation.x509 import parse_certificate
    from enrollments.models import CaCertificate
    from tests.conftest import make_certificate

    body = {
        "enrollmentGroupId": "g",
        "attestation": {
            "type": "x509",
            "x509": {"signingCertificates": {"primary": {"certificate": ca_certificate_pem.decode()}}},
        },
    }
    assert api.put("/enrollmentGroups/g", body).status_code == 200
    root_pem, _ = make_certificate("Root", is_ca=True)
    CaCertificate.objects.create(name="root", is_verified=False, **parse_certificate(root_pem).model_fields())
    refs = {"enrollmentGroupId": "g", "attestation": {"type": "x509", "x509": {"caReferences": {"primary": "root"}}}}
    assert "unverified" in assert_error(api.put("/enrollmentGroups/g", refs), 400)["message"]
    CaCertificate.objects.update(is_verified=True)
    switched = api.put("/enrollmentGroups/g", refs).json()
    assert switched["attestation"]["x509"] == {"caReferences": {"primary": "root"}}
    group = EnrollmentGroup.objects.get()
    assert group.ca_primary.name == "root"
    assert not group.certificates.exists()


def test_put_checks_a_replaced_endorsement_key(api, vectors):
    ek = vectors["tpm"]["endorsement_key"]
    body = {"registrationId": "tpm-1", "attestation": {"type": "tpm", "tpm": {"endorsementKey": ek}}}
    assert api.put("/enrollments/tpm-1", body).status_code == 200
    body["attestation"]["tpm"]["endorsementKey"] = "c2hvcnQ="
    assert "attestation.tpm.endorsementKey" in assert_error(api.put("/enrollments/tpm-1", body), 400)["message"]
    assert IndividualEnrollment.objects.get().endorsement_key == ek
