"""The device side of the HTTPS device API (enrollments/management/device_client.py) against a
scripted TLS server: 202 `assigning` then polls after Retry-After (429 included), a refusal as an
outcome, a connection the server closes, the endpoint's name checked against the certificate."""

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dps_portal import server_certificates
from enrollments.management.device_client import DeviceClient
from tests.loopback import loopback

HOST = loopback("127.0.12.1")  # this module's loopback address (a free port)


class Script(BaseHTTPRequestHandler):
    answers: list = []
    seen: list = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.seen.append((self.command, self.path, self.headers.get("Authorization", ""), body))
        status, headers, answer = self.answers.pop(0)
        content = json.dumps(answer).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", "Content-Length": str(len(content)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(content)

    do_PUT = do_GET = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    files = server_certificates.ensure_generated(tmp_path, host_names=["localhost", HOST])
    httpd = ThreadingHTTPServer((HOST, 0), Script)
    httpd.socket = server_certificates.server_ssl_context(files).wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Script.answers, Script.seen = [], []
    yield httpd, files.ca_certificate.read_text()
    httpd.shutdown()
    httpd.server_close()


STATE = {"registrationId": "dev-1", "assignedHub": "hub.azure-devices.net", "deviceId": "dev-1",
         "status": "assigned", "substatus": "initialAssignment"}  # fmt: skip
KEY = "ZGV2aWNlLWtleS0xMjM0NTY3ODkwMTIzNDU2Nzg5MDEy"


def test_assigning_is_polled_after_retry_after_until_assigned(server):
    httpd, ca_pem = server
    Script.answers = [
        (202, {"Retry-After": "3"}, {"operationId": "5.op", "status": "assigning"}),
        (429, {"Retry-After": "1"}, {"errorCode": 429001, "message": "throttled"}),
        (202, {}, {"operationId": "5.op", "status": "assigning"}),
        (200, {}, {"operationId": "5.op", "status": "assigned", "registrationState": STATE}),
    ]
    waits = []
    client = DeviceClient(f"https://{HOST}:{httpd.server_port}", ca_pem=ca_pem, sleep=waits.append)
    outcome = client.register(id_scope="0ne00000A1B", registration_id="dev-1", key=KEY, payload={"model": "x"})
    assert outcome.status == "assigned" and outcome.assigned_hub == "hub.azure-devices.net"
    assert outcome.device_id == "dev-1" and outcome.substatus == "initialAssignment" and outcome.requests == 4
    assert waits == [3.0, 1.0, 2.0]  # Retry-After, else 2 s as Azure's SDKs
    methods = [(method, path.split("?")[0]) for method, path, _, _ in Script.seen]
    assert (
        methods
        == [("PUT", "/0ne00000A1B/registrations/dev-1/register")]
        + [("GET", "/0ne00000A1B/registrations/dev-1/operations/5.op")] * 3
    )
    assert all("api-version=2021-06-01" in path for _, path, _, _ in Script.seen)
    assert json.loads(Script.seen[0][3]) == {"registrationId": "dev-1", "payload": {"model": "x"}}
    token = Script.seen[0][2]
    assert token.startswith("SharedAccessSignature sr=0ne00000A1B%2Fregistrations%2Fdev-1&sig=")
    assert token.endswith("&skn=registration")
    client.close()


def test_a_refusal_is_an_outcome_and_a_closed_connection_is_reopened(server):
    httpd, ca_pem = server
    Script.answers = [
        (401, {"Connection": "close"}, {"errorCode": 401002, "message": "The signature does not match."}),
        (200, {}, {"operationId": "5.op", "status": "failed",
                   "registrationState": {**STATE, "status": "failed", "assignedHub": None, "errorCode": 400208,
                                         "errorMessage": "No IoT hub"}}),
    ]  # fmt: skip
    client = DeviceClient(f"https://{HOST}:{httpd.server_port}", ca_pem=ca_pem)
    refused = client.register(id_scope="0ne00000A1B", registration_id="dev-1", key=KEY, skn=False)
    assert (refused.status, refused.http_status, refused.error_code) == ("refused", 401, 401002)
    assert refused.message == "The signature does not match."
    assert "skn=" not in Script.seen[0][2]
    failed = client.register(id_scope="0ne00000A1B", registration_id="dev-1", key=KEY)
    assert (failed.status, failed.error_code, failed.message, failed.assigned_hub) == (
        "failed",
        400208,
        "No IoT hub",
        "",
    )
    client.close()


def test_the_certificate_must_name_the_endpoints_host(server):
    httpd, ca_pem = server
    client = DeviceClient(f"https://elsewhere.example.com:{httpd.server_port}", ca_pem=ca_pem, connect_host=HOST)
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        client.register(id_scope="0ne00000A1B", registration_id="dev-1", key=KEY)


def test_only_https_endpoints():
    with pytest.raises(ValueError, match="is not an https:// device endpoint"):
        DeviceClient("http://127.0.0.1:8000", ca_pem="")
