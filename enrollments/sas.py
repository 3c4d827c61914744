"""Shared access signature (SAS) tokens of the DPS service API (dps-reference §3; environment.md §4).

A service token is the `Authorization` header
`SharedAccessSignature sr={url-encoded resource URI}&sig={url-encoded signature}&se={expiry}&skn={policy}`.
The signature is base64(HMAC-SHA256(key=base64decode(policy key), msg=quote_plus(sr) + "\\n" + se)).

Azure's Python service SDK signs `sr` exactly as the endpoint was given to it: a bare host
(`my-dps.azure-devices-provisioning.net`), a host with port, or a URL with scheme
(`http://127.0.0.1:8000`). So the signature is checked over `sr` as sent, and the host inside `sr`
is compared with ours ignoring case and scheme. Pure functions: no ORM, no requests.
"""

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

from .exceptions import DomainError

SAS_PREFIX = "SharedAccessSignature "
POLICY_KEY_BYTES = 32
DEFAULT_TTL_SECONDS = 3600

MISSING = "The request has no Authorization header: send a SharedAccessSignature token."
NOT_SAS = "The Authorization header is not a SharedAccessSignature token (sr=…&sig=…&se=…&skn=…)."
MISSING_FIELD = "The SharedAccessSignature token has no {field}."
BAD_EXPIRY = "The SharedAccessSignature token's se (expiry) is not a whole number of seconds since 1970."
EXPIRED = "The SharedAccessSignature token expired. Create a new token."
BAD_SIGNATURE = "The SharedAccessSignature token's signature does not match: check the policy name and key."
TOO_LONG_LIVED = (
    "The SharedAccessSignature token's se (expiry) is {away} away; this service accepts tokens that "
    "expire within {limit} (DPS_MAX_SAS_LIFETIME). Create a token with a shorter lifetime."
)
WRONG_RESOURCE = "The SharedAccessSignature token's sr (resource URI) does not name this service's host."


# Signs for a policy that does not exist, so that a wrong `skn` costs what a wrong key costs.
_UNKNOWN_POLICY_KEY = base64.b64encode(bytes(POLICY_KEY_BYTES)).decode("ascii")


class InvalidSasTokenError(DomainError):
    """A SAS token is missing, malformed, expired, signed with another key, or for another resource."""


@dataclass(frozen=True)
class SasToken:
    """The fields of a parsed SAS token, URL-decoded. `skn` is empty when the token has none."""

    sr: str
    sig: str
    se: int
    skn: str


def generate_policy_key() -> str:
    """A new shared access policy key: base64 of 32 random bytes (44 characters), as Azure generates."""
    return base64.b64encode(secrets.token_bytes(POLICY_KEY_BYTES)).decode("ascii")


def sign(*, resource_uri: str, expiry: int, key: str) -> str:
    """The base64 HMAC-SHA256 signature of `quote_plus(resource_uri) + "\\n" + expiry`.

    `key` is the base64 policy (or device) key; raises InvalidSasTokenError if it is not base64.
    """
    return sign_string(f"{quote_plus(resource_uri)}\n{expiry}", key=key)


def sign_string(string_to_sign: str, *, key: str) -> str:
    """The base64 HMAC-SHA256 of the UTF-8 `string_to_sign`, keyed by base64-decoded `key`.

    Raises InvalidSasTokenError if `key` is not base64.
    """
    try:
        raw_key = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSasTokenError("The key is not valid base64.") from exc
    return base64.b64encode(signature_digest(string_to_sign.encode(), raw_key=raw_key)).decode("ascii")


def signature_digest(message: bytes, *, raw_key: bytes) -> bytes:
    """The 32-byte HMAC-SHA256 of `message` under the raw (decoded) key: a SAS signature before base64."""
    return hmac.digest(raw_key, message, hashlib.sha256)


def generate_sas_token(
    *, resource_uri: str, key: str, policy_name: str | None = None, expiry: int | None = None
) -> str:
    """A SAS token (the whole `Authorization` header value), in the SDK's field order sr, sig, se, skn.

    `expiry` is seconds since the epoch (default: one hour from now); `policy_name` None leaves
    `skn` out (device tokens of Azure's Python device SDK have none).
    """
    se = int(expiry if expiry is not None else time.time() + DEFAULT_TTL_SECONDS)
    fields = {"sr": resource_uri, "sig": sign(resource_uri=resource_uri, expiry=se, key=key), "se": str(se)}
    if policy_name is not None:
        fields["skn"] = policy_name
    return SAS_PREFIX + urlencode(fields)


def parse_sas_token(header: str | None) -> SasToken:
    """Parse an `Authorization` header holding a SAS token (fields in any order).

    Raises InvalidSasTokenError when the header is missing, not a SharedAccessSignature, lacks
    `sr`, `sig` or `se`, or `se` is not an integer. `skn` may be absent (empty string then).
    """
    if not header or not header.strip():
        raise InvalidSasTokenError(MISSING)
    header = header.strip()
    if not header.lower().startswith(SAS_PREFIX.lower()):
        raise InvalidSasTokenError(NOT_SAS)
    fields = dict(parse_qsl(header[len(SAS_PREFIX) :].strip(), keep_blank_values=True))
    for name in ("sr", "sig", "se"):
        if not fields.get(name):
            raise InvalidSasTokenError(MISSING_FIELD.format(field=name))
    try:
        se = int(fields["se"])
    except ValueError as exc:
        raise InvalidSasTokenError(BAD_EXPIRY) from exc
    return SasToken(sr=fields["sr"], sig=fields["sig"], se=se, skn=fields.get("skn", ""))


def resource_host_and_path(resource_uri: str) -> tuple[str, str]:
    """Split a resource URI into (lower-case host[:port], path without trailing slash).

    `http://Host:1/a/`, `https://host:1/a` and `host:1/a` all give ("host:1", "/a").
    """
    value = resource_uri.strip()
    if "://" not in value:
        value = "//" + value
    parts = urlsplit(value)
    return parts.netloc.lower(), parts.path.rstrip("/")


def resource_matches(resource_uri: str, *, hosts: list[str], path: str = "") -> bool:
    """Whether a token's `sr` covers a request: its host is one of `hosts` (case-insensitive,
    scheme ignored) and its path, if any, is a prefix of `path` by whole segments
    (`/a/b` covers `/a/b/c`, not `/a/bc`; dps-reference §3)."""
    host, sr_path = resource_host_and_path(resource_uri)
    if host not in {h.lower() for h in hosts if h}:
        return False
    if not sr_path:
        return True
    request_path = path.rstrip("/")
    return request_path.lower() == sr_path.lower() or request_path.lower().startswith(sr_path.lower() + "/")


def _duration(seconds: int) -> str:
    """`400 days` from one day on, else `90 seconds`."""
    if seconds >= 86400:
        return f"{seconds // 86400:,} days"
    return f"{seconds:,} seconds"


def verify_signature(
    token: SasToken, *, keys: list[str], now: float | None = None, max_lifetime: int | None = None
) -> None:
    """Check a parsed token's expiry and its signature against any of `keys` (constant-time compare).

    `max_lifetime` (seconds; None: no bound) refuses a token whose `se` lies further in the future,
    so a leaked long-lived token cannot be used for decades. With no key (an unknown policy) the
    work and the answer are those of a wrong signature.
    Raises InvalidSasTokenError (EXPIRED, TOO_LONG_LIVED or BAD_SIGNATURE).
    """
    current = int(now if now is not None else time.time())
    if token.se <= current:
        raise InvalidSasTokenError(EXPIRED)
    if max_lifetime is not None and token.se - current > max_lifetime:
        raise InvalidSasTokenError(
            TOO_LONG_LIVED.format(away=_duration(token.se - current), limit=_duration(max_lifetime))
        )
    candidates = [key for key in keys if key]
    matched = False
    for key in candidates or [_UNKNOWN_POLICY_KEY] * 2:
        try:
            expected = sign(resource_uri=token.sr, expiry=token.se, key=key)
        except InvalidSasTokenError:
            continue
        # Compare every key, always, so timing does not tell which one matched.
        matched |= hmac.compare_digest(expected.encode("ascii"), token.sig.encode("utf-8", "replace"))
    if not (matched and candidates):
        raise InvalidSasTokenError(BAD_SIGNATURE)


def public_host_name(public_url: str) -> str:
    """The `HostName` of a service connection string for the server's public URL.

    `https://dps.example.com/` → `dps.example.com`; an `http://` URL keeps its scheme
    (`http://127.0.0.1:8000`), because Azure's SDK only talks plain HTTP when HostName says so
    (it prefixes `https://` to a bare host; environment.md §4).
    """
    parts = urlsplit(public_url.strip() if "://" in public_url else "//" + public_url.strip())
    host = parts.netloc
    return f"http://{host}" if parts.scheme.lower() == "http" else host


def service_connection_string(*, public_url: str, policy_name: str, key: str) -> str:
    """`HostName=…;SharedAccessKeyName=…;SharedAccessKey=…` for a shared access policy."""
    return f"HostName={public_host_name(public_url)};SharedAccessKeyName={policy_name};SharedAccessKey={key}"
