import pytest
from django.urls import reverse

from enrollments.models import LinkedIotHub
from enrollments.services.enrollments import enrollment_group_create
from enrollments.services.hubs import linked_iot_hub_create

pytestmark = pytest.mark.django_db

KEY = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY="
LIST = reverse("enrollments:linked_iot_hub_list")
ADD = reverse("enrollments:linked_iot_hub_add")


def cs(host="hub-a.azure-devices.net"):
    return f"HostName={host};SharedAccessKeyName=iothubowner;SharedAccessKey={KEY}"


def post_add(client, url=ADD, **overrides):
    data = {
        "connection_string": cs(),
        "location": "westeurope",
        "allocation_weight": "1",
        "apply_allocation_policy": "on",
    }
    data.update(overrides)
    return client.post(url, data)


@pytest.mark.parametrize("url", [LIST, ADD])
def test_pages_require_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_delete_requires_sign_in_and_post(client, admin_client):
    hub = linked_iot_hub_create(connection_string=cs())
    url = reverse("enrollments:linked_iot_hub_delete", args=[hub.pk])
    client.logout()
    assert client.post(url).status_code == 302
    assert LinkedIotHub.objects.exists()


def test_add_form_has_contract_labels_and_defaults(admin_client):
    html = admin_client.get(ADD).content.decode()
    for label in ("IoT hub connection string", "Location", "Allocation weight", "Apply allocation policy"):
        assert f">{label}</label>" in html.replace("\n", "").replace("  ", "")
    assert 'name="allocation_weight" value="1"' in html
    assert 'name="apply_allocation_policy"' in html and "checked" in html
    assert "novalidate" in html
    assert ">Save</button>" in html


def test_add_links_and_list_shows_hub_without_key(admin_client):
    response = post_add(admin_client, allocation_weight="7")
    assert response.status_code == 302 and response["Location"] == LIST
    html = admin_client.get(LIST).content.decode()
    assert "hub-a.azure-devices.net" in html and "westeurope" in html and ">7<" in html
    assert KEY not in html
    assert "Linked IoT hub “hub-a.azure-devices.net”." in html
    assert 'data-confirm="Unlink' in html


def test_missing_key_message_is_next_to_the_field_and_nothing_echoed(admin_client):
    response = post_add(admin_client, connection_string="HostName=h.azure-devices.net;SharedAccessKeyName=owner")
    assert response.status_code == 200
    html = response.content.decode()
    assert "The connection string has no SharedAccessKey" in html
    assert 'id="error_1_id_connection_string"' in html
    assert "h.azure-devices.net;SharedAccessKeyName" not in html
    assert not LinkedIotHub.objects.exists()


def test_key_is_never_echoed_after_an_error_elsewhere(admin_client):
    response = post_add(admin_client, allocation_weight="1001")
    html = response.content.decode()
    assert response.status_code == 200
    assert KEY not in html
    assert "less than or equal to 1000" in html
    assert "paste it again" in html


def test_duplicate_host_is_a_field_error(admin_client):
    post_add(admin_client)
    response = post_add(admin_client, connection_string=cs("HUB-A.azure-devices.net"))
    html = response.content.decode()
    assert "is already linked" in html
    assert KEY not in html
    assert LinkedIotHub.objects.count() == 1


def test_quota_error_is_shown(admin_client, settings):
    settings.DPS_MAX_LINKED_HUBS = 1
    post_add(admin_client)
    html = post_add(admin_client, connection_string=cs("b.azure-devices.net")).content.decode()
    assert "quota 1" in html


def test_next_round_trip_appends_linked_hub(admin_client):
    wizard = "/portal/enrollment-groups/add/0b5f5c0e-2a3e-4b7b-9b43-4a1f0f3e8a11/iot-hubs/?x=1"
    page = admin_client.get(ADD, {"next": wizard}).content.decode()
    assert 'name="next"' in page
    response = post_add(admin_client, url=f"{ADD}?next={wizard.replace('?', '%3F').replace('=', '%3D')}")
    assert response.status_code == 302
    assert response["Location"] == wizard + "&linked_hub=hub-a.azure-devices.net"


def test_next_in_post_body_is_used(admin_client):
    response = post_add(admin_client, next="/portal/somewhere/")
    assert response["Location"] == "/portal/somewhere/?linked_hub=hub-a.azure-devices.net"


@pytest.mark.parametrize("unsafe", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_unsafe_next_is_ignored(admin_client, unsafe):
    page = admin_client.get(ADD, {"next": unsafe}).content.decode()
    assert "evil.example" not in page and "javascript:" not in page
    response = post_add(admin_client, next=unsafe)
    assert response["Location"] == LIST


def test_delete_unlinks(admin_client):
    hub = linked_iot_hub_create(connection_string=cs())
    response = admin_client.post(reverse("enrollments:linked_iot_hub_delete", args=[hub.pk]), follow=True)
    assert not LinkedIotHub.objects.exists()
    assert "Unlinked IoT hub “hub-a.azure-devices.net”." in response.content.decode()


def test_delete_refused_while_targeted_names_the_enrollment(admin_client):
    hub = linked_iot_hub_create(connection_string=cs())
    enrollment_group_create(enrollment_group_id="grp-7", attestation_type="symmetricKey", iot_hubs=[hub])
    response = admin_client.post(reverse("enrollments:linked_iot_hub_delete", args=[hub.pk]), follow=True)
    assert LinkedIotHub.objects.filter(pk=hub.pk).exists()
    assert "cannot be unlinked" in response.content.decode() and "grp-7" in response.content.decode()


def test_delete_of_missing_hub_is_404_and_get_is_405(admin_client):
    assert admin_client.post(reverse("enrollments:linked_iot_hub_delete", args=[999])).status_code == 404
    hub = linked_iot_hub_create(connection_string=cs())
    assert admin_client.get(reverse("enrollments:linked_iot_hub_delete", args=[hub.pk])).status_code == 405


def test_sidebar_link_is_marked_current(admin_client):
    html = admin_client.get(LIST).content.decode()
    assert 'aria-current="page" href="/portal/linked-iot-hubs/">Linked IoT hubs</a>' in html
