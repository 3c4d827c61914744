"""Django admin: every model's list renders without secrets; edits follow the portal's rules."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enrollments import models
from enrollments.models import CaCertificate, EnrollmentGroup, LinkedIotHub, RegistrationRecord
from enrollments.services.certificates import ca_certificate_create
from enrollments.services.enrollments import enrollment_group_create, individual_enrollment_create
from enrollments.services.hubs import linked_iot_hub_create
from tests.factories import RegistrationRecordFactory

pytestmark = pytest.mark.django_db

HUB_KEY = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY="
OWN_KEY = "b3duLXN5bW1ldHJpYy1rZXktZm9yLXRlc3RzLTEyMzQ1Ng=="


def cs(host="hub-a.azure-devices.net", key=HUB_KEY):
    return f"HostName={host};SharedAccessKeyName=iothubowner;SharedAccessKey={key}"


@pytest.fixture
def populated(ca_certificate_pem):
    hub_a = linked_iot_hub_create(connection_string=cs("hub-a.azure-devices.net"))
    hub_b = linked_iot_hub_create(connection_string=cs("hub-b.azure-devices.net"))
    ca = ca_certificate_create(name="root-ca", data=ca_certificate_pem, verified=True)
    group = enrollment_group_create(
        enrollment_group_id="grp-sym", attestation_type="symmetricKey", primary_key=OWN_KEY, iot_hubs=[hub_a]
    )
    x509_group = enrollment_group_create(enrollment_group_id="grp-ca", attestation_type="x509", ca_primary=ca)
    individual = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey")
    record = RegistrationRecordFactory(
        registration_id="dev-9", enrollment_group=group, enrollment_group_name="grp-sym", status="assigned"
    )
    models.ProvisioningService.objects.get_current()
    return {
        "hubs": (hub_a, hub_b),
        "ca": ca,
        "group": group,
        "x509_group": x509_group,
        "individual": individual,
        "record": record,
    }


def change_url(obj):
    return reverse(f"admin:enrollments_{obj._meta.model_name}_change", args=[obj.pk])


def secrets_of(populated):
    group, individual = populated["group"], populated["individual"]
    return [
        HUB_KEY,
        group.primary_key,
        group.secondary_key,
        individual.primary_key,
        individual.secondary_key,
    ]


def test_every_registered_model_changelist_renders_without_secrets(admin_client, populated):
    from django.contrib import admin

    registered = [m for m in admin.site._registry if m._meta.app_label == "enrollments"]
    assert {
        models.LinkedIotHub,
        models.CaCertificate,
        models.EnrollmentGroup,
        models.IndividualEnrollment,
        models.RegistrationRecord,
        models.ProvisioningService,
        models.EnrollmentCertificate,
    } <= set(registered)
    for model in registered:
        response = admin_client.get(reverse(f"admin:enrollments_{model._meta.model_name}_changelist"))
        assert response.status_code == 200, model
        html = response.content.decode()
        for secret in secrets_of(populated):
            assert secret not in html, (model, secret[:8])


def test_changelists_search_and_filter(admin_client, populated):
    url = reverse("admin:enrollments_enrollmentgroup_changelist")
    html = admin_client.get(url, {"q": "grp-ca", "attestation_type__exact": "x509"}).content.decode()
    assert "grp-ca" in html and "grp-sym" not in html


def test_change_forms_mask_secrets(admin_client, populated):
    for obj in (populated["group"], populated["individual"], populated["hubs"][0]):
        response = admin_client.get(change_url(obj))
        assert response.status_code == 200
        html = response.content.decode()
        for secret in secrets_of(populated):
            assert secret not in html
    assert "SharedAccessKey=••••" in admin_client.get(change_url(populated["hubs"][0])).content.decode()


def group_post_data(group, **overrides):
    data = {
        "provisioning_status": "enabled",
        "expected_etag": group.etag,
        "primary_key": "",
        "secondary_key": "",
        "update_hub_assignment": "unknown",
        "migrate_device_data": "unknown",
        "allocation_policy": "hashed",
        "webhook_url": "",
        "api_version": "",
        "iot_hub_host_name": "",
        "initial_twin_tags": "{}",
        "initial_twin_desired_properties": "{}",
    }
    data.update(overrides)
    return data


def test_blank_key_keeps_the_stored_value_and_save_bumps_etag(admin_client, populated):
    group = populated["group"]
    old_etag, old_key = group.etag, group.primary_key
    response = admin_client.post(change_url(group), group_post_data(group, iot_edge="on"))
    assert response.status_code == 302, response.content.decode()[:3000]
    group.refresh_from_db()
    assert group.primary_key == old_key
    assert group.iot_edge is True
    assert group.etag != old_etag
    assert list(group.iot_hubs.all()) == []


def test_static_allocation_with_two_hubs_is_refused(admin_client, populated):
    group = populated["group"]
    hub_a, hub_b = populated["hubs"]
    data = group_post_data(group, allocation_policy="static", target_iot_hubs=[hub_a.pk, hub_b.pk])
    response = admin_client.post(change_url(group), data)
    assert response.status_code == 200
    assert "select exactly one target IoT hub" in response.content.decode()
    group.refresh_from_db()
    assert group.allocation_policy != "static"


def test_static_allocation_with_one_hub_is_saved(admin_client, populated):
    group = populated["group"]
    hub_b = populated["hubs"][1]
    response = admin_client.post(
        change_url(group), group_post_data(group, allocation_policy="static", target_iot_hubs=[hub_b.pk])
    )
    assert response.status_code == 302
    assert list(EnrollmentGroup.objects.get(pk=group.pk).iot_hubs.all()) == [hub_b]


def test_invalid_key_and_twin_are_refused_by_model_validators(admin_client, populated):
    group = populated["group"]
    response = admin_client.post(
        change_url(group), group_post_data(group, primary_key="not base64!", initial_twin_tags="[1]")
    )
    assert response.status_code == 200
    group.refresh_from_db()
    assert group.primary_key == OWN_KEY


def test_stale_etag_is_refused(admin_client, populated):
    group = populated["group"]
    response = admin_client.post(change_url(group), group_post_data(group, expected_etag="stale"))
    assert response.status_code == 200
    assert "Someone else changed this enrollment" in response.content.decode()


def test_enrollments_cannot_be_added_in_admin(admin_client, populated):
    assert admin_client.get(reverse("admin:enrollments_enrollmentgroup_add")).status_code == 403
    assert admin_client.get(reverse("admin:enrollments_individualenrollment_add")).status_code == 403


def test_registration_record_is_read_only_but_deletable(admin_client, populated):
    record = populated["record"]
    assert admin_client.get(reverse("admin:enrollments_registrationrecord_add")).status_code == 403
    page = admin_client.get(change_url(record))
    assert page.status_code == 200 and 'type="submit" value="Save"' not in page.content.decode()
    assert admin_client.post(change_url(record), {"registration_id": "x"}).status_code == 403
    url = reverse("admin:enrollments_registrationrecord_delete", args=[record.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not RegistrationRecord.objects.exists()


def test_hub_added_through_the_connection_string_parser(admin_client):
    url = reverse("admin:enrollments_linkediothub_add")
    data = {"connection_string": "HostName=h.azure-devices.net;SharedAccessKeyName=o", "allocation_weight": "1"}
    response = admin_client.post(url, data)
    assert response.status_code == 200 and "SharedAccessKey" in response.content.decode()
    assert not LinkedIotHub.objects.exists()
    data["connection_string"] = cs("new-hub.azure-devices.net")
    assert admin_client.post(url, data).status_code == 302
    assert LinkedIotHub.objects.get().shared_access_key == HUB_KEY


def test_hub_change_keeps_key_and_refuses_duplicates_and_other_hosts(admin_client, populated):
    hub_a, hub_b = populated["hubs"]
    data = {
        "connection_string": "",
        "location": "westeurope",
        "allocation_weight": "5",
        "apply_allocation_policy": "on",
        "expected_etag": hub_b.etag,
    }
    assert admin_client.post(change_url(hub_b), data).status_code == 302
    hub_b.refresh_from_db()
    data["expected_etag"] = hub_b.etag
    assert (hub_b.location, hub_b.allocation_weight, hub_b.shared_access_key) == ("westeurope", 5, HUB_KEY)
    data["connection_string"] = cs("hub-a.azure-devices.net")
    response = admin_client.post(change_url(hub_b), data)
    assert response.status_code == 200 and "not “hub-b.azure-devices.net”" in response.content.decode()
    data["allocation_weight"] = "1001"
    data["connection_string"] = ""
    assert admin_client.post(change_url(hub_b), data).status_code == 200


def test_protected_hub_delete_shows_the_protected_page(admin_client, populated):
    hub_a = populated["hubs"][0]
    response = admin_client.post(reverse("admin:enrollments_linkediothub_delete", args=[hub_a.pk]), {"post": "yes"})
    assert response.status_code == 200
    assert "protected" in response.content.decode()
    assert LinkedIotHub.objects.filter(pk=hub_a.pk).exists()


def test_protected_certificate_delete_shows_the_protected_page(admin_client, populated):
    ca = populated["ca"]
    response = admin_client.post(reverse("admin:enrollments_cacertificate_delete", args=[ca.pk]), {"post": "yes"})
    assert response.status_code == 200
    assert "protected" in response.content.decode()
    assert CaCertificate.objects.filter(pk=ca.pk).exists()


def test_certificate_admin_upload_uses_the_parser(admin_client, vectors_dir):
    url = reverse("admin:enrollments_cacertificate_add")
    key = SimpleUploadedFile("key.pem", (vectors_dir / "private-key.pem").read_bytes())
    response = admin_client.post(url, {"name": "k", "certificate_file": key})
    assert response.status_code == 200 and "private key" in response.content.decode()
    assert not CaCertificate.objects.exists()
    pem = SimpleUploadedFile("ca.pem", (vectors_dir / "intermediate-ca.pem").read_bytes())
    assert admin_client.post(url, {"name": "inter", "certificate_file": pem, "is_verified": "on"}).status_code == 302
    cert = CaCertificate.objects.get()
    old_etag = cert.etag
    response = admin_client.post(change_url(cert), {"name": "renamed", "expected_etag": old_etag})
    assert response.status_code == 302
    cert.refresh_from_db()
    assert cert.name == "renamed" and not cert.is_verified and cert.etag != old_etag


def test_x509_group_must_reference_a_verified_certificate(admin_client, populated, ca_certificate_pem):
    from tests.conftest import make_certificate

    unverified = ca_certificate_create(name="unverified", data=make_certificate("U", is_ca=True)[0])
    group = populated["x509_group"]
    response = admin_client.post(change_url(group), group_post_data(group, ca_primary=unverified.pk))
    assert response.status_code == 200 and "is unverified" in response.content.decode()


def test_provisioning_service_name_editable_scope_read_only(admin_client, populated):
    service = models.ProvisioningService.objects.get_current()
    scope = service.id_scope
    response = admin_client.post(
        change_url(service), {"name": "renamed-dps", "allocation_policy": "geoLatency", "id_scope": "0ne00000000"}
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert (service.name, service.allocation_policy, service.id_scope) == ("renamed-dps", "geoLatency", scope)
    response = admin_client.post(change_url(service), {"name": "x", "allocation_policy": "custom"})
    assert response.status_code == 200
    assert (
        admin_client.get(reverse("admin:enrollments_provisioningservice_delete", args=[service.pk])).status_code == 403
    )


def test_change_pages_of_every_kind_render(admin_client, populated, vectors, ca_certificate_pem):
    from enrollments.attestation.x509 import parse_certificate
    from tests.conftest import make_certificate

    signing = enrollment_group_create(
        enrollment_group_id="grp-signing",
        attestation_type="x509",
        signing_certificates={"primary": parse_certificate(make_certificate("Inter", is_ca=True)[0])},
    )
    tpm = individual_enrollment_create(
        registration_id="tpm-1", attestation_type="tpm", endorsement_key=vectors["tpm"]["endorsement_key"]
    )
    certificate = signing.certificates.get()
    for obj in (signing, tpm, certificate, populated["x509_group"], populated["ca"], populated["record"]):
        response = admin_client.get(change_url(obj))
        assert response.status_code == 200, obj
    assert certificate.sha1_thumbprint in admin_client.get(change_url(signing)).content.decode()
    # A primary enrollment certificate goes only with its enrollment.
    url = reverse("admin:enrollments_enrollmentcertificate_delete", args=[certificate.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403


def test_shared_access_policy_keys_masked_and_owner_not_deletable(admin_client):
    owner = models.SharedAccessPolicy.objects.ensure_owner()
    for url in (reverse("admin:enrollments_sharedaccesspolicy_changelist"), change_url(owner)):
        html = admin_client.get(url).content.decode()
        assert owner.primary_key not in html and owner.secondary_key not in html
    delete = reverse("admin:enrollments_sharedaccesspolicy_delete", args=[owner.pk])
    assert admin_client.get(delete).status_code == 403
    response = admin_client.post(reverse("admin:enrollments_sharedaccesspolicy_add"), {"name": "reader"})
    assert "Choose at least one permission." in response.content.decode()
    response = admin_client.post(
        reverse("admin:enrollments_sharedaccesspolicy_add"), {"name": "reader", "enrollment_read": "on"}
    )
    assert response.status_code == 302
    reader = models.SharedAccessPolicy.objects.get(name="reader")
    assert reader.primary_key and reader.primary_key != reader.secondary_key


WEBHOOK_CODE = "Zm9vYmFyLXdlYmhvb2stc2VjcmV0LWNvZGU="
WEBHOOK_URL = f"https://legit.example/api/alloc?code={WEBHOOK_CODE}&clientId=default"


@pytest.fixture
def custom_group(db):
    models.ProvisioningService.objects.get_current()
    return enrollment_group_create(
        enrollment_group_id="grp-custom",
        attestation_type="symmetricKey",
        allocation_policy="custom",
        webhook_url=WEBHOOK_URL,
        api_version="2021-10-01",
    )


def custom_post_data(group, webhook_url):
    return group_post_data(group, allocation_policy="custom", webhook_url=webhook_url, api_version="2021-10-01")


def test_enrollment_change_page_masks_the_webhook_code(admin_client, custom_group):
    html = admin_client.get(change_url(custom_group)).content.decode()
    assert WEBHOOK_CODE not in html
    masked = "https://legit.example/api/alloc?code=••••&amp;clientId=default"
    assert f'value="{masked}"' in html  # the input
    assert f'{masked.replace("••••", "%E2%80%A2" * 4)}">{masked}</a>' in html  # Django's "Currently:" link


def test_saving_the_masked_webhook_url_keeps_the_stored_code(admin_client, custom_group):
    masked = "https://legit.example/api/alloc?code=••••&clientId=default"
    response = admin_client.post(change_url(custom_group), custom_post_data(custom_group, masked))
    assert response.status_code == 302, response.content.decode()[:3000]
    custom_group.refresh_from_db()
    assert custom_group.webhook_url == WEBHOOK_URL


def test_a_typed_webhook_code_replaces_the_stored_one(admin_client, custom_group):
    typed = "https://legit.example/api/alloc?code=bmV3LWNvZGU=&clientId=default"
    response = admin_client.post(change_url(custom_group), custom_post_data(custom_group, typed))
    assert response.status_code == 302, response.content.decode()[:3000]
    custom_group.refresh_from_db()
    assert custom_group.webhook_url == typed
