"""The portal's vocabulary: what differs between enrollment groups and individual enrollments.

One `Kind` per record type names its model, its ID field, its nouns, its URL names, its place in
Manage enrollments and its members on the wire (dps-reference §4: `enrollmentGroupId` /
`registrationId`). The wizard, the details pages, the lists and the service API all read these;
the page tabs and the service-field → form-field map are also named here, once.
"""

from dataclasses import dataclass

from django.urls import reverse

from .models import EnrollmentGroup, IndividualEnrollment, WizardDraft

# The tabs of the wizard and of the details pages (ui-contract.md § Add enrollment, § Details pages).
REGISTRATION, IOT_HUBS, DEVICE_SETTINGS = "registration", "iot-hubs", "device-settings"
REVIEW, REGISTRATION_RECORDS = "review", "registration-records"
FORM_TABS = (REGISTRATION, IOT_HUBS, DEVICE_SETTINGS)
TAB_LABELS = {
    REGISTRATION: "Registration + provisioning",
    IOT_HUBS: "IoT hubs",
    DEVICE_SETTINGS: "Device settings",
    REVIEW: "Review + create",
    REGISTRATION_RECORDS: "Registration records",
}

# Service (model) field → the wizard / details form field that holds it; unlisted names are the same.
SERVICE_FIELD_TO_FORM_FIELD = {
    "attestation_type": "attestation",
    "update_hub_assignment": "reprovision_policy",
    "migrate_device_data": "reprovision_policy",
    "iot_hub_host_name": "iot_hubs",
}


def form_field(service_field: str) -> str:
    """The form field that shows `service_field` (see SERVICE_FIELD_TO_FORM_FIELD)."""
    return SERVICE_FIELD_TO_FORM_FIELD.get(service_field, service_field)


@dataclass(frozen=True)
class Kind:
    """One record type: an enrollment group or an individual enrollment."""

    key: str  # WizardDraft.kind
    model: type
    id_field: str  # the model field of the record's name
    noun: str  # "Enrollment group"; lower-case plural in `plural`
    plural: str
    url_prefix: str  # URL names are enrollments:<url_prefix>_<what>
    list_tab: str  # Manage enrollments tab key
    list_label: str
    add_label: str  # the list page's button that starts the wizard
    filter_placeholder: str
    id_member: str  # the ID's member in the service API's JSON
    item_type: str  # bulk-operation / query item type
    collection: str  # the service API's collection: its route, bulk-operation member and query FROM name

    @property
    def is_group(self) -> bool:
        return self.model is EnrollmentGroup

    @property
    def singular(self) -> str:
        return self.noun.lower()

    @property
    def list_url_name(self) -> str:
        return f"enrollments:{self.url_prefix}_list"

    @property
    def add_tab_url_name(self) -> str:
        return f"enrollments:{self.url_prefix}_add_tab"

    @property
    def add_new_tab_url_name(self) -> str:
        """The tab URLs of a wizard not stored yet (`…/add/<tab>/`): its first post stores it."""
        return f"enrollments:{self.url_prefix}_add_new_tab"

    @property
    def bulk_delete_url_name(self) -> str:
        return f"enrollments:{self.url_prefix}_bulk_delete"

    @property
    def detail_template(self) -> str:
        return f"enrollments/{self.url_prefix}_detail.html"

    @property
    def table_template(self) -> str:
        return f"enrollments/includes/{self.url_prefix}_table.html"

    def list_url(self) -> str:
        return reverse(self.list_url_name)

    def name(self, enrollment) -> str:
        """The record's name: its group name or registration ID."""
        return getattr(enrollment, self.id_field)

    def url(self, enrollment, what: str = "detail", *args) -> str:
        return reverse(f"enrollments:{self.url_prefix}_{what}", args=[self.name(enrollment), *args])


GROUP = Kind(
    key=WizardDraft.KIND_GROUP,
    model=EnrollmentGroup,
    id_field="enrollment_group_id",
    noun="Enrollment group",
    plural="enrollment groups",
    url_prefix="enrollment_group",
    list_tab="groups",
    list_label="Enrollment groups",
    add_label="Add enrollment group",
    filter_placeholder="Filter by group name prefix (case-insensitive)",
    id_member="enrollmentGroupId",
    item_type="enrollmentGroup",
    collection="enrollmentGroups",
)
INDIVIDUAL = Kind(
    key=WizardDraft.KIND_INDIVIDUAL,
    model=IndividualEnrollment,
    id_field="registration_id",
    noun="Individual enrollment",
    plural="individual enrollments",
    url_prefix="individual_enrollment",
    list_tab="individuals",
    list_label="Individual enrollments",
    add_label="Add individual enrollment",
    filter_placeholder="Filter by registration ID prefix (case-insensitive)",
    id_member="registrationId",
    item_type="enrollment",
    collection="enrollments",
)
KINDS = {GROUP.key: GROUP, INDIVIDUAL.key: INDIVIDUAL}
BY_LIST_TAB = {kind.list_tab: kind for kind in KINDS.values()}
BY_MODEL = {kind.model: kind for kind in KINDS.values()}


def kind_of(enrollment) -> Kind:
    """The Kind of an EnrollmentGroup or IndividualEnrollment instance."""
    return GROUP if isinstance(enrollment, EnrollmentGroup) else INDIVIDUAL
