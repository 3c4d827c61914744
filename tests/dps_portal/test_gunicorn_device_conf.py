"""The device endpoint as production runs it (dps_portal/gunicorn_device_conf.py, the shared
`device_tls_server` fixture on 127.N.12.1): TLS 1.2 and later only, a certificate for its address
from the CA the portal offers for download, the same Django app; unusable operator files stop the
start with the reason."""

import os
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.loopback import loopback

ROOT = Path(__file__).resolve().parents[2]


def test_the_device_endpoint_answers_over_tls_with_the_downloaded_ca(device_tls_server, admin_client):
    downloaded = admin_client.get(reverse("enrollments:server_ca_certificate")).content
    assert downloaded == device_tls_server.ca_pem
    context = ssl.create_default_context(cadata=downloaded.decode())
    with socket.create_connection((device_tls_server.host, device_tls_server.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=device_tls_server.host) as tls:
            assert tls.version() == "TLSv1.3"
            assert tls.getpeercert()["subjectAltName"].count(("IP Address", device_tls_server.host)) == 1
            tls.sendall(
                f"GET /healthz HTTP/1.1\r\nHost: {device_tls_server.host}\r\nConnection: close\r\n\r\n".encode()
            )
            answer = b""
            while chunk := tls.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b'{"status": "ok"}')


def test_tls_1_2_as_azures_device_sdk_speaks_it(device_tls_server):
    context = device_tls_server.ssl_context(tls12_only=True)
    with socket.create_connection((device_tls_server.host, device_tls_server.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=device_tls_server.host) as tls:
            assert tls.version() == "TLSv1.2"


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_tls_before_1_2_is_refused(device_tls_server):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=device_tls_server.ca_pem.decode())
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with socket.create_connection((device_tls_server.host, device_tls_server.port), timeout=10) as raw:
        with pytest.raises(ssl.SSLError, match="TLSV1_ALERT_PROTOCOL_VERSION"):  # the server's alert
            context.wrap_socket(raw, server_hostname=device_tls_server.host)


def test_a_client_without_the_ca_does_not_trust_the_endpoint(device_tls_server):
    context = ssl.create_default_context()  # the system's roots only
    with socket.create_connection((device_tls_server.host, device_tls_server.port), timeout=10) as raw:
        with pytest.raises(ssl.SSLCertVerificationError, match="self-signed certificate in certificate chain"):
            context.wrap_socket(raw, server_hostname=device_tls_server.host)


@pytest.mark.django_db(transaction=True)
def test_the_device_port_serves_the_same_app(device_tls_server):
    status, headers, body = device_tls_server.request(
        "GET", "/accounts/login/", headers={"Host": device_tls_server.host}
    )
    assert status == 200 and b'name="csrfmiddlewaretoken"' in body
    assert "content-security-policy" in headers


def test_unusable_operator_files_stop_the_start_with_the_reason(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DPS_"))}
    env.update(
        DPS_DEVELOPMENT="1",
        DPS_TLS_CERT_FILE=str(tmp_path / "missing.pem"),
        DPS_TLS_KEY_FILE=str(tmp_path / "missing.key"),
        DPS_DEVICE_BIND=loopback("127.0.12.1"),
        DPS_DEVICE_PORT="1",
        DPS_DATA_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "python:dps_portal.gunicorn_device_conf", "dps_portal.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"The device endpoint cannot start: DPS_TLS_CERT_FILE={tmp_path}/missing.pem: no such readable file." in (
        result.stderr
    )
