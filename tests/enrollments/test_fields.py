"""A typed NUL (U+0000) is never a 500 and never lost (issue 4, "Nothing lost").

PostgreSQL's jsonb refuses U+0000, so the wizard draft is stored as JSON text
(enrollments/fields.py::JsonTextField). These tests run on SQLite and on PostgreSQL (DATABASE_URL).
"""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from enrollments.models import EnrollmentGroup, IndividualEnrollment, LinkedIotHub, WizardDraft
from enrollments.services.enrollments import enrollment_group_create, individual_enrollment_create

HX = {"HX-Request": "true"}
TYPED = 'a\x00b \x01 é ✓ 😀 \\u0000 "q" </textarea>'


def start(client, kind: str = "group") -> WizardDraft:
    name = "enrollments:enrollment_group_add" if kind == "group" else "enrollments:individual_enrollment_add"
    client.get(reverse(name))
    return WizardDraft.objects.order_by("-created_date_time_utc").first()


def tab_url(draft: WizardDraft, tab: str) -> str:
    name = (
        "enrollments:enrollment_group_add_tab" if draft.kind == "group" else "enrollments:individual_enrollment_add_tab"
    )
    return reverse(name, args=[draft.pk, tab])


@pytest.mark.django_db
def test_a_draft_keeps_any_text_exactly(django_user_model):
    owner = django_user_model.objects.create_user("u")
    data = {"values": {"registration": {"enrollment_group_id": [TYPED]}}, "n": [1, 2.5, True, None]}
    draft = WizardDraft.objects.create(kind="group", owner=owner, data=data)
    assert WizardDraft.objects.get(pk=draft.pk).data == data
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM enrollments_wizarddraft")
        stored = cursor.fetchone()[0]
    assert "\x00" not in stored and stored.isascii() and json.loads(stored) == data


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kind, tab, field, value",
    [
        ("group", "registration", "enrollment_group_id", "grp\x00"),
        ("individual", "registration", "registration_id", "dev\x00ice"),
        ("individual", "registration", "device_id", "dev\x00"),
        ("group", "iot-hubs", "webhook_url", "https://example.com/api?code=a\x00b"),
        ("group", "iot-hubs", "api_version", "2021-10-01\x00"),
        ("group", "device-settings", "initial_twin_tags", '{"a": "\x00"}'),
        ("group", "device-settings", "initial_twin_desired_properties", '{"\x00": 1}'),
    ],
)
def test_a_posted_nul_gives_a_field_error_and_is_kept(admin_client, kind, tab, field, value):
    LinkedIotHub.objects.create(
        host_name="hub-1.azure-devices.net", shared_access_key_name="o", shared_access_key="a2V5"
    )
    draft = start(admin_client, kind)
    data = {"allocation_policy": "custom"} if tab == "iot-hubs" else {}
    payload = {"_tab": tab, "_nav": "next", "_fields": ",".join([field, *data]), field: value, **data}
    response = admin_client.post(tab_url(draft, "review"), payload, headers=HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "invalid-feedback" in html and 'aria-invalid="true"' in html
    draft.refresh_from_db()
    assert draft.data["values"][tab][field] == [value]  # exactly as typed
    again = admin_client.get(tab_url(draft, tab)).content.decode()  # a reload shows it again
    assert value.replace('"', "&quot;") in again


@pytest.mark.django_db
def test_create_with_a_nul_is_refused_on_its_tab(admin_client):
    draft = start(admin_client)
    admin_client.post(
        tab_url(draft, "review"),
        {"_tab": "registration", "_nav": "tab", "_fields": "enrollment_group_id", "enrollment_group_id": "g\x00"},
        headers=HX,
    )
    response = admin_client.post(tab_url(draft, "review"), {"_tab": "review", "_nav": "create"}, headers=HX)
    assert response.status_code == 200 and "HX-Redirect" not in response
    assert 'name="_tab" value="registration"' in response.content.decode()
    assert not EnrollmentGroup.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [
        ("initial_twin_tags", '{"a": "\x00"}'),
        ("initial_twin_desired_properties", '{"a\x00": 1}'),
        ("device_id", "dev\x00"),
        ("webhook_url", "https://example.com/api?code=a\x00b"),
        ("api_version", "2021\x00"),
    ],
)
def test_details_save_with_a_nul_is_a_field_error(admin_client, field, value):
    """The details page's Save path: a NUL is a field error next to its field, never a 500."""
    enrollment = individual_enrollment_create(
        registration_id="dev-1",
        attestation_type="symmetricKey",
        allocation_policy="custom",
        webhook_url="https://example.com/api?code=secret",
        api_version="2021-10-01",
    )
    url = reverse("enrollments:individual_enrollment_detail", args=["dev-1"])
    data = {
        "etag": enrollment.etag,
        "_tab": "registration",
        "provisioning_status": "on",
        "reprovision_policy": enrollment.reprovision_policy,
        "device_id": "",
        "allocation_policy": "custom",
        "webhook_url": "https://example.com/api?code=••••",
        "api_version": "2021-10-01",
        "initial_twin_tags": "{}",
        "initial_twin_desired_properties": "{}",
        field: value,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "invalid-feedback" in html and 'aria-invalid="true"' in html
    enrollment.refresh_from_db()
    assert "\x00" not in json.dumps(
        [enrollment.device_id, enrollment.webhook_url, enrollment.api_version, enrollment.initial_twin_tags]
    )


@pytest.mark.django_db
def test_details_save_of_a_group_with_nul_in_tags(admin_client):
    group = enrollment_group_create(enrollment_group_id="grp-1", attestation_type="symmetricKey")
    url = reverse("enrollments:enrollment_group_detail", args=["grp-1"])
    response = admin_client.post(
        url,
        {
            "etag": group.etag,
            "_tab": "device-settings",
            "provisioning_status": "on",
            "reprovision_policy": group.reprovision_policy,
            "allocation_policy": "hashed",
            "initial_twin_tags": '{"a": "\x00"}',
            "initial_twin_desired_properties": "{}",
        },
    )
    assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    assert IndividualEnrollment.objects.count() == 0 and EnrollmentGroup.objects.get().initial_twin_tags in ({}, None)


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_existing_drafts(django_user_model):
    """0008 turns the jsonb/JSON column into JSON text: rows written before it read back equal."""
    executor = MigrationExecutor(connection)
    before = [("enrollments", "0007_legacy_host_name_any_case")]
    after = [("enrollments", "0008_wizard_draft_json_text")]
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        owner = django_user_model.objects.create_user("u")
        data = {"values": {"registration": {"enrollment_group_id": ["grüße ✓"]}}, "touched": [], "n": [1, None]}
        old_draft = old_apps.get_model("enrollments", "WizardDraft").objects.create(
            kind="group", owner_id=owner.pk, data=data
        )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new_apps = executor.loader.project_state(after).apps
        assert new_apps.get_model("enrollments", "WizardDraft").objects.get(pk=old_draft.pk).data == data
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("enrollments"))
    assert WizardDraft.objects.get().data == data
