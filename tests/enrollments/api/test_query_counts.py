"""Service API query pages cost the same number of database queries for 1, 25 and 1,000 enrollments
(`POST /enrollments/query`, `POST /enrollmentGroups/query`; one page holds up to 1,000 records)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import query_count_data

pytestmark = pytest.mark.django_db

SIZES = ((1, "a"), (24, "b"), (975, "c"))  # cumulative: 1, 25, 1,000 records


def _query(api, path: str, expected: int) -> tuple[int, list[dict]]:
    with CaptureQueriesContext(connection) as ctx:
        response = api.post(path, {"query": "*"}, headers={"x-ms-max-item-count": "1000"})
    assert response.status_code == 200, response.content
    assert len(response.json()) == expected
    return len(ctx.captured_queries), response.json()


def test_individual_enrollment_query_count_is_constant(api):
    counts = {}
    total = 0
    for n, prefix in SIZES:
        query_count_data.individual_enrollments(n, prefix)
        total += n
        counts[total], answer = _query(api, "/enrollments/query", total)
    assert counts[1] == counts[25] == counts[1000], counts
    # The page-wide read gives each enrollment its own registration state (every other one has a record).
    states = {item["registrationId"]: item["registrationState"] for item in answer}
    assert states["c-0000"]["status"] == "assigned"
    assert states["c-0000"]["registrationId"] == "c-0000"
    assert states["c-0000"]["payload"] == {"i": 0}
    assert states["c-0001"] == {"registrationId": "c-0001", "status": "unassigned"}
    assert sum(state["status"] == "assigned" for state in states.values()) == 1 + 12 + 488
    hubs = {item["registrationId"]: item["iotHubs"] for item in answer}
    assert hubs["b-0003"] == ["b-hub-0000.azure-devices.net", "b-hub-0001.azure-devices.net"]


def test_enrollment_group_query_count_is_constant(api):
    counts = {}
    total = 0
    for n, prefix in SIZES:
        query_count_data.enrollment_groups(n, prefix)
        total += n
        counts[total], answer = _query(api, "/enrollmentGroups/query", total)
    assert counts[1] == counts[25] == counts[1000], counts
    groups = {item["enrollmentGroupId"]: item for item in answer}
    assert groups["c-0001"]["attestation"]["x509"] == {
        "caReferences": {"primary": "c-ca-0000", "secondary": "c-ca-0001"}
    }
    assert set(groups["c-0002"]["attestation"]["x509"]["signingCertificates"]) == {"primary", "secondary"}
