"""Service API authentication and rights: every method maps to a right (HEAD to GET's), methods a
path does not serve get 405 before authentication, an unknown policy name is answered as a wrong
signature, and tokens living longer than DPS_MAX_SAS_LIFETIME are refused."""

import re
import time

import pytest

from enrollments import sas
from enrollments.models import SharedAccessPolicy as Policy

from .conftest import token_for
from .test_views import assert_error, create

pytestmark = pytest.mark.django_db

VERSION = "?api-version=2021-10-01"


@pytest.mark.parametrize("path", ["/enrollments/dev-1", "/enrollmentGroups/grp-1"])
def test_head_needs_the_read_right_of_get(api, client, path):
    api.put(path, {"attestation": {"type": "symmetricKey"}})
    status_reader = Policy.objects.create(name="status-reader", registration_status_read=True)
    response = client.head(path + VERSION, headers={"Authorization": token_for(status_reader)})
    assert response.status_code == 403
    assert "ETag" not in response.headers
    assert response.headers["x-ms-error-code"] == "403002"
    # With the right, HEAD answers as GET does, without a body.
    reader = Policy.objects.create(name="reader", enrollment_read=True)
    response = client.head(path + VERSION, headers={"Authorization": token_for(reader)})
    assert response.status_code == 200
    assert response.headers["ETag"]


def test_head_of_a_registration_state_needs_registration_status_read(api, client):
    enrollment_reader = Policy.objects.create(name="enrollment-reader", enrollment_read=True)
    response = client.head("/registrations/r1" + VERSION, headers={"Authorization": token_for(enrollment_reader)})
    assert response.status_code == 403


@pytest.mark.parametrize("method", ["OPTIONS", "PATCH", "TRACE", "FOO", "POST"])
def test_a_method_the_path_does_not_serve_is_405_before_authentication(client, owner, method):
    for headers in ({}, {"Authorization": "SharedAccessSignature sr=x&sig=y&se=1&skn=nobody"}):
        response = client.generic(method, "/enrollments/dev-1" + VERSION, headers=headers)
        body = assert_error(response, 405, 405000)
        assert method in body["message"]
        assert response.headers["Allow"] == "GET, PUT, DELETE, HEAD"
    # Even without api-version, the method is what is wrong.
    assert_error(client.generic(method, "/enrollments/dev-1"), 405)


def test_options_does_not_describe_the_view(api):
    response = api.call("OPTIONS", "/enrollments/dev-1")
    assert response.status_code == 405
    assert "renders" not in response.json()


def test_an_unknown_policy_name_is_answered_as_a_wrong_signature(api, owner):
    create(api)
    unknown = assert_error(api.get("/enrollments/dev-1", token=token_for(owner, name="no-such-policy")), 401)
    wrong_key = assert_error(api.get("/enrollments/dev-1", token=token_for(owner, key=sas.generate_policy_key())), 401)
    assert unknown["message"] == wrong_key["message"] == sas.BAD_SIGNATURE
    assert "no-such-policy" not in unknown["message"]


def test_a_token_beyond_the_maximum_lifetime_is_refused(api, owner, settings):
    create(api)
    decades = int(time.time()) + 30 * 365 * 86400
    body = assert_error(api.get("/enrollments/dev-1", token=token_for(owner, expiry=decades)), 401)
    assert "DPS_MAX_SAS_LIFETIME" in body["message"]
    assert "within 365 days" in body["message"]
    # The same for an unknown policy: the lifetime is checked before the policy matters.
    other = assert_error(api.get("/enrollments/dev-1", token=token_for(owner, name="nobody", expiry=decades)), 401)
    # (Up to the "is … away" part, which counts from the moment each request is checked.)
    assert re.sub(r"is .*? away", "", other["message"]) == re.sub(r"is .*? away", "", body["message"])
    # Just within the default year: accepted.
    within = int(time.time()) + 364 * 86400
    assert api.get("/enrollments/dev-1", token=token_for(owner, expiry=within)).status_code == 200
    settings.DPS_MAX_SAS_LIFETIME = 600
    assert_error(api.get("/enrollments/dev-1", token=token_for(owner, expiry=int(time.time()) + 3600)), 401)
    assert api.get("/enrollments/dev-1", token=token_for(owner, expiry=int(time.time()) + 300)).status_code == 200
