"""Enrollment details pages (read-only for now; a later issue makes them editable).

Secrets stay masked: symmetric keys are shown as `••••`, never in the page's HTML.
"""

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from ..choices import IndividualAttestation, ReprovisionPolicy
from ..models import EnrollmentGroup, IndividualEnrollment


def _context(enrollment) -> dict:
    return {
        "enrollment": enrollment,
        "nav": "enrollments",
        "certificates": list(enrollment.certificates.all()),
        "reprovision_label": ReprovisionPolicy(enrollment.reprovision_policy).label,
        "tags_json": json.dumps(enrollment.initial_twin_tags or {}, indent=2, ensure_ascii=False),
        "desired_json": json.dumps(enrollment.initial_twin_desired_properties or {}, indent=2, ensure_ascii=False),
    }


@login_required
@require_GET
def enrollment_group_detail(request: HttpRequest, enrollment_group_id: str) -> HttpResponse:
    """Read-only details of one enrollment group (group names are case-insensitive)."""
    group = get_object_or_404(
        EnrollmentGroup.objects.select_related("ca_primary", "ca_secondary").prefetch_related(
            "iot_hubs", "certificates"
        ),
        enrollment_group_id__iexact=enrollment_group_id,
    )
    return render(
        request,
        "enrollments/enrollment_group_detail.html",
        _context(group),
    )


@login_required
@require_GET
def individual_enrollment_detail(request: HttpRequest, registration_id: str) -> HttpResponse:
    """Read-only details of one individual enrollment (registration IDs are case-insensitive)."""
    enrollment = get_object_or_404(
        IndividualEnrollment.objects.prefetch_related("iot_hubs", "certificates"),
        registration_id__iexact=registration_id,
    )
    return render(
        request,
        "enrollments/individual_enrollment_detail.html",
        {**_context(enrollment), "attestation_label": IndividualAttestation(enrollment.attestation_type).label},
    )
