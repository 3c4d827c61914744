"""Shared fixtures: the vectors folder, runtime-made certificates, a signed-in client, helper processes."""

import datetime as dt
import http.client
import json
import os
import select
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests import hypothesis_profiles  # noqa: F401 - loads the ci or dev profile (HYPOTHESIS_PROFILE)
from tests.loopback import loopback
from tests.vectors import vectors_path

# Playwright's sync API keeps an asyncio loop running in the main thread; pytest-django's
# database setup for live_server then raises SynchronousOnlyOperation without this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Servers and workers the tests start run with development settings (dps_portal.production).
os.environ.setdefault("DPS_DEVELOPMENT", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent
# The device TLS server the tests share (device_tls_server): its own loopback address (127.N.12.1 in
# pytest-xdist worker N, tests/loopback.py), so it never collides with a running `make run` (127.0.0.1).
DEVICE_TLS_HOST = loopback("127.0.12.1")


@pytest.fixture(scope="session", autouse=True)
def server_data_dir(tmp_path_factory) -> Path:
    """DPS_DATA_DIR for the whole session (the generated TLS certificates), never the checkout's data/."""
    from django.conf import settings

    path = tmp_path_factory.mktemp("dps-data")
    original = settings.DPS_DATA_DIR
    settings.DPS_DATA_DIR = path
    yield path
    settings.DPS_DATA_DIR = original


def pytest_configure(config):
    """Tests hash passwords with MD5, as Django's testing docs advise: the production hasher (PBKDF2,
    about a second a password on this machine) would cost most of the suite's time in fixtures that
    create users. Only this process: servers the tests start as child processes keep the settings'
    hashers, and the users they check are made in the child or through `ensure_admin`."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


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


@dataclass
class DeviceTlsServer:
    """The device endpoint as production runs it (gunicorn, dps_portal/gunicorn_device_conf.py, TLS)
    on `host`:`port`, against the test database; `ca_pem` is the CA certificate devices trust."""

    host: str
    port: int
    ca_pem: bytes
    ca_file: Path
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def ssl_context(self, *, tls12_only: bool = False) -> ssl.SSLContext:
        """A client context trusting only the server's CA (TLS 1.2 only, as Azure's device SDK, if asked)."""
        context = ssl.create_default_context(cadata=self.ca_pem.decode())
        if tls12_only:
            context.maximum_version = ssl.TLSVersion.TLSv1_2
        return context

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None):
        """One HTTPS request; returns (status, headers with lower-case names, body bytes)."""
        connection = http.client.HTTPSConnection(self.host, self.port, timeout=30, context=self.ssl_context())
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def device_tls_server(django_db_setup, django_db_blocker, server_data_dir) -> DeviceTlsServer:
    """Start the device TLS server once per session (per xdist worker) on 127.N.12.1 (a free port), on the test
    database and the session's DPS_DATA_DIR (so `Download server CA certificate` in the tests gives
    the CA it serves with). Tests that put data in front of it use `transactional_db` so the server,
    on its own connections, sees it committed. Stopped (SIGTERM) at the end of the session."""
    from django.db import connection

    url = database_url(connection.settings_dict)
    port = _free_port(DEVICE_TLS_HOST)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DPS_", "GUNICORN_", "WEB_"))}
    env.update(
        DPS_DEVELOPMENT="1",
        DATABASE_URL=url,
        DPS_DATA_DIR=str(server_data_dir),
        DPS_DEVICE_BIND=DEVICE_TLS_HOST,
        DPS_DEVICE_PORT=str(port),
        DJANGO_ALLOWED_HOSTS=f"{DEVICE_TLS_HOST},localhost,127.0.0.1",
        WEB_CONCURRENCY="1",  # one worker booting Django: the session's other tests keep the cores
        GUNICORN_THREADS="8",
        PYTHONUNBUFFERED="1",
    )
    log_path = Path(tempfile.mkstemp(prefix="dps-device-tls-", suffix=".log")[1])
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:dps_portal.gunicorn_device_conf", "dps_portal.wsgi"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    ca_file = server_data_dir / "tls" / "ca.pem"
    server = None
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the device TLS server exited ({process.returncode}):\n{log_path.read_text()}")
        if ca_file.exists():
            server = DeviceTlsServer(DEVICE_TLS_HOST, port, ca_file.read_bytes(), ca_file, process, log_path)
            try:
                if server.request("GET", "/healthz", headers={"Host": DEVICE_TLS_HOST})[0] == 200:
                    break
            except (OSError, ssl.SSLError, http.client.HTTPException):
                pass
        time.sleep(0.2)
    else:
        process.terminate()
        pytest.fail(f"the device TLS server did not answer within 90 s:\n{log_path.read_text()}")
    yield server
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
