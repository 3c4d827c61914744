"""Forms of the Certificates page (`Add certificate`, proof of possession). Rules live in services/certificates.py."""

from django import forms
from django.core.exceptions import ValidationError

from ..attestation.x509 import MAX_CERTIFICATE_BYTES
from ..models import CaCertificate
from ..services.certificates import ca_certificate_check
from .base import add_service_errors, embedded_helper


class CaCertificateForm(forms.Form):
    """Upload a CA certificate (ui-contract.md § Certificates)."""

    name = forms.CharField(
        label="Certificate name",
        max_length=256,
        help_text="Letters, digits, hyphens, periods and underscores.",
    )
    certificate = forms.FileField(
        label="Certificate .pem or .cer file",
        widget=forms.FileInput(attrs={"accept": ".pem,.cer,.crt"}),
        help_text="The CA certificate only (PEM or base64 .cer); never a private key.",
    )
    verified = forms.BooleanField(label="Set certificate status to verified on upload", required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.helper = embedded_helper()
        self.certificate_data: bytes = b""
        if self.is_bound:
            # Browsers never keep a chosen file when a page comes back with errors.
            self.fields["certificate"].help_text = "Choose the file again: the browser does not keep it after an error."

    def clean(self):
        """Read the file (one byte over the parser's limit is enough to refuse it) and run the
        service's checks, so every problem shows at once; the save re-checks."""
        data = super().clean()
        upload = data.get("certificate")
        if upload is not None:
            self.certificate_data = upload.read(MAX_CERTIFICATE_BYTES + 1)
        try:
            ca_certificate_check(
                certificate=CaCertificate(name=data.get("name") or self.data.get("name") or ""),
                data=self.certificate_data or None,
            )
        except ValidationError as exc:
            add_service_errors(self, exc, skip_failed_fields=True)
        return data


class VerificationCertificateForm(forms.Form):
    """Proof of possession of an uploaded CA certificate (ui-contract.md § Certificates): the
    certificate signed by the CA whose CN is the verification code. The check lives in
    services/certificates.py (`ca_certificate_verify`)."""

    verification_certificate = forms.FileField(
        label="Verification certificate .pem or .cer file",
        widget=forms.FileInput(attrs={"accept": ".pem,.cer,.crt"}),
        help_text="Issued and signed by this CA, with the verification code as its common name (CN).",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.helper = embedded_helper()
        self.certificate_data: bytes = b""

    def clean_verification_certificate(self):
        upload = self.cleaned_data.get("verification_certificate")
        if upload is not None:
            self.certificate_data = upload.read(MAX_CERTIFICATE_BYTES + 1)
        return upload
