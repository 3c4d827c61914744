"""Device registrations: the device API's one write path (dps-reference §4.1, §5, §6).

A device's register call goes through three steps, all state in the database so any worker or
process may answer any call of the same device:

1. `authenticate_device` (reads only): the device SAS token (attestation/device_sas.py) against the
   individual enrollment of the registration ID when there is one (its primary or secondary key;
   it decides, even when it is disabled), otherwise against every symmetric-key enrollment group's
   derived keys, loaded in one query. A refusal raises DeviceAuthenticationError and writes nothing.
2. `register_device`: allocation (allocation.py: the enrollment's policy, else the service default;
   `Lowest latency` locates the client by DPS_CLIENT_LOCATIONS) and reprovisioning
   (reprovisioning.py, from the device's current record), then one transaction that upserts the
   device's registration record and stores the operation (`DeviceOperation`). Every outcome gets a
   record: `assigned`, `disabled` (disabled enrollment), `failed` (no hub to assign, custom
   allocation, which is not available yet). Exactly one record per device under concurrent
   registrations: the transaction first takes the device's lock (PostgreSQL: an advisory
   transaction lock on the registration ID; SQLite: every transaction is BEGIN IMMEDIATE, so
   writers are serialised), then reads the record, so a second call sees what the first wrote.
   A new record takes a slot of the registrations quota (DPS_MAX_REGISTRATIONS; quotas.py).
3. `count_poll`: the operation-status throttle, 5 polls per 10 s per device (DPS_DEVICE_POLL_LIMIT
   per DPS_DEVICE_POLL_WINDOW seconds), one atomic upsert of the device's `DevicePollWindow` row.

Queries per registration are a fixed number whatever the number of enrollments, groups or hubs:
service, individual enrollment, (no individual) all symmetric-key groups' keys and the matched
group, the linked hubs, then lock, record, (new record) quota lock and count, record write and
operation insert.
"""

import functools
import math
import secrets
import time
import uuid
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ..allocation import (
    AllocationError,
    CustomAllocationUnavailable,
    HubCandidate,
    candidate_hubs,
    choose_hub,
    client_location,
    parse_client_locations,
)
from ..attestation.device_sas import (
    DeviceAuthenticationError,
    GroupKeys,
    check_device_token,
    match_group,
    parse_device_token,
    verify_device_keys,
)
from ..choices import AllocationPolicy, AttestationType, RegistrationStatus
from ..expressions import SortKey
from ..models import (
    DeviceOperation,
    DevicePollWindow,
    EnrollmentGroup,
    IndividualEnrollment,
    LinkedIotHub,
    ProvisioningService,
    RegistrationRecord,
    new_etag,
)
from ..reprovisioning import decide
from . import quotas

# errorCode values of a `failed` registration record (ours, in DPS's HTTP status × 1000 + n scheme).
NO_HUB_CODE = 400208
ALLOCATION_FAILED_CODE = 400209
CUSTOM_ALLOCATION_CODE = 501001

NO_HUB = (
    "No IoT hub to assign this device to: link an IoT hub (Linked IoT hubs) or select one of the linked "
    "hubs on the enrollment (hubs with Apply allocation policy off are left out of allocation)."
)
NOT_SYMMETRIC_INDIVIDUAL = (
    "The individual enrollment for registration ID “{registration_id}” uses {attestation} attestation, "
    "not a symmetric key: register this device with its {attestation} credentials."
)
GROUP_GONE = "The enrollment group that signed this token was just deleted. Register again."

# PostgreSQL advisory lock space of device registrations (the first of its two 32-bit keys).
_DEVICE_LOCK_CLASS = 0x0D95


class UnknownIdScopeError(DeviceAuthenticationError):
    """The path's ID scope is not this provisioning service's."""


@dataclass(frozen=True)
class RegistrationOutcome:
    """What one register call did: the stored operation and the device's record (after the write)."""

    operation: DeviceOperation
    record: RegistrationRecord


# --- reads of one registration (the service layer reads its own rows) --------------------------------


def _individual_enrollment(registration_id: str) -> IndividualEnrollment | None:
    """The individual enrollment for a device's registration ID (any case), or None.

    Most registering devices belong to a group and have none: that answer comes from one plain
    statement on the `LOWER(registration_id)` unique index (as models.with_name compares), without
    building an ORM query; only a found enrollment is then loaded whole."""
    if "\x00" in registration_id:
        return None
    table = connection.ops.quote_name(IndividualEnrollment._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE LOWER(registration_id) = LOWER(%s) LIMIT 1", [registration_id])
        row = cursor.fetchone()
    return IndividualEnrollment.objects.filter(pk=row[0]).first() if row else None


def _symmetric_key_group_keys() -> list[GroupKeys]:
    """Every symmetric-key enrollment group's keys (at most DPS_MAX_SYMMETRIC_KEY_GROUPS, 100), in one
    statement: `GroupKeys(key=<group pk>, primary_key, secondary_key)`, disabled groups included
    (their devices get status `disabled`)."""
    table = connection.ops.quote_name(EnrollmentGroup._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, primary_key, secondary_key FROM {table} WHERE attestation_type = %s ORDER BY id",
            [AttestationType.SYMMETRIC_KEY.value],
        )
        rows = cursor.fetchall()
    return [GroupKeys(key=pk, primary_key=primary, secondary_key=secondary) for pk, primary, secondary in rows]


def _hub_candidates(
    enrollment: EnrollmentGroup | IndividualEnrollment,
) -> tuple[list[HubCandidate], list[HubCandidate]]:
    """(the enrollment's target hubs, all linked hubs) as allocation.HubCandidate lists, by host
    name, read in one query (at most DPS_MAX_LINKED_HUBS rows)."""
    through = type(enrollment).iot_hubs.through
    owner = "enrollment_group" if isinstance(enrollment, EnrollmentGroup) else "individual_enrollment"
    selected = through.objects.filter(**{owner: enrollment.pk}, linked_iot_hub=OuterRef("pk"))
    hubs = (
        LinkedIotHub.objects.annotate(selected=Exists(selected))
        .order_by("host_name")
        .values_list("host_name", "allocation_weight", "location", "apply_allocation_policy", "selected")
    )
    linked, chosen = [], []
    for host_name, weight, location, apply_policy, is_selected in hubs:
        candidate = HubCandidate(
            host_name=host_name, allocation_weight=weight, location=location, apply_allocation_policy=apply_policy
        )
        linked.append(candidate)
        if is_selected:
            chosen.append(candidate)
    return chosen, linked


def _record_of(registration_id: str) -> RegistrationRecord | None:
    return (
        RegistrationRecord.objects.annotate(sort_key=SortKey("registration_id"))
        .filter(sort_key=registration_id.lower())
        .first()
    )


# --- authentication (reads) ------------------------------------------------------------------------


def authenticate_device(
    *, id_scope: str, registration_id: str, authorization: str | None, now: int | None = None
) -> IndividualEnrollment | EnrollmentGroup:
    """The enrollment that attests this device's SAS token (`Authorization` header as sent).

    Raises DeviceAuthenticationError (a 401 `401002` for the device) when the token is missing,
    malformed, expired, for another resource, signed with none of the keys, signed with a group key
    itself, or verified by two groups' derived keys.
    """
    token = parse_device_token(authorization)
    check_device_token(
        token, id_scope=id_scope, registration_id=registration_id, now=now, max_lifetime=settings.DPS_MAX_SAS_LIFETIME
    )
    individual = _individual_enrollment(registration_id)
    if individual is not None:
        if individual.attestation_type != AttestationType.SYMMETRIC_KEY:
            raise DeviceAuthenticationError(
                NOT_SYMMETRIC_INDIVIDUAL.format(
                    registration_id=individual.registration_id, attestation=individual.get_attestation_type_display()
                )
            )
        verify_device_keys(token, keys=[individual.primary_key, individual.secondary_key])
        return individual
    match = match_group(token, registration_id=registration_id, groups=_symmetric_key_group_keys())
    group = EnrollmentGroup.objects.filter(pk=match.key).first()
    if group is None:
        raise DeviceAuthenticationError(GROUP_GONE)
    return group


# --- registration (the write) ----------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _client_locations(value: str):
    return parse_client_locations(value)


@dataclass(frozen=True)
class _Allocation:
    """Allocation's answer before the record is read: a hub, or a failure (code, message)."""

    hub: str = ""
    error_code: int | None = None
    error_message: str = ""


def _allocate(
    enrollment: IndividualEnrollment | EnrollmentGroup,
    *,
    service: ProvisioningService,
    registration_id: str,
    client_address: str,
) -> _Allocation:
    policy = enrollment.effective_allocation_policy(service)
    chosen, linked = _hub_candidates(enrollment)
    location = None
    if policy == AllocationPolicy.GEO_LATENCY and settings.DPS_CLIENT_LOCATIONS:
        location = client_location(client_address, _client_locations(settings.DPS_CLIENT_LOCATIONS))
    try:
        hub = choose_hub(
            policy=policy,
            registration_id=registration_id,
            candidates=candidate_hubs(enrollment_hubs=chosen, linked_hubs=linked),
            client_location=location,
        )
    except CustomAllocationUnavailable as exc:
        return _Allocation(error_code=CUSTOM_ALLOCATION_CODE, error_message=str(exc))
    except AllocationError as exc:
        return _Allocation(error_code=ALLOCATION_FAILED_CODE, error_message=str(exc))
    if hub is None:
        return _Allocation(error_code=NO_HUB_CODE, error_message=NO_HUB)
    return _Allocation(hub=hub.host_name)


def _record_fields(
    enrollment: IndividualEnrollment | EnrollmentGroup,
    allocation: _Allocation | None,
    previous: RegistrationRecord | None,
) -> dict:
    """The record's fields for this outcome (`allocation` None: the enrollment is disabled)."""
    is_group = isinstance(enrollment, EnrollmentGroup)
    fields = {
        "enrollment_group": enrollment if is_group else None,
        "enrollment_group_name": enrollment.enrollment_group_id if is_group else "",
        "individual_enrollment": None if is_group else enrollment,
        "attestation_type": AttestationType.SYMMETRIC_KEY,
        # Group devices' device ID is their registration ID (dps-reference §2).
        "device_id": enrollment.effective_device_id if not is_group else None,
        "payload": None,
        "initial_assigned_hub": previous.initial_assigned_hub if previous else "",
    }
    if allocation is None:
        return {**fields, "status": RegistrationStatus.DISABLED, "substatus": "", "assigned_hub": "",
                "error_code": None, "error_message": ""}  # fmt: skip
    if allocation.error_code is not None:
        return {**fields, "status": RegistrationStatus.FAILED, "substatus": "", "assigned_hub": "",
                "error_code": allocation.error_code, "error_message": allocation.error_message}  # fmt: skip
    previous_hub = previous.assigned_hub if previous and previous.status == RegistrationStatus.ASSIGNED else None
    decision = decide(
        policy=enrollment,
        previous_hub=previous_hub,
        allocated_hub=allocation.hub,
        previous_substatus=previous.substatus if previous else None,
        initial_hub=(previous.initial_assigned_hub or None) if previous else None,
    )
    return {
        **fields,
        "status": RegistrationStatus.ASSIGNED,
        "substatus": decision.substatus,
        "assigned_hub": decision.hub,
        "initial_assigned_hub": fields["initial_assigned_hub"] or decision.hub,
        "error_code": None,
        "error_message": "",
    }


def _lock_device(registration_id: str) -> None:
    """Hold this device's registration lock until the transaction ends (PostgreSQL; on SQLite the
    transaction's BEGIN IMMEDIATE already serialises writers)."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(registration_id.lower().encode("utf-8")) - 2**31
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_DEVICE_LOCK_CLASS, key])


def new_operation_id() -> str:
    """A fresh operation ID in DPS's shape (`5.<16 hex>.<uuid>`)."""
    return f"5.{secrets.token_hex(8)}.{uuid.uuid4()}"


def register_device(
    *,
    service: ProvisioningService,
    registration_id: str,
    enrollment: IndividualEnrollment | EnrollmentGroup,
    client_address: str = "",
) -> RegistrationOutcome:
    """Register an authenticated device (`enrollment` from `authenticate_device`): allocate,
    reprovision, upsert its record and store the operation, in one transaction.

    `registration_id` as the device sent it (a new record keeps that spelling; an existing one its
    own). `client_address`: the device's IP address (client_address.py), for `Lowest latency`.
    Raises django.core.exceptions.ValidationError (code `quota`) when the device has no record yet
    and the registrations quota is reached; nothing is written then.
    """
    allocation = (
        _allocate(enrollment, service=service, registration_id=registration_id, client_address=client_address)
        if enrollment.is_enabled
        else None
    )
    with transaction.atomic():
        _lock_device(registration_id)
        previous = _record_of(registration_id)
        fields = _record_fields(enrollment, allocation, previous)
        if fields["device_id"] is None:
            fields["device_id"] = previous.registration_id if previous else registration_id
        now = timezone.now()
        if previous is None:
            quotas.check_registration_quota()
            record = RegistrationRecord(
                registration_id=registration_id, created_date_time_utc=now, last_updated_date_time_utc=now, **fields
            )
            record.save(force_insert=True)
        else:
            fields.update(etag=new_etag(), last_updated_date_time_utc=now)
            RegistrationRecord.objects.filter(pk=previous.pk).update(**fields)
            for name, value in fields.items():
                setattr(previous, name, value)
            record = previous
        operation = DeviceOperation.objects.create(
            operation_id=new_operation_id(),
            registration_id=registration_id,
            registration_record=record,
            status=record.status,
            created_date_time_utc=now,
            last_updated_date_time_utc=now,
        )
    _sweep(now)
    return RegistrationOutcome(operation=operation, record=record)


def _sweep(now) -> None:
    """Now and then (one registration in 256), remove operations past DPS_DEVICE_OPERATION_LIFETIME
    and poll windows that ended, so neither table grows without bound."""
    if secrets.randbelow(256):
        return
    cutoff = now - timezone.timedelta(seconds=settings.DPS_DEVICE_OPERATION_LIFETIME)
    DeviceOperation.objects.filter(created_date_time_utc__lt=cutoff).delete()
    DevicePollWindow.objects.filter(window_started__lt=time.time() - settings.DPS_DEVICE_POLL_WINDOW).delete()


# --- the operation-status throttle ------------------------------------------------------------------


def count_poll(*, registration_id: str, now: float | None = None) -> int | None:
    """Count one operation-status poll of this device (any case) in its current window.

    Returns None when the poll is within DPS_DEVICE_POLL_LIMIT polls per DPS_DEVICE_POLL_WINDOW
    seconds, else the whole seconds until the window ends (the 429's `Retry-After`, at least 1).
    One statement (INSERT … ON CONFLICT DO UPDATE … RETURNING, on SQLite and PostgreSQL), so
    concurrent polls on any number of workers are all counted.
    """
    current = time.time() if now is None else now
    window = settings.DPS_DEVICE_POLL_WINDOW
    table = connection.ops.quote_name(DevicePollWindow._meta.db_table)
    sql = (
        f"INSERT INTO {table} (registration_key, window_started, polls) VALUES (%s, %s, 1) "
        f"ON CONFLICT (registration_key) DO UPDATE SET "
        f"polls = CASE WHEN {table}.window_started <= %s THEN 1 ELSE {table}.polls + 1 END, "
        f"window_started = CASE WHEN {table}.window_started <= %s THEN excluded.window_started "
        f"ELSE {table}.window_started END "
        f"RETURNING polls, window_started"
    )
    expired = current - window
    with connection.cursor() as cursor:
        cursor.execute(sql, [registration_id.lower(), current, expired, expired])
        polls, started = cursor.fetchone()
    if polls <= settings.DPS_DEVICE_POLL_LIMIT:
        return None
    return max(1, math.ceil(started + window - current))
