"""DPS error responses: status, header `x-ms-error-code` and body `ProvisioningServiceErrorDetails`
(`errorCode` 6 digits, `trackingId`, `message`, `timestampUtc`; dps-reference §1.7, §3).

Observed DPS codes are 401002, 404201, 404202 and 409201 (dps-reference §8.5); the others below
follow the same scheme (HTTP status × 1000 + a number) and are ours.
"""

import logging
import uuid

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.response import Response

from ..exceptions import EtagMismatchError

logger = logging.getLogger(__name__)

BAD_REQUEST = 400000
INVALID_BODY = 400004
INVALID_API_VERSION = 400005
INVALID_CONTINUATION = 400006
TOO_MANY_BULK_ITEMS = 400007
UNAUTHORIZED = 401002
FORBIDDEN = 403002
NOT_FOUND = 404000
ENROLLMENT_NOT_FOUND = 404201
ENROLLMENT_GROUP_NOT_FOUND = 404202
REGISTRATION_NOT_FOUND = 404203
METHOD_NOT_ALLOWED = 405000
NOT_ACCEPTABLE = 406000
CONFLICT = 409000
ENROLLMENT_EXISTS = 409201
PRECONDITION_FAILED = 412002
PAYLOAD_TOO_LARGE = 413000
UNSUPPORTED_MEDIA_TYPE = 415000
THROTTLED = 429000
SERVICE_UNAVAILABLE = 503000
BULK_TIMED_OUT = 503001

ENROLLMENT_EXISTS_MESSAGE = "Enrollment already exists."
PRECONDITION_MESSAGE = "Precondition failed: the If-Match etag does not match the record's current etag."
BODY_TOO_LARGE_MESSAGE = (
    "The request body is larger than {limit:,} bytes, the most this service accepts (DPS_MAX_REQUEST_BODY). "
    "Send a smaller body, e.g. fewer records per bulk operation."
)
# Seconds a client should wait before retrying a 503 (the `Retry-After` header).
RETRY_AFTER_SECONDS = 10
DATABASE_UNAVAILABLE_MESSAGE = (
    "The service is temporarily unavailable: its database cannot be reached. Your request was not completed; "
    "retry in {seconds} seconds."
)


class ApiError(exceptions.APIException):
    """An error with a DPS error code; raise it from API views."""

    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(detail=message)
        self.status_code = status
        self.error_code = code
        self.message = message
        self.headers = headers or {}


def error_body(code: int, message: str) -> dict:
    """The JSON body of a DPS error (ProvisioningServiceErrorDetails)."""
    return {
        "errorCode": code,
        "trackingId": uuid.uuid4().hex,
        "message": message,
        "timestampUtc": timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%f0Z"),
    }


def error_response(status: int, code: int, message: str, headers: dict | None = None) -> Response:
    """A DPS error response with `x-ms-error-code` (the error code as text)."""
    return Response(error_body(code, message), status=status, headers={"x-ms-error-code": str(code), **(headers or {})})


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot serve now (connection refused or lost, server shutting
    down, SQLite's file locked past its timeout), as opposed to a bug or bad data."""
    return isinstance(exc, OperationalError | InterfaceError)


def database_unavailable_response() -> Response:
    """503 in DPS's error shape with `Retry-After`: nothing was done, the client may retry."""
    seconds = RETRY_AFTER_SECONDS
    logger.warning("database unavailable: answering 503")
    return error_response(
        503,
        SERVICE_UNAVAILABLE,
        DATABASE_UNAVAILABLE_MESSAGE.format(seconds=seconds),
        headers={"Retry-After": str(seconds)},
    )


def _drf_message(detail) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {_drf_message(v)}" for k, v in detail.items())
    if isinstance(detail, list):
        return " ".join(_drf_message(v) for v in detail)
    return str(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF exception handler for the service API: every failure in the DPS error shape."""
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.error_code, exc.message, headers=exc.headers)
    if isinstance(exc, RequestDataTooBig):
        return error_response(
            413, PAYLOAD_TOO_LARGE, BODY_TOO_LARGE_MESSAGE.format(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        )
    if isinstance(exc, DatabaseError) and is_database_unavailable(exc):
        return database_unavailable_response()
    if isinstance(exc, EtagMismatchError):
        return error_response(412, PRECONDITION_FAILED, PRECONDITION_MESSAGE)
    if isinstance(exc, DjangoValidationError):
        return error_response(400, INVALID_BODY, "; ".join(exc.messages))
    if isinstance(exc, Http404):
        return error_response(404, NOT_FOUND, "Not found.")
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return error_response(
            401, UNAUTHORIZED, _drf_message(exc.detail), headers={"WWW-Authenticate": "SharedAccessSignature"}
        )
    if isinstance(exc, exceptions.PermissionDenied):
        return error_response(403, FORBIDDEN, _drf_message(exc.detail))
    if isinstance(exc, exceptions.ParseError):
        return error_response(400, INVALID_BODY, f"The request body is not valid JSON: {_drf_message(exc.detail)}")
    if isinstance(exc, exceptions.ValidationError):
        return error_response(400, INVALID_BODY, _drf_message(exc.detail))
    if isinstance(exc, exceptions.APIException):
        code = {
            404: NOT_FOUND,
            405: METHOD_NOT_ALLOWED,
            406: NOT_ACCEPTABLE,
            415: UNSUPPORTED_MEDIA_TYPE,
            429: THROTTLED,
        }.get(exc.status_code, exc.status_code * 1000)
        return error_response(exc.status_code, code, _drf_message(exc.detail))
    return None
