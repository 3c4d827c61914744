"""Template context shared by every portal page."""

from django.http import HttpRequest


def provisioning_service(request: HttpRequest) -> dict:
    """`service`: the provisioning service (name, ID scope), lazily, only on portal pages."""
    if not request.path.startswith("/portal/"):
        return {}
    from .models import ProvisioningService

    return {"service": ProvisioningService.objects.get_current()}
