"""Loopback addresses for listeners on fixed ports, one set per test process.

A test module that binds a fixed port names its own address, 127.0.X.Y. Under pytest-xdist each worker
`gwN` runs its own copy of a session or module fixture, so `loopback("127.0.X.Y")` gives worker N
127.N.X.Y (Linux routes all of 127.0.0.0/8 to the loopback interface): two workers never collide, and
nothing collides with a running `make run` on 127.0.0.1.
"""

import os


def worker_index() -> int:
    """0 in a plain pytest run, N in pytest-xdist's worker `gwN`."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0


def loopback(address: str) -> str:
    """`address` (127.0.X.Y) with its second octet set to this process's worker index."""
    octets = address.split(".")
    if len(octets) != 4 or octets[:2] != ["127", "0"]:
        raise ValueError(f"{address!r} is not a 127.0.X.Y loopback address")
    return ".".join(["127", str(worker_index()), *octets[2:]])
