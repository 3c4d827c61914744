"""`make run`'s one command: the portal (Django's runserver) and the device endpoint (gunicorn with
TLS, dps_portal/gunicorn_device_conf.py) side by side, as one foreground process.

`python -m dps_portal.devserver ADDRESS:PORT`. Ctrl-C or SIGTERM stops both; when one of them
exits, the other is stopped and the exit status is that of the first to end. Both log to this
terminal. More device-side processes (listeners, workers) join by adding their command to
`commands()`.
"""

import os
import signal
import subprocess
import sys
import time


def commands(portal_address: str) -> list[tuple[str, list[str]]]:
    """(name, argv) of each process `make run` starts."""
    python = sys.executable
    return [
        ("portal", [python, "manage.py", "runserver", portal_address]),
        (
            "device endpoint",
            [python, "-m", "gunicorn", "-c", "python:dps_portal.gunicorn_device_conf", "dps_portal.wsgi"],
        ),
    ]


def supervise(processes: list[tuple[str, list[str]]], *, poll_seconds: float = 0.2) -> int:
    """Start every process; return when the first one exits (or on SIGINT/SIGTERM), after stopping
    the others (SIGTERM, then SIGKILL after 10 s). Returns the first exit status (0 on a signal)."""
    stopping = []

    def stop(signum, _frame):
        stopping.append(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    children = [(name, subprocess.Popen(argv)) for name, argv in processes]
    status = 0
    try:
        while not stopping:
            ended = [(name, child) for name, child in children if child.poll() is not None]
            if ended:
                name, child = ended[0]
                status = child.returncode or 0
                print(f"devserver: the {name} exited ({child.returncode}); stopping the others", file=sys.stderr)
                break
            time.sleep(poll_seconds)
    finally:
        for _, child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return status


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dps_portal.settings")
    from django.conf import settings

    from dps_portal.device_endpoint import device_host, device_url

    endpoint = device_url(device_host(settings.DPS_DEVICE_HOST, settings.DPS_PUBLIC_URL), settings.DPS_DEVICE_PORT)
    ca = settings.DPS_TLS_CA_FILE or settings.DPS_TLS_CERT_FILE or settings.DPS_DATA_DIR / "tls" / "ca.pem"
    print(f"Devices: {endpoint}/ over TLS (CA certificate: {ca}, or Overview > Download server CA certificate)")
    return supervise(commands(argv[0]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
