"""Where the device endpoint listens: its TLS port and its public URL.

The port is `DPS_DEVICE_PORT` when set, else 443 when this process may bind it (root, the
CAP_NET_BIND_SERVICE capability, or `net.ipv4.ip_unprivileged_port_start` ≤ 443), else 8443. The
portal (which shows the endpoint) and the device server (which binds it) read the same rule, so
they agree when they run as the same user; set `DPS_DEVICE_PORT` where they do not.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

PRIVILEGED_PORT = 443
UNPRIVILEGED_PORT = 8443
CAP_NET_BIND_SERVICE = 10


def may_bind_privileged_port(
    *,
    euid: int | None = None,
    status: str | None = None,
    unprivileged_port_start: int | None = None,
) -> bool:
    """True when this process may bind port 443. Arguments default to this process's facts
    (`os.geteuid()`, `/proc/self/status`, `/proc/sys/net/ipv4/ip_unprivileged_port_start`)."""
    if euid is None:
        euid = os.geteuid()
    if euid == 0:
        return True
    if unprivileged_port_start is None:
        try:
            unprivileged_port_start = int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text())
        except (OSError, ValueError):
            unprivileged_port_start = 1024
    if unprivileged_port_start <= PRIVILEGED_PORT:
        return True
    if status is None:
        try:
            status = Path("/proc/self/status").read_text()
        except OSError:
            status = ""
    for line in status.splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split(":", 1)[1].strip(), 16) >> CAP_NET_BIND_SERVICE & 1)
    return False


def device_port(value: str | None, *, privileged: bool | None = None) -> int:
    """The device TLS port from `DPS_DEVICE_PORT` (blank: 443 or 8443 as the module says).
    Raises ValueError with what to set for anything but a port number 1–65535."""
    text = (value or "").strip()
    if not text:
        if privileged is None:
            privileged = may_bind_privileged_port()
        return PRIVILEGED_PORT if privileged else UNPRIVILEGED_PORT
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"DPS_DEVICE_PORT={value!r} is not a port: use a number from 1 to 65535, or leave it blank.")
    return int(text)


def device_url(host: str, port: int) -> str:
    """`https://host[:port]` (no port for 443; an IPv6 address in brackets)."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"https://{host}" if port == PRIVILEGED_PORT else f"https://{host}:{port}"


def device_host(configured: str, public_url: str) -> str:
    """The host name devices use: `DPS_DEVICE_HOST`, else the host of `DPS_PUBLIC_URL`."""
    if configured.strip():
        return configured.strip()
    url = public_url.strip()
    return urlsplit(url if "://" in url else "//" + url).hostname or "localhost"
