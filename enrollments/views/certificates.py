"""Certificates pages: list, upload (add), details, proof of possession, delete.
Rules live in services/certificates.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import selectors
from ..forms.base import add_service_errors
from ..forms.certificates import CaCertificateForm, VerificationCertificateForm
from ..models import CaCertificate
from ..services import certificates as certificate_services
from ..web import found


@login_required
@require_GET
def certificate_list(request: HttpRequest) -> HttpResponse:
    """Uploaded CA certificates: name, subject, thumbprint, expiry, status."""
    certificates = selectors.ca_certificates()
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


def _render_detail(request: HttpRequest, certificate: CaCertificate, **context) -> HttpResponse:
    context.setdefault("verify_form", VerificationCertificateForm())
    pending = bool(
        certificate.verification_code
        and certificate.verification_code_expires_utc
        and certificate.verification_code_expires_utc > timezone.now()
    )
    response = render(
        request,
        "enrollments/certificate_detail.html",
        {"certificate": certificate, "code_pending": pending, "nav": "certificates", **context},
    )
    if context.get("verification_code"):
        # The one-time code is in this page only: never cache it.
        add_never_cache_headers(response)
    return response


@login_required
@require_GET
def certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One certificate: subject, issuer, SHA-1 and SHA-256 thumbprints, serial, validity, status;
    for an unverified one, `Generate verification code` and `Verify` (proof of possession)."""
    certificate = found(selectors.ca_certificate(pk), "certificate")
    return _render_detail(request, certificate)


@login_required
@require_POST
def certificate_generate_code(request: HttpRequest, pk: int) -> HttpResponse:
    """A new one-time verification code, shown once in the page that answers (only its digest is kept)."""
    certificate = found(selectors.ca_certificate(pk), "certificate")
    try:
        code = certificate_services.ca_certificate_generate_verification_code(certificate=certificate)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("enrollments:certificate_detail", pk=pk)
    return _render_detail(request, certificate, verification_code=code)


@login_required
@require_POST
def certificate_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload the verification certificate; Verified on success, else each cause next to the file field."""
    certificate = found(selectors.ca_certificate(pk), "certificate")
    form = VerificationCertificateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            certificate_services.ca_certificate_verify(certificate=certificate, data=form.certificate_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Certificate “{certificate.name}” is verified.")
            return redirect("enrollments:certificate_detail", pk=pk)
    return _render_detail(request, certificate, verify_form=form)


@login_required
@require_POST
def certificate_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a certificate (after the confirm dialog); refused with a message while groups use it."""
    certificate = found(selectors.ca_certificate(pk), "certificate")
    name = certificate.name
    try:
        certificate_services.ca_certificate_delete(certificate=certificate)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("enrollments:certificate_detail", pk=pk)
    messages.success(request, f"Deleted certificate “{name}”.")
    return redirect("enrollments:certificate_list")
