from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dps_portal import server_certificates

from .. import selectors

CERTIFICATES_UNUSABLE = "The device endpoint's certificate files cannot be used: {reason}"


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Overview: service name, ID scope, endpoints (service, device host, HTTPS device endpoint), counts."""
    return render(request, "enrollments/overview.html", {"counts": selectors.overview_counts()})


@login_required
@require_GET
def server_ca_certificate(request: HttpRequest) -> HttpResponse:
    """`Download server CA certificate`: the PEM devices trust for the device endpoint (the local CA's
    certificate, generated on first use, or the operator's DPS_TLS_CA_FILE / top of the chain).
    Never a private key. 503 with the reason when the operator's files cannot be used."""
    try:
        pem = server_certificates.ca_certificate_pem(server_certificates.configured_files(settings))
    except (server_certificates.ServerCertificateError, OSError, ValueError) as exc:
        return HttpResponse(CERTIFICATES_UNUSABLE.format(reason=exc), status=503, content_type="text/plain")
    response = HttpResponse(pem, content_type="application/x-pem-file")
    filename = "".join(c for c in f"{settings.DPS_SERVICE_NAME}-server-ca.pem" if c.isalnum() or c in "-._")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
