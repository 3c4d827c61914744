"""The add-enrollment wizard's state: one server-side draft per wizard (style.md H5).

A draft (models.WizardDraft) belongs to one user and one kind (`group` or `individual`); its id
is in every tab URL, so two browser tabs never mix. `draft.data` holds:

    {
      "values": {"registration": {field: [raw, …]}, "iot-hubs": {…}, "device-settings": {…}},
      "certificates": {"primary": CertificateInfo.as_dict(), "secondary": …},   # parsed, public only
      "certificate_errors": {"primary": "why the last upload was refused"},
      "touched": ["registration", …],          # tabs the user has left or submitted: errors shown
      "service_errors": {form field: [message, …]},   # what `Create` was refused for
    }

Raw values are kept exactly as typed (invalid ones included) so every tab, reload and
validation error shows them again; cleaned values are derived when a tab is validated. Uploaded
files are parsed at once: only the parsed certificate info is kept (never a refused upload,
never a private key). `create()` calls the one service (services.enrollments) and maps its
field errors back to the tab that holds the field.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils.datastructures import MultiValueDict

from . import selectors
from .attestation.symmetric_keys import mask_secret
from .attestation.x509 import CertificateInfo
from .choices import (
    REPROVISION_FLAGS,
    AllocationPolicy,
    AttestationType,
    GroupAttestation,
    IndividualAttestation,
    ReprovisionPolicy,
)
from .forms import wizard as wizard_forms
from .kinds import (
    DEVICE_SETTINGS,
    FORM_TABS,
    GROUP,
    INDIVIDUAL,
    IOT_HUBS,
    KINDS,
    REGISTRATION,
    REVIEW,
    TAB_LABELS,
    form_field,
    kind_of,
)
from .models import EnrollmentGroup, IndividualEnrollment, ProvisioningService, WizardDraft
from .services import enrollments as enrollment_services
from .services.wizard_drafts import wizard_draft_delete, wizard_draft_store
from .webhook_urls import mask_webhook_secret

TAB_SLUGS = [*FORM_TABS, REVIEW]
TABS: list[tuple[str, str]] = [(slug, TAB_LABELS[slug]) for slug in TAB_SLUGS]
FORM_FIELD_TAB = {
    **dict.fromkeys(
        [
            "attestation",
            "auto_generate_keys",
            "primary_key",
            "secondary_key",
            "primary_certificate",
            "secondary_certificate",
            "ca_primary",
            "ca_secondary",
            "enrollment_group_id",
            "registration_id",
            "device_id",
            "endorsement_key",
            "storage_root_key",
            "provisioning_status",
            "reprovision_policy",
        ],
        REGISTRATION,
    ),
    **dict.fromkeys(["iot_hubs", "allocation_policy", "webhook_url", "api_version"], IOT_HUBS),
    **dict.fromkeys(["iot_edge", "initial_twin_tags", "initial_twin_desired_properties"], DEVICE_SETTINGS),
}
NOT_STORED = {"remove_secondary_certificate", "primary_certificate", "secondary_certificate"}

FIX_ERRORS = "Some values are missing or not valid. Fix the fields marked on this tab, then select Create again."
CREATED = "{noun} “{name}” was created."


@dataclass(frozen=True)
class Tab:
    """One wizard tab as the tab strip shows it."""

    slug: str
    label: str
    url: str
    has_errors: bool


# The Registration + provisioning form of each kind (kinds.KINDS keys).
REGISTRATION_FORMS = {
    GROUP.key: wizard_forms.EnrollmentGroupRegistrationForm,
    INDIVIDUAL.key: wizard_forms.IndividualEnrollmentRegistrationForm,
}


def default_values(kind: str) -> dict[str, dict[str, list[str]]]:
    """The raw values of an empty wizard: the contract's defaults (all linked hubs checked,
    the service's default allocation policy, keys generated, enabled, migrate data)."""
    service = ProvisioningService.objects.get_current()
    return {
        REGISTRATION: {
            "attestation": [AttestationType.SYMMETRIC_KEY],
            "auto_generate_keys": ["on"],
            "provisioning_status": ["on"],
            "reprovision_policy": [ReprovisionPolicy.MIGRATE],
        },
        IOT_HUBS: {
            "iot_hubs": [str(pk) for pk in selectors.linked_iot_hubs().values_list("pk", flat=True)],
            "allocation_policy": [service.allocation_policy],
            "api_version": ["2021-10-01"],
        },
        DEVICE_SETTINGS: {},
    }


def new_draft(*, kind: str, owner) -> WizardDraft:
    """A new, empty wizard draft with the defaults, NOT stored: opening a wizard writes nothing (a
    cross-site `<img src=…/add/>` must not create rows). EnrollmentWizard.save() stores it on the
    wizard's first post."""
    return WizardDraft(
        kind=kind,
        owner=owner,
        data={
            "values": default_values(kind),
            "certificates": {},
            "certificate_errors": {},
            "touched": [],
            "service_errors": {},
        },
    )


class EnrollmentWizard:
    """The wizard over one draft: binds each tab's form to the draft's raw values, stores what a
    tab posted, reports which tabs hold errors, builds the review, and creates the enrollment."""

    def __init__(self, draft: WizardDraft):
        self.draft = draft
        self.kind = KINDS[draft.kind]
        data = draft.data or {}
        self.values: dict = data.setdefault("values", default_values(draft.kind))
        self.certificates: dict = data.setdefault("certificates", {})
        self.certificate_errors: dict = data.setdefault("certificate_errors", {})
        self.touched: list = data.setdefault("touched", [])
        self.service_errors: dict = data.setdefault("service_errors", {})
        self._forms: dict = {}

    # --- URLs and tabs -------------------------------------------------------------------

    @property
    def is_stored(self) -> bool:
        """Whether the draft is in the database (False until the wizard's first post)."""
        return not self.draft._state.adding

    def tab_url(self, slug: str) -> str:
        if not self.is_stored:
            return reverse(self.kind.add_new_tab_url_name, args=[slug])
        return reverse(self.kind.add_tab_url_name, args=[self.draft.pk, slug])

    def tabs(self) -> list[Tab]:
        return [Tab(slug, label, self.tab_url(slug), self.tab_has_errors(slug)) for slug, label in TABS]

    @staticmethod
    def neighbours(slug: str) -> tuple[str | None, str | None]:
        i = TAB_SLUGS.index(slug)
        return (TAB_SLUGS[i - 1] if i > 0 else None), (TAB_SLUGS[i + 1] if i + 1 < len(TAB_SLUGS) else None)

    @staticmethod
    def label(slug: str) -> str:
        return dict(TABS)[slug]

    # --- forms ---------------------------------------------------------------------------

    def _form_class(self, slug: str) -> type:
        return {
            REGISTRATION: REGISTRATION_FORMS[self.kind.key],
            IOT_HUBS: wizard_forms.IotHubsForm,
            DEVICE_SETTINGS: wizard_forms.DeviceSettingsForm,
        }[slug]

    def _form_kwargs(self, slug: str) -> dict:
        kwargs = {"tab_url": self.tab_url(slug)}
        if slug == REGISTRATION:
            kwargs.update(certificates=self.certificates, certificate_errors=self.certificate_errors)
        return kwargs

    def _stored_data(self, slug: str) -> MultiValueDict:
        values = {k: list(v) for k, v in self.values.get(slug, {}).items()}
        if slug == IOT_HUBS and "iot_hubs" in values:
            # Hubs unlinked since they were checked drop out instead of failing as an unknown choice.
            linked = {str(pk) for pk in selectors.linked_iot_hubs().values_list("pk", flat=True)}
            values["iot_hubs"] = [v for v in values["iot_hubs"] if v in linked]
        return MultiValueDict(values)

    def form(self, slug: str):
        """The tab's form bound to the draft's raw values (validated lazily, cached)."""
        if slug not in self._forms:
            form = self._form_class(slug)(
                data=self._stored_data(slug), files=MultiValueDict(), **self._form_kwargs(slug)
            )
            errors = {f: m for f, m in self.service_errors.items() if FORM_FIELD_TAB.get(f, REVIEW) == slug}
            if errors:
                form.add_external_errors(errors)
            self._forms[slug] = form
        return self._forms[slug]

    def display_form(self, slug: str):
        """The form to render: errors only once the tab was submitted or left (the errors of an
        uploaded certificate and the TPM refusal always, since they answer what the user just did)."""
        form = self.form(slug)
        if slug not in self.touched:
            uploaded = tuple(f"{slot}_certificate" for slot in {*self.certificate_errors, *self.certificates})
            form.hide_errors(keep=("attestation", *uploaded))
        return form

    def tab_has_errors(self, slug: str) -> bool:
        if slug == REVIEW:
            return bool(self.service_errors.get("__all__"))
        return slug in self.touched and not self.form(slug).is_valid()

    def is_blocked(self) -> bool:
        """True while the group wizard's attestation is TPM: Next and Create are disabled."""
        return (
            self.draft.kind == WizardDraft.KIND_GROUP
            and (self.values.get(REGISTRATION, {}).get("attestation") or [""])[-1] == GroupAttestation.TPM
        )

    # --- storing what a tab posted ---------------------------------------------------------

    def save_tab(self, slug: str, post: QueryDict, files: MultiValueDict, *, touch: bool = True):
        """Store the raw values `slug`'s form posted (invalid ones too) and parse uploaded
        certificates. `post["_fields"]` names the fields the page showed: those absent from the
        post (unchecked boxes, cleared selects) are removed; fields of other choices are kept.
        Returns the form bound to the post (validated)."""
        if slug not in FORM_TABS:
            return None
        form_class = self._form_class(slug)
        form = form_class(data=post, files=files, **self._form_kwargs(slug))
        allowed = set(form.fields) | set(self._all_field_names(slug))
        shown = [n for n in post.get("_fields", "").split(",") if n in allowed]
        stored = self.values.setdefault(slug, {})
        for name in shown:
            if name in NOT_STORED:
                continue
            if name in post:
                stored[name] = post.getlist(name)
            else:
                stored.pop(name, None)
        if "attestation" in post and "attestation" in allowed:
            stored["attestation"] = post.getlist("attestation")[-1:]
        if slug == REGISTRATION:
            self._save_certificates(form, files, remove_secondary=bool(post.get("remove_secondary_certificate")))
        if touch and slug not in self.touched:
            self.touched.append(slug)
        for name in [n for n in self.service_errors if FORM_FIELD_TAB.get(n) == slug]:
            del self.service_errors[name]
        self._forms.clear()
        self.save()
        return form

    def _all_field_names(self, slug: str) -> list[str]:
        return [name for name, tab in FORM_FIELD_TAB.items() if tab == slug]

    def _save_certificates(self, form, files: MultiValueDict, *, remove_secondary: bool) -> None:
        if remove_secondary:
            self.certificates.pop("secondary", None)
            self.certificate_errors.pop("secondary", None)
        errors = form.errors  # validates: fills form.parsed_certificates
        for slot in ("primary", "secondary"):
            name = f"{slot}_certificate"
            if name not in form.fields or not files.get(name):
                continue
            info = form.parsed_certificates.get(slot)
            if info is not None:
                # Kept even when another rule refuses it (a taken registration ID): that error is
                # derived again from the draft, and the user need not choose the file again.
                self.certificates[slot] = info.as_dict()
                self.certificate_errors.pop(slot, None)
            else:
                self.certificates.pop(slot, None)
                self.certificate_errors[slot] = errors.get(name, [wizard_forms.REQUIRED])[0]

    def check_linked_hub(self, host_name: str) -> bool:
        """Back from `Link a new IoT hub`: check the hub just linked (its host name) in the draft.

        The IoT hubs tab counts as not submitted again: its errors (a third hub checked with
        Static configuration) wait until the user leaves or submits it, or selects Create.
        Returns False when no hub has that host name."""
        if IOT_HUBS in self.touched:
            self.touched.remove(IOT_HUBS)
        hub = selectors.linked_iot_hub_by_host_name(host_name)
        if hub is not None:
            hubs = self.values.setdefault(IOT_HUBS, {}).setdefault("iot_hubs", [])
            if str(hub.pk) not in hubs:
                hubs.append(str(hub.pk))
        self._forms.clear()
        self.save()
        return hub is not None

    def touch_all(self, *, save: bool = True) -> None:
        """Count every tab as submitted (its errors shown); `save` stores that in the draft."""
        for slug in FORM_TABS:
            if slug not in self.touched:
                self.touched.append(slug)
        self._forms.clear()
        if save:
            self.save()

    def save(self) -> None:
        """Store the draft: the first time (the wizard's first post) it is inserted, after the
        expired drafts are removed; afterwards its values and time are updated."""
        wizard_draft_store(draft=self.draft)

    # --- review ----------------------------------------------------------------------------

    def review_sections(self) -> list[tuple[str, list[tuple[str, str, bool]]]]:
        """Every value of the three tabs as (label, text, preformatted) rows, secrets masked (`••••`):
        symmetric keys whole, a webhook URL's `code=` value (portal_tags.mask_webhook_secret). No
        target hub checked reads `All linked IoT hubs`."""
        sections = []
        for slug in FORM_TABS:
            form = self.form(slug)
            rows = []
            for name, field in form.fields.items():
                if name == "remove_secondary_certificate":
                    continue
                pre = name in ("initial_twin_tags", "initial_twin_desired_properties", "endorsement_key")
                rows.append((field.label, self._display_value(form, name, field), pre))
            sections.append((self.label(slug), rows))
        return sections

    def _display_value(self, form, name: str, field) -> str:
        bound = form[name]
        value = bound.value()
        if name in ("primary_key", "secondary_key"):
            return mask_secret(value or "") or "—"
        if isinstance(field, wizard_forms.CertificateFileField):
            info = field.initial
            return f"{info.subject_name} (SHA-1 {info.sha1_thumbprint})" if info else "—"
        if isinstance(field, wizard_forms.forms.BooleanField):
            return "Yes" if field.widget.value_from_datadict(form.data, form.files, name) else "No"
        if isinstance(field, wizard_forms.forms.ModelMultipleChoiceField):
            chosen = {str(v) for v in (value or [])}
            names = [hub.host_name for hub in field.queryset if str(hub.pk) in chosen]
            return ", ".join(names) or wizard_forms.ALL_LINKED_HUBS
        if isinstance(field, wizard_forms.forms.ModelChoiceField):
            obj = next((o for o in field.queryset if str(o.pk) == str(value)), None) if value else None
            return str(obj) if obj else "—"
        if isinstance(field, wizard_forms.forms.ChoiceField):
            return str(dict(field.choices).get(value, value or "—"))
        if name in ("initial_twin_tags", "initial_twin_desired_properties"):
            return value.strip() if value and value.strip() else "{}"
        if name == "webhook_url":
            return mask_webhook_secret(value) or "—"  # an Azure Functions `code=` key is a secret
        return value or "—"

    # --- create ----------------------------------------------------------------------------

    def first_invalid_tab(self) -> str | None:
        for slug in FORM_TABS:
            if not self.form(slug).is_valid():
                return slug
        return None

    def create(self) -> tuple[EnrollmentGroup | IndividualEnrollment | None, str | None]:
        """Validate every tab and call the service. Returns (created, None), or (None, the tab
        to show) when a tab is invalid or the service refused (its errors kept in the draft)."""
        self.touch_all()
        invalid = self.first_invalid_tab()
        if invalid:
            return None, invalid
        cleaned = {slug: self.form(slug).cleaned_data for slug in FORM_TABS}
        try:
            with transaction.atomic():
                if self.draft.kind == WizardDraft.KIND_GROUP:
                    created = enrollment_services.enrollment_group_create(**self._group_kwargs(cleaned))
                else:
                    created = enrollment_services.individual_enrollment_create(**self._individual_kwargs(cleaned))
                wizard_draft_delete(draft=self.draft)
        except ValidationError as exc:
            return None, self._keep_service_errors(exc)
        return created, None

    def _keep_service_errors(self, exc: ValidationError) -> str:
        errors: dict[str, list[str]] = {}
        for field, messages in exc.message_dict.items() if hasattr(exc, "error_dict") else [("__all__", exc.messages)]:
            name = form_field(field)
            errors.setdefault(name if name in FORM_FIELD_TAB else "__all__", []).extend(messages)
        self.service_errors.clear()
        self.service_errors.update(errors)
        self._forms.clear()
        self.save()
        for slug in FORM_TABS:
            if any(FORM_FIELD_TAB.get(name) == slug for name in errors):
                return slug
        return REVIEW

    @staticmethod
    def _common_kwargs(cleaned: dict) -> dict:
        registration, hubs, device = cleaned[REGISTRATION], cleaned[IOT_HUBS], cleaned[DEVICE_SETTINGS]
        update_hub_assignment, migrate_device_data = REPROVISION_FLAGS[registration["reprovision_policy"]]
        custom = hubs["allocation_policy"] == AllocationPolicy.CUSTOM
        return {
            "provisioning_status": "enabled" if registration["provisioning_status"] else "disabled",
            "update_hub_assignment": update_hub_assignment,
            "migrate_device_data": migrate_device_data,
            "iot_hubs": list(hubs["iot_hubs"]),
            "allocation_policy": hubs["allocation_policy"],
            "webhook_url": hubs.get("webhook_url", "") if custom else "",
            "api_version": hubs.get("api_version", "") if custom else "",
            "iot_edge": device["iot_edge"],
            "initial_twin_tags": device["initial_twin_tags"],
            "initial_twin_desired_properties": device["initial_twin_desired_properties"],
        }

    @staticmethod
    def _keys(registration: dict) -> dict:
        if registration.get("auto_generate_keys", True):
            return {}
        return {"primary_key": registration["primary_key"], "secondary_key": registration["secondary_key"]}

    @staticmethod
    def _certificates(registration: dict) -> dict[str, CertificateInfo | None]:
        return {
            "primary": registration.get("primary_certificate"),
            "secondary": registration.get("secondary_certificate"),
        }

    def _group_kwargs(self, cleaned: dict) -> dict:
        registration = cleaned[REGISTRATION]
        attestation = registration["attestation"]
        kwargs = {"enrollment_group_id": registration["enrollment_group_id"], **self._common_kwargs(cleaned)}
        if attestation == GroupAttestation.SYMMETRIC_KEY:
            kwargs.update(attestation_type=AttestationType.SYMMETRIC_KEY, **self._keys(registration))
        elif attestation == GroupAttestation.X509_SIGNING:
            kwargs.update(attestation_type=AttestationType.X509, signing_certificates=self._certificates(registration))
        elif attestation == GroupAttestation.X509_CA:
            kwargs.update(
                attestation_type=AttestationType.X509,
                ca_primary=registration["ca_primary"],
                ca_secondary=registration.get("ca_secondary"),
            )
        else:
            kwargs.update(attestation_type=AttestationType.TPM)
        return kwargs

    def _individual_kwargs(self, cleaned: dict) -> dict:
        registration = cleaned[REGISTRATION]
        attestation = registration["attestation"]
        kwargs = {
            "registration_id": registration["registration_id"],
            "device_id": registration.get("device_id", ""),
            **self._common_kwargs(cleaned),
        }
        if attestation == IndividualAttestation.SYMMETRIC_KEY:
            kwargs.update(attestation_type=AttestationType.SYMMETRIC_KEY, **self._keys(registration))
        elif attestation == IndividualAttestation.X509:
            kwargs.update(attestation_type=AttestationType.X509, client_certificates=self._certificates(registration))
        else:
            kwargs.update(attestation_type=AttestationType.TPM, endorsement_key=registration["endorsement_key"])
        return kwargs

    def created_message(self, created) -> str:
        kind = kind_of(created)
        return CREATED.format(noun=kind.noun, name=kind.name(created))

    def list_url(self) -> str:
        return self.kind.list_url()
