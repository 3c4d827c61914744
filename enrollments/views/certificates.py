"""Certificates pages: list, upload (add), details, delete. Rules live in services/certificates.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..forms_hubs import CaCertificateForm
from ..models import CaCertificate
from ..services import certificates as certificate_services
from .hubs import add_service_errors


@login_required
@require_GET
def certificate_list(request: HttpRequest) -> HttpResponse:
    """Uploaded CA certificates: name, subject, thumbprint, expiry, status."""
    certificates = CaCertificate.objects.order_by("name")
    return render(request, "enrollments/certificate_list.html", {"certificates": certificates, "nav": "certificates"})


@login_required
@require_http_methods(["GET", "POST"])
def certificate_add(request: HttpRequest) -> HttpResponse:
    """Upload a CA certificate under a name; refused files (private key, expired, …) get the
    parser's message next to the file field and nothing is stored."""
    if request.method == "POST":
        form = CaCertificateForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                certificate = certificate_services.ca_certificate_create(
                    name=form.cleaned_data["name"], data=form.certificate_data, verified=form.cleaned_data["verified"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Uploaded certificate “{certificate.name}”.")
                return redirect("enrollments:certificate_list")
    else:
        form = CaCertificateForm()
    return render(request, "enrollments/certificate_add.html", {"form": form, "nav": "certificates"})


@login_required
@require_GET
def certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One certificate: subject, issuer, SHA-1 and SHA-256 thumbprints, serial, validity, status."""
    certificate = get_object_or_404(CaCertificate, pk=pk)
    return render(request, "enrollments/certificate_detail.html", {"certificate": certificate, "nav": "certificates"})


@login_required
@require_POST
def certificate_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a certificate (after the confirm dialog); refused with a message while groups use it."""
    certificate = get_object_or_404(CaCertificate, pk=pk)
    name = certificate.name
    try:
        certificate_services.ca_certificate_delete(certificate=certificate)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("enrollments:certificate_detail", pk=pk)
    messages.success(request, f"Deleted certificate “{name}”.")
    return redirect("enrollments:certificate_list")
