"""Template context shared by every portal page."""

from django.http import HttpRequest

from .models import ProvisioningService


def provisioning_service(request: HttpRequest) -> dict:
    """`service`: the provisioning service (name, ID scope), only on portal pages."""
    if not request.path.startswith("/portal/"):
        return {}
    return {"service": ProvisioningService.objects.get_current()}
