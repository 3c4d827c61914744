"""The provisioning service's data model, named after the DPS REST fields (dps-reference §1).

Enrollment groups and individual enrollments share `EnrollmentBase`. Group names and registration
IDs are stored as typed and unique ignoring case (DPS IDs are case-insensitive), enforced by
`UniqueConstraint(Lower(...))`. Certificates uploaded into an enrollment live in
`EnrollmentCertificate`, one row per slot, so the database can enforce that one certificate
(by SHA-256 thumbprint) is used by at most one enrollment.
"""

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from dps_portal.device_endpoint import device_host, device_url

from . import constants, validators
from .choices import (
    AllocationPolicy,
    AttestationType,
    CertificateSlot,
    GroupAttestation,
    ProvisioningStatus,
    RegistrationStatus,
    RegistrationSubstatus,
    reprovision_policy_from_flags,
)
from .expressions import SortKey
from .fields import JsonTextField
from .sas import generate_policy_key, public_host_name


def with_name(queryset: models.QuerySet, field: str, name: str) -> models.QuerySet:
    """`queryset` narrowed to rows whose `field` equals `name` ignoring case, written as
    `LOWER(field) = LOWER(name)` so the `Lower(field)` unique index answers it on both databases
    (`__iexact` is `UPPER(…)` on PostgreSQL and `LIKE` on SQLite: a scan of the whole table).

    A name holding NUL matches nothing: no stored name can hold it (the validators refuse it),
    SQLite's LOWER() would cut the text at it (`dev\x00` would find `dev`) and PostgreSQL refuses it."""
    if "\x00" in name:
        return queryset.none()
    return queryset.alias(_name_key=Lower(field)).filter(_name_key=Lower(models.Value(name)))


def new_etag() -> str:
    """A fresh opaque etag (a UUID4 in hex); every write of a record sets a new one."""
    return uuid.uuid4().hex


def new_id_scope() -> str:
    """A random ID scope: `0ne` followed by 8 uppercase hex digits (e.g. `0ne00A1B2C3`)."""
    return constants.ID_SCOPE_PREFIX + secrets.token_hex(4).upper()


class ProvisioningServiceManager(models.Manager):
    def get_current(self) -> "ProvisioningService":
        """The one provisioning service this server runs, created on first use.

        Never assume it exists: tests flush the database between cases.
        """
        service = self.order_by("pk").first()
        if service is None:
            service, _ = self.get_or_create(
                pk=1,
                defaults={
                    "name": settings.DPS_SERVICE_NAME,
                    "id_scope": settings.DPS_ID_SCOPE or new_id_scope(),
                },
            )
        return service


class ProvisioningService(models.Model):
    """The Device Provisioning Service instance: its name, ID scope and default allocation policy."""

    name = models.CharField(max_length=64)
    id_scope = models.CharField(
        "ID Scope", max_length=11, unique=True, default=new_id_scope, validators=[validators.validate_id_scope]
    )
    allocation_policy = models.CharField(
        "Default allocation policy",
        max_length=16,
        choices=[c for c in AllocationPolicy.choices if c[0] != AllocationPolicy.CUSTOM],
        default=AllocationPolicy.HASHED,
        help_text="Custom allocation cannot be the service default.",
    )
    created_date_time_utc = models.DateTimeField(default=timezone.now)

    objects = ProvisioningServiceManager()

    class Meta:
        verbose_name = "provisioning service"

    def __str__(self) -> str:
        return f"{self.name} ({self.id_scope})"

    @property
    def service_endpoint(self) -> str:
        """The service API endpoint from DPS_PUBLIC_URL, as a connection string's HostName takes it:
        the bare host behind TLS (as on Azure), `http://host:port` for a plain-HTTP server."""
        return public_host_name(settings.DPS_PUBLIC_URL)

    @property
    def device_endpoint(self) -> str:
        """The host name devices are given (Azure's "Global device endpoint"): `DPS_DEVICE_HOST`,
        else DPS_PUBLIC_URL's host."""
        return device_host(settings.DPS_DEVICE_HOST, settings.DPS_PUBLIC_URL)

    @property
    def https_device_endpoint(self) -> str:
        """The device API's base URL, `https://host[:DPS_DEVICE_PORT]` (the device TLS port)."""
        return device_url(self.device_endpoint, settings.DPS_DEVICE_PORT)


class LinkedIotHub(models.Model):
    """An IoT hub the service can assign devices to, linked by its connection string (dps-reference §5.1)."""

    host_name = models.CharField(
        "Host name", max_length=constants.HOST_NAME_MAX_LENGTH, validators=[validators.validate_host_name]
    )
    shared_access_key_name = models.CharField("Shared access key name", max_length=64)
    shared_access_key = models.CharField("Shared access key", max_length=256)
    location = models.CharField("Location", max_length=64, blank=True)
    allocation_weight = models.PositiveIntegerField(
        "Allocation weight",
        default=constants.ALLOCATION_WEIGHT_DEFAULT,
        validators=[
            MinValueValidator(constants.ALLOCATION_WEIGHT_MIN),
            MaxValueValidator(constants.ALLOCATION_WEIGHT_MAX),
        ],
    )
    apply_allocation_policy = models.BooleanField("Apply allocation policy", default=True)
    # A new value on every change: edits made from an older version are refused (services.etags).
    etag = models.CharField(max_length=64, default=new_etag)
    created_date_time_utc = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "linked IoT hub"
        ordering = ["host_name"]
        constraints = [
            models.UniqueConstraint(Lower("host_name"), name="%(app_label)s_%(class)s_unique_host_name"),
            models.CheckConstraint(
                condition=Q(allocation_weight__gte=1) & Q(allocation_weight__lte=1000),
                name="%(app_label)s_%(class)s_allocation_weight_range",
            ),
        ]

    def __str__(self) -> str:
        return self.host_name

    @property
    def connection_string(self) -> str:
        """The IoT hub connection string (a secret: never render it whole)."""
        return (
            f"HostName={self.host_name};SharedAccessKeyName={self.shared_access_key_name};"
            f"SharedAccessKey={self.shared_access_key}"
        )

    @property
    def masked_connection_string(self) -> str:
        return f"HostName={self.host_name};SharedAccessKeyName={self.shared_access_key_name};SharedAccessKey=••••"


class CertificateInfoFields(models.Model):
    """Parsed X.509 certificate info, the fields of DPS `X509CertificateInfo` (dps-reference §1.3)."""

    certificate = models.TextField(help_text="The certificate as PEM (public part only).")
    subject_name = models.CharField("Subject", max_length=1024)
    issuer_name = models.CharField("Issuer", max_length=1024)
    sha1_thumbprint = models.CharField("SHA-1 thumbprint", max_length=40)
    sha256_thumbprint = models.CharField("SHA-256 thumbprint", max_length=64)
    serial_number = models.CharField("Serial number", max_length=128)
    not_before_utc = models.DateTimeField("Valid from (UTC)")
    not_after_utc = models.DateTimeField("Valid until (UTC)")
    version = models.PositiveSmallIntegerField(default=3)

    class Meta:
        abstract = True

    def info_dict(self) -> dict:
        """The certificate info in DPS wire shape (`X509CertificateInfo`)."""
        return {
            "subjectName": self.subject_name,
            "sha1Thumbprint": self.sha1_thumbprint,
            "sha256Thumbprint": self.sha256_thumbprint,
            "issuerName": self.issuer_name,
            "notBeforeUtc": self.not_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "notAfterUtc": self.not_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "serialNumber": self.serial_number,
            "version": self.version,
        }


class CaCertificate(CertificateInfoFields):
    """A CA certificate uploaded to the service's Certificates page; groups may reference it by name."""

    name = models.CharField("Certificate name", max_length=256, validators=[validators.validate_certificate_name])
    is_verified = models.BooleanField("Verified", default=False)
    # Proof of possession: the SHA-256 digest of the pending one-time code (never the code itself)
    # and when it stops being accepted; both cleared once the certificate is verified.
    verification_code = models.CharField(max_length=64, blank=True)
    verification_code_expires_utc = models.DateTimeField(null=True, blank=True)
    etag = models.CharField(max_length=64, default=new_etag)
    created_date_time_utc = models.DateTimeField(default=timezone.now)
    last_updated_date_time_utc = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "CA certificate"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="%(app_label)s_%(class)s_unique_name"),
            # One upload per certificate, whatever its name or encoding (PEM, BOM, CRLF, DER).
            models.UniqueConstraint(
                fields=["sha256_thumbprint"], name="%(app_label)s_%(class)s_unique_sha256_thumbprint"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def status_label(self) -> str:
        return "Verified" if self.is_verified else "Unverified"


class EnrollmentBase(models.Model):
    """What enrollment groups and individual enrollments share (dps-reference §1.1, §1.2)."""

    attestation_type = models.CharField("Attestation", max_length=16, choices=AttestationType.choices)
    # symmetricKey attestation; secrets, never shown in lists.
    primary_key = models.CharField(
        "Primary key", max_length=128, blank=True, validators=[validators.validate_symmetric_key]
    )
    secondary_key = models.CharField(
        "Secondary key", max_length=128, blank=True, validators=[validators.validate_symmetric_key]
    )
    provisioning_status = models.CharField(
        "Provisioning status", max_length=8, choices=ProvisioningStatus.choices, default=ProvisioningStatus.ENABLED
    )
    # reprovisionPolicy: null when the API left it out (DPS then keeps legacy behaviour).
    update_hub_assignment = models.BooleanField("Update hub assignment", null=True, blank=True)
    migrate_device_data = models.BooleanField("Migrate device data", null=True, blank=True)
    # allocationPolicy: null means the service's default applies, as it changes.
    allocation_policy = models.CharField(
        "Allocation policy", max_length=16, choices=AllocationPolicy.choices, null=True, blank=True
    )
    webhook_url = models.URLField(
        "Webhook URL",
        max_length=constants.WEBHOOK_URL_MAX_LENGTH,
        blank=True,
        validators=[validators.validate_webhook_url],
    )
    api_version = models.CharField(
        "API version",
        max_length=constants.API_VERSION_MAX_LENGTH,
        blank=True,
        validators=[validators.validate_api_version],
    )
    iot_hub_host_name = models.CharField(
        "IoT hub host name (legacy)",
        max_length=constants.HOST_NAME_MAX_LENGTH,
        blank=True,
        validators=[validators.validate_legacy_iot_hub_host_name],
    )
    iot_edge = models.BooleanField("Enable IoT Edge on provisioned devices", default=False)
    initial_twin_tags = models.JSONField(
        "Device tags", default=dict, blank=True, validators=[validators.validate_twin_tags]
    )
    initial_twin_desired_properties = models.JSONField(
        "Desired properties", default=dict, blank=True, validators=[validators.validate_twin_desired_properties]
    )
    etag = models.CharField(max_length=64, default=new_etag)
    created_date_time_utc = models.DateTimeField("Created (UTC)", default=timezone.now)
    last_updated_date_time_utc = models.DateTimeField("Last updated (UTC)", default=timezone.now)

    class Meta:
        abstract = True

    @property
    def is_enabled(self) -> bool:
        return self.provisioning_status == ProvisioningStatus.ENABLED

    @property
    def reprovision_policy(self) -> str:
        """The portal's reprovision policy value (choices.ReprovisionPolicy) for the two booleans."""
        return reprovision_policy_from_flags(self.update_hub_assignment, self.migrate_device_data)

    def effective_allocation_policy(self, service: ProvisioningService | None = None) -> str:
        """The enrollment's allocation policy, or the service default when it has none (dps-reference §5.1)."""
        if self.allocation_policy:
            return self.allocation_policy
        return (service or ProvisioningService.objects.get_current()).allocation_policy


class EnrollmentGroup(EnrollmentBase):
    """Many devices sharing one attestation: a symmetric key or an X.509 CA (dps-reference §1.2)."""

    enrollment_group_id = models.CharField(
        "Group name",
        max_length=constants.ENROLLMENT_GROUP_ID_MAX_LENGTH,
        validators=[validators.validate_enrollment_group_id],
    )
    iot_hubs = models.ManyToManyField(
        LinkedIotHub, through="EnrollmentGroupIotHub", related_name="enrollment_groups", blank=True
    )
    # x509 with caReferences: certificates uploaded to the service, by reference.
    ca_primary = models.ForeignKey(
        CaCertificate, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="Primary CA"
    )
    ca_secondary = models.ForeignKey(
        CaCertificate, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="Secondary CA"
    )

    class Meta:
        verbose_name = "enrollment group"
        ordering = ["-created_date_time_utc", "-pk"]
        constraints = [
            models.UniqueConstraint(
                Lower("enrollment_group_id"), name="%(app_label)s_%(class)s_unique_enrollment_group_id"
            ),
            models.CheckConstraint(
                condition=~Q(attestation_type=AttestationType.TPM),
                name="%(app_label)s_%(class)s_no_tpm",
            ),
        ]
        indexes = [models.Index(fields=["-created_date_time_utc", "-id"], name="enrollments_group_created_idx")]

    def __str__(self) -> str:
        return self.enrollment_group_id

    def get_absolute_url(self) -> str:
        return reverse("enrollments:enrollment_group_detail", args=[self.enrollment_group_id])

    @property
    def uses_ca_references(self) -> bool:
        return self.attestation_type == AttestationType.X509 and self.ca_primary_id is not None

    @property
    def attestation_label(self) -> str:
        """The wizard's `Attestation` option this group was made with."""
        if self.attestation_type == AttestationType.SYMMETRIC_KEY:
            return GroupAttestation.SYMMETRIC_KEY.label
        if self.uses_ca_references:
            return GroupAttestation.X509_CA.label
        return GroupAttestation.X509_SIGNING.label


class IndividualEnrollment(EnrollmentBase):
    """One device's enrollment: symmetric key, X.509 client certificate or TPM (dps-reference §1.1)."""

    registration_id = models.CharField(
        "Registration ID",
        max_length=constants.REGISTRATION_ID_MAX_LENGTH,
        validators=[validators.validate_registration_id],
    )
    device_id = models.CharField(
        "IoT Hub Device ID",
        max_length=constants.DEVICE_ID_MAX_LENGTH,
        blank=True,
        validators=[validators.validate_device_id],
        help_text="Blank: the registration ID is used.",
    )
    endorsement_key = models.TextField("Endorsement key", blank=True, validators=[validators.validate_endorsement_key])
    storage_root_key = models.TextField(
        "Storage root key", blank=True, validators=[validators.validate_storage_root_key]
    )
    optional_device_information = models.JSONField(
        null=True, blank=True, validators=[validators.validate_optional_device_information]
    )
    iot_hubs = models.ManyToManyField(
        LinkedIotHub, through="IndividualEnrollmentIotHub", related_name="individual_enrollments", blank=True
    )

    class Meta:
        verbose_name = "individual enrollment"
        ordering = ["registration_id"]
        constraints = [
            models.UniqueConstraint(Lower("registration_id"), name="%(app_label)s_%(class)s_unique_registration_id"),
            models.CheckConstraint(
                condition=~Q(attestation_type="tpm") | ~Q(endorsement_key=""),
                name="%(app_label)s_%(class)s_tpm_has_endorsement_key",
            ),
        ]

    def __str__(self) -> str:
        return self.registration_id

    def get_absolute_url(self) -> str:
        return reverse("enrollments:individual_enrollment_detail", args=[self.registration_id])

    @property
    def effective_device_id(self) -> str:
        return self.device_id or self.registration_id


class EnrollmentGroupIotHub(models.Model):
    """A group's target hub. PROTECT: a hub cannot be unlinked while an enrollment targets it."""

    enrollment_group = models.ForeignKey(EnrollmentGroup, on_delete=models.CASCADE)
    linked_iot_hub = models.ForeignKey(LinkedIotHub, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment_group", "linked_iot_hub"], name="%(app_label)s_%(class)s_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_group_id} → {self.linked_iot_hub_id}"


class IndividualEnrollmentIotHub(models.Model):
    """An individual enrollment's target hub (see EnrollmentGroupIotHub)."""

    individual_enrollment = models.ForeignKey(IndividualEnrollment, on_delete=models.CASCADE)
    linked_iot_hub = models.ForeignKey(LinkedIotHub, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["individual_enrollment", "linked_iot_hub"], name="%(app_label)s_%(class)s_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.individual_enrollment_id} → {self.linked_iot_hub_id}"


class EnrollmentCertificate(CertificateInfoFields):
    """A certificate uploaded into one enrollment: a group's signing certificate or a device's
    client certificate, in the primary or secondary slot.

    `sha256_thumbprint` is unique across all rows: DPS allows a certificate in only one
    enrollment entry (dps-reference §2).
    """

    enrollment_group = models.ForeignKey(
        EnrollmentGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="certificates"
    )
    individual_enrollment = models.ForeignKey(
        IndividualEnrollment, on_delete=models.CASCADE, null=True, blank=True, related_name="certificates"
    )
    slot = models.CharField(max_length=9, choices=CertificateSlot.choices)

    class Meta:
        verbose_name = "enrollment certificate"
        ordering = ["slot"]
        constraints = [
            models.UniqueConstraint(fields=["sha256_thumbprint"], name="%(app_label)s_%(class)s_unique_thumbprint"),
            models.UniqueConstraint(
                fields=["enrollment_group", "slot"],
                condition=Q(enrollment_group__isnull=False),
                name="%(app_label)s_%(class)s_unique_group_slot",
            ),
            models.UniqueConstraint(
                fields=["individual_enrollment", "slot"],
                condition=Q(individual_enrollment__isnull=False),
                name="%(app_label)s_%(class)s_unique_individual_slot",
            ),
            models.CheckConstraint(
                condition=(Q(enrollment_group__isnull=False) & Q(individual_enrollment__isnull=True))
                | (Q(enrollment_group__isnull=True) & Q(individual_enrollment__isnull=False)),
                name="%(app_label)s_%(class)s_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_name} ({self.slot})"


class RegistrationRecord(models.Model):
    """A device's registration state (DPS DeviceRegistrationState, dps-reference §1.6).

    Written by the device registration endpoint. Deleting an enrollment group keeps its records
    (they still count toward the quota); `enrollment_group_name` keeps the group's name for them.
    """

    registration_id = models.CharField("Registration ID", max_length=constants.REGISTRATION_ID_MAX_LENGTH)
    enrollment_group = models.ForeignKey(
        EnrollmentGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="registration_records"
    )
    # The group's name, kept when the group is deleted (orphaned records stay listed and counted).
    enrollment_group_name = models.CharField(
        "Group name", max_length=constants.ENROLLMENT_GROUP_ID_MAX_LENGTH, blank=True, db_index=True
    )
    individual_enrollment = models.ForeignKey(
        IndividualEnrollment, on_delete=models.SET_NULL, null=True, blank=True, related_name="registration_records"
    )
    attestation_type = models.CharField("Attestation", max_length=16, choices=AttestationType.choices, blank=True)
    device_id = models.CharField("Device ID", max_length=constants.DEVICE_ID_MAX_LENGTH, blank=True)
    assigned_hub = models.CharField("Assigned IoT hub", max_length=constants.HOST_NAME_MAX_LENGTH, blank=True)
    # The hub of the device's first assignment: moving back to it is `reprovisionedToInitialAssignment`.
    initial_assigned_hub = models.CharField(
        "Initially assigned IoT hub", max_length=constants.HOST_NAME_MAX_LENGTH, blank=True
    )
    status = models.CharField(
        "Status", max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.UNASSIGNED
    )
    substatus = models.CharField("Substatus", max_length=40, choices=RegistrationSubstatus.choices, blank=True)
    error_code = models.IntegerField("Error code", null=True, blank=True)
    error_message = models.TextField("Error", blank=True)
    payload = models.JSONField(null=True, blank=True)
    etag = models.CharField(max_length=64, default=new_etag)
    created_date_time_utc = models.DateTimeField("Created (UTC)", default=timezone.now)
    last_updated_date_time_utc = models.DateTimeField("Last updated (UTC)", default=timezone.now)

    class Meta:
        verbose_name = "registration record"
        ordering = ["registration_id"]
        constraints = [
            models.UniqueConstraint(Lower("registration_id"), name="%(app_label)s_%(class)s_unique_registration_id"),
        ]
        # The registration-records list filtered by group name or status and paged by registration ID (keyset
        # paging, pagination.py). The plain sort-key indexes are PostgreSQL-only: see migration list_indexes.
        indexes = [
            models.Index(
                SortKey("enrollment_group_name"), SortKey("registration_id"), name="enrollments_rr_group_key_idx"
            ),
            # The list's `Status` filter, paged by registration ID.
            models.Index("status", SortKey("registration_id"), name="enrollments_rr_status_key_idx"),
        ]

    def __str__(self) -> str:
        return self.registration_id

    @property
    def is_orphaned(self) -> bool:
        """Whether the record's enrollment group was deleted (the record stays, named after it, and
        still counts against the registrations quota; a new group of that name does not inherit it)."""
        return bool(self.enrollment_group_name) and self.enrollment_group_id is None


class DeviceOperation(models.Model):
    """One device register call (DPS RegistrationOperationStatus, dps-reference §4.1), kept in the
    database so a status poll may reach any worker or process.

    `status` is `assigning` while outbound work is pending, then the registration's final status;
    the answer's registrationState is read from `registration_record` (null once the record was
    deleted). Operations older than DPS_DEVICE_OPERATION_LIFETIME seconds are removed by later
    registrations (services.device_registrations).
    """

    operation_id = models.CharField(max_length=80, unique=True)
    # The registration ID as the device sent it on the register path.
    registration_id = models.CharField(max_length=constants.REGISTRATION_ID_MAX_LENGTH)
    registration_record = models.ForeignKey(
        RegistrationRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=RegistrationStatus.choices)
    created_date_time_utc = models.DateTimeField(default=timezone.now)
    last_updated_date_time_utc = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "device operation"
        indexes = [models.Index(fields=["created_date_time_utc"], name="enrollments_devop_created_idx")]

    def __str__(self) -> str:
        return self.operation_id


class DevicePollWindow(models.Model):
    """Operation-status polls of one device in the current throttling window (dps-reference §6:
    5 per 10 s per device; DPS_DEVICE_POLL_LIMIT, DPS_DEVICE_POLL_WINDOW), shared by every worker.

    `registration_key` is the lower-case registration ID; `window_started` is seconds since the
    epoch (UTC) at the window's first poll; `polls` counts the polls in it, the refused ones included.
    """

    registration_key = models.CharField(max_length=constants.REGISTRATION_ID_MAX_LENGTH, unique=True)
    window_started = models.FloatField()
    polls = models.PositiveIntegerField()

    class Meta:
        verbose_name = "device poll window"

    def __str__(self) -> str:
        return f"{self.registration_key}: {self.polls}"


class WizardDraft(models.Model):
    """Server-side state of one add-enrollment wizard (one per wizard, its id in the URL).

    `data` holds what the user typed on each tab as raw form values (invalid ones included), the
    parsed info of uploaded certificates (public data only, never a private key) and which tabs
    were visited. See enrollments/wizard.py for its shape.
    """

    KIND_GROUP = "group"
    KIND_INDIVIDUAL = "individual"
    KIND_CHOICES = [(KIND_GROUP, "Enrollment group"), (KIND_INDIVIDUAL, "Individual enrollment")]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=KIND_CHOICES)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    data = JsonTextField(default=dict, blank=True)  # JSON text: a typed U+0000 survives (fields.py)
    created_date_time_utc = models.DateTimeField(default=timezone.now)
    last_updated_date_time_utc = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "wizard draft"
        indexes = [models.Index(fields=["last_updated_date_time_utc"], name="enrollments_draft_updated_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} draft {self.id}"


def _new_policy_key() -> str:
    return generate_policy_key()


class SharedAccessPolicyManager(models.Manager):
    def ensure_owner(self) -> "SharedAccessPolicy":
        """The default policy `provisioningserviceowner` (all rights), created with fresh keys on first use.

        Never assume it exists: tests flush the database between cases.
        """
        policy, _ = self.get_or_create(
            name=SharedAccessPolicy.OWNER_NAME, defaults={right: True for right in SharedAccessPolicy.RIGHT_FIELDS}
        )
        return policy


class SharedAccessPolicy(models.Model):
    """A shared access policy of the service API: a name, two keys and rights (dps-reference §3).

    Service SAS tokens name the policy in `skn` and are signed with either key. Keys are base64 of
    32 random bytes; secrets, shown in the portal only on explicit Show/Copy.
    """

    OWNER_NAME = "provisioningserviceowner"
    # DPS right name → model field.
    RIGHTS = {
        "ServiceConfig": "service_config",
        "EnrollmentRead": "enrollment_read",
        "EnrollmentWrite": "enrollment_write",
        "RegistrationStatusRead": "registration_status_read",
        "RegistrationStatusWrite": "registration_status_write",
    }
    RIGHT_FIELDS = tuple(RIGHTS.values())

    name = models.CharField("Policy name", max_length=64, validators=[validators.validate_policy_name])
    primary_key = models.CharField("Primary key", max_length=88, default=_new_policy_key)
    secondary_key = models.CharField("Secondary key", max_length=88, default=_new_policy_key)
    service_config = models.BooleanField("ServiceConfig", default=False)
    enrollment_read = models.BooleanField("EnrollmentRead", default=False)
    enrollment_write = models.BooleanField("EnrollmentWrite", default=False)
    registration_status_read = models.BooleanField("RegistrationStatusRead", default=False)
    registration_status_write = models.BooleanField("RegistrationStatusWrite", default=False)
    # A new value on every change (a regenerated key too): edits made from an older version are refused.
    etag = models.CharField(max_length=64, default=new_etag)
    created_date_time_utc = models.DateTimeField(default=timezone.now)

    objects = SharedAccessPolicyManager()

    class Meta:
        verbose_name = "shared access policy"
        verbose_name_plural = "shared access policies"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="%(app_label)s_%(class)s_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def rights(self) -> list[str]:
        """The DPS names of the rights this policy grants, in DPS order."""
        return [right for right, field in self.RIGHTS.items() if getattr(self, field)]

    def has_right(self, right: str) -> bool:
        """Whether the policy grants `right` (a DPS right name such as `EnrollmentRead`)."""
        return bool(getattr(self, self.RIGHTS[right]))
