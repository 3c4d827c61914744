"""services.bulk: a bulk call applied as one batch answers and writes exactly what the same call
applied item by item does (creates, updates, etag updates, deletes, failures, quota overflow, hubs,
certificates), and its number of SQL queries does not grow with its number of items."""

import base64
import itertools

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from enrollments.models import EnrollmentGroup, IndividualEnrollment
from enrollments.services import bulk
from tests.enrollments.api.conftest import Api
from tests.factories import IndividualEnrollmentFactory, LinkedIotHubFactory
from tests.pki import issue

HUB = "hub-a.azure-devices.net"


def key(ch: str) -> str:
    return base64.b64encode(ch.encode() * 32).decode()


def sym(ch: str) -> dict:
    return {"type": "symmetricKey", "symmetricKey": {"primaryKey": key(ch), "secondaryKey": key(ch.upper())}}


def client_certificate(pem: bytes) -> dict:
    return {"type": "x509", "x509": {"clientCertificates": {"primary": {"certificate": pem.decode()}}}}


def signing_certificate(pem: bytes) -> dict:
    return {"type": "x509", "x509": {"signingCertificates": {"primary": {"certificate": pem.decode()}}}}


@pytest.fixture
def api(client, owner) -> Api:
    return Api(client, owner)


@pytest.fixture
def owner(db):
    from enrollments.models import SharedAccessPolicy

    return SharedAccessPolicy.objects.ensure_owner()


@pytest.fixture(scope="module")
def pems() -> dict[str, bytes]:
    """Certificates for the scenario, made once (the same bodies in both runs)."""
    return {
        "x-old": issue("x-old").pem,
        "x-new": issue("x-new").pem,
        "x-new-2": issue("x-new").pem,
        "x-old-again": issue("x-old").pem,
        "ca-1": issue("Bulk CA 1", ca=True).pem,
        "ca-2": issue("Bulk CA 2", ca=True).pem,
    }


def _snapshot() -> list:
    """Every enrollment as compared between the runs (no etags, times or primary keys)."""

    def row(obj, id_field):
        return (
            getattr(obj, id_field),
            obj.attestation_type,
            obj.primary_key,
            obj.secondary_key,
            getattr(obj, "device_id", ""),
            obj.provisioning_status,
            obj.allocation_policy,
            obj.iot_hub_host_name,
            sorted(hub.host_name for hub in obj.iot_hubs.all()),
            sorted((c.slot, c.sha256_thumbprint) for c in obj.certificates.all()),
        )

    return sorted(row(e, "registration_id") for e in IndividualEnrollment.objects.all()) + sorted(
        row(g, "enrollment_group_id") for g in EnrollmentGroup.objects.all()
    )


def _etag(model, name: str) -> str:
    id_field = "registration_id" if model is IndividualEnrollment else "enrollment_group_id"
    return model.objects.get(**{f"{id_field}__iexact": name}).etag


def _set(settings, **values) -> bool:
    for name, value in values.items():
        setattr(settings, name, value)
    return True


def _scenario(api: Api, settings, pems) -> list:
    """Seed a few records, then send a mix of bulk calls; returns each call's (status, body)."""
    LinkedIotHubFactory(host_name=HUB)
    IndividualEnrollmentFactory(registration_id="dev-old", primary_key=key("z"), secondary_key=key("y"))
    api.put("/enrollments/x-old", {"registrationId": "x-old", "attestation": client_certificate(pems["x-old"])})
    # 2 stored; room for 4 more individual enrollments, then the quota is reached.
    settings.DPS_MAX_INDIVIDUAL_ENROLLMENTS = 6
    settings.DPS_MAX_SYMMETRIC_KEY_GROUPS = 1
    calls = [
        (
            "/enrollments",
            lambda: {
                "mode": "create",
                "enrollments": [
                    {"registrationId": "dev-1", "attestation": sym("a")},
                    {"registrationId": "DEV-OLD", "attestation": sym("b")},
                    {"registrationId": "bad id", "attestation": sym("c")},
                    {
                        "registrationId": "dev-2",
                        "attestation": sym("d"),
                        "iotHubs": [HUB.upper()],
                        "allocationPolicy": "static",
                    },
                    {"registrationId": "dev-3", "attestation": sym("e"), "iotHubs": ["nothub.azure-devices.net"]},
                    {"registrationId": "dev-4", "attestation": sym("f"), "iotHubHostName": HUB},
                    {
                        "registrationId": "dev-5",
                        "attestation": {"type": "symmetricKey", "symmetricKey": {"primaryKey": "abc"}},
                    },
                    {"registrationId": "x-new", "attestation": client_certificate(pems["x-new"])},
                    {"registrationId": "x-bad", "attestation": client_certificate(pems["x-new-2"])},
                    {"registrationId": "dev-6", "attestation": sym("g")},
                    {"registrationId": "dev-7", "attestation": sym("h")},
                    "not an object",
                    {"attestation": sym("i")},
                ],
            },
        ),
        (
            "/enrollments",
            lambda: {
                # One more slot: dev-8 is created, dev-9 over the quota.
                "mode": "update" if _set(settings, DPS_MAX_INDIVIDUAL_ENROLLMENTS=7) else "",
                "enrollments": [
                    {
                        "registrationId": "dev-1",
                        "attestation": sym("a"),
                        "deviceId": "d1",
                        "provisioningStatus": "disabled",
                    },
                    {"registrationId": "dev-2", "attestation": client_certificate(pems["x-new"])},
                    {"registrationId": "dev-4", "attestation": sym("f"), "allocationPolicy": "static"},
                    {"registrationId": "x-new", "attestation": client_certificate(pems["x-new-2"])},
                    {"registrationId": "x-old", "attestation": client_certificate(pems["x-old-again"])},
                    {"registrationId": "dev-8", "attestation": sym("j"), "iotHubs": [HUB]},
                    {"registrationId": "dev-9", "attestation": sym("k")},
                ],
            },
        ),
        (
            "/enrollments",
            lambda: {
                "mode": "updateIfMatchETag",
                "enrollments": [
                    {
                        "registrationId": "DEV-1",
                        "attestation": sym("a"),
                        "etag": _etag(IndividualEnrollment, "dev-1"),
                        "deviceId": "d2",
                    },
                    {"registrationId": "dev-2", "attestation": sym("d"), "etag": "0000"},
                    {"registrationId": "absent-1", "attestation": sym("l"), "etag": "*"},
                ],
            },
        ),
        (
            "/enrollments",
            lambda: {
                "mode": "delete",
                "enrollments": [
                    {"registrationId": "dev-1", "etag": "0000"},
                    {"registrationId": "dev-2", "etag": _etag(IndividualEnrollment, "dev-2")},
                    {"registrationId": "absent-2"},
                    {"registrationId": "DEV-4"},
                    {"registrationId": "x-old", "etag": "*"},
                    {"registrationId": ""},
                    42,
                ],
            },
        ),
        (
            "/enrollmentGroups",
            lambda: {
                "mode": "create",
                "enrollmentGroups": [
                    {"enrollmentGroupId": "g1", "attestation": sym("m")},
                    {"enrollmentGroupId": "g2", "attestation": signing_certificate(pems["ca-1"])},
                    {"enrollmentGroupId": "g3", "attestation": signing_certificate(pems["ca-1"])},
                    {
                        "enrollmentGroupId": "g4",
                        "attestation": signing_certificate(pems["ca-2"]),
                        "allocationPolicy": "static",
                    },
                    {"enrollmentGroupId": "g5", "attestation": sym("n")},
                    {"enrollmentGroupId": "g6", "attestation": signing_certificate(pems["ca-2"]), "iotHubs": [HUB]},
                ],
            },
        ),
        (
            "/enrollmentGroups",
            lambda: {
                "mode": "update",
                "enrollmentGroups": [
                    {"enrollmentGroupId": "G1", "attestation": sym("m"), "provisioningStatus": "disabled"},
                    {"enrollmentGroupId": "g7", "attestation": signing_certificate(pems["ca-1"])},
                ],
            },
        ),
        (
            "/enrollmentGroups",
            lambda: {"mode": "delete", "enrollmentGroups": [{"enrollmentGroupId": "g2"}, {"enrollmentGroupId": "gx"}]},
        ),
    ]
    answers = []
    for path, body in calls:
        response = api.post(path, body())
        answers.append((response.status_code, response.json()))
    return answers


def _run(api, settings, pems) -> tuple[list, list]:
    """The scenario's answers and final rows, rolled back afterwards."""
    with transaction.atomic():
        answers = _scenario(api, settings, pems)
        rows = _snapshot()
        transaction.set_rollback(True)
    return answers, rows


def test_a_batched_bulk_call_answers_and_writes_what_item_by_item_does(api, settings, pems, monkeypatch):
    opened = []
    real_batch = bulk.batch

    def spy(*args):
        manager = real_batch(*args)

        class Spy:
            def __enter__(self):
                current = manager.__enter__()
                opened.append(current is not None)
                return current

            def __exit__(self, *exc):
                return manager.__exit__(*exc)

        return Spy()

    monkeypatch.setattr(bulk, "batch", spy)
    batched = _run(api, settings, pems)
    assert opened and all(opened), "every call of the scenario must take the batched path"
    monkeypatch.setattr(bulk, "_keys", lambda ids: None)  # no batch: each item alone, in its savepoint
    opened.clear()
    one_by_one = _run(api, settings, pems)
    assert opened and not any(opened)
    assert batched[0] == one_by_one[0]
    assert batched[1] == one_by_one[1]

    # The scenario exercises what it claims: successes and each kind of failure.
    def failed(call: int, code: int | None = None, text: str = "") -> list[str]:
        return [
            next(v for k, v in e.items() if k.endswith("Id"))
            for e in batched[0][call][1]["errors"]
            if (code is None or e["errorCode"] == code) and text in e["errorStatus"]
        ]

    assert failed(0, 409201) == ["DEV-OLD"]
    assert failed(0, text="quota") == ["x-bad", "dev-6", "dev-7"]
    assert set(failed(0, 400004)) >= {"bad id", "dev-3", "dev-5"}
    assert failed(1) == ["dev-2", "dev-4", "dev-9"]
    assert failed(2) == ["dev-2", "absent-1"] and failed(2, 412002) == ["dev-2"]
    assert failed(3, 412002) == ["dev-1"] and failed(3, 404201) == ["absent-2"]
    assert failed(4, text="already used") == ["g3"] and failed(4, text="quota") == ["g5"]
    assert failed(5, text="already used") == ["g7"]
    rows = {row[0]: row for row in batched[1]}
    assert set(rows) == {"dev-1", "dev-old", "dev-8", "x-new", "g1", "g6"}
    assert rows["dev-8"][8] == [HUB] and rows["g6"][8] == [HUB] and rows["dev-1"][4] == "d2"


def test_a_call_naming_one_id_twice_goes_item_by_item_with_the_same_rules(api):
    items = [
        {"registrationId": "dup-1", "attestation": sym("a")},
        {"registrationId": "DUP-1", "attestation": sym("b")},
        {"registrationId": "dup-2", "attestation": sym("c")},
    ]
    body = api.post("/enrollments", {"mode": "update", "enrollments": items}).json()
    assert body == {"isSuccessful": True, "errors": []}
    stored = IndividualEnrollment.objects.get(registration_id="dup-1")
    assert stored.primary_key == key("b")  # the second item updated what the first created
    assert IndividualEnrollment.objects.count() == 2


def test_a_certificate_clash_at_the_batched_write_fails_only_its_item(api, pems, monkeypatch):
    """A concurrent writer can take a certificate between the check and the batch's write: the batch
    then writes item by item and reports that item, as item by item would."""
    from enrollments.services import enrollments as services

    real = services._check_certificates

    def blind(errors, certificates, **kwargs):  # the check cannot see the other writer's row yet
        return None

    api.put("/enrollmentGroups/taken", {"enrollmentGroupId": "taken", "attestation": signing_certificate(pems["ca-1"])})
    monkeypatch.setattr(services, "_check_certificates", blind)
    body = api.post(
        "/enrollmentGroups",
        {
            "mode": "create",
            "enrollmentGroups": [
                {"enrollmentGroupId": "g-ok", "attestation": sym("a")},
                {"enrollmentGroupId": "g-clash", "attestation": signing_certificate(pems["ca-1"])},
            ],
        },
    ).json()
    monkeypatch.setattr(services, "_check_certificates", real)
    assert [e["enrollmentGroupId"] for e in body["errors"]] == ["g-clash"]
    assert "already used" in body["errors"][0]["errorStatus"]
    assert set(EnrollmentGroup.objects.values_list("enrollment_group_id", flat=True)) == {"taken", "g-ok"}


def _queries(api, path: str, body: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.post(path, body)
    assert response.status_code == 200, response.content
    assert response.json()["isSuccessful"] is True, response.json()
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "member,path,id_member",
    [
        ("enrollments", "/enrollments", "registrationId"),
        ("enrollmentGroups", "/enrollmentGroups", "enrollmentGroupId"),
    ],
)
def test_bulk_creates_and_deletes_cost_the_same_queries_for_any_item_count(api, settings, member, path, id_member):
    settings.DPS_MAX_SYMMETRIC_KEY_GROUPS = 100
    LinkedIotHubFactory(host_name=HUB)

    def items(prefix: str, n: int) -> list[dict]:
        return [{id_member: f"{prefix}-{i}", "attestation": sym("a"), "iotHubs": [HUB]} for i in range(n)]

    counts = {}
    for n in (3, 30):
        counts[("create", n)] = _queries(api, path, {"mode": "create", member: items(f"c{n}", n)})
        counts[("delete", n)] = _queries(
            api, path, {"mode": "delete", member: [{id_member: item[id_member]} for item in items(f"c{n}", n)]}
        )
    assert counts[("create", 3)] == counts[("create", 30)], counts
    assert counts[("delete", 3)] == counts[("delete", 30)], counts


UPDATE_QUERIES_PER_ITEM = 5  # savepoint, locked read, conditional UPDATE, hubs read, release


def test_bulk_updates_cost_a_small_constant_of_queries_per_item(api):
    """An update reads its row locked, writes it conditionally, replaces its hubs, in a savepoint."""
    LinkedIotHubFactory(host_name=HUB)

    def items(n: int) -> list[dict]:
        return [{"registrationId": f"u-{i}", "attestation": sym("a"), "iotHubs": [HUB]} for i in range(n)]

    api.post("/enrollments", {"mode": "create", "enrollments": items(30)})
    few = _queries(api, "/enrollments", {"mode": "update", "enrollments": items(3)})
    many = _queries(api, "/enrollments", {"mode": "update", "enrollments": items(30)})
    assert (many - few) <= UPDATE_QUERIES_PER_ITEM * 27, (few, many)


def test_a_batch_whose_write_ends_past_the_time_limit_applies_nothing_and_says_so(api, settings, monkeypatch):
    """The time limit is checked again after the batch's write: a call that ran out of time while
    writing answers 503 and commits nothing, never a success."""
    from enrollments.api import views

    settings.DPS_BULK_TIME_LIMIT = 5
    clock = itertools.chain([0.0, 1.0, 2.0], itertools.repeat(9.0))  # start, item 0, item 1, after the write
    monkeypatch.setattr(views.time, "monotonic", lambda: next(clock))
    items = [{"registrationId": f"late-{i}", "attestation": sym("a")} for i in range(2)]
    response = api.post("/enrollments", {"mode": "create", "enrollments": items})
    assert response.status_code == 503, response.content
    assert "2 of 2 enrollments" in response.json()["message"]
    assert response["Retry-After"].isdigit()
    assert not IndividualEnrollment.objects.exists()


def test_without_keys_from_bulk_insert_the_batch_writes_its_creates_one_by_one(api, monkeypatch):
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    LinkedIotHubFactory(host_name=HUB)
    items = [{"registrationId": f"old-{i}", "attestation": sym("a"), "iotHubs": [HUB]} for i in range(3)]
    body = api.post("/enrollments", {"mode": "create", "enrollments": items}).json()
    assert body == {"isSuccessful": True, "errors": []}
    assert sorted(e.iot_hubs.get().host_name for e in IndividualEnrollment.objects.all()) == [HUB] * 3
