"""A test PKI made with `cryptography` at run time: root → intermediate 1 → intermediate 2 → devices.

Every test makes its own certificates and keys (EC P-256, fast to generate); nothing is written to
the repository. `build_pki()` gives a `TestPki`; `look_alike(pki)` one with the same subject names
and different keys (signatures, not names, must tell them apart). `Issued.pem`/`Issued.key_pem`
give PEM bytes for files a TLS client (curl, `ssl`) loads; `bundle()` concatenates PEMs, leaf first.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key (the key stays in memory or a test's temporary folder)."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @property
    def subject(self) -> x509.Name:
        return self.certificate.subject


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def issue(
    common_name: str,
    *,
    issuer: Issued | None = None,
    ca: bool = False,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    path_length: int | None = None,
    key: ec.EllipticCurvePrivateKey | None = None,
    basic_constraints: bool = True,
    key_usage: bool = True,
    names: Sequence[str] = (),
) -> Issued:
    """Issue a certificate for `common_name`, signed by `issuer` (self-signed when None).

    Valid from a day ago for a year unless `not_before`/`not_after` say otherwise. `ca` sets
    basic constraints CA:TRUE (with `path_length`) and key usage keyCertSign; a device certificate
    gets digitalSignature and the clientAuth extended key usage. `key` reuses a key (a renewed
    certificate); `basic_constraints`/`key_usage` False leave those extensions out. `names` become
    subject alternative names (IP addresses as such, others as DNS names), for a TLS server.
    """
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now() - DAY)
        .not_valid_after(not_after or now() + 365 * DAY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
    if basic_constraints:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), True)
    if key_usage:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    return Issued(builder.sign(issuer.key if issuer else key, hashes.SHA256()), key)


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def expired(**kwargs) -> dict:
    """Keyword arguments for `issue` that make a certificate that expired yesterday."""
    return {"not_before": now() - 30 * DAY, "not_after": now() - DAY, **kwargs}


def not_yet_valid(**kwargs) -> dict:
    """Keyword arguments for `issue` that make a certificate valid only from tomorrow."""
    return {"not_before": now() + DAY, "not_after": now() + 30 * DAY, **kwargs}


@dataclass(frozen=True)
class TestPki:
    """root → intermediate_1 → intermediate_2; `device()` issues device certificates under intermediate 2."""

    __test__ = False  # not a pytest test class

    root: Issued
    intermediate_1: Issued
    intermediate_2: Issued

    def device(self, registration_id: str, *, issuer: Issued | None = None, **kwargs) -> Issued:
        """A device (leaf) certificate whose CN is `registration_id`, issued by intermediate 2 by default."""
        return issue(registration_id, issuer=issuer or self.intermediate_2, **kwargs)

    def chain(self, leaf: Issued, *, up_to: str = "intermediate_1") -> list[x509.Certificate]:
        """The chain a device presents, leaf first, up to `intermediate_2`, `intermediate_1` or `root`."""
        order = ["intermediate_2", "intermediate_1", "root"]
        members = [getattr(self, name) for name in order[: order.index(up_to) + 1]]
        return [leaf.certificate] + [m.certificate for m in members]


def build_pki(prefix: str = "Test", **root_kwargs) -> TestPki:
    """A fresh three-level PKI: `{prefix} Root CA`, `{prefix} Intermediate CA 1`, `{prefix} Intermediate CA 2`."""
    root = issue(f"{prefix} Root CA", ca=True, not_after=now() + 3650 * DAY, **root_kwargs)
    intermediate_1 = issue(f"{prefix} Intermediate CA 1", issuer=root, ca=True)
    intermediate_2 = issue(f"{prefix} Intermediate CA 2", issuer=intermediate_1, ca=True)
    return TestPki(root, intermediate_1, intermediate_2)


def look_alike(pki: TestPki) -> TestPki:
    """A PKI with exactly the same subject names as `pki` but its own keys (an impostor CA)."""
    prefix = pki.root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value.removesuffix(" Root CA")
    return build_pki(prefix)


def bundle(*members: Issued | x509.Certificate) -> bytes:
    """PEM certificates concatenated in the order given (leaf first for a client's `--cert` file)."""
    certs = [m.certificate if isinstance(m, Issued) else m for m in members]
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def write_client_files(folder: Path, leaf: Issued, *chain: Issued) -> tuple[Path, Path]:
    """Write `leaf-chain.pem` (leaf then `chain`) and `leaf.key` into `folder`; returns both paths."""
    cert_path, key_path = folder / "leaf-chain.pem", folder / "leaf.key"
    cert_path.write_bytes(bundle(leaf, *chain))
    key_path.write_bytes(leaf.key_pem)
    key_path.chmod(0o600)
    return cert_path, key_path
