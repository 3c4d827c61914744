import pytest
from django.urls import reverse

from enrollments.models import ProvisioningService


@pytest.mark.django_db
def test_root_redirects_to_portal(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == "/portal/"


@pytest.mark.django_db
def test_portal_requires_sign_in(client):
    response = client.get(reverse("enrollments:overview"))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.django_db
def test_overview_shows_service_name_and_id_scope(admin_client):
    response = admin_client.get(reverse("enrollments:overview"))
    service = ProvisioningService.objects.get_current()
    assert response.status_code == 200
    assert service.id_scope.startswith("0ne") and len(service.id_scope) == 11
    assert service.id_scope in response.content.decode()
    assert "ID Scope" in response.content.decode()


@pytest.mark.django_db
def test_service_record_is_created_on_demand():
    ProvisioningService.objects.all().delete()
    assert ProvisioningService.objects.get_current().pk
    assert ProvisioningService.objects.count() == 1


@pytest.mark.django_db
def test_migrate_creates_the_service_and_the_owner_policy():
    # post_migrate ran when the test database was built (and after each flush).
    from enrollments.models import SharedAccessPolicy

    assert ProvisioningService.objects.exists()
    assert SharedAccessPolicy.objects.filter(name="provisioningserviceowner").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "public_url, shown",
    [("http://127.0.0.1:8899", "http://127.0.0.1:8899"), ("https://dps.example.com/", "dps.example.com")],
)
def test_overview_endpoints_are_what_a_connection_string_hostname_takes(admin_client, settings, public_url, shown):
    settings.DPS_PUBLIC_URL = public_url
    html = admin_client.get(reverse("enrollments:overview")).content.decode()
    assert f"<code>{shown}</code>" in html
