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


@pytest.mark.django_db
@pytest.mark.parametrize(
    "public_url, device_host, port, host_shown, https_shown",
    [
        ("http://127.0.0.1:8000", "", 8443, "127.0.0.1", "https://127.0.0.1:8443"),
        ("https://dps.example.com/", "", 443, "dps.example.com", "https://dps.example.com"),
        (
            "https://dps.example.com/",
            "global.example.net",
            9443,
            "global.example.net",
            "https://global.example.net:9443",
        ),
    ],
)
def test_overview_shows_where_devices_connect(
    admin_client, settings, public_url, device_host, port, host_shown, https_shown
):
    settings.DPS_PUBLIC_URL, settings.DPS_DEVICE_HOST, settings.DPS_DEVICE_PORT = public_url, device_host, port
    html = admin_client.get(reverse("enrollments:overview")).content.decode()
    assert f'<code id="device-endpoint">{host_shown}</code>' in html
    assert "HTTPS device endpoint" in html
    assert f'<code id="https-device-endpoint">{https_shown}</code>' in html
    assert f'href="{reverse("enrollments:server_ca_certificate")}" download>Download server CA certificate</a>' in html


@pytest.mark.django_db
def test_download_server_ca_certificate_is_the_local_cas_certificate(admin_client, settings, tmp_path):
    from cryptography import x509

    settings.DPS_DATA_DIR = tmp_path
    settings.DPS_SERVICE_NAME = "fleet dps"
    response = admin_client.get(reverse("enrollments:server_ca_certificate"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    assert response["Content-Disposition"] == 'attachment; filename="fleetdps-server-ca.pem"'
    assert response.content == (tmp_path / "tls" / "ca.pem").read_bytes()  # generated on first use
    (ca,) = x509.load_pem_x509_certificates(response.content)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert b"PRIVATE KEY" not in response.content
    # the same CA next time (and it signed the server certificate the device endpoint serves)
    assert admin_client.get(reverse("enrollments:server_ca_certificate")).content == response.content
    server = x509.load_pem_x509_certificates((tmp_path / "tls" / "server.pem").read_bytes())[0]
    server.verify_directly_issued_by(ca)


@pytest.mark.django_db
def test_download_server_ca_certificate_needs_sign_in(client):
    response = client.get(reverse("enrollments:server_ca_certificate"))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.django_db
def test_download_serves_the_operators_ca_file(admin_client, settings, tmp_path):
    import datetime as dt

    from dps_portal import server_certificates as sc

    now = dt.datetime.now(dt.UTC)
    ca, ca_key = sc.issue_ca(common_name="Operator Root", now=now)
    cert, key = sc.issue_server_certificate(ca_certificate=ca, ca_key=ca_key, host_names=["dps.example.com"], now=now)
    (tmp_path / "cert.pem").write_bytes(sc._pem(cert))
    (tmp_path / "key.pem").write_bytes(sc._key_pem(key))
    (tmp_path / "root.pem").write_bytes(sc._pem(ca))
    settings.DPS_DATA_DIR = tmp_path / "unused"
    settings.DPS_TLS_CERT_FILE, settings.DPS_TLS_KEY_FILE = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    settings.DPS_TLS_CA_FILE = str(tmp_path / "root.pem")
    response = admin_client.get(reverse("enrollments:server_ca_certificate"))
    assert response.status_code == 200 and response.content == sc._pem(ca)
    assert not (tmp_path / "unused").exists()  # nothing generated beside the operator's files


@pytest.mark.django_db
def test_download_with_unusable_operator_files_says_why(admin_client, settings, tmp_path):
    settings.DPS_TLS_CERT_FILE, settings.DPS_TLS_KEY_FILE = str(tmp_path / "missing.pem"), str(tmp_path / "k.pem")
    response = admin_client.get(reverse("enrollments:server_ca_certificate"))
    assert response.status_code == 503
    assert response.content.decode() == (
        f"The device endpoint's certificate files cannot be used: DPS_TLS_CERT_FILE={tmp_path}/missing.pem: "
        "no such readable file."
    )
