"""`make run`'s supervisor (dps_portal/devserver.py): both processes start; when one ends the other
is stopped, and the exit status is the first one's."""

import sys
import time

from dps_portal import devserver


def test_make_run_starts_the_portal_and_the_device_endpoint():
    names = [name for name, _ in devserver.commands("127.0.0.1:8000")]
    argv = dict(devserver.commands("127.0.0.1:8000"))
    assert names == ["portal", "device endpoint"]
    assert argv["portal"][1:] == ["manage.py", "runserver", "127.0.0.1:8000"]
    assert argv["device endpoint"][1:] == [
        "-m",
        "gunicorn",
        "-c",
        "python:dps_portal.gunicorn_device_conf",
        "dps_portal.wsgi",
    ]


def test_the_first_process_to_end_stops_the_others(tmp_path):
    marker = tmp_path / "stopped"
    sleeper = (
        "import signal, sys, time\n"
        f"signal.signal(signal.SIGTERM, lambda *a: (open({str(marker)!r}, 'w').close(), sys.exit(0)))\n"
        "time.sleep(60)\n"
    )
    started = time.monotonic()
    status = devserver.supervise(
        [
            ("long", [sys.executable, "-c", sleeper]),
            ("short", [sys.executable, "-c", "import time, sys; time.sleep(0.5); sys.exit(3)"]),
        ],
        poll_seconds=0.05,
    )
    assert status == 3
    assert marker.exists()  # the long one got SIGTERM
    assert time.monotonic() - started < 30
