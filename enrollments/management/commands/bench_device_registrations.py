"""`manage.py bench_device_registrations` (`make bench`): concurrent symmetric-key registrations over
the HTTPS device API against the production server, on PostgreSQL, and in the same run the bound of
the work itself.

PostgreSQL only: `--postgres URL` names a server, else DATABASE_URL must be a PostgreSQL URL (its
database name is ignored); `make bench` starts a throwaway server when it is not one. A throwaway
database `dps_bench_devices` is created, migrated and seeded by a worker process (two linked IoT
hubs, one symmetric-key enrollment group with the default `Evenly weighted distribution`) and
dropped at the end.

The server is the README's production device endpoint: gunicorn with dps_portal/gunicorn_device_conf.py
(`DJANGO_DEBUG=false`, TLS with the generated certificates, `--workers` × `--threads`, persistent
database connections `DJANGO_CONN_MAX_AGE=60`) on 127.0.12.5. `--clients` load-generator processes
(the machine's other work: they share its cores with the server) then register `--registrations`
new devices, `--concurrency` at a time, each device a `PUT …/register` with its group-derived key's
SAS token over kept-alive TLS connections (enrollments/management/device_client.py), polls included
if any; after `--warmup` registrations that are not counted. Reported: registrations/s over the whole
run, p50 and p99 latency of one registration, the server's peak RSS (master + workers).

The bound, measured right after in one worker process on the same database, one thread: the same
work with no HTTP, no TLS and no Django request: `authenticate_device` (SAS check, the group's
derived-key match) + `register_device` (allocation, record upsert, operation) for `--bound` new
devices, the per-registration time and rate, SQL queries per registration. The ratio is HTTP
registrations/s over the bound's. Targets (issue): ≥ 1,000 registrations/s, p99 ≤ 50 ms.
"""

import argparse
import json
import math
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from .bench_bulk import _server_of
from .bench_enrollment_list import _create_pg_database, _drop_pg_database

HOST = "127.0.12.5"
DATABASE = "dps_bench_devices"
TARGET_RATE = 1000
TARGET_P99_MS = 50
ROOT = Path(__file__).resolve().parents[3]


class Command(BaseCommand):
    help = "Benchmark concurrent symmetric-key registrations over HTTPS (production server, PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--registrations", type=int, default=3000, help="counted registrations (default 3000)")
        parser.add_argument("--warmup", type=int, default=300, help="registrations before counting (default 300)")
        parser.add_argument("--concurrency", type=int, default=16, help="registrations in flight (default 16)")
        parser.add_argument("--clients", type=int, default=2, help="load-generator processes (default 2)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2: the cores)")
        parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker (default 8)")
        parser.add_argument("--bound", type=int, default=1000, help="registrations of the in-process bound")
        parser.add_argument(
            "--postgres",
            metavar="URL",
            default="",
            help="PostgreSQL server URL such as postgres://postgres@127.0.0.1:5432 (default: DATABASE_URL's server)",
        )
        parser.add_argument("--seed-worker", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--bound-worker", type=int, default=0, help=argparse.SUPPRESS)
        parser.add_argument("--load-worker", default="", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["seed_worker"]:
            self.stdout.write(json.dumps(_seed()))
            return
        if options["bound_worker"]:
            self.stdout.write(json.dumps(_bound(options["bound_worker"])))
            return
        if options["load_worker"]:
            self.stdout.write(json.dumps(_load(json.loads(options["load_worker"]))))
            return
        server = options["postgres"] or _server_of(os.environ.get("DATABASE_URL", ""))
        if not server:
            raise CommandError(
                "bench_device_registrations needs PostgreSQL: pass --postgres postgres://user@host:port or set "
                "DATABASE_URL to a PostgreSQL URL (`make bench` starts a throwaway server when it is not one)."
            )
        for name in ("registrations", "concurrency", "clients", "workers", "threads", "bound"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be 1 or more.")
        load_before = os.getloadavg()[0]
        url = _create_pg_database(server, DATABASE)
        data_dir = Path(tempfile.mkdtemp(prefix="dps-bench-devices-"))
        try:
            self.stderr.write("Migrating and seeding (2 linked IoT hubs, 1 symmetric-key enrollment group) …")
            seed = _worker(url, ["--seed-worker"])
            http = self._http_run(url, data_dir, seed, options)
            self.stderr.write(f"Measuring the bound: {options['bound']:,} registrations in one process, no HTTP …")
            bound = _worker(url, ["--bound-worker", str(options["bound"])])
        finally:
            _drop_pg_database(server, DATABASE)
        http["load"] = (load_before, os.getloadavg()[0])
        self._report(http, bound, options)

    # --- the HTTP run ------------------------------------------------------------------------------

    def _http_run(self, url: str, data_dir: Path, seed: dict, options: dict) -> dict:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DPS_", "GUNICORN_", "WEB_"))}
        env.update(
            DATABASE_URL=url,
            DJANGO_DEBUG="false",
            DJANGO_SECRET_KEY="bench-" + secrets.token_urlsafe(40),
            DJANGO_ALLOWED_HOSTS=HOST,
            DJANGO_CONN_MAX_AGE="60",
            DJANGO_LOG_LEVEL="WARNING",
            DPS_DATA_DIR=str(data_dir),
            DPS_DEVICE_BIND=HOST,
            DPS_DEVICE_PORT=str(port),
            DPS_ID_SCOPE=seed["id_scope"],
            WEB_CONCURRENCY=str(options["workers"]),
            GUNICORN_THREADS=str(options["threads"]),
        )
        log = tempfile.NamedTemporaryFile("w+", prefix="dps-bench-devices-", suffix=".log", delete=False)
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:dps_portal.gunicorn_device_conf", "dps_portal.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            ca_pem = _wait_for_server(process, data_dir, port, log.name)
            endpoint = f"https://{HOST}:{port}"
            common = {"endpoint": endpoint, "ca_pem": ca_pem, "id_scope": seed["id_scope"], "key": seed["group_key"]}
            self.stderr.write(f"Warming up: {options['warmup']:,} registrations …")
            self._load_processes(common, prefix="warm", count=options["warmup"], options=options)
            # CPU seconds, whatever else runs on the machine: the server's processes and the database
            # backends serving them (sampled, so a connection that closes during the run still counts)
            rss = _RssSampler(process.pid, database_url=url)
            rss.start()
            server_cpu_before = _cpu_seconds(_tree_pids(process.pid))
            self.stderr.write(
                f"Measuring: {options['registrations']:,} registrations, {options['concurrency']} at a time from "
                f"{options['clients']} client processes, server {options['workers']} workers × {options['threads']} "
                "threads …"
            )
            results = self._load_processes(common, prefix="dev", count=options["registrations"], options=options)
            rss.stop()
            server_cpu = _cpu_seconds(_tree_pids(process.pid)) - server_cpu_before
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        latencies = sorted(ms for result in results for ms in result["latencies_ms"])
        wall = max(r["finished"] for r in results) - min(r["started"] for r in results)
        statuses: dict[str, int] = {}
        for result in results:
            for status, number in result["statuses"].items():
                statuses[status] = statuses.get(status, 0) + number
        return {
            "rate": len(latencies) / wall,
            "p50": _percentile(latencies, 50),
            "p99": _percentile(latencies, 99),
            "mean": statistics.fmean(latencies),
            "count": len(latencies),
            "wall": wall,
            "statuses": statuses,
            "requests": sum(r["requests"] for r in results),
            "rss_mb": rss.peak / 1024,
            "server_cpu_ms": server_cpu / len(latencies) * 1000,
            "database_cpu_ms": rss.backend_cpu / len(latencies) * 1000,
            "client_cpu_ms": sum(r["cpu_s"] for r in results) / len(latencies) * 1000,
            "backends": len(rss.backends),
        }

    def _load_processes(self, common: dict, *, prefix: str, count: int, options: dict) -> list[dict]:
        clients = min(options["clients"], count)
        start_at = time.time() + 3  # every client starts together, after its imports
        workers = []
        for n in range(clients):
            ids = [f"{prefix}-{i:07d}" for i in range(n, count, clients)]
            threads = max(1, options["concurrency"] // clients + (n < options["concurrency"] % clients))
            spec = {**common, "registration_ids": ids, "threads": threads, "start_at": start_at}
            workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        str(ROOT / "manage.py"),
                        "bench_device_registrations",
                        "--load-worker",
                        json.dumps(spec),
                    ],
                    cwd=ROOT,
                    env={**os.environ, "DJANGO_DEBUG": "true", "DPS_DEVELOPMENT": "1"},
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=1800)
            if worker.returncode != 0:
                raise CommandError(f"a load-generator process failed:\n{err[-4000:]}")
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results

    # --- the report ------------------------------------------------------------------------------

    def _report(self, http: dict, bound: dict, options: dict) -> None:
        out = self.stdout.write
        ratio = http["rate"] / bound["rate"]
        out(
            f"\nSymmetric-key device registrations over HTTPS ({bound['version']}, production server: gunicorn "
            f"{options['workers']} workers × {options['threads']} threads, TLS; {options['clients']} load-generator "
            f"processes on the same {os.cpu_count()} cores):"
        )
        out(f"  registrations/s        {http['rate']:>10.0f}   ({http['count']:,} in {http['wall']:.1f} s)")
        out(f"  latency p50            {http['p50']:>10.1f} ms")
        out(f"  latency p99            {http['p99']:>10.1f} ms   (mean {http['mean']:.1f} ms)")
        out(f"  server RSS (peak)      {http['rss_mb']:>10.0f} MB   (master + {options['workers']} workers)")
        out(f"  HTTP requests          {http['requests']:>10,}   outcomes: {http['statuses']}")
        http_cpu = http["server_cpu_ms"] + http["database_cpu_ms"] + http["client_cpu_ms"]
        out(
            f"  CPU per registration   {http_cpu:>10.2f} ms   (server {http['server_cpu_ms']:.2f}, PostgreSQL "
            f"{http['database_cpu_ms']:.2f} over {http['backends']} connections, "
            f"load generator {http['client_cpu_ms']:.2f})"
        )
        out(f"  → on {os.cpu_count()} idle cores  {os.cpu_count() * 1000 / http_cpu:>10.0f} registrations/s at most")
        out("Bound of the work itself (one process, one thread, no HTTP): SAS check + allocation + record upsert")
        out(f"  registrations/s        {bound['rate']:>10.0f}   ({bound['ms']:.2f} ms each, {bound['count']:,} runs)")
        out(f"  SQL queries each       {bound['queries']:>10}")
        bound_cpu = bound["python_cpu_ms"] + bound["database_cpu_ms"]
        out(
            f"  CPU per registration   {bound_cpu:>10.2f} ms   (Python {bound['python_cpu_ms']:.2f}, PostgreSQL "
            f"{bound['database_cpu_ms']:.2f})"
        )
        out(f"  HTTP CPU / bound CPU   {http_cpu / bound_cpu:>10.2f}×")
        out(f"  HTTP / bound           {ratio:>10.2f}×")
        out(
            f"  (load average {http['load'][0]:.1f} before, {http['load'][1]:.1f} after, on {os.cpu_count()} cores: "
            "other work on the machine weighs on every figure)"
        )
        out("")
        for what, ok, detail in (
            (f"≥ {TARGET_RATE:,} registrations/s", http["rate"] >= TARGET_RATE, f"{http['rate']:.0f}/s"),
            (f"p99 ≤ {TARGET_P99_MS} ms", http["p99"] <= TARGET_P99_MS, f"{http['p99']:.1f} ms"),
        ):
            out(f"target {what}: {'met' if ok else 'MISSED'} ({detail})")
        not_assigned = {k: v for k, v in http["statuses"].items() if k != "assigned"}
        if not_assigned:
            raise CommandError(f"Some registrations were not assigned: {not_assigned}")


# --- workers (each a process of this command) ------------------------------------------------------


def _worker(database_url: str, arguments: list[str]) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "true", "DPS_DEVELOPMENT": "1"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "bench_device_registrations", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise CommandError(f"benchmark worker {arguments} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _seed() -> dict:
    """Migrate; link two IoT hubs; create the symmetric-key group `bench` (keys generated)."""
    import base64

    from django.core.management import call_command

    from enrollments.models import ProvisioningService
    from enrollments.services.enrollments import enrollment_group_create
    from enrollments.services.hubs import linked_iot_hub_create

    call_command("migrate", verbosity=0)
    for name in ("bench-hub-a", "bench-hub-b"):
        key = base64.b64encode(secrets.token_bytes(32)).decode()
        linked_iot_hub_create(
            connection_string=f"HostName={name}.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey={key}"
        )
    group = enrollment_group_create(enrollment_group_id="bench", attestation_type="symmetricKey")
    return {"id_scope": ProvisioningService.objects.get_current().id_scope, "group_key": group.primary_key}


def _bound(count: int) -> dict:
    """The registration's own work in a loop: authenticate (SAS) + register (allocate, upsert)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from enrollments.attestation.device_sas import generate_device_token
    from enrollments.attestation.symmetric_keys import derive_device_key
    from enrollments.models import EnrollmentGroup, ProvisioningService
    from enrollments.services.device_registrations import authenticate_device, register_device

    group = EnrollmentGroup.objects.get(enrollment_group_id="bench")

    def one(registration_id: str) -> None:
        service = ProvisioningService.objects.get_current()
        key = derive_device_key(group_key=group.primary_key, registration_id=registration_id)
        token = generate_device_token(id_scope=service.id_scope, registration_id=registration_id, key=key)
        enrollment = authenticate_device(
            id_scope=service.id_scope, registration_id=registration_id, authorization=token
        )
        outcome = register_device(service=service, registration_id=registration_id, enrollment=enrollment)
        if outcome.record.status != "assigned":
            raise CommandError(f"the bound's registration of {registration_id} is {outcome.record.status}")

    for n in range(50):  # warm-up
        one(f"bound-warm-{n:05d}")
    with CaptureQueriesContext(connection) as queries:
        one("bound-queries")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    cpu_before = time.process_time(), _cpu_seconds([backend])
    started = time.perf_counter()
    for n in range(count):
        one(f"bound-{n:07d}")
    elapsed = time.perf_counter() - started
    cpu_after = time.process_time(), _cpu_seconds([backend])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = "PostgreSQL " + cursor.fetchone()[0].split()[0]
    return {
        "rate": count / elapsed,
        "ms": elapsed / count * 1000,
        "count": count,
        "queries": len(queries.captured_queries),
        "version": version,
        "python_cpu_ms": (cpu_after[0] - cpu_before[0]) / count * 1000,
        "database_cpu_ms": (cpu_after[1] - cpu_before[1]) / count * 1000,
    }


def _load(spec: dict) -> dict:
    """A load generator: `threads` threads, each with one kept-alive TLS connection, register the
    spec's devices; returns each registration's latency (ms) and the outcomes."""
    from enrollments.attestation.symmetric_keys import derive_device_key
    from enrollments.management.device_client import DeviceClient, client_context

    context = client_context(spec["ca_pem"])
    ids = spec["registration_ids"]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    requests = [0]
    lock = threading.Lock()
    position = [0]

    def run() -> None:
        client = DeviceClient(spec["endpoint"], context=context)
        try:
            while True:
                with lock:
                    if position[0] >= len(ids):
                        return
                    registration_id = ids[position[0]]
                    position[0] += 1
                key = derive_device_key(group_key=spec["key"], registration_id=registration_id)
                outcome = client.register(id_scope=spec["id_scope"], registration_id=registration_id, key=key)
                with lock:
                    latencies.append(outcome.seconds * 1000)
                    statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
                    requests[0] += outcome.requests
        finally:
            client.close()

    time.sleep(max(0.0, spec["start_at"] - time.time()))
    started, cpu = time.time(), time.process_time()
    with ThreadPoolExecutor(max_workers=spec["threads"]) as pool:
        for future in [pool.submit(run) for _ in range(spec["threads"])]:
            future.result()
    return {
        "latencies_ms": latencies,
        "statuses": statuses,
        "requests": requests[0],
        "started": started,
        "finished": time.time(),
        "cpu_s": time.process_time() - cpu,
    }


# --- helpers -----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _wait_for_server(process: subprocess.Popen, data_dir: Path, port: int, log_path: str) -> str:
    """Wait until the server answers /healthz over TLS; returns its CA certificate (PEM)."""
    from enrollments.management.device_client import DeviceClient

    deadline = time.monotonic() + 120
    ca_file = data_dir / "tls" / "ca.pem"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(
                f"the device endpoint exited ({process.returncode}):\n{Path(log_path).read_text()[-4000:]}"
            )
        if ca_file.exists():
            client = DeviceClient(f"https://{HOST}:{port}", ca_pem=ca_file.read_text())
            try:
                if client.request("GET", "/healthz", headers={})[0] == 200:
                    return ca_file.read_text()
            except OSError:
                pass
            finally:
                client.close()
        time.sleep(0.3)
    raise CommandError(f"the device endpoint did not answer within 120 s:\n{Path(log_path).read_text()[-4000:]}")


def _percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile of sorted `values`."""
    index = min(len(values) - 1, max(0, math.ceil(percent / 100 * len(values)) - 1))
    return values[index]


class _RssSampler(threading.Thread):
    """Peak resident memory (kB) of a process and its children, and the CPU seconds the database's
    backends use meanwhile (each backend's last reading minus its first; a backend that appears
    during the run starts from 0), sampled every 0.2 s."""

    def __init__(self, pid: int, *, database_url: str):
        super().__init__(daemon=True)
        self.pid, self.peak, self._stop_event = pid, 0, threading.Event()
        self.database_url = database_url
        self.backends: dict[int, list[float]] = {pid: [_cpu_seconds([pid])] * 2 for pid in _backend_pids(database_url)}

    def _sample(self) -> None:
        self.peak = max(self.peak, _tree_rss_kb(self.pid))
        for backend in _backend_pids(self.database_url):
            self.backends.setdefault(backend, [0.0, 0.0])
        for backend, readings in self.backends.items():
            if Path(f"/proc/{backend}").exists():
                readings[1] = _cpu_seconds([backend])

    def run(self) -> None:
        while not self._stop_event.is_set():
            self._sample()
            self._stop_event.wait(0.2)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self._sample()

    @property
    def backend_cpu(self) -> float:
        return sum(last - first for first, last in self.backends.values())


def _tree_pids(pid: int) -> list[int]:
    """A process and its children (gunicorn's master and workers)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *(int(c) for c in children)]


def _cpu_seconds(pids) -> float:
    """User + system CPU seconds the processes have used (/proc/PID/stat; gone processes count 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def _backend_pids(database_url: str) -> list[int]:
    """The PostgreSQL backends connected to the benchmark's database (when the server is local)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [row[0] for row in rows]


def _tree_rss_kb(pid: int) -> int:
    total = 0
    for one in _tree_pids(pid):
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total
