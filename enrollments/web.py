"""What the portal's views share: where to send the user next, a 404 for a missing record, and how
a message lists names."""

from typing import TypeVar

from django.http import Http404, HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: str = "") -> str:
    """The request's `next` (POST, else GET) when it names a URL of this site, else `default`.

    Any other host or scheme (an open redirect, `https` downgraded to `http`) gives `default`.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


NAMES_SHOWN = 10


def name_list(names: list[str]) -> str:
    """Names for a message, comma-separated: the first NAMES_SHOWN, then `…` when there are more."""
    return ", ".join(names[:NAMES_SHOWN]) + (" …" if len(names) > NAMES_SHOWN else "")


T = TypeVar("T")


def found(record: T | None, what: str = "record") -> T:
    """`record` (a selector's answer), or Http404 when it is None."""
    if record is None:
        raise Http404(f"No such {what}.")
    return record
