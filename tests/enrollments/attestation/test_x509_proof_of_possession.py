"""Proof of possession of a CA's private key: `check_proof_of_possession` and `is_signed_by`.

Every certificate is made here with `cryptography` (RSA PKCS#1 v1.5 and PSS, ECDSA, Ed25519).
"""

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

from enrollments.attestation.x509 import (
    check_proof_of_possession,
    is_signed_by,
    verification_code_digest,
)
from enrollments.exceptions import ProofOfPossessionError

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
CODE = "0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F6071"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, key, *, issuer_name, signer, is_ca, not_before=None, not_after=None, pss=False):
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject) if isinstance(subject, str) else subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - dt.timedelta(days=1))
        .not_valid_after(not_after or NOW + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    if isinstance(signer, ed25519.Ed25519PrivateKey):
        return builder.sign(signer, None)
    if pss:
        return builder.sign(
            signer,
            hashes.SHA256(),
            rsa_padding=padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
        )
    return builder.sign(signer, hashes.SHA256())


def _pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _ca(key):
    return _cert("Contoso Root CA", key, issuer_name=_name("Contoso Root CA"), signer=key, is_ca=True)


def _check(ca, verification, *, code=CODE, expires=NOW + dt.timedelta(hours=1), data=None):
    return check_proof_of_possession(
        ca_pem=_pem(ca).decode(),
        data=data if data is not None else _pem(verification),
        code_digest=verification_code_digest(code) if code else "",
        code_expires_utc=expires,
        now=NOW,
    )


def _causes(excinfo) -> str:
    return " | ".join(excinfo.value.messages)


KEYS = {
    "ecdsa-p256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ecdsa-p384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "rsa-2048": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ed25519": ed25519.Ed25519PrivateKey.generate,
}


@pytest.mark.parametrize("kind", sorted(KEYS))
def test_a_certificate_signed_by_the_ca_with_the_code_as_cn_is_accepted(kind):
    ca_key = KEYS[kind]()
    ca = _ca(ca_key)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    verification = _cert(CODE, leaf_key, issuer_name=ca.subject, signer=ca_key, is_ca=False)
    info = _check(ca, verification)
    assert info.common_name == CODE


def test_rsa_pss_signatures_verify():
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _cert("PSS CA", ca_key, issuer_name=_name("PSS CA"), signer=ca_key, is_ca=True, pss=True)
    verification = _cert(
        CODE, ec.generate_private_key(ec.SECP256R1()), issuer_name=ca.subject, signer=ca_key, is_ca=False, pss=True
    )
    assert is_signed_by(verification, ca)
    assert _check(ca, verification).common_name == CODE


def test_the_code_matches_ignoring_case():
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _ca(ca_key)
    verification = _cert(
        CODE.lower(), ec.generate_private_key(ec.SECP256R1()), issuer_name=ca.subject, signer=ca_key, is_ca=False
    )
    assert _check(ca, verification).common_name == CODE.lower()


def test_a_forged_issuer_name_is_not_enough_the_signature_decides():
    """Same issuer name as the CA's subject, signed by another key: refused as the wrong signer."""
    ca = _ca(ec.generate_private_key(ec.SECP256R1()))
    impostor = ec.generate_private_key(ec.SECP256R1())
    verification = _cert(CODE, impostor, issuer_name=ca.subject, signer=impostor, is_ca=False)
    with pytest.raises(ProofOfPossessionError) as excinfo:
        _check(ca, verification)
    assert excinfo.value.messages == [excinfo.value.messages[0]]
    assert "not signed by this CA" in _causes(excinfo)
    assert "Contoso Root CA" in _causes(excinfo)


def test_a_signature_by_the_ca_key_counts_whatever_the_issuer_name_says():
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _ca(ca_key)
    verification = _cert(
        CODE, ec.generate_private_key(ec.SECP256R1()), issuer_name=_name("Somebody else"), signer=ca_key, is_ca=False
    )
    assert _check(ca, verification).common_name == CODE


def test_a_key_of_another_type_is_the_wrong_signer():
    ca = _ca(ec.generate_private_key(ec.SECP256R1()))
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    verification = _cert(CODE, rsa_key, issuer_name=ca.subject, signer=rsa_key, is_ca=False)
    with pytest.raises(ProofOfPossessionError) as excinfo:
        _check(ca, verification)
    assert "not signed by this CA" in _causes(excinfo)


def test_wrong_cn_names_the_cn():
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _ca(ca_key)
    verification = _cert(
        "device-001", ec.generate_private_key(ec.SECP256R1()), issuer_name=ca.subject, signer=ca_key, is_ca=False
    )
    with pytest.raises(ProofOfPossessionError) as excinfo:
        _check(ca, verification)
    assert excinfo.value.messages == [excinfo.value.messages[0]]
    assert "common name (CN) is “device-001”, not the verification code" in _causes(excinfo)


def test_no_cn_says_so():
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _ca(ca_key)
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Contoso")])
    verification = _cert(
        subject, ec.generate_private_key(ec.SECP256R1()), issuer_name=ca.subject, signer=ca_key, is_ca=False
    )
    with pytest.raises(ProofOfPossessionError) as excinfo:
        _check(ca, verification)
    assert "has no common name (CN)" in _causes(excinfo)


def test_expired_code_is_refused_before_anything_else():
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _ca(ca_key)
    verification = _cert(
        CODE, ec.generate_private_key(ec.SECP256R1()), issuer_name=ca.subject, signer=ca_key, is_ca=False
    )
    with pytest.raises(ProofOfPossessionError) as excinfo:
        _check(ca, verification, expires=NOW - dt.timedelta(seconds=1))
    assert excinfo.value.messages == [excinfo.value.messages[0]]
    assert "The verification code expired at 2026-06-01 11:59 UTC" in _causes(excinfo)


def test_no_pending_code_says_to_generate_one():
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _ca(ca_key)
    verification = _cert(
        CODE, ec.generate_private_key(ec.SECP256R1()), issuer_name=ca.subject, signer=ca_key, is_ca=False
    )
    with pytest.raises(ProofOfPossessionError) as excinfo:
        _check(ca, verification, code="")
    assert "No verification code is pending" in _causes(excinfo)


@pytest.mark.parametrize(
    ("not_before", "not_after", "expected"),
    [
        (NOW - dt.timedelta(days=10), NOW - dt.timedelta(days=1), "The verification certificate expired at 2026-05-31"),
        (NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=10), "is not valid until 2026-06-02"),
    ],
)
def test_verification_certificate_outside_its_validity(not_before, not_after, expected):
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _ca(ca_key)
    verification = _cert(
        CODE,
        ec.generate_private_key(ec.SECP256R1()),
        issuer_name=ca.subject,
        signer=ca_key,
        is_ca=False,
        not_before=not_before,
        not_after=not_after,
    )
    with pytest.raises(ProofOfPossessionError) as excinfo:
        _check(ca, verification)
    assert excinfo.value.messages == [excinfo.value.messages[0]]
    assert expected in _causes(excinfo)


def test_every_cause_is_named_at_once():
    ca = _ca(ec.generate_private_key(ec.SECP256R1()))
    other = ec.generate_private_key(ec.SECP256R1())
    verification = _cert(
        "wrong",
        other,
        issuer_name=ca.subject,
        signer=other,
        is_ca=False,
        not_before=NOW - dt.timedelta(days=9),
        not_after=NOW - dt.timedelta(days=1),
    )
    with pytest.raises(ProofOfPossessionError) as excinfo:
        _check(ca, verification)
    assert len(excinfo.value.messages) == 3


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"", "The file is empty"), (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "private key")],
)
def test_unreadable_files_get_the_parsers_message(data, expected):
    ca = _ca(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ProofOfPossessionError) as excinfo:
        _check(ca, None, data=data)
    assert expected in _causes(excinfo)


def test_code_digest_is_sha256_of_the_uppercase_code():
    assert verification_code_digest(" abc ") == verification_code_digest("ABC")
    assert len(verification_code_digest(CODE)) == 64 and CODE.lower() not in verification_code_digest(CODE)
