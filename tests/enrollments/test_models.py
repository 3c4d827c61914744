"""Lookups by name (models.with_name): a name holding NUL finds nothing, everywhere a name comes from
a URL or a query (service API, portal, admin), on SQLite (whose LOWER() and LIKE stop at NUL, so
`dev\\x00` found `dev`) and on PostgreSQL (which refuses NUL in a query: a 500)."""

import pytest
from django.urls import reverse

from enrollments.models import IndividualEnrollment, with_name
from enrollments.services.enrollments import enrollment_group_create, individual_enrollment_create
from tests.enrollments.api.conftest import Api
from tests.enrollments.api.test_views import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def records():
    individual = individual_enrollment_create(registration_id="dev", attestation_type="symmetricKey")
    group = enrollment_group_create(enrollment_group_id="grp", attestation_type="symmetricKey")
    return individual, group


def test_with_name_finds_nothing_for_a_name_holding_nul(records):
    assert with_name(IndividualEnrollment.objects.all(), "registration_id", "DEV").get() == records[0]
    assert not with_name(IndividualEnrollment.objects.all(), "registration_id", "dev\x00").exists()
    assert not with_name(IndividualEnrollment.objects.all(), "registration_id", "dev\x00x").exists()


@pytest.fixture
def api(client):
    from enrollments.models import SharedAccessPolicy

    return Api(client, SharedAccessPolicy.objects.ensure_owner())


def test_the_service_api_refuses_an_id_holding_nul(api, records):
    etag = records[0].etag
    body = {"attestation": {"type": "symmetricKey"}, "deviceId": "hijacked"}
    error = assert_error(api.put("/enrollments/dev%00", body), 400, 400004)
    assert "U+0000" in error["message"]
    assert_error(api.put("/enrollmentGroups/grp%00", {"attestation": {"type": "symmetricKey"}}), 400, 400004)
    assert_error(api.get("/enrollments/dev%00"), 404)
    assert_error(api.delete("/enrollments/dev%00"), 404)
    assert_error(api.post("/enrollments/dev%00/attestationmechanism"), 404)
    assert_error(api.get("/enrollmentGroups/grp%00"), 404)
    assert_error(api.get("/registrations/dev%00"), 404)
    assert api.post("/registrations/grp%00/query").json() == []
    records[0].refresh_from_db()
    assert records[0].etag == etag and records[0].device_id != "hijacked"


def test_the_portal_finds_no_enrollment_for_an_id_holding_nul(admin_client, records):
    assert admin_client.get("/portal/individual-enrollments/dev%00/details/").status_code == 404
    assert admin_client.get("/portal/enrollment-groups/grp%00/details/").status_code == 404
    assert admin_client.post("/portal/individual-enrollments/dev%00/delete/").status_code == 404
    assert IndividualEnrollment.objects.filter(registration_id="dev").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/portal/individual-enrollments/?q=dev%00",
        "/portal/enrollment-groups/?q=g%00",
        "/portal/registration-records/?group=grp%00",
        "/portal/registration-records/?q=d%00",
    ],
)
def test_portal_filters_holding_nul_list_nothing(admin_client, records, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "dev</a>" not in response.content.decode() and "grp</a>" not in response.content.decode()


def test_the_admin_search_and_change_pages_take_nul(admin_client, records):
    individual, _group = records
    for model, query in (("individualenrollment", "dev%00"), ("enrollmentgroup", "grp%00")):
        assert admin_client.get(reverse(f"admin:enrollments_{model}_changelist") + f"?q={query}").status_code == 200
    change = reverse("admin:enrollments_individualenrollment_change", args=[individual.pk])
    assert admin_client.get(change.replace(f"/{individual.pk}/", f"/{individual.pk}%00/")).status_code in (302, 404)
