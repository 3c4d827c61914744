"""Registration records: the list page (filter by group name, orphans included, by registration
ID prefix and by status) and `Delete registrations`, which every registration-records table posts to."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from .. import selectors
from ..choices import RegistrationStatus
from ..pagination import PAGE_SIZE_CHOICES, PageRequest, keyset_paginate
from ..services.registrations import registration_records_delete as delete_records
from ..web import name_list, safe_next

NOTHING_SELECTED = "Select at least one registration record to delete."
DELETED = "Deleted {count} registration record{s}: {names}."
# The `Status` filter's options, in the order of ui-contract.md § Registration records.
STATUS_FILTER_ORDER = (
    RegistrationStatus.ASSIGNED,
    RegistrationStatus.ASSIGNING,
    RegistrationStatus.FAILED,
    RegistrationStatus.DISABLED,
    RegistrationStatus.UNASSIGNED,
)


STATUS_CHOICES = [(status.value, status.label) for status in STATUS_FILTER_ORDER]
UNKNOWN_STATUS = "“{value}” is not a registration status. Choose one of {choices}, or Any status."


@login_required
@require_GET
def registration_records(request: HttpRequest) -> HttpResponse:
    """Registration records, `?group=<name>` (any case, deleted groups too), `?q=<ID prefix>` and
    `?status=<assigned|assigning|failed|disabled|unassigned>` (`Status`). An unknown status lists
    nothing and says so next to `Status`, rather than quietly listing every status."""
    group = request.GET.get("group", "").strip()
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "").strip()
    status_error = ""
    if status and status not in RegistrationStatus.values:
        status_error = UNKNOWN_STATUS.format(value=status, choices=", ".join(label for _, label in STATUS_CHOICES))
    records = selectors.registration_record_list(group=group, prefix=query, status=status)
    page = keyset_paginate(
        records.none() if status_error else records,
        key="sort_key",
        request=PageRequest.from_query(request.GET),
        params={"group": group, "q": query, "status": status},
    )
    group_exists = bool(group) and selectors.enrollment_group_exists(group)
    context = {
        "nav": "enrollments",
        "page": page,
        "group": group,
        "group_exists": group_exists,
        "query": query,
        "status": status,
        "status_choices": STATUS_CHOICES,
        "status_error": status_error,
        "list_url": reverse("enrollments:registration_records"),
        "page_size_choices": PAGE_SIZE_CHOICES,
    }
    return render(request, "enrollments/registration_records.html", context)


@login_required
@require_POST
def registration_records_delete(request: HttpRequest) -> HttpResponse:
    """`Delete registrations`: delete the POSTed `pk` records, then go back to `next`."""
    pks = [int(value) for value in request.POST.getlist("pk") if value.isdigit()]
    if not pks:
        messages.warning(request, NOTHING_SELECTED)
    else:
        names = delete_records(pks=pks)
        shown = name_list(names)
        messages.success(
            request, DELETED.format(count=len(names), s="" if len(names) == 1 else "s", names=shown or "none")
        )
    return redirect(safe_next(request, reverse("enrollments:registration_records")))
