"""`manage.py bench_enrollment_list` (`make bench`): server time and SQL queries of the Individual
enrollments list at two table sizes.

Each size gets a fresh database (a temporary SQLite file, or with `--postgres URL` a throwaway
PostgreSQL database) that a worker process migrates and seeds with `bulk_create` in batches (every
other enrollment with a registration record, so the registration status column does real work).
Then one measuring process requests three pages with Django's test client, signed in: the first
page, a filtered page (`Filter` = a registration ID prefix in upper case) and a deep page (the 500th
page of 20, or the deepest full one). It alternates between the two databases request by request,
so load from anything else on the machine weighs on both sizes alike. Each figure is the median of
`--runs` timed requests after 3 warm-up rounds; queries are counted on one more request. The
report shows both sizes side by side with the ratio, and the targets: ≤ 50 ms per page, ≤ 6
queries per page, large ≤ 1.5 × small.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

TARGET_MS = 50.0
TARGET_QUERIES = 6
TARGET_RATIO = 1.5
PAGE_SIZE = 20
DEEP_PAGE = 500
FILTER_PREFIX = "DEVICE-0000"  # matches device-000000 … device-000099 at both sizes
BATCH = 5000
PAGES = ("first page", "filtered page", "deep page")


class Command(BaseCommand):
    help = "Benchmark the Individual enrollments list at 100,000 and 1,000 enrollments (see `make bench`)."

    def add_arguments(self, parser):
        parser.add_argument("--large", type=int, default=100_000, help="enrollments in the large database")
        parser.add_argument("--small", type=int, default=1_000, help="enrollments in the small database")
        parser.add_argument("--runs", type=int, default=25, help="timed requests per page (the median is shown)")
        parser.add_argument(
            "--postgres",
            metavar="URL",
            default="",
            help="run on PostgreSQL instead of SQLite: a server URL such as postgres://postgres@127.0.0.1:5432 "
            "(throwaway databases dps_bench_<size> are created and dropped)",
        )
        parser.add_argument(
            "--conn-max-age",
            type=int,
            default=0,
            help="CONN_MAX_AGE of the measured connections: 0 (default, as DJANGO_CONN_MAX_AGE's default) opens a "
            "new connection per request; e.g. 60 keeps it (persistent connections)",
        )
        parser.add_argument("--seed-worker", type=int, default=0, help=argparse.SUPPRESS)
        parser.add_argument("--measure-worker", nargs="*", default=None, help=argparse.SUPPRESS)

    def handle(self, *args, large: int, small: int, runs: int, postgres: str, **options):
        if options["seed_worker"]:
            self.stdout.write(json.dumps(_seed_database(options["seed_worker"])))
            return
        if options["measure_worker"] is not None:
            self.stdout.write(json.dumps(_measure(options["measure_worker"], runs, options["conn_max_age"])))
            return
        with tempfile.TemporaryDirectory(prefix="dps-bench-") as tmp:
            urls = {}
            try:
                for size in (small, large):
                    if postgres:
                        urls[size] = _create_pg_database(postgres, f"dps_bench_{size}")
                    else:
                        urls[size] = f"sqlite:///{tmp}/bench_{size}.sqlite3"
                    self.stderr.write(f"Seeding {size:,} individual enrollments …")
                    seeded = _run_worker(urls[size], ["--seed-worker", str(size)])
                    urls[size] = (urls[size], seeded["seed_s"])
                self.stderr.write("Measuring both databases, alternating requests …")
                measured = _run_worker(
                    urls[small][0],
                    [
                        *("--runs", str(runs), "--conn-max-age", str(options["conn_max_age"])),
                        *("--measure-worker", urls[small][0], urls[large][0]),
                    ],
                )
            finally:
                if postgres:
                    for size in (small, large):
                        _drop_pg_database(postgres, f"dps_bench_{size}")
        results = {size: {"seed_s": urls[size][1], "pages": measured[urls[size][0]]} for size in (small, large)}
        database = "PostgreSQL" if postgres else "SQLite"
        self._report(results[small], results[large], small, large, database, runs, options["conn_max_age"])

    def _report(
        self, small: dict, large: dict, n_small: int, n_large: int, database: str, runs: int, conn_max_age: int
    ) -> None:
        out = self.stdout.write
        connections = "a new connection per request" if not conn_max_age else "persistent connections"
        out(f"\nIndividual enrollments list on {database}: server time (median of {runs} requests, Django test")
        out(f"client, signed in, {connections}: CONN_MAX_AGE={conn_max_age}) and SQL queries per page of {PAGE_SIZE}.")
        out(f"Seeding: {n_small:,} in {small['seed_s']:.1f} s, {n_large:,} in {large['seed_s']:.1f} s.\n")
        head_small, head_large = f"{n_small:,} enrollments", f"{n_large:,} enrollments"
        out(f"{'page':<34} {head_small:>20} {head_large:>20} {'ratio':>7}")
        worst_ms, worst_q, worst_ratio = 0.0, 0, 0.0
        for name in PAGES:
            s, lg = small["pages"][name], large["pages"][name]
            ratio = lg["ms"] / s["ms"] if s["ms"] else float("inf")
            worst_ms, worst_q = max(worst_ms, s["ms"], lg["ms"]), max(worst_q, s["queries"], lg["queries"])
            worst_ratio = max(worst_ratio, ratio)
            label = name if name == "deep page" else f"{name} ({lg['what']})"
            cell_s = f"{s['ms']:.1f} ms, {s['queries']} q"
            cell_l = f"{lg['ms']:.1f} ms, {lg['queries']} q"
            out(f"{label:<34} {cell_s:>20} {cell_l:>20} {ratio:>6.2f}×")
        out("")
        verdict = [
            (f"≤ {TARGET_MS:.0f} ms per page", worst_ms <= TARGET_MS, f"worst {worst_ms:.1f} ms"),
            (f"≤ {TARGET_QUERIES} queries per page", worst_q <= TARGET_QUERIES, f"worst {worst_q}"),
            (
                f"{n_large:,} ≤ {TARGET_RATIO}× the {n_small:,} time",
                worst_ratio <= TARGET_RATIO,
                f"worst {worst_ratio:.2f}×",
            ),
        ]
        for what, ok, detail in verdict:
            out(f"target {what}: {'met' if ok else 'MISSED'} ({detail})")
        deep_small, deep_large = small["pages"]["deep page"]["what"], large["pages"]["deep page"]["what"]
        out(f"(deep page: {deep_large} of {n_large:,}, {deep_small} of {n_small:,}: page {DEEP_PAGE} or the deepest)")


def _run_worker(database_url: str, arguments: list[str]) -> dict:
    """Run this command in a fresh process on `database_url` (settings read DATABASE_URL once)."""
    manage = Path(__file__).resolve().parents[3] / "manage.py"
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "true"}
    done = subprocess.run(
        [sys.executable, str(manage), "bench_enrollment_list", *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise CommandError(f"benchmark worker {arguments} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _create_pg_database(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.rstrip("/") + "/" + name


def _drop_pg_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _seed(size: int) -> None:
    """`size` symmetric-key enrollments `device-000000`…, some IDs in upper case, every other one
    with a registration record."""
    import datetime as dt

    from django.db import connection, transaction

    from enrollments.attestation.symmetric_keys import generate_symmetric_key
    from enrollments.models import IndividualEnrollment, RegistrationRecord

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with transaction.atomic():
        for first in range(0, size, BATCH):
            batch = []
            for i in range(first, min(size, first + BATCH)):
                rid = f"device-{i:06d}" if i % 7 else f"Device-{i:06d}"
                batch.append(
                    IndividualEnrollment(
                        registration_id=rid,
                        attestation_type="symmetricKey",
                        primary_key=generate_symmetric_key(),
                        secondary_key=generate_symmetric_key(),
                        device_id=f"dev{i}" if i % 3 == 0 else "",
                        created_date_time_utc=start + dt.timedelta(seconds=i),
                        last_updated_date_time_utc=start + dt.timedelta(seconds=i),
                    )
                )
            created = IndividualEnrollment.objects.bulk_create(batch)
            if connection.features.can_return_rows_from_bulk_insert:
                enrollments = created
            else:
                enrollments = IndividualEnrollment.objects.filter(
                    registration_id__in=[e.registration_id for e in batch]
                )
            RegistrationRecord.objects.bulk_create(
                [
                    RegistrationRecord(
                        registration_id=e.registration_id,
                        individual_enrollment_id=e.pk,
                        attestation_type="symmetricKey",
                        device_id=e.device_id or e.registration_id,
                        assigned_hub="hub1.azure-devices.net",
                        status="assigned",
                        substatus="initialAssignment",
                    )
                    for e in enrollments
                    if int(e.registration_id[-6:]) % 2 == 0
                ]
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _seed_database(size: int) -> dict:
    """Seed worker: migrate and seed the database DATABASE_URL names; add the benchmark user."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from enrollments.models import ProvisioningService

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    _seed(size)
    seed_s = time.perf_counter() - started
    ProvisioningService.objects.get_current()
    get_user_model().objects.create_superuser("bench", "bench@example.com", None)
    return {"seed_s": seed_s}


def _measure(database_urls: list[str], runs: int, conn_max_age: int) -> dict:
    """Measure worker: time the three pages on each database, alternating between the databases
    request by request, so that whatever else the machine does weighs on both sizes alike.

    Each database gets its own connection object, swapped in as the default connection before each
    request; `conn_max_age` is its CONN_MAX_AGE (0: a new connection per request, Django's default).
    """
    import dj_database_url
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection, connections
    from django.db.models import F
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from enrollments.expressions import SortKey
    from enrollments.models import IndividualEnrollment

    settings.DEBUG = False  # as in production: no query log on every request
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    url = reverse("enrollments:individual_enrollment_list")

    wrappers = {}
    for database_url in database_urls:
        settings_dict = {
            **connections["default"].settings_dict,
            "NAME": dj_database_url.parse(database_url)["NAME"],
            "CONN_MAX_AGE": conn_max_age,
        }
        wrappers[database_url] = type(connections["default"])(settings_dict, alias="default")

    def use(database_url: str) -> None:
        connections["default"] = wrappers[database_url]

    setups = {}
    for database_url in database_urls:
        use(database_url)
        size = IndividualEnrollment.objects.count()
        client = Client()
        client.force_login(get_user_model().objects.get(username="bench"))
        keys = IndividualEnrollment.objects.annotate(k=SortKey(F("registration_id"))).order_by("k")
        deep_index = max(1, min(DEEP_PAGE - 1, size // PAGE_SIZE - 1)) * PAGE_SIZE - 1  # row before the page
        deep_key = keys.values_list("k", flat=True)[deep_index]
        pages = {
            "first page": ({}, "page 1"),
            "filtered page": ({"q": FILTER_PREFIX}, f"Filter {FILTER_PREFIX}"),
            "deep page": ({"after": deep_key}, f"page {deep_index // PAGE_SIZE + 2}"),
        }
        setups[database_url] = (client, pages)
    results: dict[str, dict] = {database_url: {} for database_url in database_urls}
    for name in PAGES:
        timings: dict[str, list[float]] = {database_url: [] for database_url in database_urls}
        for run in range(runs + 3):  # the first 3 rounds warm up
            for database_url in database_urls:
                client, pages = setups[database_url]
                use(database_url)
                t0 = time.perf_counter()
                _get(client, url, pages[name][0])
                if run >= 3:
                    timings[database_url].append((time.perf_counter() - t0) * 1000)
        for database_url in database_urls:
            client, pages = setups[database_url]
            use(database_url)
            with CaptureQueriesContext(connection) as ctx:
                response = _get(client, url, pages[name][0])
            rows = response.content.decode().split("<tbody>", 1)[1].count("data-row-select aria-label")
            if rows != PAGE_SIZE:
                raise CommandError(f"{name}: expected {PAGE_SIZE} rows, got {rows}")
            results[database_url][name] = {
                "ms": statistics.median(timings[database_url]),
                "queries": len(ctx.captured_queries),
                "what": pages[name][1],
            }
    return results


def _get(client, url: str, params: dict):
    response = client.get(url, params)
    if response.status_code != 200:
        raise CommandError(f"GET {url} {params} returned {response.status_code}")
    return response
