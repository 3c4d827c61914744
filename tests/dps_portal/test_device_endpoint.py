"""Where the device endpoint listens (dps_portal/device_endpoint.py): 443 when this process may bind
it, else 8443, or DPS_DEVICE_PORT; its URL and host name."""

import pytest

from dps_portal.device_endpoint import device_host, device_port, device_url, may_bind_privileged_port

NO_CAPS = "Name:\tpython\nCapEff:\t0000000000000000\n"
BIND_CAP = "Name:\tpython\nCapEff:\t0000000000000400\n"  # bit 10: CAP_NET_BIND_SERVICE


@pytest.mark.parametrize(
    "euid, status, start, expected",
    [
        (0, NO_CAPS, 1024, True),  # root
        (1000, BIND_CAP, 1024, True),  # the capability (systemd AmbientCapabilities=CAP_NET_BIND_SERVICE)
        (1000, NO_CAPS, 443, True),  # net.ipv4.ip_unprivileged_port_start=443
        (1000, NO_CAPS, 80, True),
        (1000, NO_CAPS, 1024, False),
        (1000, "", 1024, False),
    ],
)
def test_who_may_bind_443(euid, status, start, expected):
    assert may_bind_privileged_port(euid=euid, status=status, unprivileged_port_start=start) is expected


def test_the_port_is_443_when_it_may_be_bound_else_8443():
    assert device_port("", privileged=True) == 443
    assert device_port(None, privileged=False) == 8443
    assert device_port("  ", privileged=False) == 8443


def test_a_configured_port_wins():
    assert device_port("9443", privileged=True) == 9443
    assert device_port(" 443 ", privileged=False) == 443


@pytest.mark.parametrize("value", ["0", "65536", "https", "-1", "84 43"])
def test_a_bad_port_says_what_to_set(value):
    with pytest.raises(ValueError, match="is not a port: use a number from 1 to 65535, or leave it blank"):
        device_port(value)


def test_the_url_leaves_out_443_and_brackets_ipv6():
    assert device_url("dps.example.com", 443) == "https://dps.example.com"
    assert device_url("127.0.0.1", 8443) == "https://127.0.0.1:8443"
    assert device_url("::1", 8443) == "https://[::1]:8443"


def test_the_device_host_is_configured_or_the_public_urls():
    assert device_host("global.example.net", "https://dps.example.com") == "global.example.net"
    assert device_host("", "https://dps.example.com:444/") == "dps.example.com"
    assert device_host("", "http://127.0.0.1:8000") == "127.0.0.1"
    assert device_host("", "dps.example.com") == "dps.example.com"
