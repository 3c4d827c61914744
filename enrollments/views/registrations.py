"""Registration records: the list page (filter by group name, orphans included, and by registration
ID prefix) and `Delete registrations`, which every registration-records table posts to."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from .. import selectors
from ..models import EnrollmentGroup
from ..pagination import PAGE_SIZE_CHOICES, PageRequest, keyset_paginate
from ..services.registrations import registration_records_delete as delete_records
from .lists import NAMES_SHOWN, safe_next

NOTHING_SELECTED = "Select at least one registration record to delete."
DELETED = "Deleted {count} registration record{s}: {names}."


@login_required
@require_GET
def registration_records(request: HttpRequest) -> HttpResponse:
    """Registration records, `?group=<name>` (any case, deleted groups too) and `?q=<ID prefix>`."""
    group = request.GET.get("group", "").strip()
    query = request.GET.get("q", "").strip()
    page = keyset_paginate(
        selectors.registration_record_list(group=group, prefix=query),
        key="sort_key",
        request=PageRequest.from_query(request.GET),
        params={"group": group, "q": query},
    )
    group_exists = bool(group) and EnrollmentGroup.objects.filter(enrollment_group_id__iexact=group).exists()
    context = {
        "nav": "enrollments",
        "page": page,
        "group": group,
        "group_exists": group_exists,
        "query": query,
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
        shown = ", ".join(names[:NAMES_SHOWN]) + (" …" if len(names) > NAMES_SHOWN else "")
        messages.success(
            request, DELETED.format(count=len(names), s="" if len(names) == 1 else "s", names=shown or "none")
        )
    return redirect(safe_next(request, reverse("enrollments:registration_records")))
