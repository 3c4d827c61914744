import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization

from enrollments.attestation import x509 as x509_attestation
from enrollments.attestation.x509 import check_is_ca, check_validity, parse_certificate
from enrollments.exceptions import InvalidCertificateError
from tests import pki
from tests.conftest import make_certificate

VECTOR_CERTS = ["root-ca.pem", "intermediate-ca.pem", "intermediate-ca-2.pem", "device-001.pem", "device-002.pem"]


@pytest.mark.parametrize("name", VECTOR_CERTS)
def test_parse_certificate_matches_vectors(vectors_dir, vectors, name):
    info = parse_certificate((vectors_dir / name).read_bytes())
    expected = vectors["certificates"][name]
    assert info.subject_name == expected["subjectName"]
    assert info.issuer_name == expected["issuerName"]
    assert info.sha1_thumbprint == expected["sha1Thumbprint"]
    assert info.sha256_thumbprint == expected["sha256Thumbprint"]
    assert info.serial_number == expected["serialNumber"]
    assert info.not_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ") == expected["notBeforeUtc"]
    assert info.not_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ") == expected["notAfterUtc"]
    assert info.version == expected["version"]


@pytest.mark.parametrize(
    "name",
    ["intermediate-ca-bom.pem", "intermediate-ca-crlf.cer", "intermediate-ca-base64.cer", "intermediate-ca-der.cer"],
)
def test_variant_encodings_give_the_clean_files_thumbprint(vectors_dir, vectors, name):
    info = parse_certificate((vectors_dir / name).read_bytes())
    assert info.sha256_thumbprint == vectors["certificates"]["intermediate-ca.pem"]["sha256Thumbprint"]


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty.pem", x509_attestation.EMPTY),
        ("private-key.pem", x509_attestation.PRIVATE_KEY),
        ("garbage.pem", x509_attestation.NOT_A_CERTIFICATE),
        ("truncated.pem", x509_attestation.TRUNCATED),
    ],
)
def test_bad_files_are_refused_with_distinct_messages(vectors_dir, name, message):
    with pytest.raises(InvalidCertificateError) as err:
        parse_certificate((vectors_dir / name).read_bytes())
    assert str(err.value) == message


def test_a_bundle_of_several_certificates_is_refused(vectors_dir):
    with pytest.raises(InvalidCertificateError, match="certificates"):
        parse_certificate((vectors_dir / "chain-bundle.pem").read_bytes())


def test_expired_certificate_is_refused_by_check_validity(vectors_dir):
    info = parse_certificate((vectors_dir / "expired-ca.pem").read_bytes())
    with pytest.raises(InvalidCertificateError, match="expired"):
        check_validity(info)


def test_not_yet_valid_certificate_is_refused():
    now = dt.datetime.now(dt.UTC)
    pem, _ = make_certificate(
        "later", is_ca=True, not_before=now + dt.timedelta(days=2), not_after=now + dt.timedelta(days=9)
    )
    with pytest.raises(InvalidCertificateError, match="not valid until"):
        check_validity(parse_certificate(pem))


def test_leaf_certificate_is_not_a_ca(vectors_dir):
    info = parse_certificate((vectors_dir / "device-001.pem").read_bytes())
    assert info.common_name == "device-001"
    with pytest.raises(InvalidCertificateError, match="not a CA"):
        check_is_ca(info)
    check_is_ca(parse_certificate((vectors_dir / "intermediate-ca.pem").read_bytes()))


def test_runtime_certificate_round_trips_through_dict(ca_certificate_pem):
    info = parse_certificate(ca_certificate_pem)
    assert info.is_ca
    assert type(info).from_dict(info.as_dict()) == info
    assert "PRIVATE" not in info.pem


@pytest.mark.parametrize("encoding", ["der", "pem"])
def test_a_certificate_with_an_invalid_version_is_refused_as_malformed(encoding):
    """cryptography raises InvalidVersion (not a ValueError) for version value 1 (X.509 v2)."""
    der = pki.issue("device-1").certificate.public_bytes(serialization.Encoding.DER)
    v3 = bytes.fromhex("a003020102")  # [0] EXPLICIT INTEGER 2: X.509 v3, at the start of the TBS
    assert der.count(v3) == 1
    broken = der.replace(v3, bytes.fromhex("a003020101"))
    data = broken if encoding == "der" else pem_armour(broken)
    with pytest.raises(InvalidCertificateError, match="cannot be read"):
        parse_certificate(data)


def pem_armour(der: bytes) -> bytes:
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"-----BEGIN CERTIFICATE-----\n" + b"\n".join(lines) + b"\n-----END CERTIFICATE-----\n"
