"""The test vectors: ../shared/vectors (or DPS_VECTORS_DIR) where present, else an equivalent set made here.

`vectors_path()` names a folder with the files and `vectors.json` keys of the shared vectors. Without
them (a fresh clone), `build_vectors(folder)` writes the same file names with certificates and keys
made with `cryptography` at run time (EC P-256; `intermediate-ca-2.pem` RSA 2048, as in the shared
set), and computes the expected values independently of the code under test: thumbprints, serials and
names with `cryptography`, derived device keys and SAS signatures with the standard library's `hmac`
(dps-reference §5: HMAC-SHA256 over the registration ID with the decoded group key; the SAS string to
sign is `quote_plus(resource) + "\\n" + expiry`). With the shared vectors present the same tests run
against them, a cross-check with values made outside this repository.
"""

import atexit
import base64
import datetime as dt
import functools
import hashlib
import hmac
import json
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote_plus

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO_ROOT = Path(__file__).resolve().parent.parent
# The shared vectors sit beside the repository (/work/shared beside /work/main); CI sets DPS_VECTORS_DIR.
# An empty DPS_VECTORS_DIR means: use the vectors made here.
SHARED_VECTORS_DIR = Path(os.environ.get("DPS_VECTORS_DIR", REPO_ROOT.parent / "shared" / "vectors") or "/nonexistent")

GROUP_PRIMARY_KEY = "SQh9l7cN6kUqhyj17hCG5E1OuqiIaWZmvp+IpeSAW5cVRi9/Qmf5e6bDOtZv7bdlaYnE68jh3jnbk78fcaSGUA=="
DERIVED_REGISTRATION_IDS = ("sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6", "device-001", "a", "x" * 128, "my.device:01_a-b")
ID_SCOPE = "0ne00A1B2C3"
EXPIRY = 1893456000
SERVICE_HOST = "my-dps.azure-devices-provisioning.net"
SERVICE_POLICY = "provisioningserviceowner"
SERVICE_KEY = "y4MkvunkjAdNVR9MCUXT/9aFNxv8APGkORzpPHbTyTs="
INVALID_ENDORSEMENT_KEYS = ["not-base64!!", "c2hvcnQ=", ""]


def shared_vectors_present() -> bool:
    return (SHARED_VECTORS_DIR / "vectors.json").is_file()


@functools.cache
def vectors_path() -> Path:
    """The shared vectors' folder if present, else a temporary folder of vectors made here (once per run)."""
    if shared_vectors_present():
        return SHARED_VECTORS_DIR
    folder = Path(tempfile.mkdtemp(prefix="dps-test-vectors-"))
    atexit.register(shutil.rmtree, folder, True)
    build_vectors(folder)
    return folder


# --- symmetric keys and SAS tokens (standard library only) ---------------------------------------------


def derived_device_key(group_key: str, registration_id: str) -> str:
    digest = hmac.new(base64.b64decode(group_key), registration_id.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def sas_token(resource: str, key: str, expiry: int, policy: str) -> tuple[str, str]:
    """(string to sign, token) in the field order of Azure's SDKs: sr, sig, se, skn."""
    to_sign = f"{quote_plus(resource)}\n{expiry}"
    sig = base64.b64encode(hmac.new(base64.b64decode(key), to_sign.encode(), hashlib.sha256).digest()).decode()
    return to_sign, f"SharedAccessSignature sr={quote_plus(resource)}&sig={quote_plus(sig)}&se={expiry}&skn={policy}"


def symmetric_and_sas_vectors() -> dict:
    device_id = DERIVED_REGISTRATION_IDS[0]
    device_key = derived_device_key(GROUP_PRIMARY_KEY, device_id)
    device_to_sign, device_token = sas_token(
        f"{ID_SCOPE}/registrations/{device_id}", device_key, EXPIRY, "registration"
    )
    _, service_token = sas_token(SERVICE_HOST, SERVICE_KEY, EXPIRY, SERVICE_POLICY)
    return {
        "symmetric_keys": {
            "group_primary_key": GROUP_PRIMARY_KEY,
            "derived_device_keys": {
                rid: derived_device_key(GROUP_PRIMARY_KEY, rid) for rid in DERIVED_REGISTRATION_IDS
            },
        },
        "sas": {
            "device": {
                "id_scope": ID_SCOPE,
                "registration_id": device_id,
                "device_key": device_key,
                "expiry_epoch_s": EXPIRY,
                "string_to_sign": device_to_sign,
                "token": device_token,
            },
            "service": {
                "connection_string": (
                    f"HostName={SERVICE_HOST};SharedAccessKeyName={SERVICE_POLICY};SharedAccessKey={SERVICE_KEY}"
                ),
                "expiry_epoch_s": EXPIRY,
                "token": service_token,
            },
        },
    }


# --- TPM -----------------------------------------------------------------------------------------------


def tpm_vectors() -> dict:
    """An RSA 2048 EK in the TCG default template (a fresh modulus), and the shared set's invalid ones."""
    from tests.enrollments.attestation.test_tpm import encode, rsa_public

    modulus = rsa.generate_private_key(65537, 2048).public_key().public_numbers().n.to_bytes(256, "big")
    return {
        "tpm": {
            "endorsement_key": encode(rsa_public(modulus=modulus)),
            "registration_id": "tpm-device-01",
            "invalid_endorsement_keys": list(INVALID_ENDORSEMENT_KEYS),
        }
    }


# --- certificates ----------------------------------------------------------------------------------------


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _certificate(cn, key, *, issuer=None, ca_path_length=None, not_before=None, not_after=None):
    """A certificate for `key`; `issuer` is (certificate, key), self-signed without; CA when a path length."""
    issuer_cert, issuer_key = issuer or (None, key)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer_cert.subject if issuer_cert else _name(cn))
        .public_key(key.public_key())
        # 20 bytes with the top bit clear and the top nibble set: 40 hex digits, like the shared set.
        .serial_number(int.from_bytes(os.urandom(20), "big") >> 1 | 1 << 156)
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=3650))
    )
    if ca_path_length is None:
        builder = (
            builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        )
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=ca_path_length), critical=True)
        builder = builder.add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def _key_usage(**set_bits) -> x509.KeyUsage:
    bits = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    return x509.KeyUsage(**{**bits, **set_bits})


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _info(cert: x509.Certificate) -> dict:
    def utc(value: dt.datetime) -> str:
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "subjectName": cert.subject.rfc4514_string(),
        "issuerName": cert.issuer.rfc4514_string(),
        "sha1Thumbprint": cert.fingerprint(hashes.SHA1()).hex().upper(),
        "sha256Thumbprint": cert.fingerprint(hashes.SHA256()).hex().upper(),
        "serialNumber": f"{cert.serial_number:X}",
        "notBeforeUtc": utc(cert.not_valid_before_utc),
        "notAfterUtc": utc(cert.not_valid_after_utc),
        "version": 3,
    }


def build_vectors(folder: Path) -> None:
    """Write the shared vectors' files into `folder`, each made afresh, and their `vectors.json`."""
    p256 = ec.SECP256R1()
    root_key, intermediate_key = ec.generate_private_key(p256), ec.generate_private_key(p256)
    root = _certificate("Example Root CA", root_key, ca_path_length=2)
    intermediate = _certificate("Example Intermediate CA", intermediate_key, issuer=(root, root_key), ca_path_length=1)
    intermediate_2 = _certificate(
        "Example Intermediate CA 2", rsa.generate_private_key(65537, 2048), issuer=(root, root_key), ca_path_length=1
    )
    expired = _certificate(
        "expired-intermediate",
        ec.generate_private_key(p256),
        issuer=(root, root_key),
        ca_path_length=0,
        not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        not_after=dt.datetime(2021, 1, 1, tzinfo=dt.UTC),
    )
    certificates = {
        "root-ca.pem": root,
        "intermediate-ca.pem": intermediate,
        "intermediate-ca-2.pem": intermediate_2,
    }
    files: dict[str, bytes] = {"root-ca.key": _key_pem(root_key), "intermediate-ca.key": _key_pem(intermediate_key)}
    for name in ("device-001", "device-002"):
        key = ec.generate_private_key(p256)
        certificates[f"{name}.pem"] = _certificate(name, key, issuer=(intermediate, intermediate_key))
        files[f"{name}.key"] = _key_pem(key)
    certificates["expired-ca.pem"] = expired
    certificates["device-bad-cn.pem"] = _certificate(
        "Device With Spaces/And#Slash", ec.generate_private_key(p256), issuer=(intermediate, intermediate_key)
    )
    files.update({name: _pem(cert) for name, cert in certificates.items()})

    intermediate_pem = _pem(intermediate)
    der = intermediate.public_bytes(serialization.Encoding.DER)
    files["chain-bundle.pem"] = intermediate_pem + _pem(root)
    files["intermediate-ca-base64.cer"] = base64.b64encode(der)
    files["intermediate-ca-bom.pem"] = b"\xef\xbb\xbf" + intermediate_pem
    files["intermediate-ca-crlf.cer"] = intermediate_pem.replace(b"\n", b"\r\n")
    files["intermediate-ca-der.cer"] = der
    files["private-key.pem"] = _key_pem(ec.generate_private_key(p256))
    files["empty.pem"] = b""
    files["garbage.pem"] = b"-----BEGIN CERTIFICATE-----\nnot base64 at all !!!\n-----END CERTIFICATE-----\n"
    files["truncated.pem"] = intermediate_pem[:200]
    for name, content in files.items():
        (folder / name).write_bytes(content)

    vectors = {
        "certificates": {name: _info(cert) for name, cert in certificates.items()},
        **symmetric_and_sas_vectors(),
        **tpm_vectors(),
    }
    (folder / "vectors.json").write_text(json.dumps(vectors, indent=2))
