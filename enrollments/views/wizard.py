"""The add-enrollment wizards (group and individual): one URL per tab, full page or partial."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from dps_portal.htmx import htmx_partial

from ..models import WizardDraft

TABS = ["registration", "iot-hubs", "device-settings", "review"]


def _start(request: HttpRequest, kind: str, url_name: str) -> HttpResponse:
    draft = WizardDraft.objects.create(kind=kind, owner=request.user, data={})
    return redirect(url_name, draft_id=draft.pk, tab=TABS[0])


def _tab(request: HttpRequest, kind: str, draft_id, tab: str) -> HttpResponse:
    if tab not in TABS:
        raise Http404("No such tab.")
    draft = get_object_or_404(WizardDraft, pk=draft_id, owner=request.user, kind=kind)
    template = "enrollments/htmx/wizard_panel.html" if htmx_partial(request) else "enrollments/enrollment_add.html"
    return render(request, template, {"draft": draft, "tab": tab, "nav": "enrollments"})


@login_required
@require_GET
def enrollment_group_add(request: HttpRequest) -> HttpResponse:
    """Open an empty enrollment-group wizard (a new draft) on its first tab."""
    return _start(request, WizardDraft.KIND_GROUP, "enrollments:enrollment_group_add_tab")


@login_required
@require_http_methods(["GET", "POST"])
def enrollment_group_add_tab(request: HttpRequest, draft_id, tab: str) -> HttpResponse:
    """One tab of the enrollment-group wizard."""
    return _tab(request, WizardDraft.KIND_GROUP, draft_id, tab)


@login_required
@require_GET
def individual_enrollment_add(request: HttpRequest) -> HttpResponse:
    """Open an empty individual-enrollment wizard (a new draft) on its first tab."""
    return _start(request, WizardDraft.KIND_INDIVIDUAL, "enrollments:individual_enrollment_add_tab")


@login_required
@require_http_methods(["GET", "POST"])
def individual_enrollment_add_tab(request: HttpRequest, draft_id, tab: str) -> HttpResponse:
    """One tab of the individual-enrollment wizard."""
    return _tab(request, WizardDraft.KIND_INDIVIDUAL, draft_id, tab)
