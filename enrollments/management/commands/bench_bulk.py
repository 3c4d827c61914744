"""`manage.py bench_bulk` (`make bench`): server time of one 1,000-item bulk create of individual
enrollments through the service API, at 100,000 and at 1,000 existing enrollments, on PostgreSQL.

PostgreSQL only (the bound is set for it): `--postgres URL` names a server, else DATABASE_URL must
be a PostgreSQL URL (its database name is ignored); `make bench` starts a throwaway server when
DATABASE_URL is not one (`.ci/with-postgres`). Throwaway databases `dps_bench_bulk_<size>` are
created, seeded by a worker process (the list benchmark's seed: symmetric-key enrollments, every
other one with a registration record) and dropped.

One measuring process then sends `POST /enrollments?api-version=2021-10-01` with `mode: create` and
1,000 new symmetric-key enrollments (keys given, as a fleet tool sends them) with Django's test client
and a SAS token of `provisioningserviceowner`, alternating between the two databases run by run, so
other load on the machine weighs on both alike. After each run the created rows are deleted (not
timed), so each run starts at the same table size. Each figure is the median of `--runs` runs after
one warm-up run. In the same run it measures the floor of that work: the same 1,000 enrollments
written by `bulk_create` in one statement. Targets: ≤ 2 s per bulk call, large ≤ 1.2 × small.
"""

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import dj_database_url
from django.core.management.base import BaseCommand, CommandError

from .bench_enrollment_list import _create_pg_database, _drop_pg_database, _seed

TARGET_S = 2.0
TARGET_RATIO = 1.2
ITEMS = 1000


class Command(BaseCommand):
    help = "Benchmark a 1,000-item bulk create at 100,000 and 1,000 existing enrollments on PostgreSQL."

    def add_arguments(self, parser):
        parser.add_argument("--large", type=int, default=100_000, help="enrollments in the large database")
        parser.add_argument("--small", type=int, default=1_000, help="enrollments in the small database")
        parser.add_argument("--items", type=int, default=ITEMS, help="items per bulk call")
        parser.add_argument("--runs", type=int, default=5, help="timed bulk calls per size (the median is shown)")
        parser.add_argument(
            "--postgres",
            metavar="URL",
            default="",
            help="PostgreSQL server URL such as postgres://postgres@127.0.0.1:5432 (default: DATABASE_URL's server)",
        )
        parser.add_argument("--seed-worker", type=int, default=0, help=argparse.SUPPRESS)
        parser.add_argument("--measure-worker", nargs="*", default=None, help=argparse.SUPPRESS)

    def handle(self, *args, large: int, small: int, items: int, runs: int, postgres: str, **options):
        if options["seed_worker"]:
            self.stdout.write(json.dumps(_seed_database(options["seed_worker"])))
            return
        if options["measure_worker"] is not None:
            self.stdout.write(json.dumps(_measure(options["measure_worker"], items, runs)))
            return
        server = postgres or _server_of(os.environ.get("DATABASE_URL", ""))
        if not server:
            raise CommandError(
                "bench_bulk needs PostgreSQL: pass --postgres postgres://user@host:port or set DATABASE_URL to a "
                "PostgreSQL URL (`make bench` starts a throwaway server when it is not one)."
            )
        urls: dict[int, str] = {}
        seeded: dict[int, float] = {}
        try:
            for size in (small, large):
                urls[size] = _create_pg_database(server, f"dps_bench_bulk_{size}")
                self.stderr.write(f"Seeding {size:,} individual enrollments …")
                seeded[size] = _run_worker(urls[size], ["--seed-worker", str(size)])["seed_s"]
            self.stderr.write(f"Measuring {runs} bulk calls of {items:,} items per size, alternating …")
            measured = _run_worker(
                urls[small], ["--items", str(items), "--runs", str(runs), "--measure-worker", urls[small], urls[large]]
            )
        finally:
            for size in (small, large):
                _drop_pg_database(server, f"dps_bench_bulk_{size}")
        self._report(measured[urls[small]], measured[urls[large]], small, large, items, runs, measured["version"])
        self.stdout.write(f"(seeding: {small:,} in {seeded[small]:.1f} s, {large:,} in {seeded[large]:.1f} s)")

    def _report(self, small: dict, large: dict, n_small: int, n_large: int, items: int, runs: int, version: str):
        out = self.stdout.write
        out(f"\nBulk create of {items:,} individual enrollments (POST /enrollments, mode create) on {version}:")
        out(f"server time, median of {runs} calls (Django test client, SAS token); floor: the same rows by one")
        out("bulk_create.\n")
        head_small, head_large = f"{n_small:,} enrollments", f"{n_large:,} enrollments"
        out(f"{'':<22} {head_small:>18} {head_large:>18} {'ratio':>7}")
        ratio = large["bulk_s"] / small["bulk_s"]
        out(f"{'bulk call':<22} {small['bulk_s']:>16.2f} s {large['bulk_s']:>16.2f} s {ratio:>6.2f}×")
        floor_ratio = large["floor_s"] / small["floor_s"]
        out(f"{'floor (bulk_create)':<22} {small['floor_s']:>16.2f} s {large['floor_s']:>16.2f} s {floor_ratio:>6.2f}×")
        per_item = [s["bulk_s"] / items * 1000 for s in (small, large)]
        out(f"{'per item':<22} {per_item[0]:>15.2f} ms {per_item[1]:>15.2f} ms")
        over_floor = [s["bulk_s"] / s["floor_s"] for s in (small, large)]
        out(f"{'bulk / floor':<22} {over_floor[0]:>17.1f}× {over_floor[1]:>17.1f}×")
        out(f"{'SQL queries per call':<22} {small['queries']:>18,} {large['queries']:>18,}")
        out("")
        worst = max(small["bulk_s"], large["bulk_s"])
        verdict = [
            (f"≤ {TARGET_S:.0f} s per bulk call", worst <= TARGET_S, f"worst {worst:.2f} s"),
            (f"{n_large:,} ≤ {TARGET_RATIO}× the {n_small:,} time", ratio <= TARGET_RATIO, f"{ratio:.2f}×"),
        ]
        for what, ok, detail in verdict:
            out(f"target {what}: {'met' if ok else 'MISSED'} ({detail})")


def _server_of(database_url: str) -> str:
    """`postgres://user@host:port` of a PostgreSQL DATABASE_URL (database name dropped), else ''."""
    if not database_url.startswith(("postgres://", "postgresql://")):
        return ""
    return database_url.split("?", 1)[0].rsplit("/", 1)[0]


def _run_worker(database_url: str, arguments: list[str]) -> dict:
    """Run this command in a fresh process on `database_url` (settings read DATABASE_URL once)."""
    manage = Path(__file__).resolve().parents[3] / "manage.py"
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "true"}
    done = subprocess.run(
        [sys.executable, str(manage), "bench_bulk", *arguments], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise CommandError(f"benchmark worker {arguments} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _seed_database(size: int) -> dict:
    """Seed worker: migrate and seed the database DATABASE_URL names; add the owner policy."""
    from django.core.management import call_command

    from enrollments.models import ProvisioningService, SharedAccessPolicy

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    _seed(size)
    ProvisioningService.objects.get_current()
    SharedAccessPolicy.objects.ensure_owner()
    return {"seed_s": time.perf_counter() - started}


def _items(items: int, run: int) -> list[dict]:
    from enrollments.attestation.symmetric_keys import generate_symmetric_key

    return [
        {
            "registrationId": f"bulk-{run:03d}-{i:05d}",
            "attestation": {
                "type": "symmetricKey",
                "symmetricKey": {"primaryKey": generate_symmetric_key(), "secondaryKey": generate_symmetric_key()},
            },
            "provisioningStatus": "enabled",
        }
        for i in range(items)
    ]


def _measure(database_urls: list[str], items: int, runs: int) -> dict:
    """Measure worker: alternate bulk calls between the databases; delete each call's rows after it."""
    from django.conf import settings
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from enrollments import sas
    from enrollments.attestation.symmetric_keys import generate_symmetric_key
    from enrollments.models import IndividualEnrollment, SharedAccessPolicy

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    wrappers = {}
    for database_url in database_urls:
        settings_dict = {**connections["default"].settings_dict, "NAME": dj_database_url.parse(database_url)["NAME"]}
        wrappers[database_url] = type(connections["default"])(settings_dict, alias="default")

    def use(database_url: str) -> None:
        connections["default"] = wrappers[database_url]

    def bulk(client: Client, policy, run: int) -> tuple[float, int]:
        """One bulk call: (seconds, SQL queries; queries are counted on the warm-up run only)."""
        body = json.dumps({"mode": "create", "enrollments": _items(items, run)})
        token = sas.generate_sas_token(resource_uri="testserver", key=policy.primary_key, policy_name=policy.name)
        capture = CaptureQueriesContext(connection) if run == 0 else contextlib.nullcontext()
        with capture:
            t0 = time.perf_counter()
            response = client.post(
                "/enrollments?api-version=2021-10-01",
                data=body,
                content_type="application/json",
                headers={"Authorization": token},
            )
            elapsed = time.perf_counter() - t0
        result = response.json() if response.status_code == 200 else None
        if result is None or not result.get("isSuccessful"):
            raise CommandError(f"bulk call failed: {response.status_code} {response.content[:2000]!r}")
        created = IndividualEnrollment.objects.filter(registration_id__startswith=f"bulk-{run:03d}-").count()
        if created != items:
            raise CommandError(f"bulk call answered success but created {created} of {items} enrollments")
        return elapsed, len(capture.captured_queries) if run == 0 else 0

    def cleanup() -> None:
        IndividualEnrollment.objects.filter(registration_id__startswith="bulk-").delete()

    def floor() -> float:
        rows = [
            IndividualEnrollment(
                registration_id=f"floor-{i:05d}",
                attestation_type="symmetricKey",
                primary_key=generate_symmetric_key(),
                secondary_key=generate_symmetric_key(),
            )
            for i in range(items)
        ]
        t0 = time.perf_counter()
        IndividualEnrollment.objects.bulk_create(rows)
        elapsed = time.perf_counter() - t0
        IndividualEnrollment.objects.filter(registration_id__startswith="floor-").delete()
        return elapsed

    clients = {url: Client() for url in database_urls}
    policies = {}
    for url in database_urls:
        use(url)
        policies[url] = SharedAccessPolicy.objects.ensure_owner()
    timings: dict[str, list[float]] = {url: [] for url in database_urls}
    floors: dict[str, list[float]] = {url: [] for url in database_urls}
    queries: dict[str, int] = {}
    for run in range(runs + 1):  # run 0 warms up
        for url in database_urls:
            use(url)
            elapsed, count = bulk(clients[url], policies[url], run)
            cleanup()
            floor_s = floor()
            if run:
                timings[url].append(elapsed)
                floors[url].append(floor_s)
            else:
                queries[url] = count
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    results: dict = {
        url: {
            "bulk_s": statistics.median(timings[url]),
            "floor_s": statistics.median(floors[url]),
            "queries": queries[url],
        }
        for url in database_urls
    }
    results["version"] = version
    return results
