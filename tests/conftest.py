"""Shared fixtures: the vectors folder, runtime-made certificates, a signed-in client."""

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.vectors import vectors_path

# Playwright's sync API keeps an asyncio loop running in the main thread; pytest-django's
# database setup for live_server then raises SynchronousOnlyOperation without this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Servers and workers the tests start run with development settings (dps_portal.production).
os.environ.setdefault("DPS_DEVELOPMENT", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """The test vectors' folder: the shared vectors (../shared/vectors, or DPS_VECTORS_DIR) where
    present, else an equivalent set made at run time (tests/vectors.py), so no test is skipped."""
    return vectors_path()


@pytest.fixture(scope="session")
def vectors(vectors_dir) -> dict:
    """Parsed vectors.json: expected thumbprints, derived keys, TPM endorsement key."""
    return json.loads((vectors_dir / "vectors.json").read_text())


def make_certificate(
    common_name: str,
    *,
    is_ca: bool = False,
    issuer: tuple | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> tuple[bytes, object]:
    """A fresh certificate made with `cryptography` at run time: (PEM bytes, private key).

    `issuer` is (issuer certificate, issuer key) to sign with; self-signed otherwise.
    The private key stays in memory: it is never written to the repository.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_cert, issuer_key = issuer if issuer else (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_cert.subject if issuer_cert else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    cert = builder.sign(issuer_key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM), (cert, key)


@pytest.fixture
def ca_certificate_pem() -> bytes:
    """A fresh self-signed CA certificate (PEM)."""
    return make_certificate("Test CA", is_ca=True)[0]


@pytest.fixture
def admin_client(client, django_user_model):
    """A Django test client signed in as a superuser."""
    user = django_user_model.objects.create_superuser("admin", "admin@example.com", "pw-for-tests-only")
    client.force_login(user)
    return client
