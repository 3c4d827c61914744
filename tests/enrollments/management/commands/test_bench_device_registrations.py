"""The registration benchmark's own arithmetic (the run itself is `make bench`, not a test):
nearest-rank percentiles, the server's RSS over a process tree, PostgreSQL required."""

import os
import subprocess
import sys
import time

import pytest
from django.core.management import CommandError, call_command

from enrollments.management.commands.bench_device_registrations import _percentile, _tree_rss_kb


def test_nearest_rank_percentiles():
    values = [float(n) for n in range(1, 101)]
    assert _percentile(values, 50) == 50 and _percentile(values, 99) == 99 and _percentile(values, 100) == 100
    assert _percentile([7.0], 99) == 7.0
    assert _percentile([1.0, 2.0, 3.0], 50) == 2.0


def _own_rss_kb(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_rss_counts_the_process_and_its_children():
    sleeper = "import time; time.sleep(30)"
    code = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {sleeper!r}]); time.sleep(30)"
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        for _ in range(100):
            children = open(f"/proc/{parent.pid}/task/{parent.pid}/children").read().split()
            if children and _own_rss_kb(int(children[0])) > 5_000:
                break
            time.sleep(0.05)
        child_rss, parent_rss = _own_rss_kb(int(children[0])), _own_rss_kb(parent.pid)
        tree = _tree_rss_kb(parent.pid)
        assert abs(tree - (parent_rss + child_rss)) < 1_000  # kB, both counted
        assert tree > parent_rss + child_rss // 2
    finally:
        for pid in children:
            os.kill(int(pid), 9)
        parent.kill()
        parent.wait()
    assert _tree_rss_kb(999_999_999) == 0


def test_postgresql_is_required(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///db.sqlite3")
    with pytest.raises(CommandError, match="bench_device_registrations needs PostgreSQL"):
        call_command("bench_device_registrations")
