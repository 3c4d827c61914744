"""Certificate rules: encodings, refusals with distinct messages, used once, verified CAs.

Parsing is attestation/x509.py; the rules that need the database are in services/enrollments.py.
"""

import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID, NameOID
from django.core.exceptions import ValidationError

from enrollments.attestation import x509 as x509_attestation
from enrollments.attestation.x509 import check_validity, parse_certificate
from enrollments.exceptions import CA_UNVERIFIED, InvalidCertificateError
from enrollments.models import CaCertificate, EnrollmentCertificate
from enrollments.services.enrollments import enrollment_group_create, individual_enrollment_create
from tests.conftest import make_certificate

CLEAN = "intermediate-ca.pem"


def read(vectors_dir, name: str) -> bytes:
    return (vectors_dir / name).read_bytes()


def refusal(data: bytes) -> str:
    with pytest.raises(InvalidCertificateError) as err:
        check_validity(parse_certificate(data))
    return str(err.value)


# --- encodings give the clean file's thumbprint ------------------------------------------------------


@pytest.mark.parametrize("name", ["intermediate-ca-bom.pem", "intermediate-ca-crlf.cer"])
def test_bom_and_crlf_files_give_the_thumbprint_of_the_clean_pem(vectors_dir, vectors, name):
    info = parse_certificate(read(vectors_dir, name))
    assert info.sha256_thumbprint == vectors["certificates"][CLEAN]["sha256Thumbprint"]
    assert info.sha1_thumbprint == vectors["certificates"][CLEAN]["sha1Thumbprint"]


def test_surrounding_whitespace_and_text_input_give_the_same_thumbprint(vectors_dir, vectors):
    text = "\n\n  " + read(vectors_dir, CLEAN).decode() + "  \r\n\t"
    assert parse_certificate(text).sha256_thumbprint == vectors["certificates"][CLEAN]["sha256Thumbprint"]


def test_binary_der_cer_is_accepted(vectors_dir, vectors):
    info = parse_certificate(read(vectors_dir, "intermediate-ca-der.cer"))
    assert info.sha256_thumbprint == vectors["certificates"][CLEAN]["sha256Thumbprint"]


def test_utf16_pem_as_windows_writes_it_is_accepted(vectors_dir, vectors):
    data = read(vectors_dir, CLEAN).decode().replace("\n", "\r\n").encode("utf-16")  # with its BOM
    assert parse_certificate(data).sha256_thumbprint == vectors["certificates"][CLEAN]["sha256Thumbprint"]


def test_binary_der_ending_in_a_whitespace_byte_is_accepted():
    """DER bytes are not text: a signature may end in 0x0A or 0x20, which must not be stripped."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ws")])
    now = dt.datetime.now(dt.UTC)
    for serial in range(1, 5000):
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256())
        )
        der = cert.public_bytes(serialization.Encoding.DER)
        if der[-1:] in (b"\n", b" ", b"\r", b"\t"):
            break
    else:  # pragma: no cover
        pytest.fail("no certificate ending in a whitespace byte was made")
    assert parse_certificate(der).sha256_thumbprint == cert.fingerprint(hashes.SHA256()).hex().upper()


def test_truncated_binary_der_is_truncated_not_garbage(vectors_dir):
    der = read(vectors_dir, "intermediate-ca-der.cer")
    assert refusal(der[:-40]) == x509_attestation.TRUNCATED


# --- refusals, each with its own message -----------------------------------------------------------------

REFUSED = {
    "private-key.pem": x509_attestation.PRIVATE_KEY,
    "garbage.pem": x509_attestation.NOT_A_CERTIFICATE,
    "truncated.pem": x509_attestation.TRUNCATED,
    "empty.pem": x509_attestation.EMPTY,
    "chain-bundle.pem": x509_attestation.SEVERAL.format(n=2),
}


@pytest.mark.parametrize("name", [*REFUSED, "expired-ca.pem"])
def test_bad_files_are_refused(vectors_dir, name):
    message = refusal(read(vectors_dir, name))
    if name == "expired-ca.pem":
        assert message == x509_attestation.EXPIRED.format(date="2021-01-01 00:00 UTC")
    else:
        assert message == REFUSED[name]


def test_the_six_bad_files_have_six_distinct_messages(vectors_dir):
    messages = {refusal(read(vectors_dir, name)) for name in [*REFUSED, "expired-ca.pem"]}
    assert len(messages) == 6


def test_private_key_messages_say_it_was_discarded(vectors_dir):
    assert "discarded" in refusal(read(vectors_dir, "private-key.pem"))
    # a PEM holding both a certificate and its key is refused too: the key is never kept
    combined = read(vectors_dir, CLEAN) + read(vectors_dir, "intermediate-ca.key")
    assert refusal(combined) == x509_attestation.PRIVATE_KEY


def test_binary_der_private_key_is_refused_as_a_private_key():
    der = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert refusal(der) == x509_attestation.PRIVATE_KEY


def test_not_yet_valid_is_refused():
    now = dt.datetime.now(dt.UTC)
    pem, _ = make_certificate("later", not_before=now + dt.timedelta(days=3), not_after=now + dt.timedelta(days=9))
    assert refusal(pem).startswith("The certificate is not valid until")


def test_damaged_extension_is_refused_not_a_crash():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.UnrecognizedExtension(ExtensionOID.BASIC_CONSTRAINTS, b"\x01\x02"), critical=True)
        .sign(key, hashes.SHA256())
    )
    assert refusal(cert.public_bytes(serialization.Encoding.PEM)) == x509_attestation.MALFORMED


def test_text_with_unpaired_surrogates_is_not_a_certificate():
    assert refusal("hello \ud800") == x509_attestation.NOT_A_CERTIFICATE


def test_too_large_file_is_refused():
    assert refusal(b"A" * (64 * 1024 + 1)) == x509_attestation.TOO_LARGE


# --- service level: expired, non-CA, used once, verified CA ------------------------------------------------


@pytest.mark.django_db
def test_expired_ca_is_refused_by_the_service(vectors_dir):
    info = parse_certificate(read(vectors_dir, "expired-ca.pem"))
    with pytest.raises(ValidationError) as err:
        enrollment_group_create(
            enrollment_group_id="old", attestation_type="x509", signing_certificates={"primary": info}
        )
    assert err.value.message_dict == {
        "primary_certificate": [x509_attestation.EXPIRED.format(date="2021-01-01 00:00 UTC")]
    }


@pytest.mark.django_db
def test_a_non_ca_certificate_cannot_sign_a_group(vectors_dir):
    info = parse_certificate(read(vectors_dir, "device-001.pem"))
    with pytest.raises(ValidationError) as err:
        enrollment_group_create(
            enrollment_group_id="leaf", attestation_type="x509", signing_certificates={"primary": info}
        )
    assert err.value.message_dict == {"primary_certificate": [x509_attestation.NOT_CA]}


@pytest.mark.django_db
def test_bom_file_stored_by_the_service_has_the_clean_thumbprint(vectors_dir, vectors):
    group = enrollment_group_create(
        enrollment_group_id="bom",
        attestation_type="x509",
        signing_certificates={"primary": parse_certificate(read(vectors_dir, "intermediate-ca-bom.pem"))},
    )
    stored = EnrollmentCertificate.objects.get(enrollment_group=group)
    assert stored.sha256_thumbprint == vectors["certificates"][CLEAN]["sha256Thumbprint"]
    assert "PRIVATE" not in stored.certificate


@pytest.mark.django_db
def test_a_certificate_already_used_by_another_enrollment_is_refused(vectors_dir):
    group_cert = parse_certificate(read(vectors_dir, "intermediate-ca.pem"))
    enrollment_group_create(
        enrollment_group_id="first", attestation_type="x509", signing_certificates={"primary": group_cert}
    )
    # the same certificate, in another encoding, in the secondary slot of another group
    again = parse_certificate(read(vectors_dir, "intermediate-ca-crlf.cer"))
    other = parse_certificate(read(vectors_dir, "intermediate-ca-2.pem"))
    with pytest.raises(ValidationError) as err:
        enrollment_group_create(
            enrollment_group_id="second",
            attestation_type="x509",
            signing_certificates={"primary": other, "secondary": again},
        )
    [message] = err.value.message_dict["secondary_certificate"]
    assert "already used by enrollment group “first”" in message


@pytest.mark.django_db
def test_a_device_certificate_is_used_by_one_individual_enrollment_only(vectors_dir):
    info = parse_certificate(read(vectors_dir, "device-001.pem"))
    individual_enrollment_create(registration_id="", attestation_type="x509", client_certificates={"primary": info})
    with pytest.raises(ValidationError) as err:
        individual_enrollment_create(
            registration_id="device-001", attestation_type="x509", client_certificates={"primary": info}
        )
    errors = err.value.message_dict
    assert any("already used by individual enrollment “device-001”" in m for m in errors["primary_certificate"])


@pytest.mark.django_db
def test_the_database_refuses_a_certificate_in_two_enrollments(vectors_dir):
    from django.db import IntegrityError, transaction

    info = parse_certificate(read(vectors_dir, "intermediate-ca.pem"))
    a = enrollment_group_create(enrollment_group_id="a", attestation_type="symmetricKey")
    b = enrollment_group_create(enrollment_group_id="b", attestation_type="symmetricKey")
    EnrollmentCertificate.objects.create(enrollment_group=a, slot="primary", **info.model_fields())
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentCertificate.objects.create(enrollment_group=b, slot="secondary", **info.model_fields())


def ca(name: str, *, verified: bool, vectors_dir) -> CaCertificate:
    info = parse_certificate(read(vectors_dir, "root-ca.pem"))
    return CaCertificate.objects.create(name=name, is_verified=verified, **info.model_fields())


@pytest.mark.django_db
def test_an_unverified_ca_reference_is_refused_saying_how_to_get_a_verified_one(vectors_dir):
    unverified = ca("root-unverified", verified=False, vectors_dir=vectors_dir)
    with pytest.raises(ValidationError) as err:
        enrollment_group_create(enrollment_group_id="ca", attestation_type="x509", ca_primary=unverified)
    assert err.value.message_dict == {"ca_primary": [CA_UNVERIFIED.format(name="root-unverified")]}
    assert "Set certificate status to verified on upload" in err.value.messages[0]


@pytest.mark.django_db
def test_a_verified_ca_may_be_referenced_by_several_groups(vectors_dir):
    verified = ca("root", verified=True, vectors_dir=vectors_dir)
    enrollment_group_create(enrollment_group_id="g1", attestation_type="x509", ca_primary=verified)
    enrollment_group_create(
        enrollment_group_id="g2", attestation_type="x509", ca_secondary=verified, ca_primary=verified
    )


def test_negative_serial_number_is_refused_with_its_own_message():
    """Found by the wizard property test: cryptography warns (and will fail) on such certificates."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "neg")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x7F)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    assert der.count(b"\x02\x01\x7f") == 1
    negative = der.replace(b"\x02\x01\x7f", b"\x02\x01\x80")  # serial -128
    assert refusal(negative) == x509_attestation.SERIAL_NOT_POSITIVE
    pem = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(negative) + b"-----END CERTIFICATE-----\n"
    assert refusal(pem) == x509_attestation.SERIAL_NOT_POSITIVE
