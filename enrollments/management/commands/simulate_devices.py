"""`manage.py simulate_devices --group NAME --count N [--concurrency C]`: register N devices of a
symmetric-key enrollment group over the HTTPS device API, as real devices would.

Each device `{prefix}{n:05d}` (prefix default `{group}-device-`, n from `--start`, default 1) signs its
SAS token with the key derived from the group's primary key (`--secondary`: its secondary key;
dps-reference §4.1) and registers through the device endpoint over TLS (Overview's HTTPS device
endpoint, trusting only the server's CA certificate: the one `Download server CA certificate` gives),
C devices at a time. A progress bar runs on stderr; at the end the outcome counts per IoT hub are
printed (and every other outcome: failed, disabled, refused, with its error code). The exit status
is 1 when any device was not assigned. Running it again registers the same devices again
(reprovisioning, per the group's reprovision policy).
"""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dps_portal import server_certificates

from ... import selectors
from ...attestation.symmetric_keys import derive_device_key
from ...choices import AttestationType
from ...models import EnrollmentGroup, ProvisioningService
from ..device_client import DeviceClient, DeviceOutcome

WILDCARD_BINDS = ("", "0.0.0.0", "::", "[::]")


class ProgressBar:
    """`[#####.....] 512/1000  123/s` on a stream, redrawn at most 10 times a second."""

    def __init__(self, total: int, *, write, flush=lambda: None, width: int = 30):
        self.total, self._write, self._flush, self.width = total, write, flush, width
        self.done, self.started, self._drawn = 0, time.monotonic(), 0.0
        self._lock = threading.Lock()

    def advance(self) -> None:
        with self._lock:
            self.done += 1
            now = time.monotonic()
            if now - self._drawn >= 0.1 or self.done == self.total:
                self._drawn = now
                self.draw(now)

    def draw(self, now: float) -> None:
        filled = self.width * self.done // max(1, self.total)
        rate = self.done / max(now - self.started, 1e-9)
        self._write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}  {rate:.0f}/s")
        if self.done == self.total:
            self._write("\n")
        self._flush()


class Command(BaseCommand):
    help = "Register N devices of a symmetric-key enrollment group over the HTTPS device API (derived keys)."

    def add_arguments(self, parser):
        parser.add_argument("--group", required=True, help="the enrollment group's name")
        parser.add_argument("--count", type=int, required=True, help="how many devices to register")
        parser.add_argument("--concurrency", type=int, default=8, help="devices registering at once (default 8)")
        parser.add_argument("--prefix", default="", help="registration ID prefix (default: '{group}-device-')")
        parser.add_argument("--start", type=int, default=1, help="number of the first device (default 1)")
        parser.add_argument("--secondary", action="store_true", help="derive the keys from the group's secondary key")
        parser.add_argument(
            "--endpoint", default="", help="device endpoint URL (default: Overview's HTTPS device endpoint)"
        )
        parser.add_argument(
            "--connect", default="", help="address to connect to, when the endpoint's host name does not resolve here"
        )
        parser.add_argument("--ca", default="", help="CA certificate file to trust (default: the server's own)")

    def handle(self, *args, group: str, count: int, concurrency: int, prefix: str, start: int, **options):
        if count < 1:
            raise CommandError(f"--count {count}: give how many devices to register (1 or more).")
        if concurrency < 1:
            raise CommandError(f"--concurrency {concurrency}: give 1 or more.")
        enrollment_group = selectors.enrollment_by_name(EnrollmentGroup, group, related=False)
        if enrollment_group is None:
            names = ", ".join(g.enrollment_group_id for g in selectors.enrollment_group_list()[:10]) or "none yet"
            raise CommandError(f"No enrollment group is named “{group}” (groups: {names}).")
        if enrollment_group.attestation_type != AttestationType.SYMMETRIC_KEY:
            raise CommandError(
                f"Enrollment group “{enrollment_group.enrollment_group_id}” uses "
                f"{enrollment_group.get_attestation_type_display()} attestation: simulated devices need a "
                "symmetric-key group (their keys are derived from its key)."
            )
        service = ProvisioningService.objects.get_current()
        endpoint = options["endpoint"] or service.https_device_endpoint
        connect = options["connect"] or ("" if settings.DPS_DEVICE_BIND in WILDCARD_BINDS else settings.DPS_DEVICE_BIND)
        ca_pem = self._ca_pem(options["ca"])
        group_key = enrollment_group.secondary_key if options["secondary"] else enrollment_group.primary_key
        prefix = prefix or f"{enrollment_group.enrollment_group_id}-device-"
        registration_ids = [f"{prefix}{n:05d}" for n in range(start, start + count)]
        try:
            DeviceClient(endpoint, ca_pem=ca_pem)
        except ValueError as exc:
            raise CommandError(f"--endpoint: {exc}") from exc

        self.stdout.write(
            f"Registering {count} device{'s' if count != 1 else ''} of “{enrollment_group.enrollment_group_id}” "
            f"at {endpoint} (ID scope {service.id_scope}), {concurrency} at a time"
        )
        started = time.monotonic()
        outcomes = self._register_all(
            registration_ids,
            endpoint=endpoint,
            connect=connect,
            ca_pem=ca_pem,
            id_scope=service.id_scope,
            group_key=group_key,
            concurrency=concurrency,
        )
        elapsed = time.monotonic() - started
        self._report(outcomes, elapsed)
        not_assigned = sum(1 for o in outcomes if o.status != "assigned")
        if not_assigned:
            raise CommandError(f"{not_assigned} of {count} devices were not assigned (see above).", returncode=1)

    def _ca_pem(self, path: str) -> str:
        if path:
            try:
                return Path(path).read_text()
            except OSError as exc:
                raise CommandError(f"--ca {path}: {exc.strerror or exc}") from exc
        try:
            return server_certificates.ca_certificate_pem(server_certificates.configured_files(settings)).decode()
        except server_certificates.ServerCertificateError as exc:
            raise CommandError(f"The server's CA certificate cannot be read: {exc}") from exc

    def _register_all(self, registration_ids, *, endpoint, connect, ca_pem, id_scope, group_key, concurrency):
        local = threading.local()
        clients: list[DeviceClient] = []
        clients_lock = threading.Lock()
        progress = ProgressBar(
            len(registration_ids), write=lambda text: self.stderr.write(text, ending=""), flush=self.stderr.flush
        )

        def register(registration_id: str) -> DeviceOutcome:
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = DeviceClient(endpoint, ca_pem=ca_pem, connect_host=connect)
                with clients_lock:
                    clients.append(client)
            key = derive_device_key(group_key=group_key, registration_id=registration_id)
            try:
                return client.register(id_scope=id_scope, registration_id=registration_id, key=key)
            except OSError as exc:  # connection refused, TLS failure, timeout: an outcome, not a crash
                client.close()
                return DeviceOutcome(registration_id, "unreachable", 0, message=str(exc))
            finally:
                progress.advance()

        outcomes = []
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for future in as_completed([pool.submit(register, rid) for rid in registration_ids]):
                outcomes.append(future.result())
        for client in clients:
            client.close()
        return outcomes

    def _report(self, outcomes: list[DeviceOutcome], elapsed: float) -> None:
        per_hub = Counter(o.assigned_hub for o in outcomes if o.status == "assigned")
        others = Counter((o.status, o.http_status, o.error_code, o.message) for o in outcomes if o.status != "assigned")
        self.stdout.write(
            f"{len(outcomes)} registrations in {elapsed:.1f} s ({len(outcomes) / max(elapsed, 1e-9):.0f}/s)"
        )
        if per_hub:
            width = max(len(hub) for hub in per_hub)
            self.stdout.write("Assigned, per IoT hub:")
            for hub, number in sorted(per_hub.items(), key=lambda item: (-item[1], item[0])):
                self.stdout.write(f"  {hub:<{width}}  {number}")
        if others:
            self.stdout.write("Not assigned:")
            for (status, http_status, code, message), number in sorted(others.items(), key=lambda item: -item[1]):
                code_text = f" {code}" if code is not None else ""
                http_text = f"HTTP {http_status}" if http_status else "no answer"
                self.stdout.write(f"  {status} ({http_text}{code_text}): {number}  {message[:200]}")
