"""Proof of possession through services/certificates.py and the certificate details page."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enrollments.attestation.x509 import verification_code_digest
from enrollments.models import CaCertificate
from enrollments.services.certificates import (
    ca_certificate_create,
    ca_certificate_generate_verification_code,
    ca_certificate_verify,
)
from tests.conftest import make_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def ca():
    """(CaCertificate, (x509 certificate, private key)) of an unverified uploaded CA."""
    pem, pair = make_certificate("Contoso Root CA", is_ca=True)
    return ca_certificate_create(name="contoso-root", data=pem), pair


def test_generate_stores_only_a_digest_with_an_expiry(ca, settings):
    settings.DPS_VERIFICATION_CODE_LIFETIME = 600
    certificate, _ = ca
    old_etag = certificate.etag
    code = ca_certificate_generate_verification_code(certificate=certificate)
    certificate.refresh_from_db()
    assert len(code) == 48 and code == code.upper()
    assert certificate.verification_code == verification_code_digest(code) and code not in certificate.verification_code
    remaining = (certificate.verification_code_expires_utc - timezone.now()).total_seconds()
    assert 590 < remaining <= 600
    assert certificate.etag != old_etag
    assert ca_certificate_generate_verification_code(certificate=certificate) != code


def test_verify_marks_verified_and_the_code_is_used_once(ca):
    certificate, pair = ca
    code = ca_certificate_generate_verification_code(certificate=certificate)
    pem, _ = make_certificate(code, issuer=pair)
    ca_certificate_verify(certificate=certificate, data=pem)
    certificate.refresh_from_db()
    assert certificate.is_verified and certificate.verification_code == ""
    assert certificate.verification_code_expires_utc is None
    with pytest.raises(ValidationError, match="already verified"):
        ca_certificate_verify(certificate=certificate, data=pem)


def test_an_older_code_stops_working_when_a_new_one_is_generated(ca):
    certificate, pair = ca
    first = ca_certificate_generate_verification_code(certificate=certificate)
    ca_certificate_generate_verification_code(certificate=certificate)
    pem, _ = make_certificate(first, issuer=pair)
    with pytest.raises(ValidationError) as excinfo:
        ca_certificate_verify(certificate=certificate, data=pem)
    assert "not the verification code" in excinfo.value.message_dict["verification_certificate"][0]
    certificate.refresh_from_db()
    assert not certificate.is_verified


def test_expired_code_is_refused(ca):
    certificate, pair = ca
    code = ca_certificate_generate_verification_code(certificate=certificate)
    CaCertificate.objects.filter(pk=certificate.pk).update(
        verification_code_expires_utc=timezone.now() - dt.timedelta(minutes=1)
    )
    pem, _ = make_certificate(code, issuer=pair)
    with pytest.raises(ValidationError) as excinfo:
        ca_certificate_verify(certificate=certificate, data=pem)
    assert "The verification code expired" in excinfo.value.message_dict["verification_certificate"][0]
    certificate.refresh_from_db()
    assert not certificate.is_verified


def test_not_signed_by_the_ca_is_refused(ca):
    certificate, _ = ca
    code = ca_certificate_generate_verification_code(certificate=certificate)
    pem, _ = make_certificate(code)  # self-signed by another key
    with pytest.raises(ValidationError) as excinfo:
        ca_certificate_verify(certificate=certificate, data=pem)
    assert "not signed by this CA" in " ".join(excinfo.value.message_dict["verification_certificate"])


def test_a_verified_certificate_gets_no_code(ca_certificate_pem):
    certificate = ca_certificate_create(name="verified", data=ca_certificate_pem, verified=True)
    with pytest.raises(ValidationError, match="already verified"):
        ca_certificate_generate_verification_code(certificate=certificate)


def _detail(certificate):
    return reverse("enrollments:certificate_detail", args=[certificate.pk])


def test_details_page_flow(admin_client, ca):
    certificate, pair = ca
    html = " ".join(admin_client.get(_detail(certificate)).content.decode().split())
    assert "Generate verification code" in html and ">Verify<" in html
    assert 'class="form-label requiredField"> Verification certificate .pem or .cer file</label>' in html
    response = admin_client.post(reverse("enrollments:certificate_generate_code", args=[certificate.pk]))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    code = response.context["verification_code"]
    html = response.content.decode()
    assert '<label class="form-label" for="id_verification_code">Verification code</label>' in html
    assert f'value="{code}"' in html
    # Shown once: the details page afterwards says a code is pending, without the code.
    html = admin_client.get(_detail(certificate)).content.decode()
    assert code not in html and "A verification code is pending" in html

    wrong, _ = make_certificate("not-the-code", issuer=pair)
    response = admin_client.post(
        reverse("enrollments:certificate_verify", args=[certificate.pk]),
        {"verification_certificate": SimpleUploadedFile("verify.pem", wrong)},
    )
    assert response.status_code == 200
    assert "common name (CN) is “not-the-code”" in response.content.decode()
    assert 'id="id_verification_certificate_error"' in response.content.decode()

    good, _ = make_certificate(code, issuer=pair)
    response = admin_client.post(
        reverse("enrollments:certificate_verify", args=[certificate.pk]),
        {"verification_certificate": SimpleUploadedFile("verify.cer", good)},
        follow=True,
    )
    html = response.content.decode()
    assert "is verified" in html and "Generate verification code" not in html
    certificate.refresh_from_db()
    assert certificate.is_verified


def test_verify_without_a_file_says_required(admin_client, ca):
    certificate, _ = ca
    response = admin_client.post(reverse("enrollments:certificate_verify", args=[certificate.pk]), {})
    assert "This field is required." in response.content.decode()


@pytest.mark.parametrize("name", ["certificate_generate_code", "certificate_verify"])
def test_proof_of_possession_needs_sign_in_and_post(admin_client, ca, name):
    certificate, _ = ca
    url = reverse(f"enrollments:{name}", args=[certificate.pk])
    assert Client().post(url)["Location"].startswith("/accounts/login/")
    assert admin_client.get(url).status_code == 405
