"""Shared fixtures: the vectors folder, runtime-made certificates, a signed-in client, helper processes."""

import datetime as dt
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests import hypothesis_profiles  # noqa: F401 - loads the ci or dev profile (HYPOTHESIS_PROFILE)
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


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL (dj-database-url form) naming the database of `settings_dict`.

    Inside a test, `django.db.connection.settings_dict` names the test database (a file for SQLite,
    `test_<name>` for PostgreSQL), so a child process given this URL opens the test's database.
    """
    engine = settings_dict["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        if settings_dict["NAME"] in ("", ":memory:") or "mode=memory" in str(settings_dict["NAME"]):
            raise RuntimeError("the SQLite test database is in memory: no other process can open it")
        return f"sqlite:///{settings_dict['NAME']}"
    if engine == "django.db.backends.postgresql":
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        return f"postgres://{auth}{settings_dict.get('HOST') or ''}{port}/{quote(settings_dict['NAME'], safe='')}"
    raise NotImplementedError(f"no DATABASE_URL form for {engine}")


@pytest.fixture
def helper_process(transactional_db):
    """Start `manage.py` commands in child processes against this test's database.

    `proc = helper_process("shell", "-c", code, ready="text", timeout=30, env={...})` returns a
    `subprocess.Popen` (text mode; stdout piped, stderr merged into it). With `ready`, it first waits
    until a line of output contains that text (RuntimeError with the output so far if the process
    exits or `timeout` seconds pass). The test runs in `transactional_db`: what it writes is committed,
    so the child, on its own connection to the same (file-backed SQLite or PostgreSQL) test database,
    sees it, and the test sees what the child commits. Processes still running when the test ends
    are terminated (then killed).
    """
    from django.db import connection

    started: list[subprocess.Popen] = []
    url = database_url(connection.settings_dict)

    def start(*manage_args: str, ready: str | None = None, timeout: float = 30, env: dict | None = None):
        child_env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1", **(env or {})}
        proc = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "manage.py"), *manage_args],
            cwd=REPO_ROOT,
            env=child_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(proc)
        if ready is not None:
            _wait_for_output(proc, ready, timeout)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _wait_for_output(proc: subprocess.Popen, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"helper process exited ({proc.wait()}) before printing {text!r}:\n{''.join(seen)}")
        seen.append(line)
        if text in line:
            return
    raise RuntimeError(f"helper process printed no {text!r} within {timeout} s:\n{''.join(seen)}")
