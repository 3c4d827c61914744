"""What a request gets while the database cannot be reached (connection refused or lost, server
shutting down, SQLite's file locked past its timeout): never Django's 500.

- Portal pages (and the admin, sign-in): the friendly "Service unavailable" page (`503.html`,
  rendered without the database or request context processors), status 503, `Retry-After`.
- Service and device API paths (every other root path): DPS's JSON error 503000 with
  `Retry-After`, as the API views themselves answer (enrollments.api.errors).

`DatabaseUnavailableMiddleware` handles failures raised by views (also with DEBUG on);
`server_error` (the project's handler500) handles those raised by middleware, such as a session
that cannot be saved, and renders the usual 500 page for everything else. Recovery needs no
restart: Django drops an unusable connection at the end of each request and the next request
opens a new one.
"""

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.defaults import server_error as django_server_error

from enrollments.api import errors

# Paths served by the portal's HTML pages; everything else at the root belongs to the APIs.
HTML_PREFIXES = ("/portal/", "/accounts/", "/admin/", "/static/")


def is_html_path(path: str) -> bool:
    return path == "/" or path.startswith(HTML_PREFIXES)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 answer for `request` while the database is down (HTML page or DPS JSON error)."""
    seconds = errors.RETRY_AFTER_SECONDS
    headers = {"Retry-After": str(seconds)}
    if not is_html_path(request.path):
        code = errors.SERVICE_UNAVAILABLE
        body = errors.error_body(code, errors.DATABASE_UNAVAILABLE_MESSAGE.format(seconds=seconds))
        return JsonResponse(body, status=503, headers={**headers, "x-ms-error-code": str(code)})
    html = loader.render_to_string("503.html", {"retry_after": seconds})
    return HttpResponse(html, status=503, headers=headers)


class DatabaseUnavailableMiddleware:
    """Turns a view's database-unavailable error into the 503 answer (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if errors.is_database_unavailable(exception):
            errors.logger.warning("database unavailable: answering 503 to %s", request.path)
            return database_unavailable(request)
        return None


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """handler500: the 503 answer when the uncaught error is the database being unavailable, else
    Django's own 500 page (`500.html`)."""
    exception = sys.exc_info()[1]
    if exception is not None and errors.is_database_unavailable(exception):
        return database_unavailable(request)
    return django_server_error(request, template_name=template_name)
