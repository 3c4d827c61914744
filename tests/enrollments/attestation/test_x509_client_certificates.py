"""An individual enrollment's client certificate: a CA certificate is warned about, one that no TLS
stack accepts as a client certificate is refused (`tls_client_usage_problem`, `check_client_certificate`)."""

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from enrollments.attestation.x509 import (
    CertificateInfo,
    check_client_certificate,
    client_certificate_warning,
    parse_certificate,
)
from enrollments.exceptions import InvalidCertificateError


def build(*, is_ca=False, key_usage=None, eku=None) -> bytes:
    """A self-signed certificate, CN=device-ca-test, with the given extensions (PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "device-ca-test")])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    if key_usage:
        flags = dict.fromkeys(
            [
                "digital_signature",
                "content_commitment",
                "key_encipherment",
                "data_encipherment",
                "key_agreement",
                "key_cert_sign",
                "crl_sign",
                "encipher_only",
                "decipher_only",
            ],
            False,
        )
        flags.update(dict.fromkeys(key_usage, True))
        builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def test_a_ca_certificate_gets_the_leaf_warning():
    info = parse_certificate(build(is_ca=True))
    assert "CA:TRUE" in client_certificate_warning(info)
    assert "leaf" in client_certificate_warning(info)
    check_client_certificate(info)  # usable for TLS: warned, not refused


def test_a_leaf_gets_no_warning():
    info = parse_certificate(build(key_usage=["digital_signature"], eku=[ExtendedKeyUsageOID.CLIENT_AUTH]))
    assert client_certificate_warning(info) is None
    check_client_certificate(info)


def test_a_ca_that_may_only_sign_certificates_is_refused_naming_the_key_usage():
    info = parse_certificate(build(is_ca=True, key_usage=["key_cert_sign", "crl_sign"]))
    assert not info.allows_tls_client
    with pytest.raises(InvalidCertificateError, match=r"key usage \(keyCertSign, cRLSign\)"):
        check_client_certificate(info)


def test_key_agreement_is_enough_as_for_openssl():
    check_client_certificate(parse_certificate(build(key_usage=["key_agreement"])))


@pytest.mark.parametrize(
    ("eku", "refused"),
    [
        ([ExtendedKeyUsageOID.SERVER_AUTH], True),
        ([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH], False),
        ([ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE], False),
    ],
)
def test_extended_key_usage_must_allow_client_auth(eku, refused):
    info = parse_certificate(build(eku=eku))
    if refused:
        with pytest.raises(InvalidCertificateError, match="clientAuth"):
            check_client_certificate(info)
    else:
        check_client_certificate(info)


def test_drafts_saved_before_the_flag_existed_still_load():
    data = parse_certificate(build()).as_dict()
    del data["allows_tls_client"]
    assert CertificateInfo.from_dict(data).allows_tls_client
