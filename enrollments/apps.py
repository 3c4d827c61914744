from django.apps import AppConfig
from django.db.models.signals import post_migrate


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
        post_migrate.connect(ensure_service_records, sender=self, dispatch_uid="enrollments.ensure_service_records")
