"""`manage.py simulate_devices`: N devices of a symmetric-key group register over the HTTPS device
API (the shared device TLS server on 127.0.12.1) with derived keys; progress bar, counts per hub."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from enrollments.attestation.symmetric_keys import generate_symmetric_key
from enrollments.models import RegistrationRecord
from enrollments.services.enrollments import enrollment_group_create
from enrollments.services.hubs import linked_iot_hub_create

pytestmark = pytest.mark.django_db(transaction=True)


def _link(host: str):
    key = generate_symmetric_key()
    return linked_iot_hub_create(
        connection_string=f"HostName={host};SharedAccessKeyName=iothubowner;SharedAccessKey={key}"
    )


def _simulate(server, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(
        "simulate_devices", *args, "--endpoint", server.url, "--ca", str(server.ca_file), stdout=out, stderr=err
    )
    return out.getvalue(), err.getvalue()


def test_devices_register_with_derived_keys_and_are_counted_per_hub(device_tls_server):
    _link("hub-east.azure-devices.net")
    _link("hub-west.azure-devices.net")
    enrollment_group_create(enrollment_group_id="fleet", attestation_type="symmetricKey")
    out, err = _simulate(device_tls_server, "--group", "FLEET", "--count", "24", "--concurrency", "4")

    records = RegistrationRecord.objects.filter(enrollment_group__enrollment_group_id="fleet")
    assert sorted(records.values_list("registration_id", flat=True)) == [f"fleet-device-{n:05d}" for n in range(1, 25)]
    assert set(records.values_list("status", flat=True)) == {"assigned"}
    per_hub = {
        hub: records.filter(assigned_hub=hub).count()
        for hub in ("hub-east.azure-devices.net", "hub-west.azure-devices.net")
    }
    assert sum(per_hub.values()) == 24 and all(per_hub.values())  # both hubs get devices
    assert "Registering 24 devices of “fleet”" in out and "24 registrations in" in out
    for hub, number in per_hub.items():
        assert f"  {hub}  {number}\n" in out
    assert "Not assigned" not in out
    frames = err.split("\r")
    assert frames[-1].startswith("[" + "#" * 30 + "] 24/24  ") and frames[-1].endswith("/s\n")  # the last frame


def test_a_group_without_hubs_reports_failed_devices_and_exits_1(device_tls_server):
    enrollment_group_create(enrollment_group_id="nowhere", attestation_type="symmetricKey")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="3 of 3 devices were not assigned") as raised:
        call_command(
            "simulate_devices", "--group", "nowhere", "--count", "3", "--prefix", "lost-", "--endpoint",
            device_tls_server.url, "--ca", str(device_tls_server.ca_file), stdout=out, stderr=err,
        )  # fmt: skip
    assert raised.value.returncode == 1
    assert "Not assigned:\n  failed (HTTP 200 400208): 3  No IoT hub to assign this device to" in out.getvalue()
    assert set(RegistrationRecord.objects.values_list("status", flat=True)) == {"failed"}


def test_the_secondary_key_and_a_start_number(device_tls_server):
    _link("hub-one.azure-devices.net")
    enrollment_group_create(enrollment_group_id="spares", attestation_type="symmetricKey")
    out, _ = _simulate(device_tls_server, "--group", "spares", "--count", "2", "--start", "41", "--secondary")
    assert sorted(RegistrationRecord.objects.values_list("registration_id", flat=True)) == [
        "spares-device-00041",
        "spares-device-00042",
    ]
    assert "  hub-one.azure-devices.net  2\n" in out


def test_an_unknown_group_or_a_bad_count_is_refused_with_the_reason(device_tls_server):
    enrollment_group_create(enrollment_group_id="known", attestation_type="symmetricKey")
    with pytest.raises(CommandError, match="No enrollment group is named “unknown” \\(groups: known\\)"):
        _simulate(device_tls_server, "--group", "unknown", "--count", "1")
    with pytest.raises(CommandError, match="--count 0: give how many devices to register"):
        _simulate(device_tls_server, "--group", "known", "--count", "0")
    assert RegistrationRecord.objects.count() == 0
