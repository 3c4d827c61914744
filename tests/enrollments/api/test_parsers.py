"""The service API's JSON parser: bodies nested too deeply get DPS's 400, never a RecursionError."""

import pytest

from enrollments.api.parsers import MAX_DEPTH, deeper_than

from .test_views import assert_error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 1_000, 100_000])
@pytest.mark.parametrize("path", ["/enrollments/dev-1", "/enrollmentGroups/g1"])
def test_a_deeply_nested_body_is_400_with_a_message(api, path, depth):
    body = '{"attestation": {"type": "symmetricKey"}, "x": ' + "[" * depth + "]" * depth + "}"
    error = assert_error(api.put(path, body), 400, 400004)
    assert f"nested more than {MAX_DEPTH} levels deep" in error["message"]


@pytest.mark.parametrize("depth", [900, 5_000])
def test_deep_bodies_are_refused_on_query_and_bulk_too(api, depth):
    nested = '{"a":' * depth + "1" + "}" * depth
    assert_error(api.post("/enrollments/query", '{"query": ' + nested + "}"), 400)
    assert_error(api.post("/enrollments", '{"mode": "create", "enrollments": [' + nested + "]}"), 400)


def test_a_twin_at_its_own_depth_limit_still_passes_the_parser(api):
    twin = {"tags": {}, "properties": {"desired": {}}}
    level = twin["properties"]["desired"]
    for _ in range(8):  # desired counts as 1, 9 more levels: the twin's limit of 10
        level["k"] = {}
        level = level["k"]
    body = {"attestation": {"type": "symmetricKey"}, "initialTwin": twin}
    response = api.put("/enrollments/dev-1", body)
    assert response.status_code == 200, response.content
    assert api.get("/enrollments/dev-1").json()["initialTwin"]["properties"]["desired"] == twin["properties"]["desired"]


def test_deeper_than_counts_objects_and_arrays():
    assert not deeper_than(1, 0)
    assert not deeper_than({}, 1) and deeper_than({}, 0)
    assert not deeper_than({"a": [1, {"b": []}]}, 4)
    assert deeper_than({"a": [1, {"b": []}]}, 3)
    value: list = []
    for _ in range(50_000):
        value = [value]
    assert deeper_than(value, 64)  # iterative: no RecursionError
