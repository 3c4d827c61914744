"""Field validators shared by models, forms, the admin and the REST API: each DPS rule in one place.

Sources: ../shared/dps-reference.md §2 (DOCS concepts-service.md for registration IDs and group
names, iot-hub-devguide-identity-registry.md for device IDs, concepts-symmetric-key-attestation.md
for keys).
"""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from . import constants, twin
from .attestation.symmetric_keys import decode_symmetric_key
from .attestation.tpm import parse_endorsement_key
from .exceptions import InvalidEndorsementKeyError, InvalidSymmetricKeyError, InvalidTwinError

_REGISTRATION_ID_CHARS = re.compile(r"[A-Za-z0-9\-._:]+")
_DEVICE_ID_CHARS = re.compile(r"[A-Za-z0-9\-.%_*?!(),:=@$']+")
_ID_SCOPE = re.compile(r"0ne[0-9A-F]{8}")
_HOST_NAME = re.compile(
    r"(?=.{1,255}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+(:\d{1,5})?"
)

REGISTRATION_ID_TOO_LONG = "{what} is {n} characters long; the limit is {max}."
REGISTRATION_ID_BAD_CHARS = (
    "{what} may contain only letters, digits and - . _ : (found {bad}). Replace or remove those characters."
)
REGISTRATION_ID_BAD_END = "{what} must end with a letter, a digit or -, not “{last}”."
DEVICE_ID_BAD_CHARS = (
    "IoT Hub Device ID may contain only 7-bit ASCII letters, digits and - . % _ * ? ! ( ) , : = @ $ ' (found {bad})."
)


def _check_dps_id(value: str, *, what: str, max_length: int) -> None:
    if not value:
        raise ValidationError("This field is required.", code="required")
    if len(value) > max_length:
        raise ValidationError(
            REGISTRATION_ID_TOO_LONG.format(what=what, n=len(value), max=max_length), code="max_length"
        )
    if not _REGISTRATION_ID_CHARS.fullmatch(value):
        bad = " ".join(
            sorted({f"“{c}”" if c != " " else "a space" for c in value if not _REGISTRATION_ID_CHARS.fullmatch(c)})
        )
        raise ValidationError(REGISTRATION_ID_BAD_CHARS.format(what=what, bad=bad), code="invalid")
    if not (value[-1].isascii() and (value[-1].isalnum() or value[-1] == "-")):
        raise ValidationError(REGISTRATION_ID_BAD_END.format(what=what, last=value[-1]), code="invalid")


def validate_registration_id(value: str) -> None:
    """Registration ID: ≤128 chars of letters, digits, `- . _ :`, ending in a letter, digit or `-`."""
    _check_dps_id(value, what="Registration ID", max_length=constants.REGISTRATION_ID_MAX_LENGTH)


def validate_x509_registration_id(value: str) -> None:
    """An X.509 registration ID is the certificate's subject CN: the registration ID rule, ≤64 chars."""
    _check_dps_id(
        value,
        what="The certificate's common name (the registration ID)",
        max_length=constants.X509_REGISTRATION_ID_MAX_LENGTH,
    )


def validate_enrollment_group_id(value: str) -> None:
    """Group name: the registration ID rule (≤128 chars, `- . _ :`, last char alphanumeric or `-`)."""
    _check_dps_id(value, what="Group name", max_length=constants.ENROLLMENT_GROUP_ID_MAX_LENGTH)


def validate_device_id(value: str) -> None:
    """IoT Hub device ID: ≤128 chars, 7-bit ASCII letters, digits and `- . % _ * ? ! ( ) , : = @ $ '`."""
    if not value:
        return
    if len(value) > constants.DEVICE_ID_MAX_LENGTH:
        raise ValidationError(
            f"IoT Hub Device ID is {len(value)} characters long; the limit is {constants.DEVICE_ID_MAX_LENGTH}.",
            code="max_length",
        )
    if not _DEVICE_ID_CHARS.fullmatch(value):
        bad = " ".join(
            sorted({f"“{c}”" if c != " " else "a space" for c in value if not _DEVICE_ID_CHARS.fullmatch(c)})
        )
        raise ValidationError(DEVICE_ID_BAD_CHARS.format(bad=bad), code="invalid")


def validate_symmetric_key(value: str) -> None:
    """Symmetric key: valid base64 decoding to 16–64 bytes."""
    try:
        decode_symmetric_key(value)
    except InvalidSymmetricKeyError as exc:
        raise ValidationError(str(exc), code="invalid") from exc


def validate_endorsement_key(value: str) -> None:
    """TPM endorsement key: base64 of a well-formed TPM2B_PUBLIC (attestation/tpm.py parses it in full)."""
    try:
        parse_endorsement_key(value)
    except InvalidEndorsementKeyError as exc:
        raise ValidationError(str(exc), code="invalid") from exc


def validate_id_scope(value: str) -> None:
    """ID scope: `0ne` followed by 8 uppercase hex digits."""
    if not _ID_SCOPE.fullmatch(value or ""):
        raise ValidationError(
            "An ID scope is 0ne followed by 8 uppercase hex digits, e.g. 0ne00A1B2C3.", code="invalid"
        )


def validate_host_name(value: str) -> None:
    """A DNS host name (lower case), optionally with a port."""
    if not _HOST_NAME.fullmatch(value or ""):
        raise ValidationError(f"“{value}” is not a host name such as my-hub.azure-devices.net.", code="invalid")


def validate_certificate_name(value: str) -> None:
    """Certificate name: letters, digits, `- . _` (Azure's certificate-name rule), ≤256 chars."""
    if not re.fullmatch(r"[A-Za-z0-9\-._]+", value or ""):
        raise ValidationError(
            "Certificate name may contain only letters, digits, hyphens, periods and underscores.", code="invalid"
        )


def validate_webhook_url(value: str) -> None:
    """Custom allocation webhook: an http(s) URL of at most 2,048 characters."""
    if not value:
        return
    if len(value) > constants.WEBHOOK_URL_MAX_LENGTH:
        raise ValidationError(f"Webhook URL is {len(value)} characters long; the limit is 2,048.", code="max_length")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError("Webhook URL must be an http:// or https:// URL.", code="invalid")


def validate_twin_tags(value) -> None:
    """Initial twin tags (twin.validate_tags) as a Django validator."""
    try:
        twin.validate_tags(value)
    except InvalidTwinError as exc:
        raise ValidationError(str(exc), code="invalid") from exc


def validate_twin_desired_properties(value) -> None:
    """Initial twin desired properties (twin.validate_desired_properties) as a Django validator."""
    try:
        twin.validate_desired_properties(value)
    except InvalidTwinError as exc:
        raise ValidationError(str(exc), code="invalid") from exc
