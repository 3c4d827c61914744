"""Generated bad requests against the device API (hypothesis): mutations of a valid register, poll or
status lookup. Never a 5xx, always DPS's JSON error shape for a refusal, and never a record for a
refused request (only the one valid device, signed with its own key, ever gets a record)."""

import json
import time
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrollments.models import ProvisioningService, RegistrationRecord
from tests.devices import device_token, group_device_key
from tests.factories import EnrollmentGroupFactory, IndividualEnrollmentFactory, LinkedIotHubFactory
from tests.hypothesis_profiles import scaled_examples

pytestmark = pytest.mark.django_db

PROPERTY_SETTINGS = settings(
    max_examples=scaled_examples(500),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
VALID = "prop-dev"
ERROR_MEMBERS = {"errorCode", "trackingId", "message", "timestampUtc"}


@st.composite
def requests(draw, scope: str, keys: dict):
    """(method, path, headers, body bytes, whether it is the unmutated valid request)."""
    mutations = draw(
        st.sets(
            st.sampled_from(["scope", "rid", "version", "method", "token", "body", "kind", "operation"]),
            max_size=3,
        )
    )
    rid = VALID
    if "rid" in mutations:
        rid = draw(
            st.one_of(
                st.text(max_size=140),
                st.sampled_from(["other-dev", "PROP-DEV", "grp-dev", "a" * 129, "dev\x00", "dev/x", "-", "ü"]),
            )
        )
    id_scope = scope
    if "scope" in mutations:
        id_scope = draw(st.one_of(st.from_regex(r"\A0ne[0-9A-Fa-f]{8}\Z"), st.just(scope.lower())))
    version = "2021-06-01"
    if "version" in mutations:
        version = draw(st.one_of(st.text(max_size=20), st.sampled_from(["2019-03-31", "2021-10-01", ""])))
    kind = draw(st.sampled_from(["register", "status", "operation"])) if "kind" in mutations else "register"
    method = {"register": "PUT", "status": "POST", "operation": "GET"}[kind]
    if "method" in mutations:
        method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]))
    signer = VALID
    token = device_token(scope, signer, keys[VALID])
    if "token" in mutations:
        choice = draw(st.sampled_from(["text", "wrong-key", "expired", "other-resource", "group-key", "skn", "none"]))
        if choice == "text":
            token = draw(st.text(max_size=200).filter(lambda t: "\n" not in t and "\r" not in t))
        elif choice == "wrong-key":
            token = device_token(scope, rid, keys["other"])
        elif choice == "expired":
            token = device_token(scope, rid, keys[VALID], expiry=int(time.time()) - draw(st.integers(0, 10**6)))
        elif choice == "other-resource":
            token = device_token(scope, rid, keys[VALID], resource=draw(st.text(max_size=60)))
        elif choice == "group-key":
            token = device_token(scope, rid, keys["group"])
        elif choice == "skn":
            token = token + "&skn=" + quote(draw(st.text(max_size=20)), safe="")
        else:
            token = None
    body: bytes = json.dumps({"registrationId": rid}).encode()
    if "body" in mutations:
        body = draw(
            st.one_of(
                st.binary(max_size=200),
                st.recursive(
                    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=3),
                    max_leaves=8,
                ).map(lambda value: json.dumps(value).encode()),
                st.dictionaries(
                    st.sampled_from(["registrationId", "payload", "tpm"]),
                    st.none() | st.integers() | st.text(max_size=30) | st.just({"a": [1]}),
                ).map(lambda value: json.dumps(value).encode()),
            )
        )
    rid_path = quote(rid, safe="")
    if kind == "register":
        path = f"/{id_scope}/registrations/{rid_path}/register"
    elif kind == "status":
        path = f"/{id_scope}/registrations/{rid_path}"
    else:
        operation = draw(st.text(min_size=1, max_size=60)) if "operation" in mutations else "5.0000.none"
        path = f"/{id_scope}/registrations/{rid_path}/operations/{quote(operation, safe='')}"
    path += f"?api-version={quote(version, safe='')}"
    headers = {"HTTP_AUTHORIZATION": token} if token is not None else {}
    return method, path, headers, body, not mutations


def test_generated_bad_device_requests_never_fail_and_write_nothing_when_refused(client):
    LinkedIotHubFactory(host_name="hub-a.azure-devices.net")
    scope = ProvisioningService.objects.get_current().id_scope
    valid = IndividualEnrollmentFactory(registration_id=VALID)
    IndividualEnrollmentFactory(registration_id="other-dev", provisioning_status="disabled")
    group = EnrollmentGroupFactory(enrollment_group_id="prop-group")
    keys = {
        VALID: valid.primary_key,
        "other": group_device_key(group.primary_key, "nobody"),
        "group": group.primary_key,
    }
    seen = {"refused": 0, "accepted": 0}

    @PROPERTY_SETTINGS
    @given(request=requests(scope, keys))
    def run(request):
        method, path, headers, body, unmutated = request
        before = list(RegistrationRecord.objects.values_list("registration_id", "etag"))
        response = client.generic(method, path, data=body, content_type="application/json", **headers)
        assert response.status_code < 500, (response.status_code, response.content[:300])
        if method == "HEAD":
            return
        payload = response.json()
        if response.status_code >= 400:
            seen["refused"] += 1
            assert set(payload) == ERROR_MEMBERS, payload
            assert response["x-ms-error-code"] == str(payload["errorCode"])
            assert list(RegistrationRecord.objects.values_list("registration_id", "etag")) == before
        else:
            seen["accepted"] += 1
        # Only the valid device, signed with its own key, ever has a record.
        assert {rid.lower() for rid in RegistrationRecord.objects.values_list("registration_id", flat=True)} <= {VALID}
        if unmutated:
            assert response.status_code == 200 and payload["status"] == "assigned"

    run()
    assert seen["refused"] > 0 and seen["accepted"] > 0, seen
