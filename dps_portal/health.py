"""`GET /healthz`: the health check a supervisor or load balancer polls.

200 `{"status": "ok"}` when this process can reach its database, else 503
`{"status": "unavailable", "database": "<error class>"}` with Retry-After. No authentication, no
session, no secrets; exempt from the HTTPS redirect so a plain-HTTP probe on the private port works.
"""

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        response = JsonResponse({"status": "unavailable", "database": type(exc).__name__}, status=503)
        response["Retry-After"] = "5"
        return response
    return JsonResponse({"status": "ok"})
