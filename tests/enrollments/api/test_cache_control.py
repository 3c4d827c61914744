"""Answers that carry keys are never stored by a cache: every service API answer says `no-store`."""

import pytest

from .test_views import assert_error, create

pytestmark = pytest.mark.django_db


def _no_store(response) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("path", ["/enrollments/dev-1", "/enrollmentGroups/grp-1"])
def test_answers_with_keys_say_no_store(api, path):
    put = api.put(path, {"attestation": {"type": "symmetricKey"}})
    assert put.json()["attestation"]["symmetricKey"]["primaryKey"]
    assert _no_store(put)
    mechanism = api.post(path + "/attestationmechanism")
    assert mechanism.json()["symmetricKey"]["primaryKey"]
    assert _no_store(mechanism)


def test_every_other_answer_says_no_store_too(api):
    create(api)
    assert _no_store(api.get("/enrollments/dev-1"))
    assert _no_store(api.post("/enrollments/query", {"query": "*"}))
    assert _no_store(api.post("/enrollments", {"mode": "create", "enrollments": []}))
    assert _no_store(assert_error_response(api.get("/enrollments/nobody")))
    assert _no_store(api.call("HEAD", "/enrollments/dev-1"))


def assert_error_response(response):
    assert_error(response, 404)
    return response
