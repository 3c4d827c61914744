"""Hypothesis profiles sized to the test budget, chosen by HYPOTHESIS_PROFILE (default `dev`).

- `ci` (.ci/run): every property test runs its full number of examples (the counts written in the
  tests: 1,000 per form or service entry point), derandomized so a CI failure reproduces.
- `dev`: a tenth of them (at least 20), random each run, for a quick local `make test`.

Tests give their counts through `scaled_examples(n)`, which a profile scales; `settings(max_examples=…)`
written directly would override the profile.
"""

import os

from hypothesis import settings

PROFILES = {"ci": 1.0, "dev": 0.1}
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "") or "dev"
if PROFILE not in PROFILES:
    raise RuntimeError(f"HYPOTHESIS_PROFILE={PROFILE!r} is not a profile: use one of {', '.join(PROFILES)}.")

settings.register_profile("ci", deadline=None, database=None, derandomize=True, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(PROFILE)


def scaled_examples(count: int) -> int:
    """`count` examples under `ci`, a tenth (at least 20, at most `count`) under `dev`."""
    return count if PROFILE == "ci" else min(count, max(20, round(count * PROFILES[PROFILE])))
