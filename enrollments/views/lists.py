"""Manage enrollments: the `Enrollment groups` and `Individual enrollments` tabs, and bulk delete.

Each tab is its own URL. Lists are keyset-paginated with an index-backed prefix filter
(pagination.py); an htmx request (typing in `Filter`, a pagination link) gets only the table.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dps_portal.htmx import htmx_partial

from .. import selectors
from ..choices import IndividualAttestation, RegistrationStatus
from ..kinds import GROUP, INDIVIDUAL, Kind
from ..pagination import PAGE_SIZE_CHOICES, PageRequest, keyset_paginate
from ..services.enrollments import enrollments_delete
from ..web import name_list, safe_next

# What each tab shows; the words are the contract's (ui-contract.md § Manage enrollments).
TABS = {
    kind.list_tab: {
        "label": kind.list_label,
        "url_name": kind.list_url_name,
        "delete_url_name": kind.bulk_delete_url_name,
        "table_template": kind.table_template,
        "placeholder": kind.filter_placeholder,
        "noun": (kind.singular, kind.plural),
    }
    for kind in (GROUP, INDIVIDUAL)
}
NOTHING_SELECTED = "Select at least one {noun} to delete."
DELETED = "Deleted {count} {noun}: {names}."
REGISTRATION_STATUS_LABELS = dict(RegistrationStatus.choices)
# The group delete dialog's checkbox (`Also delete its registration records` on a details page, `Also
# delete their registration records` here; portal.js data-confirm-checkbox): its POST field.
DELETE_RECORDS_FIELD = "delete_registration_records"
GROUP_RECORDS_KEPT = " Their registration records were kept."
GROUP_RECORDS_DELETED = " Their registration records were deleted too."


def _render_list(request: HttpRequest, tab: str, queryset) -> HttpResponse:
    spec = TABS[tab]
    query = request.GET.get("q", "").strip()
    page = keyset_paginate(queryset, key="sort_key", request=PageRequest.from_query(request.GET), params={"q": query})
    if tab == "individuals":
        for enrollment in page.items:
            enrollment.attestation_label = attestation_label(enrollment.attestation_type)
            enrollment.registration_status_label = REGISTRATION_STATUS_LABELS.get(
                enrollment.registration_status, enrollment.registration_status
            )
    context = {
        "nav": "enrollments",
        "tab": tab,
        "tabs": [{"key": key, **value} for key, value in TABS.items()],
        "spec": spec,
        "page": page,
        "query": query,
        "page_size_choices": PAGE_SIZE_CHOICES,
        "list_url": reverse(spec["url_name"]),
    }
    template = spec["table_template"] if htmx_partial(request) else "enrollments/enrollment_list.html"
    return render(request, template, context)


@login_required
@require_GET
def enrollment_group_list(request: HttpRequest) -> HttpResponse:
    """Manage enrollments, tab `Enrollment groups`."""
    return _render_list(request, "groups", selectors.enrollment_group_list(prefix=request.GET.get("q", "")))


@login_required
@require_GET
def individual_enrollment_list(request: HttpRequest) -> HttpResponse:
    """Manage enrollments, tab `Individual enrollments`."""
    return _render_list(request, "individuals", selectors.individual_enrollment_list(prefix=request.GET.get("q", "")))


def _selected_pks(request: HttpRequest) -> list[int]:
    return [int(value) for value in request.POST.getlist("pk") if value.isdigit()]


def _bulk_delete(request: HttpRequest, kind: Kind) -> HttpResponse:
    pks = _selected_pks(request)
    if not pks:
        messages.warning(request, NOTHING_SELECTED.format(noun=kind.singular))
    else:
        names = selectors.enrollment_names(kind.model, pks)
        with_records = kind.is_group and request.POST.get(DELETE_RECORDS_FIELD) == "on"
        count = enrollments_delete(model=kind.model, pks=pks, delete_registration_records=with_records)
        noun = kind.singular if count == 1 else kind.plural
        message = DELETED.format(count=count, noun=noun, names=name_list(names))
        if kind.is_group:
            message += GROUP_RECORDS_DELETED if with_records else GROUP_RECORDS_KEPT
        messages.success(request, message)
    return redirect(safe_next(request, kind.list_url()))


@login_required
@require_POST
def enrollment_group_bulk_delete(request: HttpRequest) -> HttpResponse:
    """Delete the selected enrollment groups (POST `pk` list). Their registration records stay unless
    `Also delete their registration records` was checked (POST `delete_registration_records=on`)."""
    return _bulk_delete(request, GROUP)


@login_required
@require_POST
def individual_enrollment_bulk_delete(request: HttpRequest) -> HttpResponse:
    """Delete the selected individual enrollments (POST `pk` list)."""
    return _bulk_delete(request, INDIVIDUAL)


def attestation_label(value: str) -> str:
    """An individual enrollment's `Attestation` as the wizard names it."""
    try:
        return IndividualAttestation(value).label
    except ValueError:
        return value
