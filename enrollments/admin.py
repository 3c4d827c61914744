"""Django admin at /admin/: every model, with useful lists (columns, search, filters) and no secrets.

Every write goes through `enrollments/services/`, as the portal's and the API's do: adds, changes
and deletes call the same service functions (`linked_iot_hub_create/update/delete`,
`ca_certificate_create/update/delete`, `shared_access_policy_create/update/delete`,
`enrollment_update`, `enrollment_x509_replace`, `enrollment_delete`, …), so the same rules apply and
a change is the same conditional write (`UPDATE … WHERE etag = <the etag the form was opened with>`):
a save made from an older version is refused with the service's message and nothing is written. A
refusal raised while saving rolls the admin's transaction back and shows the form again with the
service's messages next to their fields (`ServiceWriteAdmin`).
Secrets (symmetric keys, the hub's shared access key) never appear in lists and are never rendered
in forms: their inputs are empty password fields, and leaving one blank keeps the stored value. A
webhook URL's `code=` key is shown as `••••` (input and link), as in the portal, and put back on save.
Enrollments are created only through the portal's wizard or the service API (one create path), so
the admin has no `Add` for them. Registration records are written by devices: read-only, deletable.
Deleting a hub an enrollment targets, or a certificate a group references, shows Django's
protected-objects page (the foreign keys are PROTECT; the services refuse it too).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models as db_models
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from . import constants, models, validators
from .attestation.x509 import MAX_CERTIFICATE_BYTES
from .choices import AttestationType, CertificateSlot
from .exceptions import EtagMismatchError
from .forms.details import WebhookUrlField
from .services import certificates as certificate_services
from .services import enrollments as enrollment_services
from .services import hubs as hub_services
from .services import policies as policy_services
from .services import provisioning_service as provisioning_service_services
from .services import registrations as registration_services
from .webhook_urls import mask_webhook_secret

KEEP_SECRET_HELP = "Hidden. Leave blank to keep the current value; type a new one to replace it."
SECRET_ATTRS = {"autocomplete": "new-password", "spellcheck": "false"}
NO_VERSION = (
    "This form was sent without the version of the record it was opened with, so nothing was saved. "
    "Reload the page and apply your changes again."
)


def _add_errors(
    form: forms.BaseForm, exc: ValidationError, rename: dict[str, str] | None = None, *, force: bool = False
) -> None:
    """Attach a service ValidationError to `form`, skipping fields that already have errors (the
    model's validators ran first) unless `force`. Keys naming no form field (or a field the form
    does not show) become errors on top, prefixed with the field's name so they stay understandable."""
    rename = rename or {}
    errors = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
    for key, field_errors in errors.items():
        field = rename.get(key, key)
        field_messages = ValidationError(field_errors).messages
        if field in form.fields and not form.fields[field].disabled:
            if force or field not in form.errors:
                for message in field_messages:
                    form.add_error(field, message)
        elif field == NON_FIELD_ERRORS:
            for message in field_messages:
                form.add_error(None, message)
        else:
            label = form.fields[field].label if field in form.fields else field
            for message in field_messages:
                form.add_error(None, f"{label}: {message}")


class _Refused(Exception):
    """A service refused an admin write (ValidationError or EtagMismatchError in `error`)."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


def _refusal_messages(error: Exception) -> list[str]:
    return error.messages if isinstance(error, ValidationError) else [str(error)]


class ServiceForm(forms.ModelForm):
    """A change form whose save is a service call. `expected_etag` carries the etag the form was
    opened with (models that have one), for the service's conditional write; `service_refusal` is
    set by ServiceWriteAdmin when the service refused the save, and shown as the form's errors
    (`refusal_rename` maps service keys to form fields)."""

    expected_etag = forms.CharField(widget=forms.HiddenInput, required=False)
    service_refusal: Exception | None = None
    refusal_rename: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and hasattr(self.instance, "etag"):
            self.fields["expected_etag"].initial = self.instance.etag

    def _post_clean(self):
        super()._post_clean()
        refusal = self.service_refusal
        if isinstance(refusal, ValidationError):
            _add_errors(self, refusal, rename=self.refusal_rename, force=True)
        elif refusal is not None:
            self.add_error(None, str(refusal))

    def clean(self):
        data = super().clean()
        if self.instance.pk is not None and hasattr(self.instance, "etag") and not data.get("expected_etag"):
            raise ValidationError(NO_VERSION, code="etag")
        return data

    @property
    def expected(self) -> str | None:
        """The etag the form was opened with; None (any version) only for a form posted without one."""
        return self.cleaned_data.get("expected_etag") or None


class ServiceWriteAdmin(admin.ModelAdmin):
    """An admin whose adds, changes and deletes are service calls.

    Subclasses implement `create(form)` and `update(obj, form)` (each returns the saved object) and
    `remove(obj)`; bulk deletes go through `remove_many(queryset)`. A service's ValidationError or
    EtagMismatchError rolls the admin's transaction back: a change form is shown again with the
    messages (nothing saved), a refused delete returns to the object with the message.
    """

    def create(self, form):
        raise NotImplementedError

    def update(self, obj, form):
        raise NotImplementedError

    def remove(self, obj) -> None:
        raise NotImplementedError

    def remove_many(self, queryset) -> None:
        for obj in queryset:
            self.remove(obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "_dps_admin_refusal", None)
        if refusal is not None:
            form = type(form.__name__, (form,), {"service_refusal": refusal})
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Refused as refused:
            # The admin's transaction was rolled back: show the posted form again with the reasons.
            request._dps_admin_refusal = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        try:
            saved = self.update(obj, form) if change else self.create(form)
        except (ValidationError, EtagMismatchError) as exc:
            raise _Refused(exc) from exc
        # The admin goes on with `obj` (change message, redirect): give it the saved state.
        for field in saved._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding, obj._state.db = False, saved._state.db

    def delete_model(self, request, obj):
        try:
            self.remove(obj)
        except (ValidationError, EtagMismatchError) as exc:
            raise _Refused(exc) from exc

    def delete_queryset(self, request, queryset):
        try:
            with transaction.atomic():
                self.remove_many(queryset)
        except (ValidationError, EtagMismatchError) as exc:
            raise _Refused(exc) from exc

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except _Refused as refused:
            self.message_user(request, " ".join(_refusal_messages(refused.error)), messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id]))

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except _Refused as refused:  # a bulk delete: nothing was deleted
            self.message_user(request, " ".join(_refusal_messages(refused.error)), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


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
class ProvisioningServiceAdmin(ServiceWriteAdmin):
    """The one service record: name and default allocation policy editable
    (services.provisioning_service); the ID scope never changes (devices are configured with it), and
    the record cannot be deleted (a new one would get a new scope)."""

    form = ServiceForm

    list_display = ["name", "id_scope", "allocation_policy", "created_date_time_utc"]
    search_fields = ["name", "id_scope"]
    fields = ["name", "id_scope", "allocation_policy", "created_date_time_utc"]
    readonly_fields = ["id_scope", "created_date_time_utc"]

    def has_add_permission(self, request):
        return not models.ProvisioningService.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def _arguments(self, form) -> dict:
        return {
            "name": form.cleaned_data.get("name") or "",
            "allocation_policy": form.cleaned_data["allocation_policy"],
        }

    def create(self, form):
        return self.update(models.ProvisioningService.objects.get_current(), form)

    def update(self, obj, form):
        return provisioning_service_services.provisioning_service_update(service=obj, **self._arguments(form))


# --- Linked IoT hubs -----------------------------------------------------------------------------


class LinkedIotHubAdminForm(ServiceForm):
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


@admin.register(models.LinkedIotHub)
class LinkedIotHubAdmin(ServiceWriteAdmin):
    """Link (services.hubs.linked_iot_hub_create), change (`linked_iot_hub_update`, conditional on
    the etag the form was opened with) and unlink (`linked_iot_hub_delete`) IoT hubs."""

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
            "expected_etag",
            "created_date_time_utc",
        ]

    @staticmethod
    def _arguments(form) -> dict:
        data = form.cleaned_data
        return {
            "connection_string": data.get("connection_string") or "",
            "location": data.get("location") or "",
            "allocation_weight": data.get("allocation_weight"),
            "apply_allocation_policy": bool(data.get("apply_allocation_policy")),
        }

    def create(self, form):
        return hub_services.linked_iot_hub_create(**self._arguments(form))

    def update(self, obj, form):
        return hub_services.linked_iot_hub_update(hub=obj, expected_etag=form.expected, **self._arguments(form))

    def remove(self, obj) -> None:
        hub_services.linked_iot_hub_delete(hub=obj)

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


class CaCertificateAdminForm(ServiceForm):
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

    refusal_rename = {"certificate": "certificate_file"}

    @property
    def certificate_data(self) -> bytes | None:
        """The uploaded file's content (at most one byte past the parser's limit), or None."""
        upload = self.cleaned_data.get("certificate_file")
        if not upload:
            return None
        upload.seek(0)
        return upload.read(MAX_CERTIFICATE_BYTES + 1)


@admin.register(models.CaCertificate)
class CaCertificateAdmin(ServiceWriteAdmin):
    """Upload (services.certificates.ca_certificate_create), change (`ca_certificate_update`,
    conditional on the etag the form was opened with) and delete (`ca_certificate_delete`)."""

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
        return editable if obj is None else editable + ["expected_etag"] + self.info_fields

    def create(self, form):
        return certificate_services.ca_certificate_create(
            name=form.cleaned_data.get("name") or "",
            data=form.certificate_data or b"",
            verified=bool(form.cleaned_data.get("is_verified")),
        )

    def update(self, obj, form):
        return certificate_services.ca_certificate_update(
            certificate=obj,
            expected_etag=form.expected,
            name=form.cleaned_data.get("name") or "",
            verified=bool(form.cleaned_data.get("is_verified")),
            data=form.certificate_data,
        )

    def remove(self, obj) -> None:
        certificate_services.ca_certificate_delete(certificate=obj)


# --- Enrollments ---------------------------------------------------------------------------------


class EnrollmentAdminForm(ServiceForm):
    """Change an enrollment; the save is services.enrollments.enrollment_update (conditional on the
    etag the form was opened with), plus enrollment_x509_replace when a group's CA references
    change. Target hubs are a plain multiple choice (the relation has its own through table, which
    the admin cannot edit directly)."""

    secret_fields = ("primary_key", "secondary_key")
    refusal_rename = {"iot_hubs": "target_iot_hubs"}

    target_iot_hubs = forms.ModelMultipleChoiceField(
        label="Target IoT hubs",
        queryset=models.LinkedIotHub.objects.order_by("host_name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None selected: all linked hubs.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _mask_secret_fields(self, self.secret_fields)
        self._mask_webhook_url()
        self.typed_secrets: set[str] = set()
        if self.instance.pk is not None:
            self.fields["target_iot_hubs"].initial = list(self.instance.iot_hubs.all())

    def _mask_webhook_url(self) -> None:
        """The portal's `Webhook URL` field (forms.details.WebhookUrlField): the `code=` key shows
        as `••••` and an untouched mask is replaced by the stored key before the URL rules run."""
        if "webhook_url" not in self.fields:
            return
        original = self.fields["webhook_url"]
        stored = self.instance.webhook_url or ""
        self.fields["webhook_url"] = WebhookUrlField(
            stored=stored,
            label=original.label,
            required=False,
            max_length=constants.WEBHOOK_URL_MAX_LENGTH + 64,
            validators=[validators.validate_webhook_url],
            widget=original.widget,
            help_text="A code= key is shown as ••••; leave it so to keep it.",
        )
        self.initial["webhook_url"] = mask_webhook_secret(stored)

    def clean(self):
        data = super().clean()
        self.typed_secrets = {name for name in self.secret_fields if name in self.fields and data.get(name)}
        _keep_blank_secrets(self, self.secret_fields)
        return data


# What the admin's enrollment form may pass to enrollment_update (credentials only when typed).
_UPDATABLE = (*enrollment_services.COMMON_FIELDS, "device_id", "endorsement_key", "storage_root_key")


class EnrollmentAdminBase(ServiceWriteAdmin):
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

    def update(self, obj, form):
        data = form.cleaned_data
        changes = {name: data[name] for name in _UPDATABLE if name in form.fields and name in data}
        if "optional_device_information" in form.fields:
            changes["optional_device_information"] = data.get("optional_device_information")
        changes.update({name: data[name] for name in form.typed_secrets})
        changes["iot_hubs"] = list(data.get("target_iot_hubs") or [])
        saved = enrollment_services.enrollment_update(enrollment=obj, expected_etag=form.expected, changes=changes)
        if {"ca_primary", "ca_secondary"} & set(form.changed_data):
            enrollment_services.enrollment_x509_replace(
                enrollment=saved, ca_primary=data.get("ca_primary"), ca_secondary=data.get("ca_secondary")
            )
        return saved

    def remove(self, obj) -> None:
        enrollment_services.enrollment_delete(enrollment=obj)

    def remove_many(self, queryset) -> None:
        enrollment_services.enrollments_delete(model=self.model, pks=list(queryset.values_list("pk", flat=True)))

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
class EnrollmentCertificateAdmin(ServiceWriteAdmin):
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

    def remove(self, obj) -> None:
        enrollment_services.enrollment_secondary_certificate_remove(
            enrollment=obj.enrollment_group or obj.individual_enrollment
        )


# --- Registration records and drafts ----------------------------------------------------------------


@admin.register(models.RegistrationRecord)
class RegistrationRecordAdmin(ServiceWriteAdmin):
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

    def remove(self, obj) -> None:
        registration_services.registration_records_delete(pks=[obj.pk])

    def remove_many(self, queryset) -> None:
        registration_services.registration_records_delete(pks=list(queryset.values_list("pk", flat=True)))


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


class SharedAccessPolicyAdminForm(ServiceForm):
    """Policy keys are secrets: masked, blank keeps the stored key (new policies get fresh random
    keys). The save is services.policies.shared_access_policy_create / _update, whose rules (name,
    at least one permission, keys base64 of 16–64 bytes) are the portal's."""

    secret_fields = ("primary_key", "secondary_key")
    refusal_rename = {"rights": NON_FIELD_ERRORS}

    class Meta:
        model = models.SharedAccessPolicy
        fields = ["name", *models.SharedAccessPolicy.RIGHT_FIELDS, "primary_key", "secondary_key"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _mask_secret_fields(self, self.secret_fields)
        if self.instance.pk is not None and self.instance.name == models.SharedAccessPolicy.OWNER_NAME:
            self.fields["name"].disabled = True
        self.typed_secrets: dict[str, str] = {}

    def clean(self):
        data = super().clean()
        self.typed_secrets = {name: data[name] for name in self.secret_fields if data.get(name)}
        _keep_blank_secrets(self, self.secret_fields)
        return data

    @property
    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data.get("name") or "",
            "rights": [right for right, field in models.SharedAccessPolicy.RIGHTS.items() if data.get(field)],
            "primary_key": self.typed_secrets.get("primary_key", ""),
            "secondary_key": self.typed_secrets.get("secondary_key", ""),
        }


@admin.register(models.SharedAccessPolicy)
class SharedAccessPolicyAdmin(ServiceWriteAdmin):
    form = SharedAccessPolicyAdminForm
    list_display = ["name", "permissions", "created_date_time_utc"]
    list_filter = list(models.SharedAccessPolicy.RIGHT_FIELDS)
    search_fields = ["name"]
    readonly_fields = ["etag", "created_date_time_utc"]

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

    def create(self, form):
        return policy_services.shared_access_policy_create(**form.service_arguments)

    def update(self, obj, form):
        return policy_services.shared_access_policy_update(
            policy=obj, expected_etag=form.expected, **form.service_arguments
        )

    def remove(self, obj) -> None:
        policy_services.shared_access_policy_delete(policy=obj)
