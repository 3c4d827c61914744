"""The Django admin writes through enrollments/services: its adds, changes and deletes are the
service calls the portal and the API make, so a change is the same conditional write.

Each conflict test opens the admin change form (reading it as a browser would submit it), saves
the same record through the portal (or its service), then submits the admin form: refused with
the conflict message, nothing of the admin's edit written, the other save kept.
"""

import re

import pytest
from django.contrib import admin as django_admin
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enrollments.exceptions import CUSTOM_NEEDS_WEBHOOK, ETAG_MISMATCH
from enrollments.models import (
    CaCertificate,
    EnrollmentCertificate,
    EnrollmentGroup,
    IndividualEnrollment,
    LinkedIotHub,
    RegistrationRecord,
    SharedAccessPolicy,
)
from enrollments.services import enrollments as enrollment_services
from enrollments.services.certificates import CERTIFICATE_CHANGED, ca_certificate_create
from enrollments.services.enrollments import enrollment_group_create, individual_enrollment_create
from enrollments.services.hubs import HUB_CHANGED, linked_iot_hub_create, linked_iot_hub_update
from enrollments.services.policies import POLICY_CHANGED, shared_access_policy_create
from tests.conftest import make_certificate
from tests.enrollments.api.conftest import Api
from tests.enrollments.views.test_details import form_data

pytestmark = pytest.mark.django_db

HUB_KEY = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY="


@pytest.fixture
def api(client) -> Api:
    """The service API with the owner policy's SAS token."""
    return Api(client, SharedAccessPolicy.objects.ensure_owner())


def cs(host: str) -> str:
    return f"HostName={host};SharedAccessKeyName=iothubowner;SharedAccessKey={HUB_KEY}"


def change_url(obj) -> str:
    return reverse(f"admin:enrollments_{obj._meta.model_name}_change", args=[obj.pk])


def open_admin_form(client, obj) -> dict[str, list[str]]:
    """What a browser would submit from the admin change form of `obj`, as opened now."""
    response = client.get(change_url(obj))
    assert response.status_code == 200
    data = form_data(response.content.decode(), form_id=f"{obj._meta.model_name}_form")
    assert data["expected_etag"] == [obj.etag]
    return data


def shown(message: str) -> str:
    """`message` as Django's templates escape it."""
    return message.replace("'", "&#x27;")


def assert_refused(response, message: str) -> None:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert shown(message) in html
    assert re.search(r'class="errornote"', html), "the admin shows the form as not saved"


# --- conflicts -------------------------------------------------------------------------------------


def test_enrollment_group_admin_save_after_a_portal_save_is_refused(admin_client):
    group = enrollment_group_create(enrollment_group_id="grp-1", attestation_type="symmetricKey")
    data = open_admin_form(admin_client, group)
    # The portal's details page saves the group (the same service call its Save makes).
    portal_url = group.get_absolute_url()
    portal = form_data(admin_client.get(portal_url).content.decode())
    portal["initial_twin_tags"] = ['{"owner": "portal"}']
    assert admin_client.post(portal_url, portal).status_code == 302
    theirs = EnrollmentGroup.objects.get(pk=group.pk)
    assert theirs.initial_twin_tags == {"owner": "portal"}
    data["provisioning_status"] = ["disabled"]
    data["initial_twin_desired_properties"] = ['{"from": "admin"}']
    assert_refused(admin_client.post(change_url(group), data), ETAG_MISMATCH)
    after = EnrollmentGroup.objects.get(pk=group.pk)
    assert (after.etag, after.initial_twin_tags) == (theirs.etag, {"owner": "portal"})
    assert (after.provisioning_status, after.initial_twin_desired_properties) == ("enabled", {})


def test_individual_enrollment_admin_save_after_a_portal_save_is_refused(admin_client):
    enrollment = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey")
    data = open_admin_form(admin_client, enrollment)
    portal_url = enrollment.get_absolute_url()
    portal = form_data(admin_client.get(portal_url).content.decode())
    portal["device_id"] = ["from-portal"]
    assert admin_client.post(portal_url, portal).status_code == 302
    theirs = IndividualEnrollment.objects.get(pk=enrollment.pk)
    assert theirs.device_id == "from-portal"
    data["device_id"] = ["from-admin"]
    data["iot_edge"] = ["on"]
    assert_refused(admin_client.post(change_url(enrollment), data), ETAG_MISMATCH)
    after = IndividualEnrollment.objects.get(pk=enrollment.pk)
    assert (after.etag, after.device_id, after.iot_edge) == (theirs.etag, "from-portal", False)


def test_enrollment_admin_save_is_refused_when_the_service_api_saved_in_between(admin_client, api):
    group = enrollment_group_create(enrollment_group_id="grp-api", attestation_type="symmetricKey")
    data = open_admin_form(admin_client, group)
    body = api.get("/enrollmentGroups/grp-api").json()
    body["provisioningStatus"] = "disabled"
    assert api.put("/enrollmentGroups/grp-api", body, headers={"If-Match": f'"{group.etag}"'}).status_code == 200
    data["iot_edge"] = ["on"]
    assert_refused(admin_client.post(change_url(group), data), ETAG_MISMATCH)
    after = EnrollmentGroup.objects.get(pk=group.pk)
    assert (after.provisioning_status, after.iot_edge) == ("disabled", False)


def test_linked_iot_hub_admin_save_after_another_save_is_refused(admin_client):
    hub = linked_iot_hub_create(connection_string=cs("hub-a.azure-devices.net"), location="westeurope")
    data = open_admin_form(admin_client, hub)
    # Another administrator saved the hub meanwhile (the service the admin's save calls).
    linked_iot_hub_update(hub=hub, expected_etag=hub.etag, location="northeurope", allocation_weight=7)
    theirs = LinkedIotHub.objects.get(pk=hub.pk)
    data["location"] = ["eastus"]
    data["allocation_weight"] = ["3"]
    assert_refused(admin_client.post(change_url(hub), data), HUB_CHANGED)
    after = LinkedIotHub.objects.get(pk=hub.pk)
    assert (after.etag, after.location, after.allocation_weight) == (theirs.etag, "northeurope", 7)


def test_linked_iot_hub_admin_save_from_a_second_admin_tab_is_refused(admin_client):
    hub = linked_iot_hub_create(connection_string=cs("hub-b.azure-devices.net"))
    first, second = open_admin_form(admin_client, hub), open_admin_form(admin_client, hub)
    first["location"] = ["first"]
    assert admin_client.post(change_url(hub), first).status_code == 302
    second["location"] = ["second"]
    assert_refused(admin_client.post(change_url(hub), second), HUB_CHANGED)
    assert LinkedIotHub.objects.get(pk=hub.pk).location == "first"


def test_ca_certificate_admin_save_after_a_portal_verification_code_is_refused(admin_client):
    certificate = ca_certificate_create(name="root-ca", data=make_certificate("Root", is_ca=True)[0])
    data = open_admin_form(admin_client, certificate)
    # The portal's `Generate verification code` changes the certificate (a new pending code).
    assert admin_client.post(reverse("enrollments:certificate_generate_code", args=[certificate.pk])).status_code == 200
    theirs = CaCertificate.objects.get(pk=certificate.pk)
    assert theirs.verification_code and theirs.etag != certificate.etag
    data["name"] = ["renamed-by-admin"]
    data["is_verified"] = ["on"]
    assert_refused(admin_client.post(change_url(certificate), data), CERTIFICATE_CHANGED)
    after = CaCertificate.objects.get(pk=certificate.pk)
    assert (after.etag, after.name, after.is_verified) == (theirs.etag, "root-ca", False)
    assert after.verification_code == theirs.verification_code


def test_shared_access_policy_admin_save_after_a_portal_key_regeneration_is_refused(admin_client):
    policy = shared_access_policy_create(name="reader", rights=["EnrollmentRead"])
    data = open_admin_form(admin_client, policy)
    url = reverse("enrollments:shared_access_policy_regenerate", args=[policy.pk])
    assert admin_client.post(url, {"key": "primary"}).status_code == 302
    theirs = SharedAccessPolicy.objects.get(pk=policy.pk)
    assert theirs.primary_key != policy.primary_key and theirs.etag != policy.etag
    data["enrollment_write"] = ["on"]
    assert_refused(admin_client.post(change_url(policy), data), POLICY_CHANGED)
    after = SharedAccessPolicy.objects.get(pk=policy.pk)
    assert (after.etag, after.primary_key, after.rights) == (theirs.etag, theirs.primary_key, ["EnrollmentRead"])


def test_a_change_form_posted_without_its_version_is_refused(admin_client):
    hub = linked_iot_hub_create(connection_string=cs("hub-c.azure-devices.net"))
    data = open_admin_form(admin_client, hub)
    data["location"], data["expected_etag"] = ["elsewhere"], [""]
    response = admin_client.post(change_url(hub), data)
    assert response.status_code == 200 and "sent without the version" in response.content.decode()
    assert LinkedIotHub.objects.get(pk=hub.pk).location == ""


# --- saves go through the services ------------------------------------------------------------------


def test_enrollment_admin_save_is_the_services_conditional_update(admin_client, monkeypatch):
    group = enrollment_group_create(enrollment_group_id="grp-spy", attestation_type="symmetricKey")
    calls = []
    real = enrollment_services.enrollment_update

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(enrollment_services, "enrollment_update", spy)
    data = open_admin_form(admin_client, group)
    data["iot_edge"] = ["on"]
    assert admin_client.post(change_url(group), data).status_code == 302
    assert [(c["enrollment"].pk, c["expected_etag"], c["changes"]["iot_edge"]) for c in calls] == [
        (group.pk, group.etag, True)
    ]
    after = EnrollmentGroup.objects.get(pk=group.pk)
    assert after.iot_edge is True and after.etag != group.etag


def test_the_services_validation_message_appears_in_the_admin(admin_client):
    # Custom allocation needs a webhook URL: only the service's update checks that (the admin form does not).
    group = enrollment_group_create(enrollment_group_id="grp-custom", attestation_type="symmetricKey")
    data = open_admin_form(admin_client, group)
    data["allocation_policy"] = ["custom"]
    data["api_version"] = ["2021-10-01"]
    response = admin_client.post(change_url(group), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert CUSTOM_NEEDS_WEBHOOK in html
    assert re.search(r'class="errorlist[^"]*"[^>]*>\s*<li>' + re.escape(CUSTOM_NEEDS_WEBHOOK), html)
    after = EnrollmentGroup.objects.get(pk=group.pk)
    assert (after.allocation_policy, after.etag) == (None, group.etag)


def test_a_refusal_while_saving_rolls_the_admin_write_back(admin_client, monkeypatch):
    # The CA references are replaced after the enrollment's update: a refusal there undoes both.
    ca = ca_certificate_create(name="verified", data=make_certificate("V", is_ca=True)[0], verified=True)
    unverified = ca_certificate_create(name="unverified", data=make_certificate("U", is_ca=True)[0])
    group = enrollment_group_create(enrollment_group_id="grp-ca", attestation_type="x509", ca_primary=ca)
    data = open_admin_form(admin_client, group)
    data["ca_primary"], data["iot_edge"] = [str(unverified.pk)], ["on"]
    response = admin_client.post(change_url(group), data)
    assert response.status_code == 200 and "is unverified" in response.content.decode()
    after = EnrollmentGroup.objects.get(pk=group.pk)
    assert (after.ca_primary_id, after.iot_edge, after.etag) == (ca.pk, False, group.etag)
    assert not LogEntry.objects.exists()  # the admin's history entry went with the rollback


def test_admin_adds_go_through_the_services(admin_client):
    # Linked IoT hub: the service's quota, parser and duplicate rules.
    linked_iot_hub_create(connection_string=cs("taken.azure-devices.net"))
    url = reverse("admin:enrollments_linkediothub_add")
    data = {"connection_string": cs("TAKEN.azure-devices.net"), "allocation_weight": "1"}
    response = admin_client.post(url, data)
    assert response.status_code == 200 and "is already linked" in response.content.decode()
    data["connection_string"] = cs("new.azure-devices.net")
    assert admin_client.post(url, data).status_code == 302
    assert LinkedIotHub.objects.filter(host_name="new.azure-devices.net").exists()
    # Shared access policy: typed keys are checked by the service, blank ones generated.
    url = reverse("admin:enrollments_sharedaccesspolicy_add")
    response = admin_client.post(url, {"name": "writer", "enrollment_write": "on", "primary_key": "short"})
    assert response.status_code == 200 and "base64" in response.content.decode()
    assert not SharedAccessPolicy.objects.filter(name="writer").exists()
    assert admin_client.post(url, {"name": "writer", "enrollment_write": "on"}).status_code == 302
    writer = SharedAccessPolicy.objects.get(name="writer")
    assert writer.rights == ["EnrollmentWrite"] and writer.primary_key and writer.etag
    # CA certificate: the service's CA rule.
    url = reverse("admin:enrollments_cacertificate_add")
    leaf = SimpleUploadedFile("leaf.pem", make_certificate("device-1")[0])
    response = admin_client.post(url, {"name": "leaf", "certificate_file": leaf})
    assert response.status_code == 200 and "not a CA certificate" in response.content.decode()
    assert not CaCertificate.objects.exists()


# --- deletes go through the services ------------------------------------------------------------------


def test_admin_delete_of_the_owner_policy_is_refused_by_the_service(admin_client, monkeypatch):
    # The admin hides Delete for the owner (403); with that guard lifted the service still refuses.
    owner_policy = SharedAccessPolicy.objects.ensure_owner()
    model_admin = django_admin.site._registry[SharedAccessPolicy]
    monkeypatch.setattr(type(model_admin), "has_delete_permission", lambda self, request, obj=None: True)
    url = reverse("admin:enrollments_sharedaccesspolicy_delete", args=[owner_policy.pk])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302 and response["Location"] == change_url(owner_policy)
    assert "cannot be deleted" in admin_client.get(response["Location"]).content.decode()
    assert SharedAccessPolicy.objects.filter(pk=owner_policy.pk).exists()


def test_admin_delete_of_a_secondary_enrollment_certificate_changes_the_enrollments_etag(admin_client):
    from enrollments.attestation.x509 import parse_certificate

    group = enrollment_group_create(
        enrollment_group_id="grp-signing",
        attestation_type="x509",
        signing_certificates={
            "primary": parse_certificate(make_certificate("Primary CA", is_ca=True)[0]),
            "secondary": parse_certificate(make_certificate("Secondary CA", is_ca=True)[0]),
        },
    )
    secondary = group.certificates.get(slot="secondary")
    url = reverse("admin:enrollments_enrollmentcertificate_delete", args=[secondary.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    after = EnrollmentGroup.objects.get(pk=group.pk)
    assert list(EnrollmentCertificate.objects.filter(enrollment_group=after).values_list("slot", flat=True)) == [
        "primary"
    ]
    assert after.etag != group.etag  # an API client holding the old etag must re-read


def test_admin_bulk_delete_of_groups_keeps_their_registration_records(admin_client):
    groups = [enrollment_group_create(enrollment_group_id=f"g{i}", attestation_type="symmetricKey") for i in range(2)]
    RegistrationRecord.objects.create(registration_id="d1", enrollment_group=groups[0], enrollment_group_name="g0")
    url = reverse("admin:enrollments_enrollmentgroup_changelist")
    data = {"action": "delete_selected", "_selected_action": [g.pk for g in groups], "post": "yes"}
    assert admin_client.post(url, data).status_code == 302
    assert not EnrollmentGroup.objects.exists()
    assert RegistrationRecord.objects.get().enrollment_group_name == "g0"
