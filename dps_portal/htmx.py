"""HTMX helpers shared by the portal's views (NetBox's `utilities/htmx.py`)."""

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers


def htmx_partial(request: HttpRequest) -> bool:
    """True when the request wants only a fragment: an htmx request that is neither boosted
    navigation nor a history-restore (those need the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


class VaryOnHtmxMiddleware:
    """Add `Vary: HX-Request` so caches never mix a partial with a full page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response
