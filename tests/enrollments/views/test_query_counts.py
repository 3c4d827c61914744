"""The portal's lists cost the same number of database queries for 1, 25 and 1,000 records:
Manage enrollments (both tabs), Registration records, Linked IoT hubs and Certificates.

The enrollment and registration lists show a page (at most 100 rows); the hub and certificate
lists show every row. Each count is taken after the previous population was extended, so a
per-row query shows as a count that grows with the table.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollments.models import ProvisioningService, RegistrationRecord
from tests import query_count_data

pytestmark = pytest.mark.django_db

SIZES = ((1, "a"), (24, "b"), (975, "c"))  # cumulative: 1, 25, 1,000 records


@pytest.fixture(autouse=True)
def service():
    """The provisioning service row exists, as after the first request (its creation is not a list cost)."""
    return ProvisioningService.objects.get_current()


def _count(client, url: str, params: dict, expected_text: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    assert expected_text in response.content.decode()
    return len(ctx.captured_queries)


def _counts(client, build, url: str, params: dict, last_row) -> dict[int, int]:
    counts, total = {}, 0
    for n, prefix in SIZES:
        build(n, prefix)
        total += n
        counts[total] = _count(client, url, params, last_row(prefix, n))
    return counts


def test_enrollment_group_list(admin_client):
    counts = _counts(
        admin_client,
        query_count_data.enrollment_groups,
        reverse("enrollments:enrollment_group_list"),
        {"page_size": 100},
        lambda prefix, n: "a-0000",
    )
    assert counts[1] == counts[25] == counts[1000], counts


def test_individual_enrollment_list(admin_client):
    counts = _counts(
        admin_client,
        query_count_data.individual_enrollments,
        reverse("enrollments:individual_enrollment_list"),
        {"page_size": 100},
        lambda prefix, n: "a-0000",
    )
    assert counts[1] == counts[25] == counts[1000], counts


@pytest.mark.parametrize("by_group", [False, True], ids=["all", "one-group"])
def test_registration_record_list(admin_client, by_group):
    url = reverse("enrollments:registration_records")
    if by_group:
        # Every record in one group, the list filtered to it (the group's `Registration records` link).
        def build(n, prefix):
            query_count_data.individual_enrollments(n, prefix)
            RegistrationRecord.objects.filter(registration_id__startswith=f"{prefix}-").update(
                enrollment_group_name="fleet"
            )

        params = {"page_size": 100, "group": "fleet"}
    else:
        build, params = query_count_data.individual_enrollments, {"page_size": 100}
    counts = _counts(admin_client, build, url, params, lambda prefix, n: "a-0000")
    assert counts[1] == counts[25] == counts[1000], counts


def test_linked_iot_hub_list(admin_client):
    counts = _counts(
        admin_client,
        query_count_data.hubs,
        reverse("enrollments:linked_iot_hub_list"),
        {},
        lambda prefix, n: f"{prefix}-{n - 1:04d}.azure-devices.net",
    )
    assert counts[1] == counts[25] == counts[1000], counts


def test_certificate_list(admin_client):
    counts = _counts(
        admin_client,
        query_count_data.ca_certificates,
        reverse("enrollments:certificate_list"),
        {},
        lambda prefix, n: f"{prefix}-{n - 1:04d}",
    )
    assert counts[1] == counts[25] == counts[1000], counts
