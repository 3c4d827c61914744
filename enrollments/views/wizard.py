"""The add-enrollment wizards (group and individual): one URL per tab, full page or partial.

Every tab click, `Previous`, `Next: …` and `Create` posts the current tab's values (the whole
wizard is one <form>) to the URL of the tab to show; the view stores them in the draft
(wizard.EnrollmentWizard) and renders that tab. htmx requests get the panel only, with
`HX-Push-Url` naming the tab shown; other requests are redirected (POST/redirect/GET), and
history-restore requests get the whole page (dps_portal.htmx.htmx_partial). An invalid tab is
re-rendered with status 200, because htmx 2 does not swap 4xx responses.

Opening a wizard (`GET …/add/`) writes nothing: it shows the first tab of a draft that is not
stored, whose tabs post to `…/add/<tab>/`. The first post (a tab click, `Next`, a re-render)
stores the draft with the posted values and moves the browser to the draft's own URL
(`…/add/<draft id>/<tab>/`), so a reload from then on shows what was typed. Untouched drafts expire
(services.wizard_drafts, DPS_WIZARD_DRAFT_LIFETIME).

A URL of a draft that no longer exists (created, or expired and removed) leads to the list with a
note instead of a 404 (browser Back after Create); someone else's draft stays a 404.
"""

from functools import partial
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect, push_url

from dps_portal.htmx import htmx_partial

from .. import selectors
from .. import wizard as wizard_module
from ..kinds import FORM_TABS, IOT_HUBS, KINDS, REVIEW
from ..models import WizardDraft
from ..wizard import TAB_SLUGS, EnrollmentWizard

SECRET_FIELDS = ("primary_key", "secondary_key")
DRAFT_GONE = "This wizard was already completed or has expired: start a new one with {add}."


def link_hub_url(wizard: EnrollmentWizard) -> str | None:
    """`Link a new IoT hub`: the hubs page, told to come back to this wizard's IoT hubs tab."""
    add_url = reverse("enrollments:linked_iot_hub_add")
    return add_url + "?" + urlencode({"next": wizard.tab_url(IOT_HUBS)})


def _start(request: HttpRequest, kind: str) -> HttpResponse:
    """The first tab of a new wizard whose draft is not stored yet (nothing is written)."""
    wizard = EnrollmentWizard(wizard_module.new_draft(kind=kind, owner=request.user))
    return _render(request, wizard, TAB_SLUGS[0])


def _render(request: HttpRequest, wizard: EnrollmentWizard, tab: str, *, notice: str = "") -> HttpResponse:
    previous, following = wizard.neighbours(tab)
    if tab == REVIEW:
        wizard.touch_all(save=wizard.is_stored)
    context = {
        "wizard": wizard,
        "kind": wizard.draft.kind,
        "tab": tab,
        "tab_label": wizard.label(tab),
        "tab_url": wizard.tab_url(tab),
        "tabs": wizard.tabs(),
        "previous": {"url": wizard.tab_url(previous), "label": wizard.label(previous)} if previous else None,
        "next": {"url": wizard.tab_url(following), "label": wizard.label(following)} if following else None,
        "blocked": wizard.is_blocked(),
        "notice": notice,
        "nav": "enrollments",
        "link_hub_url": link_hub_url(wizard) if tab == IOT_HUBS else None,
        "tab_template": f"enrollments/htmx/tab_{tab.replace('-', '_')}.html",
    }
    if tab in FORM_TABS:
        form = wizard.display_form(tab)
        context["form"] = form
        context["field_names"] = ",".join(form.submitted_field_names())
    else:
        context["sections"] = wizard.review_sections()
        context["review_errors"] = wizard.service_errors.get("__all__", [])
        context["invalid_tabs"] = [t for t in context["tabs"] if t.has_errors and t.slug != REVIEW]
    template = "enrollments/htmx/wizard_panel.html" if htmx_partial(request) else "enrollments/enrollment_add.html"
    return render(request, template, context)


def _go(
    request: HttpRequest,
    wizard: EnrollmentWizard,
    tab: str,
    *,
    posted_from: str,
    notice: str = "",
    moved: bool = False,
) -> HttpResponse:
    """Show `tab` after a post: the panel (htmx, pushing the tab's URL) or a redirect to it.
    `moved`: the draft was stored by this post, so the URL changes even on the same tab."""
    if not request.htmx:
        return redirect(wizard.tab_url(tab))
    response = _render(request, wizard, tab, notice=notice)
    if tab != posted_from or moved:
        push_url(response, wizard.tab_url(tab))
    return response


def _draft_gone(request: HttpRequest, kind: str) -> HttpResponse:
    """The list page with a note, for a URL of a draft that no longer exists (created or expired)."""
    messages.info(request, DRAFT_GONE.format(add=KINDS[kind].add_label))
    target = KINDS[kind].list_url()
    if request.htmx and not request.htmx.history_restore_request:
        return HttpResponseClientRedirect(target)
    return redirect(target)


def _tab(request: HttpRequest, kind: str, draft_id, tab: str) -> HttpResponse:
    if tab not in TAB_SLUGS:
        raise Http404("No such wizard tab.")
    draft = selectors.wizard_draft(draft_id)
    if draft is None:
        # Browser Back after Create, a bookmark, a second click on Create: nothing to show, but no 404.
        return _draft_gone(request, kind)
    if draft.owner_id != request.user.pk or draft.kind != kind:
        raise Http404("No WizardDraft matches the given query.")
    wizard = EnrollmentWizard(draft)
    if request.method == "GET":
        linked_hub = request.GET.get("linked_hub")
        if linked_hub:
            wizard.check_linked_hub(linked_hub)
            return redirect(wizard.tab_url(tab))
        return _render(request, wizard, tab)
    return _post(request, wizard, tab)


def _new_tab(request: HttpRequest, kind: str, tab: str) -> HttpResponse:
    """A tab of a wizard whose draft is not stored yet: a post stores it with the posted values; a
    GET (a plain tab link) shows the tab and stores nothing."""
    if tab not in TAB_SLUGS:
        raise Http404("No such wizard tab.")
    wizard = EnrollmentWizard(wizard_module.new_draft(kind=kind, owner=request.user))
    if request.method == "GET":
        return _render(request, wizard, tab)  # a plain tab link (no JavaScript): still nothing stored
    return _post(request, wizard, tab)


def _post(request: HttpRequest, wizard: EnrollmentWizard, tab: str) -> HttpResponse:
    """Store the posted tab's values in the draft (storing the draft itself on its first post), then
    do what the button asked: show a tab, re-render, go link a hub, or create the enrollment."""
    moved = not wizard.is_stored
    go = partial(_go, moved=moved)
    posted_from = request.POST.get("_tab", "")
    nav = request.POST.get("_nav", "tab")
    if posted_from in FORM_TABS:
        # A refresh re-renders the tab and `Link a new IoT hub` comes back to it: neither submits it.
        wizard.save_tab(posted_from, request.POST, request.FILES, touch=nav not in ("refresh", "link-hub"))
    if nav == "refresh" and posted_from in FORM_TABS:
        return go(request, wizard, posted_from, posted_from=posted_from)
    if not wizard.is_stored:
        wizard.save()  # a first post that stored no tab (e.g. from the review tab)
    if nav == "link-hub":
        target = link_hub_url(wizard)
        if target:
            return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
    if nav == "next" and posted_from in FORM_TABS and not wizard.form(posted_from).is_valid():
        return go(request, wizard, posted_from, posted_from=posted_from)
    if nav == "create":
        if wizard.is_blocked():
            return go(request, wizard, REVIEW, posted_from=posted_from)
        created, error_tab = wizard.create()
        if created is not None:
            messages.success(request, wizard.created_message(created))
            return HttpResponseClientRedirect(wizard.list_url()) if request.htmx else redirect(wizard.list_url())
        notice = wizard_module.FIX_ERRORS if error_tab != REVIEW else ""
        return go(request, wizard, error_tab, posted_from=posted_from, notice=notice)
    return go(request, wizard, tab, posted_from=posted_from)


@login_required
@require_GET
def enrollment_group_add(request: HttpRequest) -> HttpResponse:
    """`Add enrollment group`: a new, empty wizard with the defaults, on its first tab (nothing stored)."""
    return _start(request, WizardDraft.KIND_GROUP)


@sensitive_post_parameters(*SECRET_FIELDS)
@login_required
@require_http_methods(["GET", "POST"])
def enrollment_group_add_tab(request: HttpRequest, draft_id, tab: str) -> HttpResponse:
    """One tab of the enrollment-group wizard (GET shows it; POST stores the posted tab, then shows it)."""
    return _tab(request, WizardDraft.KIND_GROUP, draft_id, tab)


@sensitive_post_parameters(*SECRET_FIELDS)
@login_required
@require_http_methods(["GET", "POST"])
def enrollment_group_add_new_tab(request: HttpRequest, tab: str) -> HttpResponse:
    """The first post of an enrollment-group wizard: stores its draft, then as enrollment_group_add_tab."""
    return _new_tab(request, WizardDraft.KIND_GROUP, tab)


@login_required
@require_GET
def individual_enrollment_add(request: HttpRequest) -> HttpResponse:
    """`Add individual enrollment`: a new, empty wizard with the defaults, on its first tab (nothing stored)."""
    return _start(request, WizardDraft.KIND_INDIVIDUAL)


@sensitive_post_parameters(*SECRET_FIELDS)
@login_required
@require_http_methods(["GET", "POST"])
def individual_enrollment_add_tab(request: HttpRequest, draft_id, tab: str) -> HttpResponse:
    """One tab of the individual-enrollment wizard."""
    return _tab(request, WizardDraft.KIND_INDIVIDUAL, draft_id, tab)


@sensitive_post_parameters(*SECRET_FIELDS)
@login_required
@require_http_methods(["GET", "POST"])
def individual_enrollment_add_new_tab(request: HttpRequest, tab: str) -> HttpResponse:
    """The first post of an individual-enrollment wizard: stores its draft."""
    return _new_tab(request, WizardDraft.KIND_INDIVIDUAL, tab)
