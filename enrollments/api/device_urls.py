"""Device API routes at Azure's paths under `/{idScope}/` (`0ne` + 8 hex digits; dps-reference §4.1),
no trailing slash. Everything else under an ID scope answers DPS's JSON 404. Served by the same
Django app on the portal's port and on the device TLS port."""

from django.urls import re_path

from . import devices

_SCOPE = r"^(?P<id_scope>0ne[0-9A-Fa-f]{8})"
_REGISTRATION = _SCOPE + r"/registrations/(?P<registration_id>[^/]+)"

urlpatterns = [
    re_path(_REGISTRATION + r"/register$", devices.register, name="device_register"),
    re_path(
        _REGISTRATION + r"/operations/(?P<operation_id>[^/]+)$",
        devices.operation_status,
        name="device_operation_status",
    ),
    re_path(_REGISTRATION + r"$", devices.registration_status, name="device_registration_status"),
    re_path(_SCOPE + r"(?:/.*)?$", devices.no_route, name="device_no_route"),
]
