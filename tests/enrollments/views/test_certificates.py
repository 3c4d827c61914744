import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enrollments.attestation.x509 import parse_certificate
from enrollments.models import CaCertificate
from enrollments.services.certificates import ca_certificate_create
from enrollments.services.enrollments import enrollment_group_create

pytestmark = pytest.mark.django_db

LIST = reverse("enrollments:certificate_list")
ADD = reverse("enrollments:certificate_add")


def upload(client, data: bytes, name="root-ca", filename="ca.pem", verified=True):
    payload = {"name": name, "certificate": SimpleUploadedFile(filename, data)}
    if verified:
        payload["verified"] = "on"
    return client.post(ADD, payload)


@pytest.mark.parametrize("url", [LIST, ADD, reverse("enrollments:certificate_detail", args=[1])])
def test_pages_require_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_add_form_has_contract_labels(admin_client):
    html = " ".join(admin_client.get(ADD).content.decode().split())
    for label in ("Certificate name", "Certificate .pem or .cer file", "Set certificate status to verified on upload"):
        assert f"> {label}</label>" in html or f">{label}</label>" in html
    assert 'enctype="multipart/form-data" novalidate' in html
    assert ">Save</button>" in html
    assert "Generate verification code" not in html and ">Verify<" not in html


def test_upload_lists_name_subject_thumbprint_expiry_status(admin_client, ca_certificate_pem):
    response = upload(admin_client, ca_certificate_pem)
    assert response.status_code == 302 and response["Location"] == LIST
    info = parse_certificate(ca_certificate_pem)
    html = admin_client.get(LIST).content.decode()
    assert "root-ca" in html and "CN=Test CA" in html and info.sha1_thumbprint in html
    assert info.not_after_utc.strftime("%Y-%m-%d") in html
    assert ">Verified<" in html
    assert "Generate verification code" not in html


def test_unverified_status(admin_client, ca_certificate_pem):
    upload(admin_client, ca_certificate_pem, verified=False)
    assert ">Unverified<" in admin_client.get(LIST).content.decode()


def test_base64_cer_from_vectors(admin_client, vectors_dir, vectors):
    response = upload(admin_client, (vectors_dir / "intermediate-ca-base64.cer").read_bytes(), filename="ca.cer")
    assert response.status_code == 302
    assert CaCertificate.objects.get().sha1_thumbprint.upper() in str(vectors).upper()


def test_private_key_is_refused_next_to_the_file_field(admin_client, vectors_dir):
    response = upload(admin_client, (vectors_dir / "private-key.pem").read_bytes(), filename="key.pem")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="error_1_id_certificate"' in html and "private key" in html
    assert "PRIVATE KEY" not in html
    assert not CaCertificate.objects.exists()


def test_expired_certificate_is_refused(admin_client, vectors_dir):
    response = upload(admin_client, (vectors_dir / "expired-ca.pem").read_bytes())
    assert "expired" in response.content.decode()
    assert not CaCertificate.objects.exists()


def test_missing_name_and_file_say_required(admin_client):
    response = admin_client.post(ADD, {"name": ""})
    html = response.content.decode()
    assert html.count("This field is required.") == 2


def test_duplicate_name_is_refused_ignoring_case(admin_client, ca_certificate_pem):
    upload(admin_client, ca_certificate_pem, name="Root-CA")
    html = upload(admin_client, ca_certificate_pem, name="root-ca").content.decode()
    assert "A certificate named “root-ca” already exists." in html
    assert CaCertificate.objects.count() == 1


def test_quota(admin_client, settings, ca_certificate_pem):
    settings.DPS_MAX_CA_CERTIFICATES = 1
    upload(admin_client, ca_certificate_pem, name="a")
    assert "quota 1" in upload(admin_client, ca_certificate_pem, name="b").content.decode()


def test_details_show_every_field(admin_client, ca_certificate_pem):
    cert = ca_certificate_create(name="root-ca", data=ca_certificate_pem, verified=False)
    html = admin_client.get(reverse("enrollments:certificate_detail", args=[cert.pk])).content.decode()
    for value in (
        cert.subject_name,
        cert.issuer_name,
        cert.sha1_thumbprint,
        cert.sha256_thumbprint,
        cert.serial_number,
    ):
        assert value in html
    assert "SHA-1 thumbprint" in html and "SHA-256 thumbprint" in html and "Unverified" in html
    assert 'data-confirm="Delete the certificate' in html


def test_delete(admin_client, ca_certificate_pem):
    cert = ca_certificate_create(name="root-ca", data=ca_certificate_pem)
    response = admin_client.post(reverse("enrollments:certificate_delete", args=[cert.pk]), follow=True)
    assert not CaCertificate.objects.exists()
    assert "Deleted certificate “root-ca”." in response.content.decode()


def test_delete_refused_while_a_group_uses_it(admin_client, ca_certificate_pem):
    cert = ca_certificate_create(name="root-ca", data=ca_certificate_pem, verified=True)
    enrollment_group_create(enrollment_group_id="grp-ca", attestation_type="x509", ca_primary=cert)
    response = admin_client.post(reverse("enrollments:certificate_delete", args=[cert.pk]), follow=True)
    assert CaCertificate.objects.filter(pk=cert.pk).exists()
    assert "cannot be deleted" in response.content.decode() and "grp-ca" in response.content.decode()


def test_missing_certificate_is_404(admin_client):
    assert admin_client.get(reverse("enrollments:certificate_detail", args=[42])).status_code == 404
    assert admin_client.post(reverse("enrollments:certificate_delete", args=[42])).status_code == 404


def test_blank_name_and_bad_file_are_reported_together(admin_client, vectors_dir):
    response = upload(admin_client, (vectors_dir / "garbage.pem").read_bytes(), name="")
    html = response.content.decode()
    assert "This field is required." in html and "not an X.509 certificate" in html
