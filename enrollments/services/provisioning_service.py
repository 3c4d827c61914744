"""The provisioning service record: its name and default allocation policy (dps-reference §5.1).

The ID scope never changes (devices are configured with it) and the record is never deleted (a
new one would get a new scope); the portal creates it on first use (`ProvisioningService.objects.get_current`).
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import ProvisioningService


@transaction.atomic
def provisioning_service_update(
    *, service: ProvisioningService, name: str, allocation_policy: str
) -> ProvisioningService:
    """Rename the service and set its default allocation policy (any policy but `custom`).

    Returns the saved record. Raises ValidationError keyed `name` or `allocation_policy`.
    """
    current = ProvisioningService.objects.select_for_update().get(pk=service.pk)
    current.name = (name or "").strip()
    current.allocation_policy = allocation_policy
    try:
        current.full_clean(exclude=["id_scope"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    current.save(update_fields=["name", "allocation_policy"])
    return current
