"""Shared access policies of the service API (dps-reference §3): create, regenerate keys, delete.

The default policy `provisioningserviceowner` (all rights) is created on first use by
`SharedAccessPolicy.objects.ensure_owner()` and cannot be deleted, so the service always has a
way in. Keys are base64 of 32 random bytes (enrollments.sas.generate_policy_key).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .. import validators
from ..exceptions import NEEDS_A_RIGHT
from ..models import SharedAccessPolicy
from ..sas import generate_policy_key

ALREADY_EXISTS = "A shared access policy named “{name}” already exists."
OWNER_UNDELETABLE = "The provisioningserviceowner policy cannot be deleted; regenerate its keys instead."
KEY_SLOTS = ("primary", "secondary")
BAD_NAME = validators.POLICY_NAME_INVALID


def check_policy_name(name: str) -> None:
    """Raise ValidationError (BAD_NAME) unless `name` is 1–64 letters, digits, `- . _`."""
    validators.validate_policy_name(name)


@transaction.atomic
def shared_access_policy_create(*, name: str, rights: list[str]) -> SharedAccessPolicy:
    """Create a policy with fresh keys and the given DPS rights (e.g. ["EnrollmentRead"]).

    Raises ValidationError keyed `name` (invalid or taken) or `rights` (none or unknown).
    """
    errors: dict[str, list[str]] = {}
    unknown = [r for r in rights if r not in SharedAccessPolicy.RIGHTS]
    if unknown:
        errors["rights"] = [f"Unknown permission: {', '.join(unknown)}."]
    elif not rights:
        errors["rights"] = [NEEDS_A_RIGHT]
    policy = SharedAccessPolicy(name=(name or "").strip())
    for right, field in SharedAccessPolicy.RIGHTS.items():
        setattr(policy, field, right in rights)
    try:
        check_policy_name(policy.name)
    except ValidationError as exc:
        errors["name"] = exc.messages
    if "name" not in errors and SharedAccessPolicy.objects.filter(name__iexact=policy.name).exists():
        errors["name"] = [ALREADY_EXISTS.format(name=policy.name)]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError as exc:
        raise ValidationError({"name": [ALREADY_EXISTS.format(name=policy.name)]}) from exc
    return policy


@transaction.atomic
def shared_access_policy_regenerate_key(*, policy: SharedAccessPolicy, slot: str) -> SharedAccessPolicy:
    """Replace the policy's primary or secondary key (`slot`) with a new random key.

    Tokens signed with the old key stop working at once. Raises ValueError for an unknown slot.
    """
    if slot not in KEY_SLOTS:
        raise ValueError(f"unknown key slot {slot!r}")
    setattr(policy, f"{slot}_key", generate_policy_key())
    policy.save(update_fields=[f"{slot}_key"])
    return policy


@transaction.atomic
def shared_access_policy_delete(*, policy: SharedAccessPolicy) -> None:
    """Delete a policy other than provisioningserviceowner (ValidationError for the owner)."""
    if policy.name.lower() == SharedAccessPolicy.OWNER_NAME:
        raise ValidationError(OWNER_UNDELETABLE)
    policy.delete()
