"""Forms of the add-enrollment wizard. Labels are the UI contract's words, without a colon.

The add-enrollment wizard has one form per tab (style.md H8): `EnrollmentGroupRegistrationForm` /
`IndividualEnrollmentRegistrationForm` (Registration + provisioning), `IotHubsForm` and
`DeviceSettingsForm`. Fields that depend on a choice (attestation, key generation, allocation
policy) are added or removed in `__init__` from the bound data, so fields of an unchosen option
are not on the page at all. The forms only turn domain errors (attestation/, twin.py,
validators.py) into field errors; the wizard (wizard.py) keeps the values in its draft.
"""

import json

from crispy_bootstrap5.bootstrap5 import Switch
from crispy_forms.layout import Layout
from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from .. import selectors, twin, validators
from ..attestation.x509 import (
    MAX_CERTIFICATE_BYTES,
    CertificateInfo,
    check_client_certificate,
    check_is_ca,
    check_validity,
    client_certificate_warning,
    parse_certificate,
)
from ..choices import AllocationPolicy, GroupAttestation, IndividualAttestation, ReprovisionPolicy
from ..exceptions import (
    CA_UNVERIFIED,
    GROUP_NO_TPM,
    REQUIRED,
    SAME_CERTIFICATE_TWICE,
    STATIC_NEEDS_ONE_HUB,
    InvalidCertificateError,
    InvalidTwinError,
)
from ..models import EnrollmentGroup, IndividualEnrollment
from ..services.enrollments import name_taken_message, secondary_cn_mismatch
from .base import embedded_helper

ALL_LINKED_HUBS = "All linked IoT hubs"
TARGET_HUBS_HELP = (
    "None checked means all linked IoT hubs, including hubs linked later (Static configuration needs exactly one)."
)

X509_REGISTRATION_ID_HELP = "The registration ID is the primary certificate's subject common name (CN)."
DEVICE_ID_HELP = "Optional: blank means the registration ID."
JSON_HELP = "A JSON object; blank means {}."
CERTIFICATE_ACCEPT = ".pem,.cer"


class CertificateFileField(forms.FileField):
    """A `.pem`/`.cer` upload parsed into attestation.x509.CertificateInfo.

    `clean()` returns the CertificateInfo of the uploaded file, or the field's initial value (the
    certificate parsed earlier and kept in the wizard draft) when no file was chosen. Refusals
    (not a certificate, a private key, expired, not a CA when `require_ca`, a common name that is
    not a valid registration ID when `cn_is_registration_id`) become field errors with the domain
    module's message.
    """

    widget = forms.FileInput

    def __init__(
        self,
        *,
        require_ca: bool = False,
        cn_is_registration_id: bool = False,
        client_certificate: bool = False,
        **kwargs,
    ):
        self.require_ca = require_ca
        self.cn_is_registration_id = cn_is_registration_id
        self.client_certificate = client_certificate
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", CERTIFICATE_ACCEPT)

    def clean(self, data, initial=None):
        if not data:
            if initial:
                return initial
            if self.required:
                raise ValidationError(REQUIRED, code="required")
            return None
        raw = data.read(MAX_CERTIFICATE_BYTES + 1)
        try:
            info = parse_certificate(raw)
            check_validity(info)
            if self.require_ca:
                check_is_ca(info)
            if self.client_certificate:
                check_client_certificate(info)
        except InvalidCertificateError as exc:
            raise ValidationError(str(exc), code="invalid") from exc
        if self.cn_is_registration_id:
            validators.validate_x509_registration_id(info.common_name)
        return info

    def bound_data(self, data, initial):
        return initial if not data else data

    def has_changed(self, initial, data):
        return bool(data)


def current_certificate_help(info: CertificateInfo, *, client_certificate: bool = False) -> str:
    """Help text under a certificate input that already holds a parsed certificate (escaped).

    `client_certificate` (an individual enrollment's device certificate): a CA certificate gets
    the warning of `attestation.x509.client_certificate_warning` first."""
    warning = client_certificate_warning(info) if client_certificate else None
    if warning:
        return format_html(
            '<span class="certificate-warning text-warning-emphasis" role="alert">'
            '<span aria-hidden="true">⚠ </span>Warning: {}</span> {}',
            warning,
            current_certificate_help(info),
        )
    return format_html(
        '<span class="current-certificate">Current: <span class="certificate-subject">{}</span> · SHA-1 '
        '<code class="certificate-thumbprint">{}</code> · valid until {} UTC.</span> '
        "Choose another file to replace it.",
        info.subject_name,
        info.sha1_thumbprint,
        info.not_after_utc.strftime("%Y-%m-%d %H:%M"),
    )


def _checked(form: forms.Form, name: str, default: bool) -> bool:
    """A checkbox's state in the bound data (its default when unbound); NetBox's get_field_value()."""
    if not form.is_bound:
        return default
    return forms.CheckboxInput().value_from_datadict(form.data, form.files, form.add_prefix(name))


def _value(form: forms.Form, name: str, default: str) -> str:
    if not form.is_bound:
        return form.initial.get(name, default)
    return form.data.get(form.add_prefix(name)) or default


class WizardTabForm(forms.Form):
    """Base of the wizard's tab forms: crispy helper without <form> tag or CSRF (the panel owns
    them), the contract's labels without colon, required marker outside the label.

    `tab_url` is the URL of the tab the form is on: inputs that change which fields exist
    (`refresh_fields`) post the form there so the server re-renders the tab (NetBox's HTMXSelect,
    but posted, so typed keys never end up in a URL).
    """

    refresh_fields: tuple[str, ...] = ()
    switch_fields: tuple[str, ...] = ()

    def __init__(self, *args, tab_url: str = "", **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.tab_url = tab_url
        self.use_required_attribute = False
        self.build_fields()
        for name in self.refresh_fields:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"hx-post": tab_url, "hx-trigger": "change", "hx-vals": json.dumps({"_nav": "refresh"})}
                )
        self.helper = embedded_helper()
        self.helper.layout = Layout(*[Switch(name) if name in self.switch_fields else name for name in self.fields])

    def build_fields(self) -> None:
        """Add or remove the fields that depend on bound values (subclasses)."""

    def submitted_field_names(self) -> list[str]:
        """Names of the fields the page shows and posts (disabled ones are not posted)."""
        return [name for name, field in self.fields.items() if not field.disabled]

    def hide_errors(self, keep: tuple[str, ...] = ()) -> None:
        """Drop the errors of fields not in `keep` (a tab the user has not submitted yet shows none)."""
        self.errors  # noqa: B018 - run validation first
        for name in list(self._errors):
            if name not in keep:
                del self._errors[name]

    def add_external_errors(self, errors: dict[str, list[str]]) -> None:
        """Show errors found outside the form (the service at Create) next to their fields."""
        self.errors  # noqa: B018
        for name, messages in errors.items():
            for message in messages:
                if message not in self.errors.get(name if name in self.fields else "__all__", []):
                    self.add_error(name if name in self.fields else None, message)


# Text fields take no max_length: each length limit is its validator's (one message per failure, in
# DPS's words), and no HTML maxlength cuts a pasted value short without saying so.


def device_id_field() -> forms.CharField:
    """`IoT Hub Device ID` (optional: blank means the registration ID), used by the wizard and the details page."""
    return forms.CharField(
        label="IoT Hub Device ID",
        required=False,
        validators=[validators.validate_device_id],
        help_text=DEVICE_ID_HELP,
    )


def _key_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=True,
        validators=[validators.validate_symmetric_key],
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="Base64 of 16 to 64 bytes.",
    )


class _RegistrationMixin:
    """Fields both registration forms share: keys, certificates, enablement, reprovision policy."""

    attestation_choices: list = []
    attestation_enum: type = GroupAttestation
    refresh_fields = ("attestation", "auto_generate_keys", "primary_certificate", "secondary_certificate")
    switch_fields = ("auto_generate_keys", "provisioning_status", "remove_secondary_certificate")

    def __init__(self, *args, certificates: dict | None = None, certificate_errors: dict | None = None, **kwargs):
        self.certificates = certificates or {}
        self.certificate_errors = certificate_errors or {}
        self.parsed_certificates: dict[str, CertificateInfo] = {}
        super().__init__(*args, **kwargs)

    @property
    def attestation(self) -> str:
        """The chosen attestation option (a value of `attestation_enum`); symmetric key when unknown."""
        default = self.attestation_enum.SYMMETRIC_KEY
        value = _value(self, "attestation", default)
        return value if value in self.attestation_enum.values else default

    def _attestation_field(self) -> None:
        self.fields["attestation"] = forms.ChoiceField(label="Attestation", choices=self.attestation_choices)

    def _symmetric_key_fields(self) -> None:
        self.fields["auto_generate_keys"] = forms.BooleanField(
            label="Generate symmetric keys automatically", required=False, initial=True
        )
        if not _checked(self, "auto_generate_keys", True):
            self.fields["primary_key"] = _key_field("Primary key")
            self.fields["secondary_key"] = _key_field("Secondary key")

    def _certificate_fields(self, *, require_ca: bool, cn_is_registration_id: bool) -> None:
        for slot, label, required in (
            ("primary", "Primary certificate", True),
            ("secondary", "Secondary certificate", False),
        ):
            name = f"{slot}_certificate"
            # Only the primary's CN is the registration ID; the secondary must match it (checked in clean()).
            field = CertificateFileField(
                label=label,
                required=required,
                require_ca=require_ca,
                cn_is_registration_id=cn_is_registration_id and slot == "primary",
                client_certificate=cn_is_registration_id,
            )
            stored = self.certificates.get(slot)
            if stored:
                info = CertificateInfo.from_dict(stored)
                field.initial = info
                field.help_text = current_certificate_help(info, client_certificate=cn_is_registration_id)
            self.fields[name] = field
        if self.certificates.get("secondary"):
            self.fields["remove_secondary_certificate"] = forms.BooleanField(
                label="Remove the secondary certificate", required=False
            )

    def _status_fields(self) -> None:
        self.fields["provisioning_status"] = forms.BooleanField(
            label="Enable this enrollment", required=False, initial=True
        )
        self.fields["reprovision_policy"] = forms.ChoiceField(
            label="Reprovision policy",
            choices=ReprovisionPolicy.choices,
            initial=ReprovisionPolicy.MIGRATE,
            widget=forms.RadioSelect,
        )

    def _check_certificates(self, cleaned: dict) -> None:
        """Stored refusals stay next to their input until another file is chosen; no certificate twice.

        Also records `parsed_certificates` ({slot: CertificateInfo}): the files uploaded with this
        post that parsed, before any rule across fields (a taken registration ID, the same
        certificate twice) adds its error, so the wizard keeps them whatever else is refused."""
        self.parsed_certificates = {
            slot: cleaned[f"{slot}_certificate"]
            for slot in ("primary", "secondary")
            if self.files.get(self.add_prefix(f"{slot}_certificate")) and cleaned.get(f"{slot}_certificate")
        }
        for slot, message in self.certificate_errors.items():
            name = f"{slot}_certificate"
            if name in self.fields and not self.files.get(self.add_prefix(name)):
                self._errors.pop(name, None)
                cleaned.pop(name, None)
                self.add_error(name, message)
        primary, secondary = cleaned.get("primary_certificate"), cleaned.get("secondary_certificate")
        if primary and secondary and primary.sha256_thumbprint == secondary.sha256_thumbprint:
            self.add_error("secondary_certificate", SAME_CERTIFICATE_TWICE)


class EnrollmentGroupRegistrationForm(_RegistrationMixin, WizardTabForm):
    """Registration + provisioning tab of the enrollment-group wizard.

    Attestations (choices.GroupAttestation): symmetric key (generated or the user's base64 keys),
    X.509 intermediate certificates (uploaded into the group; must be CA certificates), X.509
    certificates uploaded to this service (by reference; must be verified) and TPM, which groups
    do not support (the form says so and is invalid).
    """

    attestation_enum = GroupAttestation
    attestation_choices = GroupAttestation.choices

    def build_fields(self) -> None:
        self._attestation_field()
        attestation = self.attestation
        if attestation == GroupAttestation.SYMMETRIC_KEY:
            self._symmetric_key_fields()
        elif attestation == GroupAttestation.X509_SIGNING:
            self._certificate_fields(require_ca=True, cn_is_registration_id=False)
        elif attestation == GroupAttestation.X509_CA:
            certificates = selectors.ca_certificates()
            self.fields["ca_primary"] = forms.ModelChoiceField(
                label="Primary certificate", queryset=certificates, empty_label="Choose a certificate"
            )
            self.fields["ca_secondary"] = forms.ModelChoiceField(
                label="Secondary certificate", queryset=certificates, required=False, empty_label="None"
            )
        self.fields["enrollment_group_id"] = forms.CharField(
            label="Group name",
            validators=[validators.validate_enrollment_group_id],
        )
        self._status_fields()

    def clean(self):
        cleaned = super().clean()
        if self.attestation == GroupAttestation.TPM:
            self.add_error("attestation", GROUP_NO_TPM)
        self._check_certificates(cleaned)
        for name in ("ca_primary", "ca_secondary"):
            ca = cleaned.get(name)
            if ca is not None and not ca.is_verified:
                self.add_error(name, CA_UNVERIFIED.format(name=ca.name))
        if cleaned.get("ca_primary") and cleaned.get("ca_primary") == cleaned.get("ca_secondary"):
            self.add_error("ca_secondary", SAME_CERTIFICATE_TWICE)
        name = cleaned.get("enrollment_group_id")
        taken = name_taken_message(EnrollmentGroup, name) if name else None
        if taken:
            self.add_error("enrollment_group_id", taken)
        return cleaned


class IndividualEnrollmentRegistrationForm(_RegistrationMixin, WizardTabForm):
    """Registration + provisioning tab of the individual-enrollment wizard.

    Attestations (choices.IndividualAttestation): symmetric key, X.509 client certificates (the
    registration ID is the primary certificate's CN, shown read-only) and TPM (`Endorsement key`,
    base64 of a TPM2B_PUBLIC, checked by validators.validate_endorsement_key).
    """

    attestation_enum = IndividualAttestation
    attestation_choices = IndividualAttestation.choices

    def build_fields(self) -> None:
        self._attestation_field()
        attestation = self.attestation
        if attestation == IndividualAttestation.SYMMETRIC_KEY:
            self._symmetric_key_fields()
        elif attestation == IndividualAttestation.X509:
            self._certificate_fields(require_ca=False, cn_is_registration_id=True)
        elif attestation == IndividualAttestation.TPM:
            self.fields["endorsement_key"] = forms.CharField(
                label="Endorsement key",
                widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
                validators=[validators.validate_endorsement_key],
                help_text="Base64 of the TPM's endorsement key public part (TPM2B_PUBLIC).",
            )
        if attestation == IndividualAttestation.X509:
            primary = self.certificates.get("primary")
            self.fields["registration_id"] = forms.CharField(
                label="Registration ID",
                required=False,
                disabled=True,
                initial=primary["common_name"] if primary else "",
                help_text=X509_REGISTRATION_ID_HELP,
            )
        else:
            self.fields["registration_id"] = forms.CharField(
                label="Registration ID",
                validators=[validators.validate_registration_id],
            )
        self.fields["device_id"] = device_id_field()
        self._status_fields()

    def clean(self):
        cleaned = super().clean()
        self._check_certificates(cleaned)
        if self.attestation == IndividualAttestation.X509:
            primary = cleaned.get("primary_certificate")
            cleaned["registration_id"] = primary.common_name if primary else ""
            secondary = cleaned.get("secondary_certificate")
            if isinstance(primary, CertificateInfo) and isinstance(secondary, CertificateInfo):
                mismatch = secondary_cn_mismatch(primary, secondary)
                if mismatch:
                    self.add_error("secondary_certificate", mismatch)
        registration_id = cleaned.get("registration_id")
        taken = name_taken_message(IndividualEnrollment, registration_id) if registration_id else None
        if taken:
            self.add_error(
                "registration_id" if self.attestation != IndividualAttestation.X509 else "primary_certificate", taken
            )
        return cleaned


class IotHubsForm(WizardTabForm):
    """IoT hubs tab: target hubs (checkboxes labelled with host names) and allocation policy;
    `Custom (use a webhook)` adds `Webhook URL` and `API version` (validators.validate_api_version).

    No target hub checked is allowed: an empty `iotHubs` means all linked hubs, including hubs
    linked later (dps-reference §1.1, §7). `Static configuration` needs exactly one hub (this
    portal is stricter than Azure there; the service checks it too).
    """

    refresh_fields = ("allocation_policy",)

    def build_fields(self) -> None:
        self.fields["iot_hubs"] = forms.ModelMultipleChoiceField(
            label="Target IoT hubs",
            queryset=selectors.linked_iot_hubs(),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text=TARGET_HUBS_HELP,
        )
        self.fields["allocation_policy"] = forms.ChoiceField(
            label="Allocation policy", choices=AllocationPolicy.choices, initial=AllocationPolicy.HASHED
        )
        if _value(self, "allocation_policy", AllocationPolicy.HASHED) == AllocationPolicy.CUSTOM:
            self.fields["webhook_url"] = forms.CharField(
                label="Webhook URL",
                validators=[validators.validate_webhook_url],
                help_text="DPS calls this URL to choose the IoT hub for each device.",
            )
            self.fields["api_version"] = forms.CharField(
                label="API version",
                validators=[validators.validate_api_version],
                help_text="The API version of the webhook request, e.g. 2021-10-01.",
            )

    def clean(self):
        cleaned = super().clean()
        hubs = cleaned.get("iot_hubs")
        if hubs is not None and cleaned.get("allocation_policy") == AllocationPolicy.STATIC and len(hubs) != 1:
            self.add_error("iot_hubs", STATIC_NEEDS_ONE_HUB.format(n=len(hubs)))
        return cleaned


class DeviceSettingsForm(WizardTabForm):
    """Device settings tab: IoT Edge flag, initial twin tags and desired properties (JSON objects,
    blank means {}), checked against the IoT Hub twin rules (twin.py)."""

    switch_fields = ("iot_edge",)

    def build_fields(self) -> None:
        self.fields["iot_edge"] = forms.BooleanField(label="Enable IoT Edge on provisioned devices", required=False)
        for name, label in (
            ("initial_twin_tags", "Device tags"),
            ("initial_twin_desired_properties", "Desired properties"),
        ):
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "font-monospace"}),
                help_text=JSON_HELP,
            )

    def _clean_twin(self, name: str, what: str, check) -> dict:
        try:
            value = twin.parse_json_object(self.cleaned_data.get(name, ""), what=what)
            check(value)
        except InvalidTwinError as exc:
            raise ValidationError(str(exc), code="invalid") from exc
        return value

    def clean_initial_twin_tags(self) -> dict:
        return self._clean_twin("initial_twin_tags", "Device tags", twin.validate_tags)

    def clean_initial_twin_desired_properties(self) -> dict:
        return self._clean_twin(
            "initial_twin_desired_properties", "Desired properties", twin.validate_desired_properties
        )


__all__ = [
    "CertificateFileField",
    "DeviceSettingsForm",
    "EnrollmentGroupRegistrationForm",
    "IndividualEnrollmentRegistrationForm",
    "IotHubsForm",
    "WizardTabForm",
]
