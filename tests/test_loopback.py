"""tests/loopback.py: each pytest-xdist worker gets its own copy of a fixed loopback address."""

import pytest

from tests import loopback


@pytest.mark.parametrize(("worker", "expected"), [("", "127.0.12.1"), ("gw0", "127.0.12.1"), ("gw3", "127.3.12.1")])
def test_each_worker_has_its_own_address(monkeypatch, worker, expected):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    assert loopback.loopback("127.0.12.1") == expected


@pytest.mark.parametrize("address", ["10.0.0.1", "127.1.2.3", "127.0.0", "localhost"])
def test_only_127_0_addresses_are_taken(address):
    with pytest.raises(ValueError, match="is not a 127.0.X.Y loopback address"):
        loopback.loopback(address)
