"""DPS's error shape for requests Django itself would refuse: a body over DPS_MAX_REQUEST_BODY
gets the JSON 413 on the service API, not Django's HTML 400."""

import json

import pytest

from .test_views import assert_error

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def _padded(size: int) -> str:
    body = {"registrationId": "dev-1", "attestation": {"type": "symmetricKey"}, "deviceId": "d", "x": ""}
    body["x"] = "a" * (size - len(json.dumps(body)))
    return json.dumps(body)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/enrollments/dev-1"),
        ("PUT", "/enrollmentGroups/g1"),
        ("POST", "/enrollments"),
        ("POST", "/enrollmentGroups/query"),
    ],
)
def test_a_body_over_10_mb_is_dps_json_413(api, method, path):
    response = api.call(method, path, _padded(10 * MB + 1))
    body = assert_error(response, 413, 413000)
    assert response["Content-Type"] == "application/json"
    assert "10,485,760 bytes" in body["message"]


def test_a_body_just_under_the_limit_is_read(api):
    # 5 MB is over Django's default (2.5 MB) and under the service's 10 MB: it reaches the serializer.
    response = api.put("/enrollments/dev-1", _padded(5 * MB))
    assert response.status_code == 200, response.content[:300]
    assert response.json()["deviceId"] == "d"


def test_the_limit_follows_the_setting(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = assert_error(api.put("/enrollments/dev-1", _padded(2000)), 413)
    assert "1,000 bytes" in body["message"]
