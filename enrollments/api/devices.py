"""The device API over HTTPS at Azure's paths (dps-reference §4.1; environment.md §6 for the SDKs):

- `PUT  /{idScope}/registrations/{registrationId}/register` — register (body DeviceRegistration
  `{"registrationId": …, "payload": …}`); 200 with RegistrationOperationStatus
  `{operationId, status, registrationState}` when assignment finished within the request (always,
  until outbound hub work exists), 202 `assigning` + `Retry-After` while it is pending.
- `GET  /{idScope}/registrations/{registrationId}/operations/{operationId}` — operation status: 202
  + `Retry-After` while `assigning`, 200 when done; more than DPS_DEVICE_POLL_LIMIT polls per
  DPS_DEVICE_POLL_WINDOW seconds per device → 429 + `Retry-After`.
- `POST /{idScope}/registrations/{registrationId}` — status lookup: 200 DeviceRegistrationResult,
  404 when the device has no record.

Each takes `?api-version=` 2019-03-31, 2021-06-01 or 2018-09-01-preview and `Authorization:
SharedAccessSignature sr=…&sig=…&se=…[&skn=registration]`. Every answer on these paths, errors
included, is DPS's JSON (`{errorCode, trackingId, message, timestampUtc}` + `x-ms-error-code`),
never Django's HTML: 400 bad api-version, registration ID or body (or a body `registrationId` that
differs from the path's, ignoring case); 401 `401002` for a refused token (nothing is written);
403 when the registrations quota is reached; 404 for an ID scope that is not this service's, an
unknown operation or path; 405 for another method; 413 for a body over DPS_DEVICE_MAX_MESSAGE_SIZE
(96 KB); 429 throttled polls; 503 while the database is unavailable.
No session, no CSRF: devices authenticate every request with their token.
"""

import functools
import json
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .. import selectors, validators
from ..attestation.device_sas import DeviceAuthenticationError
from ..choices import RegistrationStatus
from ..client_address import client_address
from ..services import device_registrations
from . import errors, mapping

logger = logging.getLogger(__name__)

# Device api-versions seen in Azure's device SDKs and docs (dps-reference §0).
DEVICE_API_VERSIONS = ("2018-09-01-preview", "2019-03-31", "2021-06-01")
# Seconds a device waits before polling an `assigning` operation again (Azure's SDKs wait 2 s).
ASSIGNING_RETRY_AFTER = 2
CONTENT_TYPE = "application/json; charset=utf-8"

BAD_API_VERSION = (
    "Unsupported or missing api-version “{given}”. The device API accepts " + ", ".join(DEVICE_API_VERSIONS) + "."
)
UNKNOWN_ID_SCOPE = "No provisioning service has ID scope “{id_scope}”: check the ID scope on the service's Overview."
NO_ROUTE = (
    "No device API operation at “{path}”: use PUT /{{idScope}}/registrations/{{registrationId}}/register, "
    "GET /{{idScope}}/registrations/{{registrationId}}/operations/{{operationId}} or "
    "POST /{{idScope}}/registrations/{{registrationId}}, with ?api-version=2021-06-01."
)
WRONG_METHOD = "Method {method} is not allowed here; this path accepts {allowed}."
TOO_LARGE = (
    "The request body is {size:,} bytes; DPS accepts at most {limit:,} bytes (DPS_DEVICE_MAX_MESSAGE_SIZE). "
    "Send a smaller payload."
)
NOT_JSON = "The request body is not a JSON object: send a DeviceRegistration such as {{\"registrationId\": \"{rid}\"}}."
MISMATCH = (
    "The body's registrationId “{body}” differs from the registration ID “{path}” in the path: send the same "
    "registration ID in both."
)
BAD_REGISTRATION_ID_MEMBER = "The body's registrationId must be a string (the device's registration ID)."
NO_OPERATION = "No register operation “{operation_id}” for registration ID “{registration_id}” (or it expired)."
NO_RECORD = "Registration ID “{registration_id}” has not registered yet (no registration record)."
RECORD_DELETED = "The registration record of this operation was deleted: register the device again."
THROTTLED = (
    "Too many operation-status polls: at most {limit} per {window} seconds per device. Retry after {seconds} seconds."
)

REGISTRATION_QUOTA = 403006
BAD_REGISTRATION_ID = 400008


def _error(status: int, code: int, message: str, headers: dict | None = None) -> JsonResponse:
    return JsonResponse(
        errors.error_body(code, message),
        status=status,
        content_type=CONTENT_TYPE,
        headers={"x-ms-error-code": str(code), **(headers or {})},
    )


def _unauthorized(exc: DeviceAuthenticationError) -> JsonResponse:
    return _error(401, errors.UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "SharedAccessSignature"})


def _json(body: dict, status: int = 200, headers: dict | None = None) -> JsonResponse:
    return JsonResponse(body, status=status, content_type=CONTENT_TYPE, headers=headers)


def device_endpoint(*methods: str, has_body: bool = False):
    """Decorate a device API view taking `(request, service, registration_id, ...)`: CSRF-exempt; the
    method, api-version, body size (when `has_body`), ID scope and path registration ID are checked
    here, in that order, each refusal in DPS's JSON; a database outage is 503, any other failure a
    JSON 500 (logged), never an HTML page."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, id_scope: str, registration_id: str, **kwargs):
            try:
                if request.method not in methods:
                    return _error(
                        405,
                        errors.METHOD_NOT_ALLOWED,
                        WRONG_METHOD.format(method=request.method, allowed=", ".join(methods)),
                        headers={"Allow": ", ".join(methods)},
                    )
                version = request.GET.get("api-version", "")
                if version not in DEVICE_API_VERSIONS:
                    return _error(400, errors.INVALID_API_VERSION, BAD_API_VERSION.format(given=version[:100]))
                if has_body:
                    size = _content_length(request)
                    if size > settings.DPS_DEVICE_MAX_MESSAGE_SIZE:
                        return _error(
                            413,
                            errors.PAYLOAD_TOO_LARGE,
                            TOO_LARGE.format(size=size, limit=settings.DPS_DEVICE_MAX_MESSAGE_SIZE),
                        )
                service = selectors.provisioning_service_for_id_scope(id_scope)
                if service is None:
                    return _error(404, errors.NOT_FOUND, UNKNOWN_ID_SCOPE.format(id_scope=id_scope))
                try:
                    validators.validate_registration_id(registration_id)
                except ValidationError as exc:
                    return _error(400, BAD_REGISTRATION_ID, " ".join(exc.messages))
                return view(request, service, registration_id, **kwargs)
            except DatabaseError as exc:
                if errors.is_database_unavailable(exc):
                    return _database_unavailable()
                logger.exception("device API: database error on %s", request.path[:200])
                return _error(500, 500000, "The service failed to complete the request. Retry later.")
            except Exception:
                logger.exception("device API: unexpected error on %s", request.path[:200])
                return _error(500, 500000, "The service failed to complete the request. Retry later.")

        return wrapper

    return decorate


def _database_unavailable() -> JsonResponse:
    seconds = errors.RETRY_AFTER_SECONDS
    return _error(
        503,
        errors.SERVICE_UNAVAILABLE,
        errors.DATABASE_UNAVAILABLE_MESSAGE.format(seconds=seconds),
        headers={"Retry-After": str(seconds)},
    )


def _content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _device_registration(request: HttpRequest, registration_id: str) -> tuple[dict | None, JsonResponse | None]:
    """The DeviceRegistration body (an object; empty body: {}), or the 400 refusing it."""
    raw = request.body
    if not raw.strip():
        return {}, None
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return None, _error(400, errors.INVALID_BODY, NOT_JSON.format(rid=registration_id))
    member = body.get("registrationId")
    if member is not None:
        if not isinstance(member, str):
            return None, _error(400, errors.INVALID_BODY, BAD_REGISTRATION_ID_MEMBER)
        if member.lower() != registration_id.lower():
            return None, _error(400, errors.INVALID_BODY, MISMATCH.format(body=member[:200], path=registration_id))
    return body, None


def _authenticate(request: HttpRequest, service, registration_id: str):
    return device_registrations.authenticate_device(
        id_scope=service.id_scope,
        registration_id=registration_id,
        authorization=request.headers.get("Authorization"),
    )


def _operation_status(operation, record) -> tuple[dict, int, dict]:
    body = {"operationId": operation.operation_id, "status": operation.status}
    if operation.status == RegistrationStatus.ASSIGNING:
        return body, 202, {"Retry-After": str(ASSIGNING_RETRY_AFTER)}
    body["registrationState"] = mapping.device_registration_result(record)
    return body, 200, {}


@device_endpoint("PUT", has_body=True)
def register(request: HttpRequest, service, registration_id: str) -> JsonResponse:
    """`PUT /{idScope}/registrations/{registrationId}/register` (see the module docstring)."""
    try:
        enrollment = _authenticate(request, service, registration_id)
    except DeviceAuthenticationError as exc:
        return _unauthorized(exc)
    _body, refusal = _device_registration(request, registration_id)
    if refusal is not None:
        return refusal
    try:
        outcome = device_registrations.register_device(
            service=service,
            registration_id=registration_id,
            enrollment=enrollment,
            client_address=client_address(request),
        )
    except ValidationError as exc:
        return _error(403, REGISTRATION_QUOTA, " ".join(exc.messages))
    body, status, headers = _operation_status(outcome.operation, outcome.record)
    return _json(body, status, headers)


@device_endpoint("GET")
def operation_status(request: HttpRequest, service, registration_id: str, operation_id: str) -> JsonResponse:
    """`GET /{idScope}/registrations/{registrationId}/operations/{operationId}` (throttled)."""
    try:
        _authenticate(request, service, registration_id)
    except DeviceAuthenticationError as exc:
        return _unauthorized(exc)
    wait = device_registrations.count_poll(registration_id=registration_id)
    if wait is not None:
        message = THROTTLED.format(
            limit=settings.DPS_DEVICE_POLL_LIMIT, window=settings.DPS_DEVICE_POLL_WINDOW, seconds=wait
        )
        return _error(429, errors.THROTTLED, message, headers={"Retry-After": str(wait)})
    operation = selectors.device_operation(operation_id)
    if operation is None or operation.registration_id.lower() != registration_id.lower():
        return _error(
            404,
            errors.NOT_FOUND,
            NO_OPERATION.format(operation_id=operation_id[:100], registration_id=registration_id),
        )
    if operation.registration_record is None and operation.status != RegistrationStatus.ASSIGNING:
        return _error(404, errors.REGISTRATION_NOT_FOUND, RECORD_DELETED)
    body, status, headers = _operation_status(operation, operation.registration_record)
    return _json(body, status, headers)


@device_endpoint("POST", has_body=True)
def registration_status(request: HttpRequest, service, registration_id: str) -> JsonResponse:
    """`POST /{idScope}/registrations/{registrationId}`: the device's registration state."""
    try:
        _authenticate(request, service, registration_id)
    except DeviceAuthenticationError as exc:
        return _unauthorized(exc)
    _body, refusal = _device_registration(request, registration_id)
    if refusal is not None:
        return refusal
    record = selectors.registration_record_for_registration_id(registration_id)
    if record is None:
        return _error(404, errors.REGISTRATION_NOT_FOUND, NO_RECORD.format(registration_id=registration_id))
    return _json(mapping.device_registration_result(record))


@csrf_exempt
def no_route(request: HttpRequest, **_path) -> JsonResponse:
    """Any other path under `/{idScope}/`: DPS's JSON 404 whatever the method."""
    return _error(404, errors.NOT_FOUND, NO_ROUTE.format(path=request.path[:300]))
