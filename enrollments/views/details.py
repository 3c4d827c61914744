"""Enrollment details pages (ui-contract.md § Details pages, § Delete).

One page per enrollment, laid out as the wizard's tabs in edit mode: `Registration + provisioning`,
`IoT hubs`, `Device settings` (all three inside ONE form, switched on the client, so edits on one tab
survive a switch to another and every `Save` posts them all; forms/details.py), plus
`Registration records` for a group. Each tab also has a URL of its own (`…/details/<tab>/`), which
opens the page on that tab.

`Save` posts the whole form with the etag the page was opened with (hidden field `etag`) and writes
only the values that differ from the stored ones through `services.enrollments.enrollment_update`,
conditionally on that etag. Someone else's save in between refuses ours: the user's edits stay on
screen (a 200 re-render, not a redirect) under one alert whose `Open the current version` opens
their version with the changed fields put back (static/js/details.js). Validation errors stay next
to their field, the tab that holds them marked. `Delete` goes through the confirm dialog.

Secrets: symmetric keys are never in the page's HTML; `Show` / `Copy` fetch one key from its own
login-required, uncached URL (`…/keys/<primary|secondary>/`). Likewise the webhook URL's code= key
(shown `••••`): its `Show` / `Copy` fetch the stored URL from `…/webhook-url/`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dps_portal.htmx import htmx_partial

from .. import selectors
from ..choices import AttestationType
from ..exceptions import EtagMismatchError
from ..forms.details import EnrollmentDetailsForms
from ..kinds import FORM_TABS, GROUP, INDIVIDUAL, REGISTRATION, REGISTRATION_RECORDS, TAB_LABELS, Kind
from ..services.enrollments import enrollment_delete, enrollment_update
from .lists import DELETE_RECORDS_FIELD

KEY_SLOTS = ("primary", "secondary")
SECRET_FIELDS = ("primary_key", "secondary_key")
RECORDS_SHOWN = 100

SAVED = "{noun} “{name}” was saved."
NOTHING_CHANGED = "Nothing to save: no value was changed."
FIX_ERRORS = "Nothing was saved. Fix the fields marked in red, then select Save again."
DELETED = "{noun} “{name}” was deleted."
DELETED_GROUP_RECORDS = " Its registration records were kept."
DELETED_GROUP_RECORDS_TOO = " {count} registration record{s} deleted with it."


def _tab_url(kind: Kind, enrollment, tab: str) -> str:
    return kind.url(enrollment) if tab == REGISTRATION else kind.url(enrollment, "detail_tab", tab)


def _tabs(kind: Kind) -> tuple[str, ...]:
    return (*FORM_TABS, REGISTRATION_RECORDS) if kind.is_group else FORM_TABS


def _get(kind: Kind, name: str):
    enrollment = selectors.enrollment_by_name(kind.model, name)
    if enrollment is None:
        raise Http404(f"No {kind.singular} named “{name}”.")
    return enrollment


def _credentials(kind: Kind, enrollment) -> list[dict]:
    """The read-only credentials of the `Registration + provisioning` tab, in the wizard's labels."""
    if enrollment.attestation_type == AttestationType.SYMMETRIC_KEY:
        return [
            {"type": "key", "slot": slot, "label": f"{slot.capitalize()} key", "url": kind.url(enrollment, "key", slot)}
            for slot in KEY_SLOTS
        ]
    if enrollment.attestation_type == AttestationType.TPM:
        return [{"type": "endorsement_key", "label": "Endorsement key", "value": enrollment.endorsement_key}]
    if kind.is_group and enrollment.uses_ca_references:
        return [
            {"type": "ca", "slot": slot, "label": f"{slot.capitalize()} certificate", "cert": ca}
            for slot, ca in (("primary", enrollment.ca_primary), ("secondary", enrollment.ca_secondary))
        ]
    by_slot = {cert.slot: cert for cert in enrollment.certificates.all()}
    return [
        {"type": "certificate", "slot": slot, "label": f"{slot.capitalize()} certificate", "cert": by_slot.get(slot)}
        for slot in KEY_SLOTS
    ]


def _render(
    request: HttpRequest,
    kind: Kind,
    enrollment,
    forms: EnrollmentDetailsForms,
    *,
    tab: str,
    etag: str,
    status: int = 200,
    conflict: bool = False,
) -> HttpResponse:
    tabs = [
        {
            "slug": slug,
            "label": TAB_LABELS[slug],
            "url": _tab_url(kind, enrollment, slug),
            "has_errors": slug in FORM_TABS and forms.tab_has_errors(slug),
        }
        for slug in _tabs(kind)
    ]
    context = {
        "enrollment": enrollment,
        "kind": kind.key,
        "noun": kind.noun,
        "nav": "enrollments",
        "tabs": tabs,
        "tab": tab,
        "panels": [{"slug": slug, "form": forms[slug]} for slug in FORM_TABS],
        "etag": etag,
        "form_url": kind.url(enrollment),
        "delete_url": kind.url(enrollment, "delete"),
        "credentials": _credentials(kind, enrollment),
        # A refused Save (someone else saved first): a link that opens the current version with a GET,
        # since reloading this page would post the refused form again.
        "conflict_url": _tab_url(kind, enrollment, tab) if conflict else "",
    }
    if kind.is_group:
        records_url = _tab_url(kind, enrollment, REGISTRATION_RECORDS)
        context["records"] = selectors.registration_records_for_group(enrollment)[:RECORDS_SHOWN]
        context["records_next_url"] = records_url
        context["records_all_url"] = (
            reverse("enrollments:registration_records") + "?group=" + enrollment.enrollment_group_id
        )
    else:
        record = selectors.registration_record_for_registration_id(enrollment.registration_id)
        context["records"] = [record] if record else []
        context["records_next_url"] = kind.url(enrollment)
    template = "enrollments/details/form_body.html" if htmx_partial(request) else kind.detail_template
    return render(request, template, context, status=status)


def _details(request: HttpRequest, kind: Kind, name: str, tab: str) -> HttpResponse:
    if tab not in _tabs(kind):
        raise Http404("No such tab.")
    enrollment = _get(kind, name)
    url = kind.url(enrollment)
    secret_url = kind.url(enrollment, "webhook_url")
    if request.method == "GET":
        return _render(
            request,
            kind,
            enrollment,
            EnrollmentDetailsForms(enrollment, url=url, webhook_secret_url=secret_url),
            tab=tab,
            etag=enrollment.etag,
        )

    posted_tab = request.POST.get("_tab", "")
    tab = posted_tab if posted_tab in _tabs(kind) else tab
    etag = request.POST.get("etag", "")
    refresh = request.POST.get("_nav") == "refresh"
    forms = EnrollmentDetailsForms(enrollment, request.POST, url=url, refresh=refresh, webhook_secret_url=secret_url)
    if refresh:
        return _render(request, kind, enrollment, forms, tab=tab, etag=etag)
    if not forms.is_valid():
        messages.error(request, FIX_ERRORS)
        return _render(request, kind, enrollment, forms, tab=forms.first_invalid_tab() or tab, etag=etag)
    if etag != enrollment.etag:
        # One next step, in the page's conflict alert (no second message saying otherwise).
        return _render(request, kind, enrollment, forms, tab=tab, etag=etag, conflict=True)
    changes = forms.changes()
    if not changes:
        messages.info(request, NOTHING_CHANGED)
        return redirect(_tab_url(kind, enrollment, tab))
    try:
        enrollment_update(enrollment=enrollment, expected_etag=etag, changes=changes)
    except EtagMismatchError:
        return _render(request, kind, enrollment, forms, tab=tab, etag=etag, conflict=True)
    except ValidationError as exc:
        forms.add_service_errors(exc)
        messages.error(request, FIX_ERRORS)
        return _render(request, kind, enrollment, forms, tab=forms.first_invalid_tab() or tab, etag=etag)
    messages.success(request, SAVED.format(noun=kind.noun, name=kind.name(enrollment)))
    return redirect(_tab_url(kind, enrollment, tab))


@sensitive_variables("value")
def _key(request: HttpRequest, kind: Kind, name: str, slot: str) -> HttpResponse:
    if slot not in KEY_SLOTS:
        raise Http404("No such key.")
    enrollment = _get(kind, name)
    if enrollment.attestation_type != AttestationType.SYMMETRIC_KEY:
        raise Http404("This enrollment has no symmetric keys.")
    value = getattr(enrollment, f"{slot}_key")
    if htmx_partial(request) and request.GET.get("format") != "text":
        return render(
            request,
            "enrollments/details/key_field.html",
            {
                "item": {"slot": slot, "label": f"{slot.capitalize()} key", "url": request.path},
                "value": value,
                "shown": True,
            },
        )
    return HttpResponse(value, content_type="text/plain; charset=utf-8")


@sensitive_variables("value")
def _webhook_url(request: HttpRequest, kind: Kind, name: str) -> HttpResponse:
    value = _get(kind, name).webhook_url
    if not value:
        raise Http404("This enrollment has no webhook URL.")
    return HttpResponse(value, content_type="text/plain; charset=utf-8")


def _delete(request: HttpRequest, kind: Kind, name: str) -> HttpResponse:
    enrollment = _get(kind, name)
    label = kind.name(enrollment)
    with_records = kind.is_group and request.POST.get(DELETE_RECORDS_FIELD) == "on"
    try:
        records_deleted = enrollment_delete(enrollment=enrollment, delete_registration_records=with_records)
    except EtagMismatchError:
        messages.warning(request, f"{kind.noun} “{label}” was already deleted.")
    else:
        message = DELETED.format(noun=kind.noun, name=label)
        if kind.is_group:
            message += (
                DELETED_GROUP_RECORDS_TOO.format(count=records_deleted, s="" if records_deleted == 1 else "s")
                if with_records
                else DELETED_GROUP_RECORDS
            )
        messages.success(request, message)
    return redirect(kind.list_url())


@sensitive_post_parameters(*SECRET_FIELDS)
@login_required
@require_http_methods(["GET", "POST"])
def enrollment_group_detail(request: HttpRequest, enrollment_group_id: str, tab: str = REGISTRATION) -> HttpResponse:
    """Details of one enrollment group (names are case-insensitive): GET shows it; POST saves it
    (`_nav=refresh`: re-render with the posted values, nothing saved)."""
    return _details(request, GROUP, enrollment_group_id, tab)


@sensitive_post_parameters(*SECRET_FIELDS)
@login_required
@require_http_methods(["GET", "POST"])
def individual_enrollment_detail(request: HttpRequest, registration_id: str, tab: str = REGISTRATION) -> HttpResponse:
    """Details of one individual enrollment (registration IDs are case-insensitive)."""
    return _details(request, INDIVIDUAL, registration_id, tab)


@login_required
@never_cache
@require_GET
def enrollment_group_key(request: HttpRequest, enrollment_group_id: str, slot: str) -> HttpResponse:
    """One symmetric key of a group in full, for `Show` (htmx: the unmasked field) or `Copy` (plain text)."""
    return _key(request, GROUP, enrollment_group_id, slot)


@login_required
@never_cache
@require_GET
def individual_enrollment_key(request: HttpRequest, registration_id: str, slot: str) -> HttpResponse:
    """One symmetric key of an individual enrollment in full (see enrollment_group_key)."""
    return _key(request, INDIVIDUAL, registration_id, slot)


@login_required
@never_cache
@require_GET
def enrollment_group_webhook_url(request: HttpRequest, enrollment_group_id: str) -> HttpResponse:
    """A group's stored webhook URL in full, code= key included (plain text), for `Show` / `Copy`."""
    return _webhook_url(request, GROUP, enrollment_group_id)


@login_required
@never_cache
@require_GET
def individual_enrollment_webhook_url(request: HttpRequest, registration_id: str) -> HttpResponse:
    """An individual enrollment's stored webhook URL in full (see enrollment_group_webhook_url)."""
    return _webhook_url(request, INDIVIDUAL, registration_id)


@login_required
@require_POST
def enrollment_group_delete(request: HttpRequest, enrollment_group_id: str) -> HttpResponse:
    """`Delete` on a group's details page (after the confirm dialog). Its registration records stay
    unless `Also delete its registration records` was checked (POST `delete_registration_records=on`)."""
    return _delete(request, GROUP, enrollment_group_id)


@login_required
@require_POST
def individual_enrollment_delete(request: HttpRequest, registration_id: str) -> HttpResponse:
    """`Delete` on an individual enrollment's details page (after the confirm dialog)."""
    return _delete(request, INDIVIDUAL, registration_id)
