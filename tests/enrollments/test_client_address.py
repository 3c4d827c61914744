"""client_address: X-Forwarded-For is believed only from DJANGO_TRUSTED_PROXIES."""

import pytest
from django.test import RequestFactory

from enrollments.client_address import address_from, client_address, trusted_networks

PROXIES = trusted_networks(["10.0.0.0/8", "::1"])


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"REMOTE_ADDR": "203.0.113.9"}, "203.0.113.9"),
        # an untrusted peer cannot choose its address
        ({"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}, "203.0.113.9"),
        # one trusted proxy: the hop before it is the client
        ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}, "198.51.100.1"),
        # a client-sent spoofed entry on the left is not believed past the first untrusted hop
        ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.1, 10.0.0.3"}, "198.51.100.1"),
        ({"REMOTE_ADDR": "::1", "HTTP_X_FORWARDED_FOR": "2001:db8::7"}, "2001:db8::7"),
        # garbage ends the walk at the last trusted hop
        ({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "not-an-ip"}, "10.0.0.2"),
        # a trusted proxy without the header is itself the client
        ({"REMOTE_ADDR": "10.0.0.2"}, "10.0.0.2"),
    ],
)
def test_address_from(meta, expected):
    assert address_from(meta, PROXIES) == expected


def test_a_bad_trusted_proxy_entry_is_named():
    with pytest.raises(ValueError, match="'10.0.0.300' is not an IP address or network"):
        trusted_networks(["10.0.0.300"])


def test_client_address_reads_the_setting(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    settings.DPS_TRUSTED_PROXIES = []
    assert client_address(request) == "127.0.0.1"
    settings.DPS_TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_address(request) == "198.51.100.1"
