"""Forms of the Linked IoT hubs and Certificates pages. Labels are the UI contract's words.

The forms only shape input; the rules live in services/hubs.py and services/certificates.py,
whose ValidationErrors the views attach to these fields (same field names).
"""

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError

from . import constants
from .attestation.x509 import MAX_CERTIFICATE_BYTES
from .models import CaCertificate, LinkedIotHub
from .services.certificates import ca_certificate_check
from .services.hubs import linked_iot_hub_check

PASTE_AGAIN = (
    "The connection string holds the hub's shared access key, a secret, so it is never sent back to the "
    "browser: paste it again."
)


class SecretTextInput(forms.TextInput):
    """A text input that never renders a value, like `PasswordInput(render_value=False)` but
    shown as text so a pasted connection string can be checked by eye before saving."""

    def format_value(self, value):
        return None


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class LinkedIotHubForm(forms.Form):
    """Link an IoT hub (ui-contract.md § Linked IoT hubs).

    Secret handling: the connection string field never echoes what was typed. When the form comes
    back with errors, the user pastes the string again (the field says so); nothing of the key is
    kept in the page, the session or the draft. Keeping it server-side would save one paste but
    would put the secret somewhere it could outlive an abandoned form.
    """

    connection_string = forms.CharField(
        label="IoT hub connection string",
        widget=SecretTextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="HostName=…;SharedAccessKeyName=…;SharedAccessKey=… from one of the IoT hub's shared access "
        "policies (it needs registry write and service connect permissions).",
    )
    location = forms.CharField(label="Location", required=False, max_length=64, help_text="e.g. westeurope")
    allocation_weight = forms.IntegerField(
        label="Allocation weight",
        initial=constants.ALLOCATION_WEIGHT_DEFAULT,
        min_value=constants.ALLOCATION_WEIGHT_MIN,
        max_value=constants.ALLOCATION_WEIGHT_MAX,
        help_text="1–1000: a hub with a higher weight gets proportionally more devices.",
    )
    apply_allocation_policy = forms.BooleanField(label="Apply allocation policy", required=False, initial=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        if self.is_bound and self.data.get("connection_string"):
            # A bound form is only ever shown again because of errors: the field comes back empty.
            self.fields["connection_string"].help_text = PASTE_AGAIN

    def clean(self):
        """Run the service's checks too, so every problem shows at once (the save re-checks)."""
        data = super().clean()
        hub = LinkedIotHub(
            location=data.get("location") or "",
            allocation_weight=data.get("allocation_weight") or constants.ALLOCATION_WEIGHT_DEFAULT,
            apply_allocation_policy=bool(data.get("apply_allocation_policy")),
        )
        try:
            linked_iot_hub_check(hub=hub, connection_string=self.data.get("connection_string") or "")
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                target = field if field in self.fields else None
                if target and target in self.errors:
                    continue
                for message in messages:
                    self.add_error(target, message)
        return data


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
        self.helper = _helper()
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
            for field, messages in exc.message_dict.items():
                target = field if field in self.fields else None
                if target and target in self.errors:
                    continue
                for message in messages:
                    self.add_error(target, message)
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
        self.helper = _helper()
        self.certificate_data: bytes = b""

    def clean_verification_certificate(self):
        upload = self.cleaned_data.get("verification_certificate")
        if upload is not None:
            self.certificate_data = upload.read(MAX_CERTIFICATE_BYTES + 1)
        return upload
