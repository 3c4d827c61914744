"""A device's side of the HTTPS device API, as Azure's docs show it with curl (dps-reference §4.1),
for `simulate_devices` and the registration benchmark: the standard library's `http.client` over
TLS, trusting only the server's CA certificate, one keep-alive connection per client.

`DeviceClient(endpoint, ca_pem=…).register(id_scope=…, registration_id=…, key=…)` sends
`PUT /{idScope}/registrations/{registrationId}/register` with the device SAS token (signed with the
device key: an individual enrollment's key or a group-derived key), then, while the answer is 202
`assigning`, waits `Retry-After` seconds (2 when absent, as Azure's SDKs) and polls
`GET …/operations/{operationId}`, also after a 429. It returns a DeviceOutcome; it never raises for an
HTTP answer (a refusal is an outcome), only for a connection that cannot be made twice in a row.
"""

import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from ..attestation.device_sas import generate_device_token

API_VERSION = "2021-06-01"
DEFAULT_RETRY_AFTER = 2
MAX_WAIT_SECONDS = 30


@dataclass(frozen=True)
class DeviceOutcome:
    """One device's registration as the device saw it.

    `status`: the registration status (`assigned`, `failed`, `disabled`, `assigning` if it never
    finished within MAX_WAIT_SECONDS) or `refused` (an HTTP error answer); `http_status` of the last
    answer; `error_code` and `message` from a failed record or a DPS error body; `seconds`: wall time
    of the whole registration, polls included; `requests`: HTTP requests it took.
    """

    registration_id: str
    status: str
    http_status: int
    assigned_hub: str = ""
    device_id: str = ""
    substatus: str = ""
    error_code: int | None = None
    message: str = ""
    seconds: float = 0.0
    requests: int = 1


class _Connection(http.client.HTTPSConnection):
    """HTTPS to `connect_host` (an address), checking the certificate for the endpoint's host name."""

    def __init__(self, host, port, *, connect_host, **kwargs):
        super().__init__(host, port, **kwargs)
        self._connect_host = connect_host

    def connect(self):
        sock = socket.create_connection((self._connect_host or self.host, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def client_context(ca_pem: str, *, tls12_only: bool = False) -> ssl.SSLContext:
    """A TLS client context trusting only `ca_pem` (TLS 1.2 only, as Azure's device SDK, if asked)."""
    context = ssl.create_default_context(cadata=ca_pem)
    if tls12_only:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


class DeviceClient:
    """One device-side HTTPS connection (kept alive, reopened once when the server closed it).
    Not thread-safe: one per thread."""

    def __init__(
        self,
        endpoint: str,
        *,
        ca_pem: str = "",
        context: ssl.SSLContext | None = None,
        connect_host: str = "",
        api_version: str = API_VERSION,
        timeout: float = 30,
        sleep=time.sleep,
    ):
        parts = urlsplit(endpoint)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"{endpoint!r} is not an https:// device endpoint (e.g. https://127.0.0.1:8443).")
        self.host, self.port = parts.hostname, parts.port or 443
        self.host_header = parts.netloc
        self.context = context or client_context(ca_pem)
        self.connect_host, self.api_version, self.timeout, self._sleep = connect_host, api_version, timeout, sleep
        self._connection: _Connection | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict) -> tuple[int, dict, bytes]:
        """One request on the kept connection: (status, headers with lower-case names, body)."""
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = _Connection(
                    self.host, self.port, connect_host=self.connect_host, timeout=self.timeout, context=self.context
                )
            try:
                self._connection.request(method, path, body=body, headers={"Host": self.host_header, **headers})
                response = self._connection.getresponse()
                content = response.read()
            except (
                http.client.RemoteDisconnected,
                ConnectionResetError,
                BrokenPipeError,
                http.client.CannotSendRequest,
            ):
                self.close()
                if attempt == 2:
                    raise
                continue
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            if answer_headers.get("connection", "").lower() == "close":
                self.close()
            return response.status, answer_headers, content
        raise AssertionError("unreachable")

    def register(
        self, *, id_scope: str, registration_id: str, key: str, payload=None, skn: bool = True
    ) -> DeviceOutcome:
        """Register one device (see the module docstring) and return what it saw."""
        started = time.perf_counter()
        token = generate_device_token(
            id_scope=id_scope, registration_id=registration_id, key=key, key_name="registration" if skn else None
        )
        headers = {
            "Authorization": token,
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "User-Agent": "dps-portal-device-client/1.0",
        }
        base = f"/{id_scope}/registrations/{quote(registration_id, safe='')}"
        body = {"registrationId": registration_id}
        if payload is not None:
            body["payload"] = payload
        status, answer_headers, content = self.request(
            "PUT", f"{base}/register?api-version={self.api_version}", body=json.dumps(body).encode(), headers=headers
        )
        requests = 1
        answer = _json(content)
        while (status == 202 or status == 429) and time.perf_counter() - started < MAX_WAIT_SECONDS:
            operation_id = answer.get("operationId") or ""
            self._sleep(_retry_after(answer_headers))
            if status == 429 and not operation_id:  # the register call itself was throttled
                status, answer_headers, content = self.request(
                    "PUT",
                    f"{base}/register?api-version={self.api_version}",
                    body=json.dumps(body).encode(),
                    headers=headers,
                )
            else:
                path = f"{base}/operations/{quote(operation_id, safe='')}?api-version={self.api_version}"
                status, answer_headers, content = self.request("GET", path, headers=headers)
            requests += 1
            if status != 429:
                answer = _json(content)
        seconds = time.perf_counter() - started
        return _outcome(registration_id, status, answer, seconds=seconds, requests=requests)


def _json(content: bytes) -> dict:
    try:
        value = json.loads(content or b"{}")
    except ValueError:
        return {"message": content[:300].decode("utf-8", "replace")}
    return value if isinstance(value, dict) else {}


def _retry_after(headers: dict) -> float:
    try:
        return max(0.0, float(headers.get("retry-after", DEFAULT_RETRY_AFTER)))
    except ValueError:
        return DEFAULT_RETRY_AFTER


def _outcome(registration_id: str, http_status: int, answer: dict, *, seconds: float, requests: int) -> DeviceOutcome:
    if http_status >= 300:
        return DeviceOutcome(
            registration_id=registration_id,
            status="refused",
            http_status=http_status,
            error_code=answer.get("errorCode"),
            message=str(answer.get("message", "")),
            seconds=seconds,
            requests=requests,
        )
    state = answer.get("registrationState") or {}
    return DeviceOutcome(
        registration_id=registration_id,
        status=str(answer.get("status") or state.get("status") or ""),
        http_status=http_status,
        assigned_hub=state.get("assignedHub") or "",
        device_id=state.get("deviceId") or "",
        substatus=state.get("substatus") or "",
        error_code=state.get("errorCode"),
        message=state.get("errorMessage") or "",
        seconds=seconds,
        requests=requests,
    )
