from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.db.models.signals import post_migrate


def check_client_locations(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check: DPS_CLIENT_LOCATIONS parses (`Lowest latency` reads it on every registration),
    so a typo stops the server's start with the reason instead of failing devices."""
    from .allocation import parse_client_locations

    try:
        parse_client_locations(settings.DPS_CLIENT_LOCATIONS)
    except ValueError as exc:
        return [checks.Error(str(exc), id="enrollments.E001")]
    return []


def ensure_service_records(sender, using="default", **kwargs) -> None:
    """After `migrate` (first run): the provisioning service (its ID scope) and the default
    shared access policy `provisioningserviceowner` exist. Code still never assumes they do."""
    from .models import ProvisioningService, SharedAccessPolicy

    ProvisioningService.objects.db_manager(using).get_current()
    SharedAccessPolicy.objects.db_manager(using).ensure_owner()


class EnrollmentsConfig(AppConfig):
    """Enrollments, linked IoT hubs, CA certificates and registration records of the service."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "enrollments"
    verbose_name = "Device provisioning"

    def ready(self) -> None:
        checks.register(check_client_locations)
        post_migrate.connect(ensure_service_records, sender=self, dispatch_uid="enrollments.ensure_service_records")
