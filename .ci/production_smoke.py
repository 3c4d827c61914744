"""Production smoke test: the README's Production commands, run literally, serve every page.

Usage: `.venv/bin/python .ci/production_smoke.py POSTGRES_URL` (from the repository root; .ci/run
calls it with its throwaway PostgreSQL server). Each pass takes the bash block of the README's
`## Production` section and substitutes only the host names, the database URL, the port and the
secrets (each substitution must apply, so a README change that breaks one fails here), runs it
with the last command (the server) kept in the foreground, then acts as a user and a fleet tool:

1. plain HTTP, with DJANGO_SSL_REDIRECT=false and DJANGO_SECURE_COOKIES=false set before the block
   (CI has no TLS proxy in this pass), host 127.0.0.1;
2. through a TLS front (a small proxy here, adding X-Forwarded-Proto and X-Forwarded-For as a
   TLS-terminating proxy does), with the README's values unchanged (host dps.example.com).

Each pass signs in, GETs every portal page, the admin, /api/docs/ and an enrollment's details
page, creates and reads an enrollment through the service API: all 200. Static files must carry a
far-future Cache-Control. The device endpoint (the block's second server, on DPS_DEVICE_PORT) must
answer over TLS, checked with nothing but the CA certificate downloaded from the portal
(`Download server CA certificate`) for the pass's host name, with TLS 1.2 (Azure's device SDK) and
the client's best; Overview must show that HTTPS device endpoint. Exit status 0 when every check
passes; the first failure is printed.
"""

import datetime as dt
import http.client
import json
import os
import re
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
README_HOST = "dps.example.com"
README_PORT = "8000"
PLAIN_PORT, BACKEND_PORT, TLS_PORT, DEVICE_PORT = 18_090, 18_091, 18_443, 18_444
PAGES = [
    "/portal/",
    "/portal/enrollment-groups/",
    "/portal/individual-enrollments/",
    "/portal/registration-records/",
    "/portal/linked-iot-hubs/",
    "/portal/linked-iot-hubs/add/",
    "/portal/certificates/",
    "/portal/certificates/add/",
    "/portal/shared-access-policies/",
    "/portal/shared-access-policies/add/",
    "/portal/enrollment-groups/add/",
    "/portal/individual-enrollments/add/",
    "/admin/",
    "/admin/enrollments/",
    "/api/docs/",
    "/api/docs/?script=",
]


class SmokeFailure(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


# --- the README block --------------------------------------------------------------------------


def readme_block() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Production\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    check(match is not None, "README: the Production section has no ```bash block")
    return match.group(1)


def substitute(block: str, *, host: str, port: int, database_url: str, admin_password: str) -> str:
    """The block with only the host names, the database URL, the port and the secrets replaced."""
    steps = [
        (r"DATABASE_URL=\S+", f"DATABASE_URL={database_url}"),
        (r"DPS_ADMIN_PASSWORD=\S+", f"DPS_ADMIN_PASSWORD='{admin_password}'"),
        (re.escape(README_HOST), host),
        (rf":{README_PORT}\b", f":{port}"),
        (r"DPS_DEVICE_PORT=\S+", f"DPS_DEVICE_PORT={DEVICE_PORT}"),
    ]
    for pattern, replacement in steps:
        block, count = re.subn(pattern, lambda _m, r=replacement: r, block)
        check(count > 0, f"README: the Production block has no {pattern!r} to substitute")
    lines = block.rstrip("\n").split("\n")
    lines[-1] = "exec " + lines[-1]  # the server stays in the foreground, as under a supervisor
    return "\n".join(lines) + "\n"


def start_server(script: str, *, prefix: str, probe_host: str, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DPS_", "DATABASE_URL"))}
    log = tempfile.NamedTemporaryFile("w+", prefix="dps-smoke-", suffix=".log", delete=False)
    process = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", prefix + script],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log_path = log.name
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SmokeFailure(f"the README's commands stopped (exit {process.returncode}):\n{_tail(log.name)}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz", headers={"Host": probe_host})
            if connection.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.5)
    raise SmokeFailure("the server did not answer /healthz within 600 s:\n" + _tail(log.name))


def stop_server(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def _tail(path: str, lines: int = 40) -> str:
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


# --- a client ------------------------------------------------------------------------------------


class _TlsTo(http.client.HTTPSConnection):
    """HTTPS to an address, checking the certificate for `server_hostname` (the public host name)."""

    server_hostname = ""

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.server_hostname)


class Client:
    """HTTP(S) to one origin with a cookie jar; never follows redirects."""

    def __init__(self, *, host: str, port: int, tls: ssl.SSLContext | None = None, public: str):
        self.host, self.port, self.tls, self.public = host, port, tls, public
        self.cookies: dict[str, str] = {}

    @property
    def origin(self) -> str:
        return ("https://" if self.tls else "http://") + self.public

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        if self.tls:
            connection = _TlsTo(self.host, self.port, timeout=30, context=self.tls)
            connection.server_hostname = self.public
        else:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        all_headers = {"Host": self.public, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        content = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie = value.split(";", 1)[0]
                key, _, val = cookie.partition("=")
                self.cookies[key.strip()] = val.strip()
                if self.tls is None:
                    check("secure" not in value.lower(), f"pass 1 sets a Secure cookie over HTTP: {value}")
                else:
                    check("secure" in value.lower(), f"a cookie over HTTPS is not Secure: {value}")
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, content

    def get_ok(self, path: str) -> bytes:
        """GET `path`, following redirects within the site (a wizard opens on its first tab): 200."""
        for _ in range(3):
            status, headers, content = self.request("GET", path)
            location = headers.get("location", "")
            if status in (301, 302) and location.startswith("/"):
                path = location
                continue
            break
        check(status == 200, f"GET {path}: {status} {location}")
        return content


def sign_in(client: Client, password: str) -> None:
    page = client.get_ok("/accounts/login/").decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    check(token is not None, "the sign-in page has no CSRF token")
    body = urlencode({"csrfmiddlewaretoken": token.group(1), "username": "admin", "password": password})
    status, headers, _ = client.request(
        "POST",
        "/accounts/login/",
        body=body.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": client.origin,
            "Referer": client.origin + "/accounts/login/",
        },
    )
    check(status == 302 and "sessionid" in client.cookies, f"sign-in failed: {status} {headers}")


def check_static(client: Client, page: bytes) -> None:
    links = re.findall(rb'(?:href|src)="(/static/[^"]+\.[0-9a-f]{12}\.(?:css|js))"', page)
    check(len(links) >= 2, "pages do not link hashed static files (collectstatic's manifest)")
    for link in links:
        status, headers, _ = client.request("GET", link.decode())
        check(status == 200, f"GET {link.decode()}: {status}")
        cache = headers.get("cache-control", "")
        match = re.search(r"max-age=(\d+)", cache)
        check(match is not None and int(match.group(1)) >= 365 * 24 * 3600, f"{link.decode()}: Cache-Control {cache!r}")


def service_api(client: Client, env: dict) -> str:
    """Create an enrollment with a SAS token of provisioningserviceowner; returns its registration ID
    and its (generated) primary key."""
    sys.path.insert(0, str(ROOT))
    from enrollments.sas import generate_sas_token

    output = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "connection_string"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    fields = dict(part.split("=", 1) for part in output.strip().split(";"))
    token = generate_sas_token(
        resource_uri=client.public, key=fields["SharedAccessKey"], policy_name=fields["SharedAccessKeyName"]
    )
    rid = "smoke-" + secrets.token_hex(4)
    body = b'{"registrationId": "%s", "attestation": {"type": "symmetricKey"}}' % rid.encode()
    headers = {"Authorization": token, "Content-Type": "application/json"}
    status, _, content = client.request("PUT", f"/enrollments/{rid}?api-version=2021-10-01", body, headers)
    check(status == 200, f"service API PUT: {status} {content[:300]!r}")
    status, headers_out, content = client.request("GET", f"/enrollments/{rid}?api-version=2021-10-01", None, headers)
    check(status == 200 and rid.encode() in content, f"service API GET: {status} {content[:300]!r}")
    status, _, content = client.request(
        "POST", f"/enrollments/{rid}/attestationmechanism?api-version=2021-10-01", b"", headers
    )
    check(status == 200, f"service API attestationmechanism: {status} {content[:300]!r}")
    return rid, json.loads(content)["symmetricKey"]["primaryKey"]


def device_endpoint(client: Client, overview: bytes, registration_id: str, key: str) -> None:
    """The device TLS port: Overview names it, it answers over TLS verified with only the CA
    certificate downloaded from the portal, for the public host name (TLS 1.2 and the best), and the
    enrollment made through the service API registers there (no linked hub: status `failed`)."""
    host = client.public.split(":")[0]
    endpoint = f"https://{host}:{DEVICE_PORT}"
    check(f'id="https-device-endpoint">{endpoint}<'.encode() in overview, f"Overview does not show {endpoint}")
    ca_pem = client.get_ok("/portal/server-ca-certificate/").decode()
    check(ca_pem.startswith("-----BEGIN CERTIFICATE-----") and "PRIVATE" not in ca_pem, "the CA download is not a PEM")
    deadline = time.monotonic() + 120  # its workers may still be loading Django
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.MAXIMUM_SUPPORTED):
        context = ssl.create_default_context(cadata=ca_pem)
        context.maximum_version = version
        device = Client(host="127.0.0.1", port=DEVICE_PORT, tls=context, public=host)
        while True:
            try:
                status, _, content = device.request("GET", "/healthz")
                break
            except (ConnectionRefusedError, ConnectionResetError) as exc:
                if time.monotonic() > deadline:
                    raise SmokeFailure(f"the device endpoint {endpoint} does not answer: {exc}") from exc
                time.sleep(0.5)
            except ssl.SSLError as exc:
                raise SmokeFailure(f"TLS to the device endpoint with the downloaded CA: {exc}") from exc
        check(status == 200 and content == b'{"status": "ok"}', f"device endpoint /healthz: {status} {content[:200]!r}")
        # the same app, and HTTPS as Django sees it: no redirect to https:// (pass 2 has DJANGO_SSL_REDIRECT on)
        status, headers, _ = device.request("GET", "/portal/")
        location = headers.get("location", "")
        check(status == 302 and location.startswith("/accounts/login/"), f"device /portal/: {status} {location}")
    from enrollments.attestation.device_sas import generate_device_token

    id_scope = re.search(rb'id="id-scope">(0ne[0-9A-F]{8})<', overview)
    check(id_scope is not None, "Overview shows no ID Scope")
    scope = id_scope.group(1).decode()
    token = generate_device_token(id_scope=scope, registration_id=registration_id, key=key)
    status, _, content = device.request(
        "PUT",
        f"/{scope}/registrations/{registration_id}/register?api-version=2021-06-01",
        body=json.dumps({"registrationId": registration_id}).encode(),
        headers={"Authorization": token, "Content-Type": "application/json"},
    )
    answer = json.loads(content) if content.startswith(b"{") else {}
    check(
        status == 200 and answer.get("registrationState", {}).get("status") == "failed",
        f"device register over TLS: {status} {content[:300]!r}",
    )
    status, _, content = device.request(
        "PUT",
        f"/{scope}/registrations/{registration_id}/register?api-version=2021-06-01",
        body=json.dumps({"registrationId": registration_id}).encode(),
        headers={"Authorization": token.replace("&sig=", "&sig=x"), "Content-Type": "application/json"},
    )
    refused = json.loads(content) if content.startswith(b"{") else {}
    check(status == 401 and refused.get("errorCode") == 401002, f"wrong signature over TLS: {status} {content[:200]!r}")


def use_the_product(client: Client, password: str, api_env: dict) -> None:
    rid, device_key = service_api(client, api_env)
    sign_in(client, password)
    for path in PAGES:
        content = client.get_ok(path)
        if path == "/portal/":
            check_static(client, content)
            device_endpoint(client, content, rid, device_key)
    listing = client.get_ok("/portal/individual-enrollments/").decode()
    details = re.search(r'href="(/portal/individual-enrollments/[^"]+/details/)"[^>]*>\s*' + re.escape(rid), listing)
    check(details is not None, f"the list does not link {rid}'s details page")
    client.get_ok(details.group(1))


# --- a TLS front -------------------------------------------------------------------------------


def tls_front(backend_port: int) -> tuple[ssl.SSLContext, threading.Event]:
    """Listen with TLS on 127.0.0.1:TLS_PORT and forward to the backend, adding X-Forwarded-Proto
    and X-Forwarded-For; returns a client context that trusts its certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, README_HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(README_HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = Path(tempfile.mkdtemp(prefix="dps-smoke-tls-"))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    listener = socket.create_server(("127.0.0.1", TLS_PORT), reuse_port=False)
    stop = threading.Event()

    def serve(conn: ssl.SSLSocket, peer: str) -> None:
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            lines = [
                line for line in head.split(b"\r\n") if not line.lower().startswith((b"x-forwarded-", b"connection:"))
            ]
            length = next(
                (int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length:")), 0
            )
            while len(rest) < length:
                rest += conn.recv(65536)
            lines += [b"X-Forwarded-Proto: https", b"X-Forwarded-For: " + peer.encode(), b"Connection: close"]
            with socket.create_connection(("127.0.0.1", backend_port)) as backend:
                backend.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + rest)
                while chunk := backend.recv(65536):
                    conn.sendall(chunk)
        finally:
            conn.close()

    def accept() -> None:
        listener.settimeout(0.5)
        while not stop.is_set():
            try:
                raw, address = listener.accept()
            except TimeoutError:
                continue
            try:
                conn = server_context.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError):
                raw.close()
                continue
            threading.Thread(target=serve, args=(conn, address[0]), daemon=True).start()
        listener.close()

    threading.Thread(target=accept, daemon=True).start()
    client_context = ssl.create_default_context(cafile=str(folder / "cert.pem"))
    return client_context, stop


# --- the two passes ----------------------------------------------------------------------------


def fresh_database(server_url: str, name: str) -> str:
    """A new, empty database `name` on the PostgreSQL server of `server_url`; returns its URL."""
    import psycopg

    base = server_url.rsplit("/", 1)[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def run_pass(name: str, *, block: str, prefix: str, host: str, port: int, client: Client, database_url: str):
    """One deployment from scratch (a new database), then the checks."""
    password = secrets.token_urlsafe(18)
    script = substitute(block, host=host, port=port, database_url=database_url, admin_password=password)
    print(f"== production smoke, {name}: the README's Production block with", host, "port", port, flush=True)
    server = start_server(script, prefix=prefix, probe_host=host, port=port)
    try:
        api_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DPS_"))},
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "smoke-" + secrets.token_urlsafe(40),
            "DPS_PUBLIC_URL": client.origin,
        }
        use_the_product(client, password, api_env)
        if client.tls is not None:
            # the plain port behind the proxy redirects a browser to HTTPS
            status, headers, _ = Client(host="127.0.0.1", port=port, public=host).request("GET", "/portal/")
            check(status == 301 and headers.get("location", "").startswith("https://"), f"no HTTPS redirect: {status}")
        print(f"== production smoke, {name}: every page 200", flush=True)
    except SmokeFailure:
        print(_tail(server.log_path), file=sys.stderr)
        raise
    finally:
        stop_server(server)


def main() -> int:
    if len(sys.argv) != 2 or not sys.argv[1].startswith("postgres"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    server_url = sys.argv[1]
    block = readme_block()
    try:
        run_pass(
            "pass 1 (plain HTTP)",
            block=block,
            prefix="export DJANGO_SSL_REDIRECT=false DJANGO_SECURE_COOKIES=false\n",
            host="127.0.0.1",
            port=PLAIN_PORT,
            client=Client(host="127.0.0.1", port=PLAIN_PORT, public=f"127.0.0.1:{PLAIN_PORT}"),
            database_url=fresh_database(server_url, "dps_smoke_plain"),
        )
        context, stop = tls_front(BACKEND_PORT)
        try:
            run_pass(
                "pass 2 (TLS front, README values unchanged)",
                block=block,
                prefix="",
                host=README_HOST,
                port=BACKEND_PORT,
                client=Client(host="127.0.0.1", port=TLS_PORT, tls=context, public=README_HOST),
                database_url=fresh_database(server_url, "dps_smoke_tls"),
            )
        finally:
            stop.set()
    except SmokeFailure as failure:
        print(f"production smoke FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
