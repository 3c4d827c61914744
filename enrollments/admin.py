"""Django admin at /admin/: every model, with useful lists (columns, search, filters) and no secrets.

Edits follow the portal's rules:
- linked IoT hubs through the connection-string parser (`services.hubs.linked_iot_hub_check`);
- CA certificates through the certificate parser (`services.certificates.ca_certificate_check`);
- enrollments through the model's `full_clean` (field validators) plus the allocation and credential
  rules of `services.enrollments.enrollment_rules_check`; a save bumps the etag and is refused when
  someone else saved the record since the form was opened.
Secrets (symmetric keys, the hub's shared access key) never appear in lists and are never rendered
in forms: their inputs are empty password fields, and leaving one blank keeps the stored value.
Enrollments are created only through the portal's wizard or the service API (one create path), so
the admin has no `Add` for them. Registration records are written by devices: read-only, deletable.
Deleting a hub an enrollment targets, or a certificate a group references, shows Django's
protected-objects page (the foreign keys are PROTECT).
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models as db_models
from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from . import models
from .attestation.x509 import MAX_CERTIFICATE_BYTES
from .choices import AttestationType, CertificateSlot
from .exceptions import ETAG_MISMATCH, NEEDS_A_RIGHT
from .services.certificates import ca_certificate_check, ca_certificate_touch
from .services.enrollments import enrollment_rules_check
from .services.hubs import linked_iot_hub_check
from .validators import validate_symmetric_key

KEEP_SECRET_HELP = "Hidden. Leave blank to keep the current value; type a new one to replace it."
SECRET_ATTRS = {"autocomplete": "new-password", "spellcheck": "false"}


def _add_errors(form: forms.BaseForm, exc: ValidationError, rename: dict[str, str] | None = None) -> None:
    """Attach a service ValidationError to `form`, skipping fields that already have errors (the
    model's validators ran first). Keys naming no form field become errors on top, prefixed with
    the field's name so they stay understandable."""
    rename = rename or {}
    errors = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
    for key, field_errors in errors.items():
        field = rename.get(key, key)
        messages = ValidationError(field_errors).messages
        if field in form.fields:
            if field not in form.errors:
                for message in messages:
                    form.add_error(field, message)
        elif field == NON_FIELD_ERRORS:
            for message in messages:
                form.add_error(None, message)
        else:
            for message in messages:
                form.add_error(None, f"{field}: {message}")


def _mask_secret_fields(form: forms.ModelForm, names: tuple[str, ...]) -> None:
    """Replace the model's secret fields by empty password inputs (blank keeps the stored value)."""
    for name in names:
        if name in form.fields:
            original = form.fields[name]
            form.fields[name] = forms.CharField(
                label=original.label,
                required=False,
                max_length=getattr(original, "max_length", None),
                widget=forms.PasswordInput(render_value=False, attrs=SECRET_ATTRS),
                help_text=KEEP_SECRET_HELP,
            )


def _keep_blank_secrets(form: forms.ModelForm, names: tuple[str, ...]) -> None:
    for name in names:
        if name in form.fields and not form.cleaned_data.get(name):
            form.cleaned_data[name] = getattr(form.instance, name)


# --- Provisioning service ------------------------------------------------------------------------


@admin.register(models.ProvisioningService)
class ProvisioningServiceAdmin(admin.ModelAdmin):
    """The one service record: name and default allocation policy editable; the ID scope never changes
    (devices are configured with it), and the record cannot be deleted (a new one would get a new scope)."""

    list_display = ["name", "id_scope", "allocation_policy", "created_date_time_utc"]
    search_fields = ["name", "id_scope"]
    fields = ["name", "id_scope", "allocation_policy", "created_date_time_utc"]
    readonly_fields = ["id_scope", "created_date_time_utc"]

    def has_add_permission(self, request):
        return not models.ProvisioningService.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


# --- Linked IoT hubs -----------------------------------------------------------------------------


class LinkedIotHubAdminForm(forms.ModelForm):
    """Link a hub by its connection string; on change, a blank string keeps the stored one and a new
    one must name the same host (e.g. a rotated key)."""

    connection_string = forms.CharField(
        label="IoT hub connection string",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs=SECRET_ATTRS),
        help_text="HostName=…;SharedAccessKeyName=…;SharedAccessKey=…",
    )

    class Meta:
        model = models.LinkedIotHub
        fields = ["location", "allocation_weight", "apply_allocation_policy"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["connection_string"].help_text = (
                "Hidden. Leave blank to keep the current connection string; a new one must be for the same "
                "host name (e.g. after rotating the key). To use another hub, link it and unlink this one."
            )

    def _post_clean(self):
        super()._post_clean()
        try:
            linked_iot_hub_check(hub=self.instance, connection_string=self.cleaned_data.get("connection_string"))
        except ValidationError as exc:
            _add_errors(self, exc)


@admin.register(models.LinkedIotHub)
class LinkedIotHubAdmin(admin.ModelAdmin):
    form = LinkedIotHubAdminForm
    list_display = [
        "host_name",
        "location",
        "allocation_weight",
        "apply_allocation_policy",
        "shared_access_key_name",
        "targeted_by",
        "created_date_time_utc",
    ]
    list_filter = ["apply_allocation_policy", "location"]
    search_fields = ["host_name", "location"]
    readonly_fields = ["host_name", "shared_access_key_name", "masked_connection_string", "created_date_time_utc"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["connection_string", "location", "allocation_weight", "apply_allocation_policy"]
        return [
            "host_name",
            "shared_access_key_name",
            "masked_connection_string",
            "connection_string",
            "location",
            "allocation_weight",
            "apply_allocation_policy",
            "created_date_time_utc",
        ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                group_count=Count("enrollment_groups", distinct=True),
                individual_count=Count("individual_enrollments", distinct=True),
            )
        )

    @admin.display(description="Targeted by")
    def targeted_by(self, obj) -> str:
        return f"{obj.group_count} groups, {obj.individual_count} individual enrollments"

    @admin.display(description="Connection string")
    def masked_connection_string(self, obj) -> str:
        return obj.masked_connection_string


# --- CA certificates -----------------------------------------------------------------------------


class CaCertificateAdminForm(forms.ModelForm):
    """Upload or replace a CA certificate file, parsed and checked like the portal's upload."""

    certificate_file = forms.FileField(
        label="Certificate .pem or .cer file",
        required=False,
        help_text="The CA certificate only (PEM or base64 .cer); never a private key.",
    )

    class Meta:
        model = models.CaCertificate
        fields = ["name", "is_verified"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["certificate_file"].help_text = "Leave empty to keep the current certificate."

    def _post_clean(self):
        super()._post_clean()
        upload = self.cleaned_data.get("certificate_file")
        data = upload.read(MAX_CERTIFICATE_BYTES + 1) if upload else None
        try:
            ca_certificate_check(certificate=self.instance, data=data)
        except ValidationError as exc:
            _add_errors(self, exc, rename={"certificate": "certificate_file"})


@admin.register(models.CaCertificate)
class CaCertificateAdmin(admin.ModelAdmin):
    form = CaCertificateAdminForm
    list_display = ["name", "subject_name", "sha1_thumbprint", "not_after_utc", "is_verified"]
    list_filter = ["is_verified"]
    search_fields = ["name", "subject_name", "sha1_thumbprint", "sha256_thumbprint"]
    info_fields = [
        "subject_name",
        "issuer_name",
        "sha1_thumbprint",
        "sha256_thumbprint",
        "serial_number",
        "not_before_utc",
        "not_after_utc",
        "version",
        "certificate",
        "etag",
        "created_date_time_utc",
        "last_updated_date_time_utc",
    ]
    readonly_fields = info_fields

    def get_fields(self, request, obj=None):
        editable = ["name", "certificate_file", "is_verified"]
        return editable if obj is None else editable + self.info_fields

    def save_model(self, request, obj, form, change):
        ca_certificate_touch(obj)
        super().save_model(request, obj, form, change)


# --- Enrollments ---------------------------------------------------------------------------------


class EnrollmentAdminForm(forms.ModelForm):
    """Change an enrollment with the portal's rules; target hubs as a plain multiple choice (the
    relation has its own through table, which the admin cannot edit directly)."""

    secret_fields = ("primary_key", "secondary_key")

    target_iot_hubs = forms.ModelMultipleChoiceField(
        label="Target IoT hubs",
        queryset=models.LinkedIotHub.objects.order_by("host_name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None selected: all linked hubs.",
    )
    expected_etag = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _mask_secret_fields(self, self.secret_fields)
        if self.instance.pk is not None:
            self.fields["target_iot_hubs"].initial = list(self.instance.iot_hubs.all())
            self.fields["expected_etag"].initial = self.instance.etag

    def clean(self):
        data = super().clean()
        _keep_blank_secrets(self, self.secret_fields)
        expected = data.get("expected_etag")
        if self.instance.pk is not None and expected:
            current = type(self.instance).objects.filter(pk=self.instance.pk).values_list("etag", flat=True).first()
            if current != expected:
                raise ValidationError(ETAG_MISMATCH, code="etag")
        return data

    def _post_clean(self):
        super()._post_clean()
        if "target_iot_hubs" in self.errors:
            return
        try:
            enrollment_rules_check(self.instance, self.cleaned_data.get("target_iot_hubs") or [])
        except ValidationError as exc:
            _add_errors(self, exc, rename={"iot_hubs": "target_iot_hubs"})


class EnrollmentAdminBase(admin.ModelAdmin):
    form = EnrollmentAdminForm
    list_filter = ["attestation_type", "provisioning_status", "allocation_policy", "iot_edge"]
    date_hierarchy = "created_date_time_utc"
    formfield_overrides = {db_models.URLField: {"assume_scheme": "https"}}
    record_fields = ("etag", "created_date_time_utc", "last_updated_date_time_utc")

    def has_add_permission(self, request):
        return False

    def credential_fields(self, obj) -> tuple[str, ...]:
        if obj.attestation_type == AttestationType.SYMMETRIC_KEY:
            return ("primary_key", "secondary_key")
        return ()

    def get_fieldsets(self, request, obj=None):
        identity = self.identity_fields + ("attestation_type", "provisioning_status", "expected_etag")
        fieldsets = [(None, {"fields": identity})]
        credentials = self.credential_fields(obj) if obj is not None else ()
        if credentials:
            fieldsets.append(("Credentials", {"fields": credentials}))
        fieldsets += [
            ("Reprovision policy", {"fields": ("update_hub_assignment", "migrate_device_data")}),
            (
                "IoT hubs",
                {"fields": ("allocation_policy", "target_iot_hubs", "webhook_url", "api_version", "iot_hub_host_name")},
            ),
            ("Device settings", {"fields": ("iot_edge", "initial_twin_tags", "initial_twin_desired_properties")}),
            ("Record", {"fields": self.record_fields}),
        ]
        return fieldsets

    def save_model(self, request, obj, form, change):
        obj.etag = models.new_etag()
        obj.last_updated_date_time_utc = timezone.now()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.iot_hubs.set(form.cleaned_data.get("target_iot_hubs") or [])

    @admin.display(description="Target IoT hubs")
    def hub_count(self, obj) -> str:
        return str(obj.hub_count) if obj.hub_count else "All linked hubs"

    @admin.display(description="Certificates")
    def certificate_summary(self, obj) -> str:
        rows = [(c.get_slot_display(), c.subject_name, c.sha1_thumbprint) for c in obj.certificates.all()]
        if not rows:
            return "—"
        return format_html_join(mark_safe("<br>"), "{}: {} (SHA-1 {})", rows)


@admin.register(models.EnrollmentGroup)
class EnrollmentGroupAdmin(EnrollmentAdminBase):
    identity_fields = ("enrollment_group_id",)
    list_display = [
        "enrollment_group_id",
        "attestation_type",
        "provisioning_status",
        "allocation_policy",
        "hub_count",
        "created_date_time_utc",
    ]
    search_fields = ["enrollment_group_id"]
    readonly_fields = [
        "enrollment_group_id",
        "attestation_type",
        "certificate_summary",
        "etag",
        "created_date_time_utc",
        "last_updated_date_time_utc",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(hub_count=Count("iot_hubs"))

    def credential_fields(self, obj) -> tuple[str, ...]:
        if obj.attestation_type == AttestationType.X509:
            return ("certificate_summary",) if obj.certificates.exists() else ("ca_primary", "ca_secondary")
        return super().credential_fields(obj)


@admin.register(models.IndividualEnrollment)
class IndividualEnrollmentAdmin(EnrollmentAdminBase):
    identity_fields = ("registration_id", "device_id")
    list_display = [
        "registration_id",
        "device_id",
        "attestation_type",
        "provisioning_status",
        "allocation_policy",
        "hub_count",
        "created_date_time_utc",
    ]
    search_fields = ["registration_id", "device_id"]
    readonly_fields = [
        "registration_id",
        "attestation_type",
        "certificate_summary",
        "etag",
        "created_date_time_utc",
        "last_updated_date_time_utc",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(hub_count=Count("iot_hubs"))

    def credential_fields(self, obj) -> tuple[str, ...]:
        if obj.attestation_type == AttestationType.X509:
            return ("certificate_summary",)
        if obj.attestation_type == AttestationType.TPM:
            return ("endorsement_key", "storage_root_key")
        return super().credential_fields(obj)

    def get_fieldsets(self, request, obj=None):
        return super().get_fieldsets(request, obj) + [
            ("Optional device information", {"fields": ("optional_device_information",), "classes": ("collapse",)})
        ]


@admin.register(models.EnrollmentCertificate)
class EnrollmentCertificateAdmin(admin.ModelAdmin):
    """Certificates uploaded into enrollments: shown read-only (they are credentials, changed through
    the enrollment); a secondary certificate may be deleted, a primary one only with its enrollment."""

    list_display = ["subject_name", "slot", "owner", "sha1_thumbprint", "not_after_utc"]
    list_filter = ["slot"]
    list_select_related = ["enrollment_group", "individual_enrollment"]
    search_fields = [
        "subject_name",
        "sha1_thumbprint",
        "sha256_thumbprint",
        "enrollment_group__enrollment_group_id",
        "individual_enrollment__registration_id",
    ]

    @admin.display(description="Enrollment")
    def owner(self, obj) -> str:
        return str(obj.enrollment_group or obj.individual_enrollment)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return super().has_delete_permission(request)
        return obj.slot == CertificateSlot.SECONDARY and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # Bulk delete would bypass the per-object rule above.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


# --- Registration records and drafts ----------------------------------------------------------------


@admin.register(models.RegistrationRecord)
class RegistrationRecordAdmin(admin.ModelAdmin):
    """Device registration state, written by devices: read-only here, deletable (a device then
    registers afresh)."""

    list_display = [
        "registration_id",
        "enrollment_group_name",
        "individual_enrollment",
        "device_id",
        "status",
        "assigned_hub",
        "last_updated_date_time_utc",
    ]
    list_filter = ["status", "attestation_type", "substatus"]
    list_select_related = ["individual_enrollment"]
    search_fields = ["registration_id", "device_id", "enrollment_group_name", "assigned_hub"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.WizardDraft)
class WizardDraftAdmin(admin.ModelAdmin):
    """Add-wizard drafts: listed so stale ones can be deleted; their values (which may hold keys a
    user typed) are not shown."""

    list_display = ["id", "kind", "owner", "created_date_time_utc", "last_updated_date_time_utc"]
    list_filter = ["kind"]
    fields = ["id", "kind", "owner", "created_date_time_utc", "last_updated_date_time_utc"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Shared access policies ------------------------------------------------------------------------


class SharedAccessPolicyAdminForm(forms.ModelForm):
    """Policy keys are secrets: masked, blank keeps the stored key (new policies get fresh random
    keys), a typed key must be base64 of 16–64 bytes; at least one permission."""

    secret_fields = ("primary_key", "secondary_key")

    class Meta:
        model = models.SharedAccessPolicy
        fields = ["name", *models.SharedAccessPolicy.RIGHT_FIELDS, "primary_key", "secondary_key"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _mask_secret_fields(self, self.secret_fields)
        if self.instance.pk is not None and self.instance.name == models.SharedAccessPolicy.OWNER_NAME:
            self.fields["name"].disabled = True

    def clean(self):
        data = super().clean()
        for name in self.secret_fields:
            if data.get(name):
                try:
                    validate_symmetric_key(data[name])
                except ValidationError as exc:
                    self.add_error(name, exc)
        _keep_blank_secrets(self, self.secret_fields)
        if not any(data.get(field) for field in models.SharedAccessPolicy.RIGHT_FIELDS):
            raise ValidationError(NEEDS_A_RIGHT)
        return data


@admin.register(models.SharedAccessPolicy)
class SharedAccessPolicyAdmin(admin.ModelAdmin):
    form = SharedAccessPolicyAdminForm
    list_display = ["name", "permissions", "created_date_time_utc"]
    list_filter = list(models.SharedAccessPolicy.RIGHT_FIELDS)
    search_fields = ["name"]
    readonly_fields = ["created_date_time_utc"]

    @admin.display(description="Permissions")
    def permissions(self, obj) -> str:
        return ", ".join(obj.rights)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.name == models.SharedAccessPolicy.OWNER_NAME:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # Bulk delete would bypass the owner rule above.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
