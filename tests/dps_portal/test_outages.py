"""While the database cannot be reached: portal pages show the friendly "Service unavailable" page
(503, Retry-After), the service API DPS's JSON 503; both recover without a restart.

The end-to-end test cuts a TCP proxy of its own in front of the test database's PostgreSQL
server, so it stops nothing other tests share (no server is stopped, no shared connection closed).
"""

import contextlib
import json
import socket
import threading
import urllib.error
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.core.wsgi import get_wsgi_application
from django.db import OperationalError, connection, connections
from django.test import Client
from django.urls import reverse

from dps_portal import outages
from enrollments import sas
from enrollments.models import ProvisioningService, SharedAccessPolicy
from tests.loopback import loopback

# This helper's loopback address for listeners (tests give each listener its own 127.0.0.N).
PROXY_HOST = loopback("127.0.15.1")
SERVER_HOST = loopback("127.0.15.2")
UNAVAILABLE = "Service unavailable"


def _down(*args, **kwargs):
    raise OperationalError("could not connect to server: Connection refused")


def test_a_portal_page_while_the_database_is_down_is_the_friendly_503(admin_client, monkeypatch):
    monkeypatch.setattr(type(ProvisioningService.objects), "get_current", _down)
    response = admin_client.get(reverse("enrollments:overview"))
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert f'<h1 class="h3">{UNAVAILABLE}</h1>' in html and "try again in 10 seconds" in html
    assert "503.html" in [t.name for t in response.templates]
    assert "Traceback" not in html and "OperationalError" not in html


def test_other_errors_still_raise_to_the_500_page(admin_client, monkeypatch):
    def bug(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(type(ProvisioningService.objects), "get_current", bug)
    with pytest.raises(RuntimeError):
        admin_client.get(reverse("enrollments:overview"))


def test_handler500_answers_503_for_a_database_error_raised_outside_a_view(rf):
    """No django_db mark: the answers render without the database."""
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        page = outages.server_error(rf.get("/portal/enrollments/"))
        api = outages.server_error(rf.get("/enrollments/dev-1"))
    assert page.status_code == 503 and page["Retry-After"] == "10"
    assert UNAVAILABLE in page.content.decode()
    assert api.status_code == 503 and api["Retry-After"] == "10" and api["x-ms-error-code"] == "503000"
    assert api["Content-Type"] == "application/json"
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        other = outages.server_error(rf.get("/portal/enrollments/"))
    assert other.status_code == 500 and "Something went wrong" in other.content.decode()


def test_a_session_that_cannot_be_saved_is_a_503_not_a_500(client, monkeypatch, db, django_user_model):
    """A failure in middleware (the session saved after the sign-in view) reaches handler500."""
    from django.contrib.sessions.backends.db import SessionStore

    django_user_model.objects.create_user("ops", password="pw-for-tests-only-1")
    monkeypatch.setattr(SessionStore, "save", _down)
    quiet = Client(raise_request_exception=False)
    response = quiet.post(reverse("login"), {"username": "ops", "password": "pw-for-tests-only-1"})
    assert response.status_code == 503 and response["Retry-After"] == "10"
    assert UNAVAILABLE in response.content.decode()


class TcpProxy:
    """A TCP proxy on PROXY_HOST (a free port) to `target` (host, port) or a Unix socket path.

    `cut()` closes the listener (new connections are refused) and every open connection (their
    clients see the server close them); `restore()` listens again on the same port.
    """

    def __init__(self, target: tuple[str, int] | str):
        self.target = target
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.restore()

    def _connect_upstream(self) -> socket.socket:
        if isinstance(self.target, str):
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target)
            return upstream
        return socket.create_connection(self.target, timeout=5)

    def restore(self) -> None:
        listener = socket.create_server((PROXY_HOST, self.port))
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = self._connect_upstream()
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                self._close(sock)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            self._thread.join()
            listener.close()
        with self._lock:
            live = list(self._sockets)
        for sock in live:
            self._close(sock)

    def close(self) -> None:
        self.cut()


def _target(settings_dict: dict) -> tuple[str, int] | str:
    host, port = settings_dict.get("HOST") or "", int(settings_dict.get("PORT") or 5432)
    if not host or host.startswith("/"):
        return f"{host or '/var/run/postgresql'}/.s.PGSQL.{port}"
    return (host, port)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server_behind_proxy(transactional_db, settings):
    """The portal's WSGI application served on SERVER_HOST by one thread whose database connection
    goes through a TcpProxy to the test database's server: yields (base URL, proxy). A real WSGI
    server, so Django's request signals drop a broken connection as in production."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…): SQLite has no server to cut off")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, SERVER_HOST]
    proxy = TcpProxy(_target(connection.settings_dict))
    direct = connections["default"]
    # Persistent connections (DJANGO_CONN_MAX_AGE): the cut breaks a connection the server holds open.
    proxied_settings = {**direct.settings_dict, "HOST": PROXY_HOST, "PORT": str(proxy.port), "CONN_MAX_AGE": 60}
    server = make_server(SERVER_HOST, 0, get_wsgi_application(), handler_class=_QuietHandler)

    def serve():
        proxied = type(direct)(proxied_settings, alias="default")
        connections["default"] = proxied  # this thread's connection only
        try:
            server.serve_forever(poll_interval=0.05)
        finally:
            proxied.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://{SERVER_HOST}:{server.server_port}", proxy
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        proxy.close()


def _fetch(url: str, headers: dict | None = None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_cutting_the_database_connection_gives_503s_and_both_recover_without_restart(
    server_behind_proxy, client, django_user_model
):
    base, proxy = server_behind_proxy
    host = base.removeprefix("http://")
    policy = SharedAccessPolicy.objects.ensure_owner()
    client.force_login(django_user_model.objects.create_superuser("ops", "ops@example.com", "pw-for-tests-only"))
    cookie = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    overview = base + reverse("enrollments:overview")

    def api_get():
        token = sas.generate_sas_token(resource_uri=host, key=policy.primary_key, policy_name=policy.name)
        return _fetch(f"{base}/enrollments/dev-1?api-version=2021-10-01", {"Authorization": token})

    def portal_get():
        return _fetch(overview, cookie)

    assert api_get()[0] == 404
    status, _, html = portal_get()
    assert status == 200 and UNAVAILABLE not in html

    proxy.cut()
    for _ in range(2):  # the held connection broken, then new connections refused
        status, headers, body = api_get()
        assert status == 503, body
        assert headers["Retry-After"] == "10" and headers["x-ms-error-code"] == "503000"
        assert headers["Content-Type"] == "application/json"
        assert json.loads(body)["errorCode"] == 503000 and "database" in json.loads(body)["message"]
        status, headers, html = portal_get()
        assert status == 503 and headers["Retry-After"] == "10"
        assert f'<h1 class="h3">{UNAVAILABLE}</h1>' in html

    proxy.restore()
    assert api_get()[0] == 404
    status, _, html = portal_get()
    assert status == 200 and UNAVAILABLE not in html and "Overview" in html
