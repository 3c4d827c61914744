"""Reads for the portal and API (HackSoft selectors): queries live here, not in views."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from .choices import RegistrationStatus
from .models import CaCertificate, EnrollmentGroup, IndividualEnrollment, LinkedIotHub, RegistrationRecord
from .pagination import SortKey, normalize_prefix, prefix_range


def overview_counts() -> dict[str, int]:
    """Counts shown on Overview. Registration records include orphans of deleted groups."""
    return {
        "enrollment_groups": EnrollmentGroup.objects.count(),
        "individual_enrollments": IndividualEnrollment.objects.count(),
        "registrations": RegistrationRecord.objects.count(),
        "linked_iot_hubs": LinkedIotHub.objects.count(),
        "certificates": CaCertificate.objects.count(),
    }


# Manage enrollments and registration records lists (keyset-paginated, see pagination.py). Each list
# is one queryset with a unique `sort_key` annotation; per-row facts come from correlated subqueries
# evaluated for the page's rows only, so a page costs the same number of queries at any size.


def _filter_prefix(queryset: QuerySet, prefix: str | None) -> QuerySet:
    """Keep rows whose `sort_key` starts with `prefix`, ignoring case, as an index range."""
    prefix = normalize_prefix(prefix)
    if not prefix:
        return queryset
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


def registration_record_list(*, group: str = "", prefix: str = "") -> QuerySet[RegistrationRecord]:
    """Registration records annotated `sort_key` (lower-case registration ID).

    `group`: only records of the group of that name, any case, matched on the kept
    `enrollment_group_name` so records of a deleted group are still found. `prefix`: registration
    ID prefix, any case.
    """
    queryset = RegistrationRecord.objects.annotate(sort_key=SortKey("registration_id"))
    if group.strip():
        queryset = queryset.annotate(group_key=SortKey("enrollment_group_name")).filter(group_key=group.strip().lower())
    return _filter_prefix(queryset, prefix)


def registration_records_for_group(name: str) -> QuerySet[RegistrationRecord]:
    """The registration records of the enrollment group `name` (any case), orphans of a deleted
    group of that name included; ordered by registration ID."""
    return registration_record_list(group=name).order_by("sort_key")


def registration_record_for_registration_id(registration_id: str) -> RegistrationRecord | None:
    """The registration record of one device (registration IDs are unique ignoring case), or None."""
    return (
        RegistrationRecord.objects.annotate(sort_key=SortKey("registration_id"))
        .filter(sort_key=registration_id.lower())
        .first()
    )
