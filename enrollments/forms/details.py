"""Edit-mode forms of the details pages (ui-contract.md § Details pages).

The page is the wizard's three form tabs in edit mode, all inside ONE <form>, switched on the client
(static/js/details.js), so unsaved edits on one tab survive a switch to another: every tab's values
are posted with every `Save`. No server-side draft is kept. The tab forms are the wizard's own:
`IotHubsForm` and `DeviceSettingsForm` as they are (hubs with one tweak), and a registration form
built from the wizard's `_RegistrationMixin` whose attestation and names are `disabled`; the
credentials (keys, certificates, endorsement key) are not form fields at all, they are shown
read-only by the template (keys masked, fetched on `Show` / `Copy`).

`EnrollmentDetailsForms` binds the three forms to one POST and turns their cleaned values into
`changes` for `services.enrollments.enrollment_update`: only the fields whose value differs from
the stored one, so a field the user did not touch is never rewritten.
"""

import json
from typing import Any

from crispy_bootstrap5.bootstrap5 import Switch
from crispy_forms.bootstrap import FieldWithButtons, StrictButton
from crispy_forms.layout import HTML, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from .. import validators
from ..choices import (
    REPROVISION_FLAGS,
    AllocationPolicy,
    AttestationType,
    GroupAttestation,
    IndividualAttestation,
)
from ..kinds import DEVICE_SETTINGS, FORM_TABS, IOT_HUBS, REGISTRATION, form_field
from ..models import EnrollmentGroup, IndividualEnrollment, ProvisioningService
from ..webhook_urls import MASK, mask_webhook_secret, secret_moved, still_masked, unmask_webhook_secret
from .wizard import (
    TARGET_HUBS_HELP,
    X509_REGISTRATION_ID_HELP,
    DeviceSettingsForm,
    IotHubsForm,
    WizardTabForm,
    _RegistrationMixin,
    device_id_field,
)

SERVICE_DEFAULT_OPTION = "Service default ({policy})"
SERVICE_DEFAULT_HELP = (
    "This enrollment has no allocation policy of its own: it follows the service's default, also when that "
    "default changes. Choose a policy to give it one."
)
HUBS_SAVED_EMPTY = "Saved with no hub checked: this enrollment uses every linked IoT hub."
WEBHOOK_MASK_LEFT = "The webhook URL still shows a masked code= key (••••) that cannot be restored: type the key again."
WEBHOOK_MASK_MOVED = (
    "The webhook URL now points elsewhere (its scheme, host, port or path changed), so the saved code= key "
    "is not carried over to it: replace •••• with the key for the new address."
)

Enrollment = EnrollmentGroup | IndividualEnrollment


def attestation_value(enrollment: Enrollment) -> str:
    """The wizard's `Attestation` option value the enrollment was made with."""
    if isinstance(enrollment, EnrollmentGroup):
        if enrollment.attestation_type == AttestationType.SYMMETRIC_KEY:
            return GroupAttestation.SYMMETRIC_KEY
        if enrollment.attestation_type == AttestationType.TPM:
            return GroupAttestation.TPM
        return GroupAttestation.X509_CA if enrollment.uses_ca_references else GroupAttestation.X509_SIGNING
    return IndividualAttestation(enrollment.attestation_type).value


def twin_text(value: dict | None) -> str:
    """A stored twin section as the textarea shows it (indented JSON, key order kept)."""
    return json.dumps(value or {}, indent=2, ensure_ascii=False)


def _same_json(a: Any, b: Any) -> bool:
    """Equal as JSON text, key order included (a reordered object counts as a change)."""
    return json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False)


def initial_values(enrollment: Enrollment, service: ProvisioningService) -> dict[str, Any]:
    """The values the details forms start from: the stored enrollment in the forms' terms.

    An allocation policy the enrollment does not have (NULL: the service default applies, as the
    REST API stores it when `allocationPolicy` is left out) is "" (the `Service default (…)` option);
    the webhook URL is masked (`code=••••`); twins are indented JSON.
    """
    values: dict[str, Any] = {
        "attestation": attestation_value(enrollment),
        "provisioning_status": enrollment.is_enabled,
        "reprovision_policy": enrollment.reprovision_policy,
        "iot_hubs": [hub.pk for hub in enrollment.iot_hubs.all()],
        "allocation_policy": enrollment.allocation_policy or "",
        "webhook_url": mask_webhook_secret(enrollment.webhook_url),
        "api_version": enrollment.api_version,
        "iot_edge": enrollment.iot_edge,
        "initial_twin_tags": twin_text(enrollment.initial_twin_tags),
        "initial_twin_desired_properties": twin_text(enrollment.initial_twin_desired_properties),
    }
    if isinstance(enrollment, EnrollmentGroup):
        values["enrollment_group_id"] = enrollment.enrollment_group_id
    else:
        values["registration_id"] = enrollment.registration_id
        values["device_id"] = enrollment.device_id
    return values


class DetailsRegistrationForm(_RegistrationMixin, WizardTabForm):
    """`Registration + provisioning` in edit mode: `Attestation`, `Group name` / `Registration ID`
    read-only (`disabled`); `IoT Hub Device ID` (individual), `Enable this enrollment` and
    `Reprovision policy` editable. The credentials are drawn between the attestation and the name
    by the template `enrollments/details/credentials.html` (a crispy HTML layout object)."""

    switch_fields = ("provisioning_status",)

    def __init__(self, *args, enrollment: Enrollment, **kwargs):
        self.enrollment = enrollment
        self.is_group = isinstance(enrollment, EnrollmentGroup)
        self.attestation_choices = GroupAttestation.choices if self.is_group else IndividualAttestation.choices
        super().__init__(*args, **kwargs)
        names = list(self.fields)
        self.helper.layout = Layout(
            "attestation",
            HTML('{% include "enrollments/details/credentials.html" %}'),
            *[Switch(n) if n in self.switch_fields else n for n in names if n != "attestation"],
        )

    def build_fields(self) -> None:
        self._attestation_field()
        self.fields["attestation"].disabled = True
        self.fields["attestation"].required = False
        if self.is_group:
            self.fields["enrollment_group_id"] = forms.CharField(
                label="Group name", disabled=True, required=False, help_text="A group's name cannot change."
            )
        else:
            self.fields["registration_id"] = forms.CharField(
                label="Registration ID",
                disabled=True,
                required=False,
                help_text=X509_REGISTRATION_ID_HELP
                if self.enrollment.attestation_type == AttestationType.X509
                else "A registration ID cannot change.",
            )
            self.fields["device_id"] = device_id_field()
        self._status_fields()


class WebhookUrlField(forms.CharField):
    """`Webhook URL` shown masked: what comes back is unmasked against the stored URL before the
    URL rules run (webhook_urls.unmask_webhook_secret), so an untouched URL is kept byte for byte."""

    def __init__(self, *, stored: str, **kwargs):
        self.stored = stored
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return unmask_webhook_secret(value, self.stored) if value else value

    def validate(self, value):
        super().validate(value)
        if secret_moved(value, self.stored):
            raise ValidationError(WEBHOOK_MASK_MOVED, code="masked_moved")
        if still_masked(value):
            raise ValidationError(WEBHOOK_MASK_LEFT, code="masked")


def _webhook_url_with_buttons(secret_url: str) -> FieldWithButtons:
    return FieldWithButtons(
        "webhook_url",
        StrictButton("Show", css_class="btn-outline-secondary", data_webhook_show=secret_url, aria_pressed="false"),
        StrictButton("Copy", css_class="btn-outline-secondary", data_webhook_copy=secret_url),
    )


class DetailsIotHubsForm(IotHubsForm):
    """The wizard's `IoT hubs` tab in edit mode: the webhook URL's `code=` key is masked
    (WebhookUrlField). As in the wizard, no target hub checked means all linked hubs and `API
    version` is checked by validators.validate_api_version.

    An enrollment stored without an allocation policy (NULL, e.g. created through the REST API
    without `allocationPolicy`) gets a first option `Service default (<the service's policy>)`,
    value "", selected: keeping it keeps NULL. `service_default`: the service's policy, given only
    for such an enrollment. `hubs_saved_empty`: the enrollment has no target hub, which the help
    under `Target IoT hubs` says means all linked hubs.
    """

    def __init__(
        self,
        *args,
        stored_webhook_url: str = "",
        webhook_secret_url: str = "",
        service_default: str | None = None,
        hubs_saved_empty: bool = False,
        **kwargs,
    ):
        self.stored_webhook_url = stored_webhook_url
        self.service_default = service_default
        self.hubs_saved_empty = hubs_saved_empty
        super().__init__(*args, **kwargs)
        if "webhook_url" in self.fields and webhook_secret_url and MASK in mask_webhook_secret(stored_webhook_url):
            # The stored URL holds a code= key: `Show` / `Copy` as for symmetric keys. They fetch the
            # stored URL from its own uncached URL (`webhook_secret_url`); static/js/details.js puts its
            # key in place of `••••` (Show) or on the clipboard with the rest of the field (Copy).
            self.helper.layout = Layout(
                *[
                    _webhook_url_with_buttons(webhook_secret_url) if name == "webhook_url" else name
                    for name in self.fields
                ]
            )

    def build_fields(self) -> None:
        super().build_fields()
        if self.hubs_saved_empty:
            self.fields["iot_hubs"].help_text = f"{HUBS_SAVED_EMPTY} {TARGET_HUBS_HELP}"
        if self.service_default:
            field = self.fields["allocation_policy"]
            label = SERVICE_DEFAULT_OPTION.format(policy=AllocationPolicy(self.service_default).label)
            field.choices = [("", label), *AllocationPolicy.choices]
            field.required = False
            field.initial = ""
            field.help_text = SERVICE_DEFAULT_HELP
        if "webhook_url" in self.fields:
            field = self.fields["webhook_url"]
            self.fields["webhook_url"] = WebhookUrlField(
                stored=self.stored_webhook_url,
                label=field.label,
                validators=[validators.validate_webhook_url],
                help_text=field.help_text + " A code= key is shown as ••••; leave it so to keep it.",
            )
            self.fields["webhook_url"].widget.attrs.update(field.widget.attrs)


class EnrollmentDetailsForms:
    """The three tab forms of one details page, bound to the same data (field names are distinct).

    `data` None: unbound, showing the stored values. `refresh`: a re-render after a choice that
    changes which fields exist (allocation policy): nothing is validated or shown as an error, and
    fields that were not on the page (webhook URL, API version) start from the stored values.
    `webhook_secret_url`: where `Show` / `Copy` of the webhook URL's code= key fetch the stored URL.
    """

    def __init__(
        self,
        enrollment: Enrollment,
        data: QueryDict | None = None,
        *,
        url: str,
        refresh: bool = False,
        webhook_secret_url: str = "",
    ):
        self.enrollment = enrollment
        self.service = ProvisioningService.objects.get_current()
        self.initial = initial_values(enrollment, self.service)
        if data is not None and refresh:
            data = data.copy()
            for name in ("webhook_url", "api_version"):
                if name not in data:
                    data[name] = self.initial[name]
        self.refresh = refresh
        common = {"data": data, "initial": self.initial, "tab_url": url}
        self.forms = {
            REGISTRATION: DetailsRegistrationForm(enrollment=enrollment, **common),
            IOT_HUBS: DetailsIotHubsForm(
                stored_webhook_url=enrollment.webhook_url,
                webhook_secret_url=webhook_secret_url,
                service_default=None if enrollment.allocation_policy else self.service.allocation_policy,
                hubs_saved_empty=not self.initial["iot_hubs"],
                **common,
            ),
            DEVICE_SETTINGS: DeviceSettingsForm(**common),
        }
        if refresh:
            for form in self.forms.values():
                form.hide_errors()

    def __getitem__(self, slug: str):
        return self.forms[slug]

    def is_valid(self) -> bool:
        return all(form.is_valid() for form in self.forms.values())

    def tab_has_errors(self, slug: str) -> bool:
        form = self.forms[slug]
        return form.is_bound and not self.refresh and bool(form.errors)

    def first_invalid_tab(self) -> str | None:
        return next((slug for slug in FORM_TABS if self.tab_has_errors(slug)), None)

    def changes(self) -> dict[str, Any]:
        """The service changes for the values that differ from the stored enrollment (valid forms only).

        Keys are `enrollment_update`'s: provisioning_status, update_hub_assignment +
        migrate_device_data (both, when the reprovision policy changed), device_id, iot_hubs,
        allocation_policy, webhook_url, api_version, iot_edge, initial_twin_tags,
        initial_twin_desired_properties. A twin counts as changed when its JSON text differs.
        """
        enrollment = self.enrollment
        registration = self.forms[REGISTRATION].cleaned_data
        hubs = self.forms[IOT_HUBS].cleaned_data
        device = self.forms[DEVICE_SETTINGS].cleaned_data
        changes: dict[str, Any] = {}

        status = "enabled" if registration["provisioning_status"] else "disabled"
        if status != enrollment.provisioning_status:
            changes["provisioning_status"] = status
        policy = registration["reprovision_policy"]
        if policy != enrollment.reprovision_policy:
            changes["update_hub_assignment"], changes["migrate_device_data"] = REPROVISION_FLAGS[policy]
        if isinstance(enrollment, IndividualEnrollment) and registration.get("device_id", "") != enrollment.device_id:
            changes["device_id"] = registration.get("device_id", "")

        chosen = list(hubs["iot_hubs"])
        if {hub.pk for hub in chosen} != set(self.initial["iot_hubs"]):
            changes["iot_hubs"] = chosen
        allocation = hubs["allocation_policy"]  # "": the service default (NULL), offered only when stored so
        if allocation != self.initial["allocation_policy"]:
            changes["allocation_policy"] = allocation or None
        if allocation == AllocationPolicy.CUSTOM:
            for name in ("webhook_url", "api_version"):
                if hubs.get(name, "") != getattr(enrollment, name):
                    changes[name] = hubs.get(name, "")
        elif "allocation_policy" in changes and enrollment.allocation_policy == AllocationPolicy.CUSTOM:
            # Leaving custom allocation drops its webhook, as the wizard never stores one for other policies.
            changes["webhook_url"], changes["api_version"] = "", ""

        if device["iot_edge"] != enrollment.iot_edge:
            changes["iot_edge"] = device["iot_edge"]
        for name in ("initial_twin_tags", "initial_twin_desired_properties"):
            if not _same_json(device[name], getattr(enrollment, name) or {}):
                changes[name] = device[name]
        return changes

    def add_service_errors(self, exc: ValidationError) -> None:
        """Show the service's refusals next to the fields that hold them (else on the first tab)."""
        items = exc.message_dict.items() if hasattr(exc, "error_dict") else [("__all__", exc.messages)]
        for field, messages in items:
            name = form_field(field)
            target = next((form for form in self.forms.values() if name in form.fields), None)
            form = target or self.forms[REGISTRATION]
            for message in messages:
                form.add_error(name if target else None, message)


__all__ = [
    "DetailsIotHubsForm",
    "DetailsRegistrationForm",
    "EnrollmentDetailsForms",
    "WebhookUrlField",
    "attestation_value",
    "initial_values",
    "twin_text",
]
