"""`make bench` keeps working: the benchmark command at toy sizes (the real run seeds 100,000)."""

import re
from io import StringIO

from django.core.management import call_command


def test_bench_command_prints_both_sizes_ratio_and_targets():
    out = StringIO()
    call_command("bench_enrollment_list", small=40, large=60, runs=1, stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "40 enrollments" in text and "60 enrollments" in text
    for page in ("first page", "filtered page", "deep page"):
        line = next(line for line in text.splitlines() if line.startswith(page))
        assert re.search(r"[\d.]+ ms, \d+ q .* [\d.]+ ms, \d+ q +[\d.]+×$", line), line
    assert "target ≤ 6 queries per page: met" in text
