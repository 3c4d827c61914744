"""Shared access policies page: the service API's policies and their connection strings.

Keys are secrets: the page shows connection strings masked, and a key leaves the server only
when the user presses `Show` or `Copy` (a separate, uncached request).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import selectors
from ..forms.policies import SharedAccessPolicyForm
from ..models import SharedAccessPolicy
from ..sas import public_host_name, service_connection_string
from ..services import policies as policy_services
from ..web import found

MASK = "••••"


def _masked(policy: SharedAccessPolicy) -> str:
    return (
        f"HostName={public_host_name(settings.DPS_PUBLIC_URL)};SharedAccessKeyName={policy.name};SharedAccessKey={MASK}"
    )


@login_required
@require_GET
def shared_access_policy_list(request: HttpRequest) -> HttpResponse:
    """Every policy with its rights and masked primary/secondary connection strings."""
    policies = selectors.shared_access_policies()
    rows = [{"policy": p, "masked": _masked(p)} for p in policies]
    return render(
        request,
        "enrollments/shared_access_policy_list.html",
        {"rows": rows, "nav": "shared_access_policies", "owner_name": SharedAccessPolicy.OWNER_NAME},
    )


@login_required
@never_cache
@require_GET
def shared_access_policy_connection_string(request: HttpRequest, pk: int, slot: str) -> HttpResponse:
    """One connection string in full, for `Show` (HTMX: the unmasked field) or `Copy` (plain text);
    with `view=masked` (HTMX, `Hide`) the masked field again, without the key."""
    if slot not in policy_services.KEY_SLOTS:
        raise Http404("No such key")
    policy = found(selectors.shared_access_policy(pk), "shared access policy")
    if request.htmx and request.GET.get("view") == "masked":
        return render(
            request,
            "enrollments/shared_access_policy_connection_string.html",
            {"policy": policy, "slot": slot, "value": _masked(policy), "shown": False, "refocus": True},
        )
    value = service_connection_string(
        public_url=settings.DPS_PUBLIC_URL, policy_name=policy.name, key=getattr(policy, f"{slot}_key")
    )
    if request.htmx and request.GET.get("format") != "text":
        return render(
            request,
            "enrollments/shared_access_policy_connection_string.html",
            {"policy": policy, "slot": slot, "value": value, "shown": True},
        )
    return HttpResponse(value, content_type="text/plain; charset=utf-8")


@login_required
@require_POST
def shared_access_policy_regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    """Regenerate the primary or secondary key (`key` in the form), after the confirm dialog."""
    policy = found(selectors.shared_access_policy(pk), "shared access policy")
    slot = request.POST.get("key", "")
    if slot not in policy_services.KEY_SLOTS:
        messages.error(request, "Choose the primary or the secondary key to regenerate.")
    else:
        policy_services.shared_access_policy_regenerate_key(policy=policy, slot=slot)
        messages.success(
            request,
            f"The {slot} key of “{policy.name}” was regenerated. Clients that used the old key must switch to "
            "the new connection string.",
        )
    return redirect("enrollments:shared_access_policy_list")


@login_required
@require_http_methods(["GET", "POST"])
def shared_access_policy_add(request: HttpRequest) -> HttpResponse:
    """Add a policy: name and permissions; keys are generated."""
    form = SharedAccessPolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            policy = policy_services.shared_access_policy_create(
                name=form.cleaned_data["name"], rights=form.cleaned_data["rights"]
            )
        except ValidationError as exc:
            for field, field_messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, field_messages)
        else:
            messages.success(request, f"Shared access policy “{policy.name}” was added.")
            return redirect("enrollments:shared_access_policy_list")
    return render(request, "enrollments/shared_access_policy_add.html", {"form": form, "nav": "shared_access_policies"})


@login_required
@require_POST
def shared_access_policy_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a policy (not provisioningserviceowner), after the confirm dialog."""
    policy = found(selectors.shared_access_policy(pk), "shared access policy")
    try:
        policy_services.shared_access_policy_delete(policy=policy)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Shared access policy “{policy.name}” was deleted.")
    return redirect("enrollments:shared_access_policy_list")
