"""gunicorn settings for the device endpoint: `gunicorn -c python:dps_portal.gunicorn_device_conf dps_portal.wsgi`.

The same Django app as the portal, served over TLS (1.2 or later) on `DPS_DEVICE_BIND`:`DPS_DEVICE_PORT`
(443 when the process may bind it, else 8443; dps_portal/device_endpoint.py). Do not pass `--bind`:
the portal's Overview shows the port these settings name. Workers, threads and timeouts are the
portal's (dps_portal/gunicorn_conf.py). The certificate is the operator's (`DPS_TLS_CERT_FILE`,
`DPS_TLS_KEY_FILE`) or generated under `DPS_DATA_DIR/tls` when the server starts
(dps_portal/server_certificates.py); unusable files stop the start with the reason.

Every worker keeps one SSLContext and makes a new one when the files change (checked per
connection, a stat); generated files are checked hourly against their renewal rules.
"""

import os
import sys
import time

from dps_portal.gunicorn_conf import (  # noqa: F401 - gunicorn reads these names from this module
    errorlog,
    graceful_timeout,
    keepalive,
    limit_request_field_size,
    limit_request_fields,
    limit_request_line,
    threads,
    timeout,
    worker_class,
    workers,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dps_portal.settings")

from django.conf import settings  # noqa: E402

from dps_portal import server_certificates  # noqa: E402

RECHECK_SECONDS = 3600

try:
    _files = server_certificates.configured_files(settings)
except server_certificates.ServerCertificateError as exc:
    sys.exit(f"The device endpoint cannot start: {exc}")

_host = settings.DPS_DEVICE_BIND
bind = [f"[{_host}]:{settings.DPS_DEVICE_PORT}" if ":" in _host else f"{_host}:{settings.DPS_DEVICE_PORT}"]
certfile = str(_files.certificate)
keyfile = str(_files.private_key)
proc_name = "dps-device-endpoint"
# gunicorn's control socket has one default path per user ($HOME/.gunicorn/gunicorn.ctl), which the
# portal's server already takes on the same machine.
control_socket_disable = True
_checked = [time.monotonic()]


def ssl_context(config, default_ssl_context_factory):
    """The cached context for the current files (gthread asks once per connection)."""
    global _files
    if _files.generated and time.monotonic() - _checked[0] > RECHECK_SECONDS:
        _checked[0] = time.monotonic()
        _files = server_certificates.configured_files(settings)
    return server_certificates.server_ssl_context(_files)


def when_ready(server):
    server.log.info("Device endpoint: %s (certificate %s)", ", ".join(bind), certfile)
