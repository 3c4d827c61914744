"""Linked IoT hubs pages: list, link (add), unlink (delete). Rules live in services/hubs.py."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import selectors
from ..forms.base import add_service_errors
from ..forms.hubs import LinkedIotHubForm
from ..services import hubs as hub_services
from ..web import found, safe_next


def with_linked_hub(url: str, host_name: str) -> str:
    """`url` with `linked_hub=<host_name>` set in its query string (the wizard's round trip)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "linked_hub"]
    query.append(("linked_hub", host_name))
    return urlunsplit(parts._replace(query=urlencode(query)))


@login_required
@require_GET
def linked_iot_hub_list(request: HttpRequest) -> HttpResponse:
    """The linked hubs: host name, location, allocation weight, apply allocation policy; `Delete` unlinks."""
    hubs = selectors.linked_iot_hubs()
    return render(request, "enrollments/linked_iot_hub_list.html", {"hubs": hubs, "nav": "linked_iot_hubs"})


@login_required
@sensitive_post_parameters("connection_string")
@require_http_methods(["GET", "POST"])
def linked_iot_hub_add(request: HttpRequest) -> HttpResponse:
    """Link an IoT hub. With a safe `?next=` (the wizard's `Link a new IoT hub`), a successful save
    redirects there with `linked_hub=<host name>` added; an unsafe `next` is ignored."""
    next_url = safe_next(request)
    if request.method == "POST":
        form = LinkedIotHubForm(request.POST)
        if form.is_valid():
            try:
                hub = hub_services.linked_iot_hub_create(**form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Linked IoT hub “{hub.host_name}”.")
                return redirect(
                    with_linked_hub(next_url, hub.host_name) if next_url else "enrollments:linked_iot_hub_list"
                )
    else:
        form = LinkedIotHubForm()
    cancel_url = next_url or reverse("enrollments:linked_iot_hub_list")
    return render(
        request,
        "enrollments/linked_iot_hub_add.html",
        {"form": form, "next": next_url, "cancel_url": cancel_url, "nav": "linked_iot_hubs"},
    )


@login_required
@require_POST
def linked_iot_hub_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Unlink an IoT hub (after the confirm dialog); refused with a message while enrollments target it."""
    hub = found(selectors.linked_iot_hub(pk), "linked IoT hub")
    host_name = hub.host_name
    try:
        hub_services.linked_iot_hub_delete(hub=hub)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Unlinked IoT hub “{host_name}”.")
    return redirect("enrollments:linked_iot_hub_list")
