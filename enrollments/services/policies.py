"""Shared access policies of the service API (dps-reference §3): create, regenerate keys, delete.

The default policy `provisioningserviceowner` (all rights) is created on first use by
`SharedAccessPolicy.objects.ensure_owner()` and cannot be deleted, so the service always has a
way in. Keys are base64 of 32 random bytes (enrollments.sas.generate_policy_key).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .. import validators
from ..exceptions import NEEDS_A_RIGHT
from ..models import SharedAccessPolicy, new_etag
from ..sas import generate_policy_key
from . import etags

ALREADY_EXISTS = "A shared access policy named “{name}” already exists."
OWNER_UNDELETABLE = "The provisioningserviceowner policy cannot be deleted; regenerate its keys instead."
KEY_SLOTS = ("primary", "secondary")
BAD_NAME = validators.POLICY_NAME_INVALID


def check_policy_name(name: str) -> None:
    """Raise ValidationError (BAD_NAME) unless `name` is 1–64 letters, digits, `- . _`."""
    validators.validate_policy_name(name)


def _apply(
    errors: dict[str, list[str]],
    policy: SharedAccessPolicy,
    *,
    name: str,
    rights: list[str],
    primary_key: str,
    secondary_key: str,
) -> None:
    """Set name, rights and typed keys on `policy`, collecting what is wrong in `errors`."""
    unknown = [r for r in rights if r not in SharedAccessPolicy.RIGHTS]
    if unknown:
        errors["rights"] = [f"Unknown permission: {', '.join(unknown)}."]
    elif not rights:
        errors["rights"] = [NEEDS_A_RIGHT]
    policy.name = (name or "").strip()
    for right, field in SharedAccessPolicy.RIGHTS.items():
        setattr(policy, field, right in rights)
    try:
        check_policy_name(policy.name)
    except ValidationError as exc:
        errors["name"] = exc.messages
    if "name" not in errors:
        taken = SharedAccessPolicy.objects.filter(name__iexact=policy.name)
        if policy.pk is not None:
            taken = taken.exclude(pk=policy.pk)
        if taken.exists():
            errors["name"] = [ALREADY_EXISTS.format(name=policy.name)]
    for field, key in (("primary_key", primary_key), ("secondary_key", secondary_key)):
        if not key:
            continue
        try:
            validators.validate_symmetric_key(key)
        except ValidationError as exc:
            errors[field] = exc.messages
        else:
            setattr(policy, field, key)


def _save(policy: SharedAccessPolicy, save) -> None:
    try:
        with transaction.atomic():
            save()
    except IntegrityError as exc:
        raise ValidationError({"name": [ALREADY_EXISTS.format(name=policy.name)]}) from exc


@transaction.atomic
def shared_access_policy_create(
    *, name: str, rights: list[str], primary_key: str = "", secondary_key: str = ""
) -> SharedAccessPolicy:
    """Create a policy with the given DPS rights (e.g. ["EnrollmentRead"]); keys left blank are
    generated, typed ones must be base64 of 16–64 bytes.

    Raises ValidationError keyed `name` (invalid or taken), `rights` (none or unknown),
    `primary_key` / `secondary_key`.
    """
    errors: dict[str, list[str]] = {}
    policy = SharedAccessPolicy()
    _apply(errors, policy, name=name, rights=rights, primary_key=primary_key, secondary_key=secondary_key)
    if errors:
        raise ValidationError(errors)
    _save(policy, policy.save)
    return policy


POLICY_CHANGED = (
    "Someone else changed this shared access policy after you opened it (for example regenerated a key), so your "
    "changes were not saved. Open the current version, then apply them again."
)
OWNER_NAME_FIXED = "The provisioningserviceowner policy cannot be renamed."


@transaction.atomic
def shared_access_policy_update(
    *,
    policy: SharedAccessPolicy,
    expected_etag: str | None,
    name: str,
    rights: list[str],
    primary_key: str = "",
    secondary_key: str = "",
) -> SharedAccessPolicy:
    """Change a policy's name, rights and keys (blank keeps a key; a typed one must be base64 of
    16–64 bytes). provisioningserviceowner keeps its name.

    The write is conditional on `expected_etag` (None: any) and sets a new etag. Returns the saved
    policy. Raises ValidationError keyed like shared_access_policy_create, or EtagMismatchError
    (POLICY_CHANGED) when someone changed or deleted it in between.
    """
    current = etags.locked_current(SharedAccessPolicy, policy.pk, expected_etag=expected_etag, message=POLICY_CHANGED)
    errors: dict[str, list[str]] = {}
    is_owner = current.name.lower() == SharedAccessPolicy.OWNER_NAME
    if is_owner and (name or "").strip().lower() != SharedAccessPolicy.OWNER_NAME:
        errors["name"] = [OWNER_NAME_FIXED]
        name = current.name
    _apply(errors, current, name=name, rights=rights, primary_key=primary_key, secondary_key=secondary_key)
    if errors:
        raise ValidationError(errors)
    _save(current, lambda: etags.save_if_unchanged(current, message=POLICY_CHANGED))
    return current


@transaction.atomic
def shared_access_policy_regenerate_key(*, policy: SharedAccessPolicy, slot: str) -> SharedAccessPolicy:
    """Replace the policy's primary or secondary key (`slot`) with a new random key.

    Tokens signed with the old key stop working at once. Raises ValueError for an unknown slot.
    """
    if slot not in KEY_SLOTS:
        raise ValueError(f"unknown key slot {slot!r}")
    setattr(policy, f"{slot}_key", generate_policy_key())
    policy.etag = new_etag()
    policy.save(update_fields=[f"{slot}_key", "etag"])
    return policy


@transaction.atomic
def shared_access_policy_delete(*, policy: SharedAccessPolicy) -> None:
    """Delete a policy other than provisioningserviceowner (ValidationError for the owner)."""
    if policy.name.lower() == SharedAccessPolicy.OWNER_NAME:
        raise ValidationError(OWNER_UNDELETABLE)
    policy.delete()
