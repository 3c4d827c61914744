"""The client's IP address, honouring `X-Forwarded-For` only from trusted proxies.

Everything that needs a client address (sign-in lockout, activity logs, IP filter rules) asks
`client_address(request)`. `DJANGO_TRUSTED_PROXIES` (settings.DPS_TRUSTED_PROXIES) lists the
addresses or networks of the proxies in front of the server; with none, the TCP peer
(`REMOTE_ADDR`) is the client and `X-Forwarded-For` is ignored, so a client cannot choose its own
address.
"""

import ipaddress
from collections.abc import Iterable, Mapping

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Iterable[str]) -> list[Network]:
    """Networks from `entries` ("10.0.0.5", "10.0.0.0/8", "::1"). Raises ValueError naming a bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(
                f"DJANGO_TRUSTED_PROXIES: {entry.strip()!r} is not an IP address or network (e.g. 10.0.0.0/8)."
            ) from exc
    return networks


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def address_from(meta: Mapping[str, str], trusted: Iterable[Network]) -> str:
    """The client address for a request's META: walk `X-Forwarded-For` from the right while each hop
    is a trusted proxy; the first untrusted hop is the client. An unparsable hop ends the walk
    there (the last trusted hop is then the answer). Returns REMOTE_ADDR when the peer is not trusted.
    """
    trusted = list(trusted)
    peer = meta.get("REMOTE_ADDR", "")
    current = _address(peer)

    def is_trusted(address) -> bool:
        return address is not None and any(address in network for network in trusted)

    if not is_trusted(current):
        return peer
    hops = [hop for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        current = address
        if not is_trusted(address):
            break
    return str(current)


def client_address(request) -> str:
    """The client's IP address for `request` (see the module docstring)."""
    return address_from(request.META, trusted_networks(settings.DPS_TRUSTED_PROXIES))
