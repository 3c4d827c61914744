"""Enrollment details pages (ui-contract.md § Details pages, § Delete; issue 3 items 3–5).

One page per enrollment, laid out as the wizard's tabs in edit mode: `Registration + provisioning`,
`IoT hubs`, `Device settings` (all three inside ONE form, switched on the client, so edits on one tab
survive a switch to another and every `Save` posts them all; forms_details.py), plus
`Registration records` for a group. Each tab also has a URL of its own (`…/details/<tab>/`), which
opens the page on that tab.

`Save` posts the whole form with the etag the page was opened with (hidden field `etag`) and writes
only the values that differ from the stored ones through `services.enrollments.enrollment_update`,
conditionally on that etag. Someone else's save in between refuses ours with a message and the
user's edits stay on screen (a 200 re-render, not a redirect), as do validation errors (next to their
field, the tab that holds them marked). `Delete` goes through the confirm dialog.

Secrets: symmetric keys are never in the page's HTML; `Show` / `Copy` fetch one key from its own
login-required, uncached URL (`…/keys/<primary|secondary>/`).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from dps_portal.htmx import htmx_partial

from .. import selectors
from ..choices import AttestationType
from ..forms_details import DEVICE_SETTINGS, FORM_TABS, IOT_HUBS, REGISTRATION, EnrollmentDetailsForms
from ..models import EnrollmentGroup, IndividualEnrollment
from ..services.enrollments import ETAG_MISMATCH, EtagMismatchError, enrollment_delete, enrollment_update
from ..wizard import list_url

REGISTRATION_RECORDS = "registration-records"
TAB_LABELS = {
    REGISTRATION: "Registration + provisioning",
    IOT_HUBS: "IoT hubs",
    DEVICE_SETTINGS: "Device settings",
    REGISTRATION_RECORDS: "Registration records",
}
KEY_SLOTS = ("primary", "secondary")
SECRET_FIELDS = ("primary_key", "secondary_key")
RECORDS_SHOWN = 100

SAVED = "{noun} “{name}” was saved."
NOTHING_CHANGED = "Nothing to save: no value was changed."
FIX_ERRORS = "Nothing was saved. Fix the fields marked in red, then select Save again."
DELETED = "{noun} “{name}” was deleted."
DELETED_GROUP_RECORDS = " Its registration records were kept."


class _Kind:
    """What differs between the group and the individual details pages."""

    def __init__(self, *, model, name_field: str, url_prefix: str, noun: str, template: str, list_url_name: str):
        self.model = model
        self.name_field = name_field
        self.url_prefix = url_prefix
        self.noun = noun
        self.template = template
        self.list_url_name = list_url_name

    @property
    def is_group(self) -> bool:
        return self.model is EnrollmentGroup

    def get(self, name: str):
        queryset = self.model.objects.prefetch_related("iot_hubs", "certificates")
        if self.is_group:
            queryset = queryset.select_related("ca_primary", "ca_secondary")
        return get_object_or_404(queryset, **{f"{self.name_field}__iexact": name})

    def name(self, enrollment) -> str:
        return getattr(enrollment, self.name_field)

    def url(self, enrollment, what: str = "detail", *args) -> str:
        return reverse(f"enrollments:{self.url_prefix}_{what}", args=[self.name(enrollment), *args])

    def tab_url(self, enrollment, tab: str) -> str:
        return self.url(enrollment) if tab == REGISTRATION else self.url(enrollment, "detail_tab", tab)

    def tabs(self) -> tuple[str, ...]:
        return (*FORM_TABS, REGISTRATION_RECORDS) if self.is_group else FORM_TABS


GROUP = _Kind(
    model=EnrollmentGroup,
    name_field="enrollment_group_id",
    url_prefix="enrollment_group",
    noun="Enrollment group",
    template="enrollments/enrollment_group_detail.html",
    list_url_name="enrollments:enrollment_group_list",
)
INDIVIDUAL = _Kind(
    model=IndividualEnrollment,
    name_field="registration_id",
    url_prefix="individual_enrollment",
    noun="Individual enrollment",
    template="enrollments/individual_enrollment_detail.html",
    list_url_name="enrollments:individual_enrollment_list",
)


def _credentials(kind: _Kind, enrollment) -> list[dict]:
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
    kind: _Kind,
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
            "url": kind.tab_url(enrollment, slug),
            "has_errors": slug in FORM_TABS and forms.tab_has_errors(slug),
        }
        for slug in kind.tabs()
    ]
    context = {
        "enrollment": enrollment,
        "kind": "group" if kind.is_group else "individual",
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
        "conflict_url": kind.tab_url(enrollment, tab) if conflict else "",
    }
    if kind.is_group:
        records_url = kind.tab_url(enrollment, REGISTRATION_RECORDS)
        context["records"] = selectors.registration_records_for_group(enrollment.enrollment_group_id)[:RECORDS_SHOWN]
        context["records_next_url"] = records_url
        context["records_all_url"] = (
            reverse("enrollments:registration_records") + "?group=" + enrollment.enrollment_group_id
        )
    else:
        record = selectors.registration_record_for_registration_id(enrollment.registration_id)
        context["records"] = [record] if record else []
        context["records_next_url"] = kind.url(enrollment)
    template = "enrollments/details/form_body.html" if htmx_partial(request) else kind.template
    return render(request, template, context, status=status)


def _details(request: HttpRequest, kind: _Kind, name: str, tab: str) -> HttpResponse:
    if tab not in kind.tabs():
        raise Http404("No such tab.")
    enrollment = kind.get(name)
    url = kind.url(enrollment)
    if request.method == "GET":
        return _render(
            request, kind, enrollment, EnrollmentDetailsForms(enrollment, url=url), tab=tab, etag=enrollment.etag
        )

    posted_tab = request.POST.get("_tab", "")
    tab = posted_tab if posted_tab in kind.tabs() else tab
    etag = request.POST.get("etag", "")
    refresh = request.POST.get("_nav") == "refresh"
    forms = EnrollmentDetailsForms(enrollment, request.POST, url=url, refresh=refresh)
    if refresh:
        return _render(request, kind, enrollment, forms, tab=tab, etag=etag)
    if not forms.is_valid():
        messages.error(request, FIX_ERRORS)
        return _render(request, kind, enrollment, forms, tab=forms.first_invalid_tab() or tab, etag=etag)
    if etag != enrollment.etag:
        messages.error(request, ETAG_MISMATCH)
        return _render(request, kind, enrollment, forms, tab=tab, etag=etag, conflict=True)
    changes = forms.changes()
    if not changes:
        messages.info(request, NOTHING_CHANGED)
        return redirect(kind.tab_url(enrollment, tab))
    try:
        enrollment_update(enrollment=enrollment, expected_etag=etag, changes=changes)
    except EtagMismatchError as exc:
        messages.error(request, str(exc))
        return _render(request, kind, enrollment, forms, tab=tab, etag=etag, conflict=True)
    except ValidationError as exc:
        forms.add_service_errors(exc)
        messages.error(request, FIX_ERRORS)
        return _render(request, kind, enrollment, forms, tab=forms.first_invalid_tab() or tab, etag=etag)
    messages.success(request, SAVED.format(noun=kind.noun, name=kind.name(enrollment)))
    return redirect(kind.tab_url(enrollment, tab))


@sensitive_variables("value")
def _key(request: HttpRequest, kind: _Kind, name: str, slot: str) -> HttpResponse:
    if slot not in KEY_SLOTS:
        raise Http404("No such key.")
    enrollment = kind.get(name)
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


def _delete(request: HttpRequest, kind: _Kind, name: str) -> HttpResponse:
    enrollment = kind.get(name)
    label = kind.name(enrollment)
    try:
        enrollment_delete(enrollment=enrollment)
    except EtagMismatchError:
        messages.warning(request, f"{kind.noun} “{label}” was already deleted.")
    else:
        message = DELETED.format(noun=kind.noun, name=label)
        messages.success(request, message + (DELETED_GROUP_RECORDS if kind.is_group else ""))
    return redirect(list_url(kind.list_url_name))


@sensitive_post_parameters(*SECRET_FIELDS)
@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def enrollment_group_detail(request: HttpRequest, enrollment_group_id: str, tab: str = REGISTRATION) -> HttpResponse:
    """Details of one enrollment group (names are case-insensitive): GET shows it; POST saves it
    (`_nav=refresh`: re-render with the posted values, nothing saved)."""
    return _details(request, GROUP, enrollment_group_id, tab)


@sensitive_post_parameters(*SECRET_FIELDS)
@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
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
@require_POST
def enrollment_group_delete(request: HttpRequest, enrollment_group_id: str) -> HttpResponse:
    """`Delete` on a group's details page (after the confirm dialog). Its registration records stay."""
    return _delete(request, GROUP, enrollment_group_id)


@login_required
@require_POST
def individual_enrollment_delete(request: HttpRequest, registration_id: str) -> HttpResponse:
    """`Delete` on an individual enrollment's details page (after the confirm dialog)."""
    return _delete(request, INDIVIDUAL, registration_id)
