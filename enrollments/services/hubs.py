"""Linked IoT hubs: link by connection string, change, unlink (dps-reference §5.1, §6).

A hub is linked with its IoT hub connection string (`HostName=…;SharedAccessKeyName=…;SharedAccessKey=…`),
a location, an allocation weight (1–1000, default 1) and whether the allocation policy applies
(default true). The host name identifies the hub and is unique ignoring case; at most
`settings.DPS_MAX_LINKED_HUBS` (50) hubs may be linked. A hub cannot be unlinked while an
enrollment targets it (the through tables are PROTECT); the refusal names those enrollments.

The shared access key is a secret: messages raised here never contain it (the parser's message
that quotes a malformed part is replaced by a generic one, since that part may be the key).

Errors are django ValidationError with a field -> messages dict. Keys: `connection_string` (every
problem with the string or the host name it names), `location`, `allocation_weight`,
`apply_allocation_policy`, `__all__` (quota).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from ..connection_strings import parse_iot_hub_connection_string
from ..exceptions import InvalidConnectionStringError
from ..models import EnrollmentGroup, IndividualEnrollment, LinkedIotHub
from . import etags, quotas

ALREADY_LINKED = "The IoT hub “{host}” is already linked."
NOT_A_PART = (
    "Part of the connection string is not a Name=value pair. A connection string looks like "
    "HostName=…;SharedAccessKeyName=…;SharedAccessKey=…"
)
HOST_NAME_CHANGED = (
    "This connection string is for “{new}”, not “{old}”. To use a different IoT hub, link it and unlink this one."
)
HUB_IN_USE = (
    "The IoT hub “{host}” cannot be unlinked while enrollments target it: {names}. Remove it from {them} first."
)
REQUIRED = "This field is required."

# Field names that map one-to-one onto the connection string (host-name errors belong to it).
_CONNECTION_STRING_FIELDS = ("host_name", "shared_access_key_name", "shared_access_key")


def _apply_connection_string(errors: dict[str, list[str]], hub: LinkedIotHub, connection_string: str) -> None:
    try:
        parsed = parse_iot_hub_connection_string(connection_string)
    except InvalidConnectionStringError as exc:
        message = str(exc)
        if "is not a Name=value part" in message:  # that message quotes the input, which may be the key
            message = NOT_A_PART
        errors.setdefault("connection_string", []).append(message)
        return
    if hub.pk is not None and hub.host_name and parsed.host_name.lower() != hub.host_name.lower():
        errors.setdefault("connection_string", []).append(
            HOST_NAME_CHANGED.format(new=parsed.host_name, old=hub.host_name)
        )
        return
    hub.host_name = parsed.host_name
    hub.shared_access_key_name = parsed.shared_access_key_name
    hub.shared_access_key = parsed.shared_access_key


def linked_iot_hub_check(*, hub: LinkedIotHub, connection_string: str | None) -> None:
    """Validate `hub` (new or existing, not saved here) with the same rules as linking in the portal.

    `connection_string`: the pasted IoT hub connection string; required for a new hub; None or ""
    on an existing hub keeps its stored one (an existing hub's string may be replaced by one for
    the same host name, e.g. after a key rotation). The parsed parts are set on `hub`.
    Checks: the string parses; host name unique ignoring case; the linked-hub quota (new hubs);
    model field validators (weight 1–1000, location length).
    Raises ValidationError keyed as described in the module docstring.
    """
    errors: dict[str, list[str]] = {}
    if connection_string:
        _apply_connection_string(errors, hub, connection_string)
    elif hub.pk is None:
        errors.setdefault("connection_string", []).append(REQUIRED)
    if hub.pk is None:
        try:
            quotas.check_linked_hub_quota()
        except ValidationError as exc:
            errors.setdefault("__all__", []).extend(exc.messages)
    try:
        hub.full_clean(validate_constraints=False, validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            key = "connection_string" if field in _CONNECTION_STRING_FIELDS else field
            # A missing host name is already reported by the parser.
            if key == "connection_string" and errors.get("connection_string"):
                continue
            errors.setdefault(key, []).extend(messages)
    if hub.host_name and not errors.get("connection_string"):
        duplicates = LinkedIotHub.objects.filter(host_name__iexact=hub.host_name)
        if hub.pk is not None:
            duplicates = duplicates.exclude(pk=hub.pk)
        if duplicates.exists():
            errors.setdefault("connection_string", []).append(ALREADY_LINKED.format(host=hub.host_name))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def linked_iot_hub_create(
    *,
    connection_string: str,
    location: str = "",
    allocation_weight: int | None = None,
    apply_allocation_policy: bool = True,
) -> LinkedIotHub:
    """Link an IoT hub. `allocation_weight` None means the default (1).

    Returns the saved LinkedIotHub. Raises ValidationError (see linked_iot_hub_check); a lost race
    on the unique host name becomes the same `connection_string` error, never an IntegrityError.
    """
    hub = LinkedIotHub(location=(location or "").strip(), apply_allocation_policy=apply_allocation_policy)
    if allocation_weight is not None:
        hub.allocation_weight = allocation_weight
    linked_iot_hub_check(hub=hub, connection_string=connection_string)
    try:
        with transaction.atomic():
            hub.save()
    except IntegrityError as exc:
        raise ValidationError({"connection_string": [ALREADY_LINKED.format(host=hub.host_name)]}) from exc
    return hub


def enrollments_targeting(hub: LinkedIotHub) -> list[str]:
    """Names of the enrollments that list `hub` among their target hubs: groups by name, then
    individual enrollments by registration ID."""
    groups = EnrollmentGroup.objects.filter(iot_hubs=hub).order_by("enrollment_group_id")
    individuals = IndividualEnrollment.objects.filter(iot_hubs=hub).order_by("registration_id")
    return [f"enrollment group “{g}”" for g in groups.values_list("enrollment_group_id", flat=True)] + [
        f"individual enrollment “{r}”" for r in individuals.values_list("registration_id", flat=True)
    ]


def _in_use_error(hub: LinkedIotHub, names: list[str]) -> ValidationError:
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return ValidationError(
        HUB_IN_USE.format(host=hub.host_name, names=shown, them="it" if len(names) == 1 else "them"),
        code="protected",
    )


@transaction.atomic
def linked_iot_hub_delete(*, hub: LinkedIotHub) -> None:
    """Unlink an IoT hub.

    Raises ValidationError (code `protected`, a message naming the enrollments) while any
    enrollment targets it; the database's PROTECT is the backstop for a concurrent write.
    """
    names = enrollments_targeting(hub)
    if names:
        raise _in_use_error(hub, names)
    try:
        with transaction.atomic():
            hub.delete()
    except ProtectedError as exc:
        raise _in_use_error(hub, enrollments_targeting(hub) or ["an enrollment"]) from exc


HUB_CHANGED = (
    "Someone else changed this linked IoT hub after you opened it, so your changes were not saved. "
    "Open the current version, then apply them again."
)


@transaction.atomic
def linked_iot_hub_update(
    *,
    hub: LinkedIotHub,
    expected_etag: str | None,
    connection_string: str | None = None,
    location: str = "",
    allocation_weight: int | None = None,
    apply_allocation_policy: bool = True,
) -> LinkedIotHub:
    """Change a linked hub's location, allocation weight and whether the allocation policy applies;
    a `connection_string` (None or "": keep the stored one) must name the same host (a rotated key).

    The write is conditional on `expected_etag` (the etag the editor opened the hub with; None:
    any) and sets a new etag. Returns the saved hub. Raises ValidationError (see
    linked_iot_hub_check), or EtagMismatchError (HUB_CHANGED) when someone changed or unlinked it
    in between.
    """
    current = etags.locked_current(LinkedIotHub, hub.pk, expected_etag=expected_etag, message=HUB_CHANGED)
    current.location = (location or "").strip()
    if allocation_weight is not None:
        current.allocation_weight = allocation_weight
    current.apply_allocation_policy = bool(apply_allocation_policy)
    linked_iot_hub_check(hub=current, connection_string=connection_string)
    etags.save_if_unchanged(current, message=HUB_CHANGED)
    return current
