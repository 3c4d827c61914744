"""Reads for the portal and API (HackSoft selectors): queries live here, not in views."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography import x509
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower

from . import kinds
from .attestation.x509_chain import CaCandidate, GroupCandidate, IndividualCandidate, thumbprint
from .choices import AttestationType, RegistrationStatus
from .expressions import SortKey
from .models import (
    CaCertificate,
    DeviceOperation,
    EnrollmentCertificate,
    EnrollmentGroup,
    IndividualEnrollment,
    LinkedIotHub,
    ProvisioningService,
    RegistrationRecord,
    SharedAccessPolicy,
    WizardDraft,
    with_name,
)
from .pagination import normalize_prefix, prefix_range


def overview_counts() -> dict[str, int]:
    """Counts shown on Overview. Registration records include orphans of deleted groups."""
    return {
        "enrollment_groups": EnrollmentGroup.objects.count(),
        "individual_enrollments": IndividualEnrollment.objects.count(),
        "registrations": RegistrationRecord.objects.count(),
        "linked_iot_hubs": LinkedIotHub.objects.count(),
        "certificates": CaCertificate.objects.count(),
    }


def linked_iot_hubs_by_host_name(host_names: Iterable[str]) -> dict[str, LinkedIotHub]:
    """The linked IoT hubs of these host names (any case), in one query: {lower-case host name: hub};
    names of hubs not linked are left out."""
    keys = sorted({name.lower() for name in host_names if isinstance(name, str)})
    if not keys:
        return {}
    hubs = LinkedIotHub.objects.annotate(key=Lower("host_name")).filter(key__in=keys)
    return {hub.key: hub for hub in hubs}


def ca_certificate_by_name(name: str) -> CaCertificate | None:
    """The uploaded CA certificate named `name` (names are unique ignoring case), or None."""
    return CaCertificate.objects.filter(name__iexact=name).first()


# Manage enrollments and registration records lists (keyset-paginated, see pagination.py). Each list
# is one queryset with a unique `sort_key` annotation; per-row facts come from correlated subqueries
# evaluated for the page's rows only, so a page costs the same number of queries at any size.


def _filter_prefix(queryset: QuerySet, prefix: str | None) -> QuerySet:
    """Keep rows whose `sort_key` starts with `prefix`, ignoring case, as an index range; none for
    a prefix holding NUL (no ID holds it, and PostgreSQL refuses it in a query)."""
    prefix = normalize_prefix(prefix)
    if not prefix:
        return queryset
    if "\x00" in prefix:
        return queryset.none()
    low, high = prefix_range(prefix)
    queryset = queryset.filter(sort_key__gte=low)
    return queryset.filter(sort_key__lt=high) if high is not None else queryset


def enrollment_group_list(*, prefix: str = "") -> QuerySet[EnrollmentGroup]:
    """Enrollment groups for the list page, annotated `sort_key` (lower-case name) and
    `iot_hub_count` (0 means all linked hubs); `prefix` filters by group name prefix, any case."""
    hub_counts = (
        EnrollmentGroup.iot_hubs.through.objects.filter(enrollment_group=OuterRef("pk"))
        .order_by()
        .values("enrollment_group")
        .annotate(n=Count("pk"))
        .values("n")
    )
    queryset = EnrollmentGroup.objects.only(
        "id",
        "enrollment_group_id",
        "attestation_type",
        "ca_primary_id",
        "provisioning_status",
        "allocation_policy",
        "created_date_time_utc",
    ).annotate(
        sort_key=SortKey("enrollment_group_id"),
        iot_hub_count=Coalesce(Subquery(hub_counts, output_field=IntegerField()), Value(0)),
    )
    return _filter_prefix(queryset, prefix)


def individual_enrollment_list(*, prefix: str = "") -> QuerySet[IndividualEnrollment]:
    """Individual enrollments for the list page, annotated `sort_key` (lower-case registration ID)
    and `registration_status` (its registration record's status, `unassigned` when it has none);
    `prefix` filters by registration ID prefix, any case."""
    status = RegistrationRecord.objects.filter(individual_enrollment=OuterRef("pk")).order_by().values("status")[:1]
    queryset = IndividualEnrollment.objects.only(
        "id",
        "registration_id",
        "device_id",
        "attestation_type",
        "provisioning_status",
        "created_date_time_utc",
    ).annotate(
        sort_key=SortKey("registration_id"),
        registration_status=Coalesce(Subquery(status), Value(RegistrationStatus.UNASSIGNED)),
    )
    return _filter_prefix(queryset, prefix)


def _records_of_group_name(queryset: QuerySet[RegistrationRecord], name: str) -> QuerySet[RegistrationRecord]:
    """`queryset` narrowed to the records of the group named `name` (any case), tied to it by key:
    while a group of that name exists, its own records only (a new group reusing a deleted group's
    name starts with none); when none exists, the orphaned records kept under that name."""
    if "\x00" in name:
        return queryset.none()
    groups = with_name(EnrollmentGroup.objects.all(), "enrollment_group_id", name)
    group_pk = groups.values_list("pk", flat=True).first()
    if group_pk is not None:
        return queryset.filter(enrollment_group_id=group_pk)
    return queryset.annotate(group_key=SortKey("enrollment_group_name")).filter(
        group_key=name.lower(), enrollment_group__isnull=True
    )


def registration_record_list(*, group: str = "", prefix: str = "", status: str = "") -> QuerySet[RegistrationRecord]:
    """Registration records annotated `sort_key` (lower-case registration ID).

    `group`: only the records of the group of that name, any case (`_records_of_group_name`: the
    existing group's own records, else the orphans kept under that name). `prefix`: registration
    ID prefix, any case. `status`: only records in that registration status (a `RegistrationStatus`
    value, e.g. `failed`; blank: any); the (status, sort key) index serves it with the paging.
    """
    queryset = RegistrationRecord.objects.annotate(sort_key=SortKey("registration_id"))
    if group.strip():
        queryset = _records_of_group_name(queryset, group.strip())
    if status:
        queryset = queryset.filter(status=status)
    return _filter_prefix(queryset, prefix)


def registration_records_for_group(group: EnrollmentGroup) -> QuerySet[RegistrationRecord]:
    """The registration records of `group` (tied to it by key: never the orphans of an earlier
    group of the same name), ordered by registration ID."""
    return (
        RegistrationRecord.objects.annotate(sort_key=SortKey("registration_id"))
        .filter(enrollment_group=group)
        .order_by("sort_key")
    )


def registration_records_by_registration_id(registration_ids: Iterable[str]) -> dict[str, RegistrationRecord]:
    """The registration records of these registration IDs (any case), in one query whatever their
    number: {lower-case registration ID: record}; IDs without a record are left out."""
    keys = sorted({registration_id.lower() for registration_id in registration_ids})
    if not keys:
        return {}
    records = RegistrationRecord.objects.annotate(sort_key=SortKey("registration_id")).filter(sort_key__in=keys)
    return {record.sort_key: record for record in records}


def registration_record_for_registration_id(registration_id: str) -> RegistrationRecord | None:
    """The registration record of one device (registration IDs are unique ignoring case), or None
    (also for an ID holding NUL, see models.with_name)."""
    if "\x00" in registration_id:
        return None
    return (
        RegistrationRecord.objects.annotate(sort_key=SortKey("registration_id"))
        .filter(sort_key=registration_id.lower())
        .first()
    )


# X.509 device attestation: the candidate enrollments for one presented chain, as plain data for
# attestation/x509_chain.py, in a fixed number of queries whatever the number of groups.


@dataclass(frozen=True)
class X509Candidates:
    """What x509_attestation_candidates found: keyword arguments of attestation.x509_chain.match_chain."""

    individual: IndividualCandidate | None
    groups: list[GroupCandidate]
    uploaded_cas: list[CaCandidate]


def x509_attestation_candidates(*, registration_id: str, chain: Sequence[x509.Certificate]) -> X509Candidates:
    """The enrollments a device presenting `chain` (leaf first) for `registration_id` could match.

    Returns X509Candidates: the individual enrollment for the registration ID (any case) or None; the
    X.509 enrollment groups whose signing certificate or referenced CA certificate is in the chain
    (by SHA-256 thumbprint) or could have issued a member of it (its subject is a member's issuer
    name; match_chain then checks signatures); the uploaded CA certificates found the same way,
    referenced or not. At most five queries (the individual enrollment and its certificates, the
    signing certificates with their groups, the CA certificates, the groups referencing them) for
    any number of groups.
    """
    thumbprints = [thumbprint(c) for c in chain]
    issuer_names = sorted({c.issuer.rfc4514_string() for c in chain})
    on_chain = Q(sha256_thumbprint__in=thumbprints) | Q(subject_name__in=issuer_names)

    individual = None
    enrollment = (
        IndividualEnrollment.objects.annotate(sort_key=SortKey("registration_id"))
        .filter(sort_key=registration_id.lower())
        .only("id", "registration_id", "attestation_type", "provisioning_status")
        .first()
    )
    if enrollment is not None:
        client_thumbprints = EnrollmentCertificate.objects.filter(individual_enrollment=enrollment).values_list(
            "sha256_thumbprint", flat=True
        )
        individual = IndividualCandidate(
            key=enrollment.pk,
            registration_id=enrollment.registration_id,
            enabled=enrollment.is_enabled,
            attestation_type=enrollment.attestation_type,
            thumbprints=frozenset(client_thumbprints),
        )

    groups: dict[int, tuple[EnrollmentGroup, list, list]] = {}
    signing = (
        EnrollmentCertificate.objects.filter(on_chain, enrollment_group__attestation_type=AttestationType.X509)
        .select_related("enrollment_group")
        .order_by("enrollment_group_id", "slot")
    )
    for row in signing:
        groups.setdefault(row.enrollment_group_id, (row.enrollment_group, [], []))[1].append(_load_pem(row.certificate))

    uploaded = {
        ca.pk: CaCandidate(name=ca.name, certificate=_load_pem(ca.certificate), verified=ca.is_verified)
        for ca in CaCertificate.objects.filter(on_chain).order_by("pk")
    }
    if uploaded:
        referencing = EnrollmentGroup.objects.filter(
            Q(ca_primary__in=list(uploaded)) | Q(ca_secondary__in=list(uploaded)),
            attestation_type=AttestationType.X509,
        )
        for group in referencing:
            entry = groups.setdefault(group.pk, (group, [], []))
            entry[2].extend(uploaded[pk] for pk in (group.ca_primary_id, group.ca_secondary_id) if pk in uploaded)

    return X509Candidates(
        individual=individual,
        groups=[
            GroupCandidate(
                key=pk,
                name=group.enrollment_group_id,
                enabled=group.is_enabled,
                signing_certificates=tuple(signing_certificates),
                ca_references=tuple(ca_references),
            )
            for pk, (group, signing_certificates, ca_references) in sorted(groups.items())
        ],
        uploaded_cas=list(uploaded.values()),
    )


def _load_pem(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


# One enrollment or registration state by name (details pages, the service API).


def enrollments_with_relations(model: type) -> QuerySet:
    """`model`'s rows (EnrollmentGroup or IndividualEnrollment) with their target hubs, certificates
    and (groups) CA references loaded alongside, for the details pages and the service API."""
    queryset = model.objects.prefetch_related("iot_hubs", "certificates")
    if model is EnrollmentGroup:
        queryset = queryset.select_related("ca_primary", "ca_secondary")
    return queryset


def enrollment_by_name(model: type, name: str, *, related: bool = True):
    """The enrollment named `name` (group name or registration ID, any case), or None.

    An index lookup at any table size (models.with_name); with `related` its hubs, certificates and
    CA references are loaded too (enrollments_with_relations).
    """
    queryset = enrollments_with_relations(model) if related else model.objects.all()
    return with_name(queryset, kinds.BY_MODEL[model].id_field, name).first()


def registration_states_of_group(name: str) -> QuerySet[RegistrationRecord]:
    """The service API's `POST /registrations/{group}/query`: the records of the group `name` (any
    case) as `_records_of_group_name` finds them (the existing group's own records, else the orphans
    kept under that name); unordered (the API's paging orders them). None for a name holding NUL."""
    return _records_of_group_name(RegistrationRecord.objects.all(), name)


def enrollment_group_exists(name: str) -> bool:
    """Whether an enrollment group is named `name` (any case)."""
    return with_name(EnrollmentGroup.objects.all(), "enrollment_group_id", name).exists()


def enrollment_names(model: type, pks: list[int]) -> list[str]:
    """The names (group names or registration IDs) of `model`'s rows `pks`, in name order."""
    id_field = kinds.BY_MODEL[model].id_field
    return list(model.objects.filter(pk__in=pks).order_by(id_field).values_list(id_field, flat=True))


# The portal's other pages: each reads its records here, in the order the page shows them.


def linked_iot_hubs() -> QuerySet[LinkedIotHub]:
    """The linked IoT hubs by host name (Linked IoT hubs page, the wizard's target hubs)."""
    return LinkedIotHub.objects.order_by("host_name")


def linked_iot_hub(pk: int) -> LinkedIotHub | None:
    return LinkedIotHub.objects.filter(pk=pk).first()


def linked_iot_hub_by_host_name(host_name: str) -> LinkedIotHub | None:
    """The linked hub with this host name (any case), or None."""
    return LinkedIotHub.objects.filter(host_name__iexact=host_name).first()


def ca_certificates() -> QuerySet[CaCertificate]:
    """The uploaded CA certificates by name (Certificates page, the wizard's CA choices)."""
    return CaCertificate.objects.order_by("name")


def ca_certificate(pk: int) -> CaCertificate | None:
    return CaCertificate.objects.filter(pk=pk).first()


def shared_access_policies() -> QuerySet[SharedAccessPolicy]:
    """The service API's shared access policies by name."""
    return SharedAccessPolicy.objects.order_by("name")


def shared_access_policy(pk: int) -> SharedAccessPolicy | None:
    return SharedAccessPolicy.objects.filter(pk=pk).first()


def wizard_draft(pk) -> WizardDraft | None:
    """An add-enrollment wizard's draft, or None (completed, expired, or never made)."""
    return WizardDraft.objects.filter(pk=pk).first()


# The device API (dps-reference §4.1): what one register, poll or status lookup reads, in a fixed
# number of queries whatever the number of enrollments, groups or hubs.


def provisioning_service_for_id_scope(id_scope: str) -> ProvisioningService | None:
    """The provisioning service when `id_scope` is its ID scope (compared ignoring case), else None."""
    service = ProvisioningService.objects.get_current()
    return service if service.id_scope.lower() == id_scope.lower() else None


def device_operation(operation_id: str) -> DeviceOperation | None:
    """A device register operation by its ID (exact), with its registration record, or None."""
    if "\x00" in operation_id:
        return None
    return DeviceOperation.objects.select_related("registration_record").filter(operation_id=operation_id).first()
