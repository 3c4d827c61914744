"""Registration records: selectors, the reusable table, the list page and `Delete registrations`."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from enrollments import selectors
from enrollments.models import RegistrationRecord
from enrollments.services.enrollments import enrollment_group_create, enrollments_delete
from enrollments.services.registrations import registration_records_delete
from tests.factories import RegistrationRecordFactory

RECORDS = reverse("enrollments:registration_records")
DELETE = reverse("enrollments:registration_records_delete")
COLUMNS = ["Registration ID", "Device ID", "Status", "Assigned IoT hub", "Last updated (UTC)", "Error"]

pytestmark = pytest.mark.django_db


def _group_with_records(name="Fleet-A", ids=("dev-1", "dev-2")):
    group = enrollment_group_create(enrollment_group_id=name, attestation_type="symmetricKey")
    for rid in ids:
        RegistrationRecordFactory(
            registration_id=rid,
            enrollment_group=group,
            enrollment_group_name=name,
            status="assigned",
            device_id=rid,
            assigned_hub="hub1.azure-devices.net",
        )
    return group


def _ids(queryset):
    return [r.registration_id for r in queryset]


def test_registration_records_for_group_are_tied_by_key_and_the_list_finds_orphans_by_name():
    group = _group_with_records()
    _group_with_records("other", ("x-1",))
    assert _ids(selectors.registration_records_for_group(group)) == ["dev-1", "dev-2"]
    assert _ids(selectors.registration_record_list(group="fleet-a").order_by("sort_key")) == ["dev-1", "dev-2"]
    enrollments_delete(model=type(group), pks=[group.pk])
    # The deleted group's records are orphans, still found under its name (any case) while no group has it.
    assert _ids(selectors.registration_record_list(group="FLEET-A").order_by("sort_key")) == ["dev-1", "dev-2"]
    assert _ids(selectors.registration_record_list(group="fleet")) == []
    # A new group reusing the name starts with no records.
    new = enrollment_group_create(enrollment_group_id="fleet-a", attestation_type="symmetricKey")
    assert _ids(selectors.registration_records_for_group(new)) == []
    assert _ids(selectors.registration_record_list(group="Fleet-A")) == []
    assert all(record.is_orphaned for record in RegistrationRecord.objects.filter(enrollment_group__isnull=True))


def test_registration_record_for_registration_id():
    _group_with_records()
    assert selectors.registration_record_for_registration_id("DEV-2").registration_id == "dev-2"
    assert selectors.registration_record_for_registration_id("nope") is None


def test_registration_records_delete_service_returns_deleted_ids():
    _group_with_records()
    pks = list(RegistrationRecord.objects.values_list("pk", flat=True))
    assert registration_records_delete(pks=[*pks, 999]) == ["dev-1", "dev-2"]
    assert not RegistrationRecord.objects.exists()


def test_include_renders_the_contract_columns_and_its_own_form(rf: RequestFactory):
    group = _group_with_records()
    RegistrationRecord.objects.filter(registration_id="dev-2").update(
        status="failed", error_code=400209, error_message="Custom allocation failed"
    )
    html = render_to_string(
        "enrollments/includes/registration_records.html",
        {"records": selectors.registration_records_for_group(group), "next_url": "/portal/somewhere/"},
        request=rf.get("/"),
    )
    assert re.findall(r'<th scope="col">([^<]+)</th>', html) == COLUMNS
    assert f'action="{DELETE}"' in html and 'name="next" value="/portal/somewhere/"' in html
    assert "csrfmiddlewaretoken" in html
    assert ">Delete registrations</button>" in html and "data-confirm=" in html
    assert "hub1.azure-devices.net" in html and "400209: Custom allocation failed" in html
    assert html.count('data-row-select aria-label="Select registration') == 2


def test_include_shows_status_labels_like_the_individual_list(rf: RequestFactory, django_assert_num_queries):
    group = _group_with_records()
    RegistrationRecord.objects.filter(registration_id="dev-1").update(substatus="initialAssignment")
    RegistrationRecord.objects.filter(registration_id="dev-2").update(status="unassigned")
    records = list(selectors.registration_records_for_group(group))
    with django_assert_num_queries(0):
        html = render_to_string(
            "enrollments/includes/registration_records.html", {"records": records, "next_url": "/"}, request=rf.get("/")
        )
    cells = re.findall(r"<td>([^<]*)(?:<span[^>]*>\(([^)]*)\))?", html)
    assert ("Assigned ", "Initial assignment") in cells and ("Unassigned", "") in cells
    assert "initialAssignment" not in html and ">unassigned<" not in html and ">assigned" not in html


def test_include_says_when_there_are_no_records(rf):
    html = render_to_string(
        "enrollments/includes/registration_records.html", {"records": [], "next_url": "/"}, request=rf.get("/")
    )
    assert "No registration records." in html


def test_page_requires_sign_in(client):
    assert client.get(RECORDS).status_code == 302


def test_page_filters_by_group_and_registration_id_prefix(admin_client):
    _group_with_records("Fleet-A", ("dev-1", "dev-2", "probe-1"))
    _group_with_records("other", ("x-1",))
    html = admin_client.get(RECORDS, {"group": "FLEET-a"}).content.decode()
    assert re.findall(r'<th scope="col">([^<]+)</th>', html) == COLUMNS
    assert re.findall(r'aria-label="Select registration ([^"]+)"', html) == ["dev-1", "dev-2", "probe-1"]
    html = admin_client.get(RECORDS, {"group": "fleet-a", "q": "DEV"}).content.decode()
    assert re.findall(r'aria-label="Select registration ([^"]+)"', html) == ["dev-1", "dev-2"]
    assert '<label for="filter" class="form-label">Filter</label>' in html
    html = admin_client.get(RECORDS).content.decode()
    assert len(re.findall(r'aria-label="Select registration ', html)) == 4


def test_page_lists_orphans_of_a_deleted_group(admin_client):
    group = _group_with_records()
    enrollments_delete(model=type(group), pks=[group.pk])
    html = admin_client.get(RECORDS, {"group": "Fleet-A"}).content.decode()
    assert "group deleted" in html and "dev-1" in html and "dev-2" in html
    overview = admin_client.get(reverse("enrollments:overview")).content.decode()
    assert re.search(r'data-count="registrations">2<', overview)


def test_page_is_keyset_paginated(admin_client):
    _group_with_records("g", [f"d-{i}" for i in range(5)])
    html = admin_client.get(RECORDS, {"page_size": 2, "group": "g"}).content.decode()
    assert re.findall(r'aria-label="Select registration ([^"]+)"', html) == ["d-0", "d-1"]
    assert re.search(r'rel="next" href="[^"]*group=g[^"]*after=d-1"', html.replace("&amp;", "&"))


def test_delete_registrations_goes_back_to_next(admin_client):
    _group_with_records()
    pk = RegistrationRecord.objects.get(registration_id="dev-1").pk
    response = admin_client.post(DELETE, {"pk": [pk], "next": RECORDS + "?group=Fleet-A"})
    assert response.status_code == 302 and response.url == RECORDS + "?group=Fleet-A"
    assert _ids(RegistrationRecord.objects.all()) == ["dev-2"]
    html = admin_client.get(response.url).content.decode()
    assert "Deleted 1 registration record: dev-1." in html


def test_delete_registrations_without_selection_or_with_offsite_next(admin_client):
    _group_with_records()
    response = admin_client.post(DELETE, {"next": "https://evil.example.com/"})
    assert response.url == RECORDS
    assert "Select at least one registration record to delete." in admin_client.get(RECORDS).content.decode()
    assert RegistrationRecord.objects.count() == 2


def test_delete_registrations_requires_post_and_sign_in(admin_client):
    _group_with_records()
    assert admin_client.get(DELETE).status_code == 405
    assert (
        Client().post(DELETE, {"pk": list(RegistrationRecord.objects.values_list("pk", flat=True))}).status_code == 302
    )
    assert RegistrationRecord.objects.count() == 2


def _records_with_statuses():
    group = enrollment_group_create(enrollment_group_id="fleet-s", attestation_type="symmetricKey")
    statuses = {
        "dev-a1": "assigned",
        "dev-a2": "assigned",
        "dev-f1": "failed",
        "dev-g1": "assigning",
        "dev-d1": "disabled",
        "dev-u1": "unassigned",
        "pump-f2": "failed",
    }
    for rid, status in statuses.items():
        RegistrationRecordFactory(
            registration_id=rid, enrollment_group=group, enrollment_group_name="fleet-s", status=status
        )
    return statuses


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("assigned", ["dev-a1", "dev-a2"]),
        ("assigning", ["dev-g1"]),
        ("failed", ["dev-f1", "pump-f2"]),
        ("disabled", ["dev-d1"]),
        ("unassigned", ["dev-u1"]),
        ("", ["dev-a1", "dev-a2", "dev-d1", "dev-f1", "dev-g1", "dev-u1", "pump-f2"]),
    ],
)
def test_registration_record_list_filters_by_status(status, expected):
    _records_with_statuses()
    assert _ids(selectors.registration_record_list(status=status).order_by("sort_key")) == expected


def test_status_filter_combines_with_the_prefix_and_the_group():
    _records_with_statuses()
    assert _ids(selectors.registration_record_list(status="failed", prefix="DEV")) == ["dev-f1"]
    assert _ids(selectors.registration_record_list(status="failed", group="FLEET-S").order_by("sort_key")) == [
        "dev-f1",
        "pump-f2",
    ]
    assert _ids(selectors.registration_record_list(status="failed", group="other")) == []


def _status_options(html):
    select = re.search(r'<select[^>]*id="status"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_list_page_has_a_status_filter_beside_filter(admin_client):
    _records_with_statuses()
    html = admin_client.get(RECORDS).content.decode()
    assert '<label for="status" class="form-label">Status</label>' in html
    assert html.index('for="filter"') < html.index('for="status"')
    assert _status_options(html) == ["Any status", "Assigned", "Assigning", "Failed", "Disabled", "Unassigned"]


def test_list_page_status_filter_is_server_side_and_kept_by_paging(admin_client):
    _records_with_statuses()
    html = admin_client.get(RECORDS, {"status": "failed", "page_size": 1}).content.decode()
    assert re.findall(r'<td class="portal-name">(dev-[^<]+|pump-[^<]+)</td>\s*<td', html) == ["dev-f1"]
    assert '<option value="failed" selected>Failed</option>' in html
    next_href = re.search(r'<a class="page-link" rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "status=failed" in next_href
    page2 = admin_client.get(next_href).content.decode()
    assert "pump-f2" in page2 and "dev-a1" not in page2
    assert "2 registration records" in html


def test_list_page_unknown_status_says_so_and_lists_nothing(admin_client):
    _records_with_statuses()
    html = admin_client.get(RECORDS, {"status": "broken"}).content.decode()
    assert (
        "“broken” is not a registration status. Choose one of Assigned, Assigning, Failed, Disabled, Unassigned" in html
    )
    assert 'aria-invalid="true"' in html
    assert "dev-a1" not in html and "No registration records." in html


def _group_and_neighbour():
    group = _group_with_records("Fleet-D", ("dev-1", "dev-2"))
    # A record kept from an earlier group of the same name (any case): an orphan, not this group's.
    RegistrationRecord.objects.create(registration_id="old-1", enrollment_group_name="FLEET-d", status="assigned")
    _group_with_records("other", ("x-1",))
    return group


def test_deleting_a_group_keeps_its_records_unless_asked():
    from enrollments.services.enrollments import enrollment_delete

    group = _group_and_neighbour()
    assert enrollment_delete(enrollment=group) == 0
    assert RegistrationRecord.objects.count() == 4


def test_deleting_a_group_with_its_records_deletes_what_its_tab_listed_and_nothing_else():
    from enrollments.services.enrollments import enrollment_delete

    group = _group_and_neighbour()
    listed = _ids(selectors.registration_records_for_group(group))
    assert listed == ["dev-1", "dev-2"]
    assert enrollment_delete(enrollment=group, delete_registration_records=True) == 2
    assert _ids(RegistrationRecord.objects.order_by("registration_id")) == ["old-1", "x-1"]


def test_bulk_delete_of_groups_with_their_records():
    group = _group_and_neighbour()
    enrollments_delete(model=type(group), pks=[group.pk], delete_registration_records=True)
    assert _ids(RegistrationRecord.objects.order_by("registration_id")) == ["old-1", "x-1"]


def test_details_delete_with_the_checkbox_deletes_the_records_and_says_so(admin_client):
    group = _group_and_neighbour()
    url = reverse("enrollments:enrollment_group_delete", args=[group.enrollment_group_id])
    response = admin_client.post(url, {"delete_registration_records": "on"}, follow=True)
    assert (
        "Enrollment group “Fleet-D” was deleted. 2 registration records deleted with it." in response.content.decode()
    )
    assert _ids(RegistrationRecord.objects.order_by("registration_id")) == ["old-1", "x-1"]


def test_details_delete_without_the_checkbox_keeps_the_records_and_says_so(admin_client):
    group = _group_and_neighbour()
    url = reverse("enrollments:enrollment_group_delete", args=[group.enrollment_group_id])
    response = admin_client.post(url, follow=True)
    assert "Enrollment group “Fleet-D” was deleted. Its registration records were kept." in response.content.decode()
    assert RegistrationRecord.objects.count() == 4


def test_bulk_delete_with_the_checkbox_deletes_the_records_and_says_so(admin_client):
    group = _group_and_neighbour()
    response = admin_client.post(
        reverse("enrollments:enrollment_group_bulk_delete"),
        {"pk": [group.pk], "delete_registration_records": "on"},
        follow=True,
    )
    assert "Deleted 1 enrollment group: Fleet-D. Their registration records were deleted too." in (
        response.content.decode()
    )
    assert _ids(RegistrationRecord.objects.order_by("registration_id")) == ["old-1", "x-1"]


def test_the_group_delete_buttons_offer_the_checkbox_and_say_hub_identities_stay(admin_client):
    group = _group_and_neighbour()
    details = admin_client.get(group.get_absolute_url()).content.decode()
    button = re.search(r'<button[^>]*form="delete-form"[^>]*>', details, re.S).group(0)
    assert 'data-confirm-checkbox="delete_registration_records"' in button
    assert 'data-confirm-checkbox-label="Also delete its registration records"' in button
    assert "Device identities in the IoT hubs are not removed" in button
    listing = admin_client.get(reverse("enrollments:enrollment_group_list")).content.decode()
    button = re.search(r"<button[^>]*data-needs-selection[^>]*>", listing, re.S).group(0)
    assert 'data-confirm-checkbox="delete_registration_records"' in button
    assert "Device identities in the IoT hubs are not removed" in button
    dialog = admin_client.get(reverse("enrollments:overview")).content.decode()
    assert 'id="confirm-dialog-checkbox"' in dialog and 'for="confirm-dialog-checkbox"' in dialog


def test_an_individual_enrollment_delete_has_no_records_checkbox(admin_client):
    from enrollments.services.enrollments import individual_enrollment_create

    enrollment = individual_enrollment_create(registration_id="dev-z", attestation_type="symmetricKey")
    details = admin_client.get(enrollment.get_absolute_url()).content.decode()
    button = re.search(r'<button[^>]*form="delete-form"[^>]*>', details, re.S).group(0)
    assert "data-confirm-checkbox" not in button
