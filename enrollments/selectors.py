"""Reads for the portal and API (HackSoft selectors): queries live here, not in views."""

from .models import CaCertificate, EnrollmentGroup, IndividualEnrollment, LinkedIotHub, RegistrationRecord


def overview_counts() -> dict[str, int]:
    """Counts shown on Overview. Registration records include orphans of deleted groups."""
    return {
        "enrollment_groups": EnrollmentGroup.objects.count(),
        "individual_enrollments": IndividualEnrollment.objects.count(),
        "registrations": RegistrationRecord.objects.count(),
        "linked_iot_hubs": LinkedIotHub.objects.count(),
        "certificates": CaCertificate.objects.count(),
    }
