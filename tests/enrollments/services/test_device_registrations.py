"""The device registration service (enrollments/services/device_registrations.py): one record per
device under concurrent registrations (threads and processes, on the file SQLite test database and
on PostgreSQL), state shared between processes (operations, poll counters), constant query counts."""

import json
import textwrap
import threading

import pytest
from django.db import connections
from django.test import Client

from enrollments.models import DeviceOperation, DevicePollWindow, ProvisioningService, RegistrationRecord
from enrollments.services import device_registrations
from tests.devices import device_token, group_device_key, operation_path, register_path
from tests.factories import EnrollmentGroupFactory, IndividualEnrollmentFactory, LinkedIotHubFactory


def _fleet(groups: int = 1):
    LinkedIotHubFactory(host_name="hub-a.azure-devices.net")
    LinkedIotHubFactory(host_name="hub-b.azure-devices.net")
    scope = ProvisioningService.objects.get_current().id_scope
    made = [EnrollmentGroupFactory(enrollment_group_id=f"fleet-{n}") for n in range(groups)]
    return scope, made


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_device_in_threads_leave_one_record():
    scope, (group,) = _fleet()
    key = group_device_key(group.primary_key, "race-dev")
    start = threading.Barrier(4, timeout=10)
    results: list = []

    def register() -> None:
        try:
            start.wait()
            response = Client().put(
                register_path(scope, "race-dev"),
                data=json.dumps({"registrationId": "race-dev"}),
                content_type="application/json",
                headers={"Authorization": device_token(scope, "race-dev", key)},
            )
            results.append((response.status_code, response.json().get("status")))
        except BaseException as exc:  # noqa: BLE001 - recorded and checked
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [(200, "assigned")] * 4
    assert RegistrationRecord.objects.count() == 1
    assert DeviceOperation.objects.count() == 4
    record = RegistrationRecord.objects.get()
    assert record.substatus == "initialAssignment" and record.enrollment_group == group


REGISTER_LOOP = textwrap.dedent(
    """
    import os, time
    from enrollments.models import ProvisioningService
    from enrollments.services import device_registrations as d
    from tests.devices import device_token
    scope = ProvisioningService.objects.get_current().id_scope
    key = {key!r}
    print("ready", flush=True)
    while not os.path.exists({go!r}):
        time.sleep(0.005)
    for _ in range({count}):
        service = ProvisioningService.objects.get_current()
        enrollment = d.authenticate_device(
            id_scope=scope, registration_id="proc-dev", authorization=device_token(scope, "proc-dev", key)
        )
        d.register_device(service=service, registration_id="proc-dev", enrollment=enrollment)
    print("done", flush=True)
    """
)


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_device_in_two_processes_leave_one_record(helper_process, tmp_path):
    scope, (group,) = _fleet()
    key = group_device_key(group.primary_key, "proc-dev")
    go = tmp_path / "go"
    code = REGISTER_LOOP.format(key=key, count=15, go=str(go))
    procs = [helper_process("shell", "-c", code, ready="ready", timeout=120) for _ in range(2)]
    go.touch()  # both start registering at once
    outputs = []
    for proc in procs:
        output, _ = proc.communicate(timeout=180)
        outputs.append(output)
        assert proc.returncode == 0, output
    assert all("done" in output for output in outputs)
    assert RegistrationRecord.objects.count() == 1
    assert DeviceOperation.objects.count() == 30
    assert RegistrationRecord.objects.get().status == "assigned"


POLL = textwrap.dedent(
    """
    from django.test import Client
    from tests.devices import device_token, operation_path
    client = Client(SERVER_NAME="127.0.0.1")
    for _ in range({polls}):
        response = client.get(
            operation_path({scope!r}, "poll-dev", {operation_id!r}),
            headers={{"Authorization": device_token({scope!r}, "poll-dev", {key!r})}},
        )
        print("poll", response.status_code, response.json().get("status"), response.headers.get("Retry-After"))
    """
)


@pytest.mark.django_db(transaction=True)
def test_a_poll_is_answered_by_a_second_process_and_the_throttle_counts_across_processes(helper_process, settings):
    # A window long enough that the child's start-up (seconds on a loaded machine) stays inside it.
    settings.DPS_DEVICE_POLL_WINDOW = 600
    scope, _ = _fleet(0)
    enrollment = IndividualEnrollmentFactory(registration_id="poll-dev")
    token = device_token(scope, "poll-dev", enrollment.primary_key)
    response = Client().put(
        register_path(scope, "poll-dev"),
        data=json.dumps({"registrationId": "poll-dev"}),
        content_type="application/json",
        headers={"Authorization": token},
    )
    operation_id = response.json()["operationId"]
    for _ in range(3):  # this process polls three times ...
        poll = Client().get(operation_path(scope, "poll-dev", operation_id), headers={"Authorization": token})
        assert poll.status_code == 200
    code = POLL.format(scope=scope, operation_id=operation_id, key=enrollment.primary_key, polls=3)
    proc = helper_process("shell", "-c", code, env={"DPS_DEVICE_POLL_WINDOW": "600"})
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    lines = [line.split() for line in output.splitlines() if line.startswith("poll ")]
    # ... the other process answers the same operation, and its third poll is the sixth in the window.
    assert [line[1:3] for line in lines] == [["200", "assigned"], ["200", "assigned"], ["429", "None"]], output
    assert 1 <= int(lines[2][3]) <= settings.DPS_DEVICE_POLL_WINDOW
    assert DevicePollWindow.objects.get().polls == 6


@pytest.mark.django_db
def test_a_group_registration_costs_the_same_queries_for_1_and_20_groups():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    scope, groups = _fleet(1)
    for total in (1, 20):
        while len(groups) < total:
            groups.append(EnrollmentGroupFactory(enrollment_group_id=f"more-{len(groups)}"))
        rid = f"q-dev-{total}"
        key = group_device_key(groups[-1].primary_key, rid)
        service = ProvisioningService.objects.get_current()
        with CaptureQueriesContext(connection) as queries:
            enrollment = device_registrations.authenticate_device(
                id_scope=scope, registration_id=rid, authorization=device_token(scope, rid, key)
            )
            device_registrations.register_device(service=service, registration_id=rid, enrollment=enrollment)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 14, counts
