"""Field validators shared by models, forms, the admin and the REST API: each DPS rule in one place.

Sources: ../shared/dps-reference.md §2 (DOCS concepts-service.md for registration IDs and group
names, iot-hub-devguide-identity-registry.md for device IDs, concepts-symmetric-key-attestation.md
for keys).
"""

import datetime as dt
import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from . import constants, twin
from .attestation.symmetric_keys import KEY_NOT_BASE64, decode_symmetric_key
from .attestation.tpm import parse_endorsement_key
from .exceptions import InvalidEndorsementKeyError, InvalidSymmetricKeyError, InvalidTwinError

# Error codes are specific on purpose: Django replaces a validator's message with the field's own
# `error_messages[code]` when the codes match (a JSONField's "invalid" is "Value must be valid JSON.").

_REGISTRATION_ID_CHARS = re.compile(r"[A-Za-z0-9\-._:]+")
_DEVICE_ID_CHARS = re.compile(r"[A-Za-z0-9\-.%_*?!(),:=@$']+")
_STRICT_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_ID_SCOPE = re.compile(r"0ne[0-9A-F]{8}")
_HOST_NAME = re.compile(
    r"(?=.{1,255}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+(:\d{1,5})?"
)

REGISTRATION_ID_TOO_LONG = "{what} is {n} characters long; the limit is {max}. Shorten it."
REGISTRATION_ID_BAD_CHARS = (
    "{what} may contain only letters, digits and - . _ : (found {bad}). Replace or remove those characters."
)
REGISTRATION_ID_BAD_END = "{what} must end with a letter, a digit or -, not “{last}”."
DEVICE_ID_BAD_CHARS = (
    "IoT Hub Device ID may contain only 7-bit ASCII letters, digits and - . % _ * ? ! ( ) , : = @ $ ' (found {bad})."
)


API_VERSION_FORMAT = (
    "API version must be a date such as 2021-10-01, optionally followed by -preview (e.g. 2021-11-01-preview)."
)
API_VERSION_TOO_OLD = (
    "API version {value} is older than 2018-09-01-preview, the oldest version DPS uses for custom allocation "
    "requests. Use 2021-10-01 or later."
)
API_VERSION_MINIMUM = (dt.date(2018, 9, 1), 0)  # (date, 0 for -preview / 1 for GA)
_API_VERSION = re.compile(r"(\d{4})-(\d{2})-(\d{2})(-preview)?")
WEBHOOK_URL_BAD_CHAR = (
    "Webhook URL contains {char}; a URL cannot contain spaces or control characters. "
    "Percent-encode it (e.g. %20 for a space)."
)
WEBHOOK_URL_SCHEME = (
    "Webhook URL must be an http:// or https:// URL, e.g. https://my-func.azurewebsites.net/api/alloc?code=…"
)
WEBHOOK_URL_PLAIN_HTTP = (
    "Webhook URL uses http:// to {host}: DPS would send the function key (code=) and the device's registration "
    "data unencrypted. Use https://; http:// is accepted only for a loopback address (localhost, 127.0.0.1, [::1]), "
    "e.g. a function running on this machine."
)


def _describe_char(char: str) -> str:
    """A character as shown in a message: visible ones quoted, invisible ones by name or code point."""
    if char == " ":
        return "a space"
    if char in "\r\n":
        return "a line break"
    if char == "\t":
        return "a tab"
    if not char.isprintable() or 0xD800 <= ord(char) <= 0xDFFF:
        return f"U+{ord(char):04X}"
    return f"“{char}”"


def _bad_chars(value: str, allowed: re.Pattern) -> str:
    """The characters of `value` that `allowed` refuses, each once, as an English list:
    `“#”`, `a space and “#”`, `a space, “/” and “#”`."""
    found = list(dict.fromkeys(_describe_char(c) for c in value if not allowed.fullmatch(c)))
    if len(found) <= 1:
        return "".join(found)
    return ", ".join(found[:-1]) + " and " + found[-1]


def _check_dps_id(value: str, *, what: str, max_length: int) -> None:
    if not value:
        raise ValidationError("This field is required.", code="required")
    if len(value) > max_length:
        raise ValidationError(
            REGISTRATION_ID_TOO_LONG.format(what=what, n=len(value), max=max_length), code="max_length"
        )
    if not _REGISTRATION_ID_CHARS.fullmatch(value):
        bad = _bad_chars(value, _REGISTRATION_ID_CHARS)
        raise ValidationError(REGISTRATION_ID_BAD_CHARS.format(what=what, bad=bad), code="invalid_characters")
    if not (value[-1].isascii() and (value[-1].isalnum() or value[-1] == "-")):
        raise ValidationError(REGISTRATION_ID_BAD_END.format(what=what, last=value[-1]), code="invalid_last_character")


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
        raise ValidationError(
            DEVICE_ID_BAD_CHARS.format(bad=_bad_chars(value, _DEVICE_ID_CHARS)), code="invalid_characters"
        )


def validate_symmetric_key(value: str) -> None:
    """Symmetric key: valid base64 decoding to 16–64 bytes.

    Strict base64: whole 4-character groups, at most two `=` and only at the end (Python's decoder
    would let `AAAA====` through; .NET, which DPS clients use, refuses it).
    """
    text = (value or "").strip()
    if text and (len(text) % 4 or not _STRICT_BASE64.fullmatch(text)):
        raise ValidationError(KEY_NOT_BASE64, code="invalid_symmetric_key")
    try:
        decode_symmetric_key(value)
    except InvalidSymmetricKeyError as exc:
        raise ValidationError(str(exc), code="invalid_symmetric_key") from exc


def validate_endorsement_key(value: str) -> None:
    """TPM endorsement key: base64 of a well-formed TPM2B_PUBLIC (attestation/tpm.py parses it in full)."""
    try:
        parse_endorsement_key(value)
    except InvalidEndorsementKeyError as exc:
        raise ValidationError(str(exc), code="invalid_endorsement_key") from exc


def validate_storage_root_key(value: str) -> None:
    """TPM storage root key (optional): like the endorsement key, base64 of a well-formed TPM2B_PUBLIC."""
    if not value:
        return
    try:
        parse_endorsement_key(value)
    except InvalidEndorsementKeyError as exc:
        raise ValidationError(
            str(exc).replace("endorsement key", "storage root key"), code="invalid_storage_root_key"
        ) from exc


def validate_optional_device_information(value) -> None:
    """`optionalDeviceInformation` (a TwinCollection): a JSON object that can be stored (no NUL,
    unpaired surrogates or NaN/Infinity); null is fine. Size and key rules are the twin's."""
    if value is None:
        return
    try:
        twin.validate_twin_collection(
            value, what="Optional device information", max_bytes=constants.TWIN_DESIRED_MAX_BYTES
        )
    except InvalidTwinError as exc:
        raise ValidationError(str(exc), code="invalid_twin") from exc


def validate_id_scope(value: str) -> None:
    """ID scope: `0ne` followed by 8 uppercase hex digits."""
    if not _ID_SCOPE.fullmatch(value or ""):
        raise ValidationError(
            "An ID scope is 0ne followed by 8 uppercase hex digits, e.g. 0ne00A1B2C3.", code="invalid_id_scope"
        )


def validate_host_name(value: str) -> None:
    """A DNS host name (lower case), optionally with a port."""
    if not _HOST_NAME.fullmatch(value or ""):
        raise ValidationError(
            f"“{value}” is not a host name such as my-hub.azure-devices.net.", code="invalid_host_name"
        )


def validate_legacy_iot_hub_host_name(value: str) -> None:
    """The legacy `iotHubHostName` of an enrollment: a host name, in any letter case (host names
    are case-insensitive and API clients send what they have; linked hubs are stored lower case)."""
    if value:
        validate_host_name(value.lower())


def validate_certificate_name(value: str) -> None:
    """Certificate name: letters, digits, `- . _` (Azure's certificate-name rule), ≤256 chars."""
    if not re.fullmatch(r"[A-Za-z0-9\-._]+", value or ""):
        raise ValidationError(
            "Certificate name may contain only letters, digits, hyphens, periods and underscores.",
            code="invalid_certificate_name",
        )


POLICY_NAME_INVALID = "Policy name may contain only letters, digits, hyphens, periods and underscores (at most 64)."


def validate_policy_name(value: str) -> None:
    """Shared access policy name: 1–64 letters, digits, `- . _` (the names Azure's policies use)."""
    if not re.fullmatch(r"[A-Za-z0-9\-._]{1,64}", value or ""):
        raise ValidationError(POLICY_NAME_INVALID, code="invalid_policy_name")


def validate_webhook_url(value: str) -> None:
    """Custom allocation webhook: an http(s) URL of at most 2,048 characters, no spaces or control characters;
    `http://` only to a loopback host (`is_loopback_host`), since the URL carries the function key.

    The value is never rewritten (its query string, e.g. an Azure Functions `code=` key, is kept byte
    for byte); this only refuses what no URL may contain.
    """
    if not value:
        return
    if len(value) > constants.WEBHOOK_URL_MAX_LENGTH:
        raise ValidationError(f"Webhook URL is {len(value):,} characters long; the limit is 2,048.", code="max_length")
    for char in value:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cs"):
            raise ValidationError(WEBHOOK_URL_BAD_CHAR.format(char=_describe_char(char)), code="invalid_webhook_url")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(WEBHOOK_URL_SCHEME, code="invalid_webhook_url")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname or ""):
        raise ValidationError(
            WEBHOOK_URL_PLAIN_HTTP.format(host=parts.hostname or parts.netloc), code="insecure_webhook_url"
        )


def is_loopback_host(host: str) -> bool:
    """True for a host name that always means this machine: `localhost` (and `*.localhost`, RFC 6761
    §6.3), an IPv4 address in 127.0.0.0/8, or `::1` (IPv4-mapped forms included). Other names are not
    resolved: a DNS answer can change after the check."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def validate_api_version(value: str) -> None:
    """Custom allocation API version: `YYYY-MM-DD` or `YYYY-MM-DD-preview`, not older than
    2018-09-01-preview (dps-reference §1.1 customAllocationDefinition)."""
    if not value:
        return
    match = _API_VERSION.fullmatch(value)
    if not match:
        raise ValidationError(API_VERSION_FORMAT, code="invalid_api_version")
    try:
        date = dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise ValidationError(API_VERSION_FORMAT, code="invalid_api_version") from exc
    if (date, 0 if match[4] else 1) < API_VERSION_MINIMUM:
        raise ValidationError(API_VERSION_TOO_OLD.format(value=value), code="invalid_api_version")


def validate_twin_tags(value) -> None:
    """Initial twin tags (twin.validate_tags) as a Django validator."""
    try:
        twin.validate_tags(value)
    except InvalidTwinError as exc:
        raise ValidationError(str(exc), code="invalid_twin") from exc


def validate_twin_desired_properties(value) -> None:
    """Initial twin desired properties (twin.validate_desired_properties) as a Django validator."""
    try:
        twin.validate_desired_properties(value)
    except InvalidTwinError as exc:
        raise ValidationError(str(exc), code="invalid_twin") from exc
