"""Manage enrollments: both tabs, the Filter box, keyset pagination, query counts and bulk delete."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollments.models import (
    EnrollmentGroup,
    IndividualEnrollment,
    LinkedIotHub,
    ProvisioningService,
    RegistrationRecord,
)
from enrollments.services.enrollments import enrollment_group_create, individual_enrollment_create
from tests.factories import (
    EnrollmentGroupFactory,
    IndividualEnrollmentFactory,
    LinkedIotHubFactory,
    RegistrationRecordFactory,
)

GROUPS = reverse("enrollments:enrollment_group_list")
INDIVIDUALS = reverse("enrollments:individual_enrollment_list")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def service():
    """The provisioning service row exists, as after the first request (its creation is not a list cost)."""
    return ProvisioningService.objects.get_current()


def _hub(name: str) -> LinkedIotHub:
    return LinkedIotHubFactory(host_name=name)


def _bulk_individuals(n: int, prefix: str = "dev") -> None:
    IndividualEnrollment.objects.bulk_create(
        [IndividualEnrollment(registration_id=f"{prefix}-{i:04d}", attestation_type="symmetricKey") for i in range(n)]
    )


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'aria-label="Select ([^"]+)"', body)


@pytest.mark.parametrize("url", [GROUPS, INDIVIDUALS])
def test_lists_require_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize(("url", "selected"), [(GROUPS, "Enrollment groups"), (INDIVIDUALS, "Individual enrollments")])
def test_page_has_heading_tabs_buttons_and_filter(admin_client, url, selected):
    html = admin_client.get(url).content.decode()
    assert "<h1" in html and "Manage enrollments</h1>" in html
    assert 'role="tablist"' in html
    tabs = {label: sel for sel, label in re.findall(r'role="tab"[^>]*aria-selected="(true|false)">([^<]+)</a>', html)}
    assert tabs == {
        "Enrollment groups": "true" if selected == "Enrollment groups" else "false",
        "Individual enrollments": "true" if selected == "Individual enrollments" else "false",
    }
    assert f'href="{GROUPS}"' in html and f'href="{INDIVIDUALS}"' in html
    assert re.search(r"Add enrollment group</a>", html) and re.search(r"Add individual enrollment</a>", html)
    assert '<label for="filter" class="form-label">Filter</label>' in html
    assert "prefix (case-insensitive)" in html


def test_manage_enrollments_is_the_first_settings_link(admin_client):
    html = admin_client.get(reverse("enrollments:overview")).content.decode()
    settings_nav = html.split('aria-labelledby="nav-settings"', 1)[1]
    first_link = re.search(r"<a [^>]*>([^<]+)</a>", settings_nav).group(1)
    assert first_link == "Manage enrollments"
    html = admin_client.get(GROUPS).content.decode()
    assert re.search(r'class="nav-link active" aria-current="page" href="[^"]+">Manage enrollments<', html)


def test_group_list_columns(admin_client):
    hub1, hub2 = _hub("hub1.azure-devices.net"), _hub("hub2.azure-devices.net")
    enrollment_group_create(enrollment_group_id="Fleet-A", attestation_type="symmetricKey")
    enrollment_group_create(
        enrollment_group_id="fleet-b",
        attestation_type="symmetricKey",
        allocation_policy="geoLatency",
        iot_hubs=[hub1, hub2],
        provisioning_status="disabled",
    )
    html = admin_client.get(GROUPS).content.decode()
    for header in ["Group name", "Attestation", "Provisioning status", "Allocation policy", "Target IoT hubs"]:
        assert f'<th scope="col">{header}</th>' in html
    assert '<th scope="col">Created (UTC)</th>' in html
    rows = html.split("<tbody>", 1)[1].split("</tr>")
    assert _rows(html) == ["Fleet-A", "fleet-b"]
    assert re.search(r'<a href="[^"]*/enrollment-groups/Fleet-A/details/">Fleet-A</a>', rows[0])
    assert "Symmetric key" in rows[0] and "Enabled" in rows[0]
    assert "Evenly weighted distribution (default)" in rows[0] and "All linked hubs" in rows[0]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rows[0])
    assert "Lowest latency" in rows[1] and "<td>2</td>" in rows[1] and "Disabled" in rows[1]


def test_group_list_shows_x509_attestation_label(admin_client):
    EnrollmentGroup.objects.create(enrollment_group_id="certs", attestation_type="x509")
    assert "X.509 intermediate certificates" in admin_client.get(GROUPS).content.decode()


def test_individual_list_columns_and_registration_status(admin_client):
    first = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey", device_id="thermo")
    individual_enrollment_create(registration_id="dev-2", attestation_type="symmetricKey")
    RegistrationRecordFactory(registration_id="dev-1", individual_enrollment=first, status="assigned")
    html = admin_client.get(INDIVIDUALS).content.decode()
    for header in ["Registration ID", "Device ID", "Attestation", "Provisioning status", "Registration status"]:
        assert f'<th scope="col">{header}</th>' in html
    rows = html.split("<tbody>", 1)[1].split("</tr>")
    assert re.search(r'<a href="[^"]*/individual-enrollments/dev-1/details/">dev-1</a>', rows[0])
    assert '<td class="portal-name">thermo</td>' in rows[0] and "Symmetric key" in rows[0]
    assert '<td class="portal-name">dev-2</td>' in rows[1]
    # The status's label, as in the registration records table, not the wire value.
    assert "<td>Assigned</td>" in rows[0] and "<td>Unassigned</td>" in rows[1]
    assert "unassigned" not in html and ">assigned<" not in html


def test_filter_is_a_case_insensitive_prefix(admin_client):
    _bulk_individuals(3, "Sensor")
    _bulk_individuals(2, "pump")
    IndividualEnrollmentFactory(registration_id="my-sensor")
    html = admin_client.get(INDIVIDUALS, {"q": "SENSOR-"}).content.decode()
    assert _rows(html) == ["Sensor-0000", "Sensor-0001", "Sensor-0002"]
    assert 'value="SENSOR-"' in html
    enrollment_group_create(enrollment_group_id="Fleet-A", attestation_type="symmetricKey")
    enrollment_group_create(enrollment_group_id="other", attestation_type="symmetricKey")
    assert _rows(admin_client.get(GROUPS, {"q": "fl"}).content.decode()) == ["Fleet-A"]
    assert "No enrollment groups start with" in admin_client.get(GROUPS, {"q": "zz"}).content.decode()


def test_htmx_request_gets_only_the_table(admin_client):
    _bulk_individuals(3)
    response = admin_client.get(INDIVIDUALS, {"q": "dev"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and "<table" in html and "dev-0000" in html
    assert "Vary" in response and "HX-Request" in response["Vary"]


def test_pagination_links_walk_forward_and_back(admin_client):
    _bulk_individuals(5)
    html = admin_client.get(INDIVIDUALS, {"page_size": 2}).content.decode()
    assert _rows(html) == ["dev-0000", "dev-0001"]
    next_href = re.search(r'<a class="page-link" rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "after=dev-0001" in next_href and "page_size=2" in next_href and "offset" not in next_href
    html2 = admin_client.get(next_href).content.decode()
    assert _rows(html2) == ["dev-0002", "dev-0003"]
    prev_href = re.search(r'<a class="page-link" rel="prev" href="([^"]+)"', html2).group(1).replace("&amp;", "&")
    assert _rows(admin_client.get(prev_href).content.decode()) == ["dev-0000", "dev-0001"]
    last = admin_client.get(INDIVIDUALS, {"page_size": 2, "last": "1"}).content.decode()
    assert _rows(last) == ["dev-0004"]  # pages of 2 from the first row: 2, 2, 1
    prev_href = re.search(r'<a class="page-link" rel="prev" href="([^"]+)"', last).group(1).replace("&amp;", "&")
    assert _rows(admin_client.get(prev_href).content.decode()) == _rows(html2)
    assert "5 individual enrollments" in html


def test_count_is_capped(admin_client, monkeypatch):
    import enrollments.pagination as pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    _bulk_individuals(6)
    assert "3+ individual enrollments" in admin_client.get(INDIVIDUALS).content.decode()


def _queries_for(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _records_for_some(n: int) -> None:
    RegistrationRecord.objects.bulk_create(
        [
            RegistrationRecord(registration_id=e.registration_id, individual_enrollment=e, status="assigned")
            for e in IndividualEnrollment.objects.filter(registration_records__isnull=True)[:n]
        ]
    )


def test_individual_list_query_count_does_not_grow_with_page_or_table_size(admin_client):
    _bulk_individuals(10)
    _records_for_some(5)
    small = _queries_for(admin_client, INDIVIDUALS, page_size=5)
    _bulk_individuals(190, "more")
    _records_for_some(100)
    big = _queries_for(admin_client, INDIVIDUALS, page_size=50)
    deep = _queries_for(admin_client, INDIVIDUALS, page_size=50, after="more-0100")
    filtered = _queries_for(admin_client, INDIVIDUALS, page_size=50, q="more-01")
    assert small == big == deep == filtered
    assert big <= 6


def test_group_list_query_count_does_not_grow(admin_client):
    hub = _hub("hub1.azure-devices.net")
    for i in range(3):
        enrollment_group_create(enrollment_group_id=f"g{i}", attestation_type="symmetricKey", iot_hubs=[hub])
    small = _queries_for(admin_client, GROUPS, page_size=2)
    for i in range(3, 30):
        enrollment_group_create(enrollment_group_id=f"g{i}", attestation_type="symmetricKey", iot_hubs=[hub])
    big = _queries_for(admin_client, GROUPS, page_size=50)
    assert small == big <= 6


def test_query_count_with_django_assert_max_num_queries(admin_client, django_assert_max_num_queries):
    _bulk_individuals(200)
    _records_for_some(200)
    with django_assert_max_num_queries(6):
        admin_client.get(INDIVIDUALS, {"page_size": 100})


def test_bulk_delete_individual_enrollments(admin_client):
    _bulk_individuals(3)
    pks = list(
        IndividualEnrollment.objects.filter(registration_id__in=["dev-0000", "dev-0002"]).values_list("pk", flat=True)
    )
    response = admin_client.post(
        reverse("enrollments:individual_enrollment_bulk_delete"), {"pk": pks, "next": INDIVIDUALS + "?q=dev"}
    )
    assert response.status_code == 302 and response.url == INDIVIDUALS + "?q=dev"
    assert list(IndividualEnrollment.objects.values_list("registration_id", flat=True)) == ["dev-0001"]
    html = admin_client.get(response.url).content.decode()
    assert "Deleted 2 individual enrollments: dev-0000, dev-0002." in html
    assert _rows(html) == ["dev-0001"]


def test_bulk_delete_with_nothing_selected_says_so(admin_client):
    response = admin_client.post(reverse("enrollments:enrollment_group_bulk_delete"), follow=True)
    assert "Select at least one enrollment group to delete." in response.content.decode()


def test_bulk_delete_ignores_an_offsite_next(admin_client):
    _bulk_individuals(1)
    response = admin_client.post(
        reverse("enrollments:individual_enrollment_bulk_delete"),
        {"pk": [IndividualEnrollment.objects.get().pk], "next": "https://evil.example.com/"},
    )
    assert response.url == INDIVIDUALS


def test_bulk_delete_requires_post_and_sign_in(admin_client):
    url = reverse("enrollments:enrollment_group_bulk_delete")
    assert admin_client.get(url).status_code == 405
    group = EnrollmentGroupFactory(enrollment_group_id="g")
    assert Client().post(url, {"pk": [group.pk]}).status_code == 302
    assert EnrollmentGroup.objects.count() == 1


def test_deleting_a_group_keeps_its_registration_records(admin_client):
    group = enrollment_group_create(enrollment_group_id="Fleet-A", attestation_type="symmetricKey")
    RegistrationRecordFactory(
        registration_id="dev-9", enrollment_group=group, enrollment_group_name="Fleet-A", status="assigned"
    )
    response = admin_client.post(reverse("enrollments:enrollment_group_bulk_delete"), {"pk": [group.pk]}, follow=True)
    assert "Deleted 1 enrollment group: Fleet-A." in response.content.decode()
    record = RegistrationRecord.objects.get()
    assert record.enrollment_group_id is None and record.enrollment_group_name == "Fleet-A"
    overview = admin_client.get(reverse("enrollments:overview")).content.decode()
    assert re.search(r'data-count="registrations">1<', overview)
    assert re.search(r'data-count="enrollment_groups">0<', overview)
    records = admin_client.get(reverse("enrollments:registration_records"), {"group": "fleet-a"}).content.decode()
    assert "dev-9" in records and "group deleted" in records
