from django.apps import AppConfig


class EnrollmentsConfig(AppConfig):
    """Enrollments, linked IoT hubs, CA certificates and registration records of the service."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "enrollments"
    verbose_name = "Device provisioning"
