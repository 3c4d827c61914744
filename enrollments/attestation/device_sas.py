"""Device SAS tokens: symmetric-key attestation of a registering device (dps-reference §4.1;
DOCS how-to-control-access.md, concepts-symmetric-key-attestation.md).

A device sends `Authorization: SharedAccessSignature sr={url-encoded "{idScope}/registrations/{registrationId}"}
&sig={url-encoded signature}&se={expiry}[&skn=registration]` (Azure's Python device SDK leaves
`skn` out). The signature is base64(HMAC-SHA256(key=base64decode(device key), msg=sr + "\\n" + se)),
where `sr` is the URL-encoded resource URI the device put in the token. SDKs differ in the case
of the URI they sign and in how they percent-encode it, so the signature is checked over `sr`
exactly as sent (and, equivalently for every SDK seen, over `quote_plus` of the decoded `sr`),
after `check_device_token` has checked that the decoded `sr` names this ID scope and
registration ID ignoring case.

The device key is the individual enrollment's primary or secondary key, or for a group device
the key derived from the group's primary or secondary key (`symmetric_keys.derive_device_key`);
a token signed with the group key itself is refused. Pure functions: no ORM, no HTTP.
"""

import base64
import binascii
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote_plus, unquote

from ..exceptions import DomainError
from ..sas import SAS_PREFIX, InvalidSasTokenError, SasToken, generate_sas_token, parse_sas_token, signature_digest
from .symmetric_keys import derive_device_key_bytes

KEY_NAME = "registration"
_SHOWN_SR = 300  # characters of a wrong `sr` quoted back in the message

MISSING = (
    "The request has no Authorization header: a symmetric-key device sends a SharedAccessSignature token "
    "signed with its device key."
)
NOT_SAS = "The Authorization header is not a SharedAccessSignature token (sr=…&sig=…&se=…[&skn=registration])."
NOT_ASCII = "The SharedAccessSignature token holds characters outside ASCII: URL-encode its fields."
WRONG_RESOURCE = (
    "The SharedAccessSignature token's sr names “{sr}”, but this request is for “{expected}”: sign the token for "
    "{{idScope}}/registrations/{{registrationId}} of this ID scope and registration ID."
)
WRONG_KEY_NAME = "The SharedAccessSignature token's skn is “{skn}”; a device token has skn=registration or no skn."
EXPIRED = "The SharedAccessSignature token expired. Create a new token."
TOO_LONG_LIVED = (
    "The SharedAccessSignature token expires in {away:,} seconds; this service accepts device tokens that expire "
    "within {limit:,} seconds. Create a token with a shorter lifetime."
)
BAD_SIGNATURE = (
    "The SharedAccessSignature token's signature does not match the enrollment's keys: sign it with the device's "
    "primary or secondary key (for an enrollment group, the key derived from the group key and the registration ID)."
)
NO_GROUP = (
    "The SharedAccessSignature token is not signed with a key derived from any enrollment group's key for this "
    "registration ID: derive the device key from the group's primary or secondary key and the registration ID."
)
GROUP_KEY_ITSELF = (
    "The SharedAccessSignature token is signed with an enrollment group's key itself. A group's key never leaves "
    "the service: sign with the device key derived from it and the registration ID."
)
AMBIGUOUS_GROUP = (
    "The SharedAccessSignature token verifies for more than one enrollment group (their keys are the same), so "
    "the device's group is ambiguous: give each enrollment group its own keys."
)

_SAS_MESSAGES = {
    "The request has no Authorization header: send a SharedAccessSignature token.": MISSING,
    "The Authorization header is not a SharedAccessSignature token (sr=…&sig=…&se=…&skn=…).": NOT_SAS,
}


class DeviceAuthenticationError(DomainError):
    """A device's SAS token is missing, malformed, expired, for another resource, or signed with
    no enrollment key; DPS answers 401 (errorCode 401002) and changes no record."""


@dataclass(frozen=True)
class DeviceSasToken(SasToken):
    """A parsed device token. `sr_as_sent`: the `sr` field still URL-encoded, as the device signed it;
    `sig` is percent-decoded only (a literal `+` of base64 stays `+`)."""

    sr_as_sent: str = ""


@dataclass(frozen=True)
class GroupKeys:
    """A symmetric-key enrollment group for `match_group`: `key` identifies it to the caller (a
    primary key, the group itself); the keys are base64 (one may be "")."""

    key: object
    primary_key: str
    secondary_key: str


def _raw_fields(text: str) -> dict[str, str]:
    """The `name=value` fields of a token as sent (not decoded); the last of a repeated name wins,
    as with `dict(parse_qsl(...))`."""
    fields = {}
    for part in text.split("&"):
        name, sep, value = part.partition("=")
        if sep:
            fields[unquote(name.replace("+", " "))] = value
    return fields


def parse_device_token(header: str | None) -> DeviceSasToken:
    """Parse a device's `Authorization` header (fields in any order, `skn` optional).

    Returns a DeviceSasToken (a SasToken: `sr` URL-decoded, `se` seconds since 1970, `skn` "" when
    absent). Raises DeviceAuthenticationError when the header is missing, not a
    SharedAccessSignature, not ASCII, lacks `sr`, `sig` or `se`, or `se` is not an integer.
    """
    if header and not header.isascii():
        raise DeviceAuthenticationError(NOT_ASCII)
    try:
        token = parse_sas_token(header)
    except InvalidSasTokenError as exc:
        raise DeviceAuthenticationError(_SAS_MESSAGES.get(str(exc), str(exc))) from exc
    raw = _raw_fields(header.strip()[len(SAS_PREFIX) :].strip())
    return DeviceSasToken(
        sr=token.sr,
        sig=unquote(raw.get("sig", "")) or token.sig,
        se=token.se,
        skn=token.skn,
        sr_as_sent=raw.get("sr", ""),
    )


def resource_uri(*, id_scope: str, registration_id: str) -> str:
    """The resource URI a device token names: `{idScope}/registrations/{registrationId}` (not encoded)."""
    return f"{id_scope}/registrations/{registration_id}"


def generate_device_token(
    *, id_scope: str, registration_id: str, key: str, expiry: int | None = None, key_name: str | None = KEY_NAME
) -> str:
    """A device's `Authorization` header, as a device (or the simulator) makes it: sr, sig, se and
    `skn=registration` (`key_name=None` leaves skn out, as Azure's Python device SDK does).

    `key`: the base64 device key (an individual enrollment's key, or `derive_device_key` of a
    group key); `expiry`: seconds since 1970 (default one hour from now).
    """
    return generate_sas_token(
        resource_uri=resource_uri(id_scope=id_scope, registration_id=registration_id),
        key=key,
        policy_name=key_name,
        expiry=expiry,
    )


def check_device_token(
    token: SasToken, *, id_scope: str, registration_id: str, now: int | None = None, max_lifetime: int | None = None
) -> None:
    """Check everything of a device token but its signature.

    The decoded `sr` must be `{id_scope}/registrations/{registration_id}` ignoring case; `skn`
    absent or `registration` (ignoring case); `se` (seconds since 1970) later than `now` (default:
    the clock), and when `max_lifetime` (seconds) is given, no further away than that.
    Raises DeviceAuthenticationError with the first failure's message.
    """
    expected = resource_uri(id_scope=id_scope, registration_id=registration_id)
    if token.sr.lower() != expected.lower():
        shown = token.sr if len(token.sr) <= _SHOWN_SR else token.sr[:_SHOWN_SR] + "…"
        raise DeviceAuthenticationError(WRONG_RESOURCE.format(sr=shown, expected=expected))
    if token.skn and token.skn.lower() != KEY_NAME:
        raise DeviceAuthenticationError(WRONG_KEY_NAME.format(skn=token.skn[:_SHOWN_SR]))
    current = int(now if now is not None else time.time())
    if token.se <= current:
        raise DeviceAuthenticationError(EXPIRED)
    if max_lifetime is not None and token.se - current > max_lifetime:
        raise DeviceAuthenticationError(TOO_LONG_LIVED.format(away=token.se - current, limit=max_lifetime))


class _Verifier:
    """What a token's signature is compared with, computed once per token: the strings to sign
    (`sr` as sent + "\\n" + se, and the `quote_plus` form when an SDK encoded `sr` differently)
    and the sent signature's bytes."""

    def __init__(self, token: SasToken):
        as_sent = getattr(token, "sr_as_sent", "")
        normalized = f"{quote_plus(token.sr)}\n{token.se}"
        exact = f"{as_sent}\n{token.se}" if as_sent else normalized
        strings = [exact] if exact == normalized else [exact, normalized]
        self.messages = [string.encode() for string in strings]
        self.sig = token.sig.encode("ascii", "replace")

    def signed_by(self, raw_key: bytes) -> bool:
        """Whether the raw (decoded) key signs the token; every form is compared, in constant time."""
        matched = False
        for message in self.messages:
            expected = base64.b64encode(signature_digest(message, raw_key=raw_key))
            matched |= hmac.compare_digest(expected, self.sig)
        return matched


def _decode_key(key: str) -> bytes | None:
    """The raw bytes of a base64 key; None for "" or a value that is not base64 (it signs nothing)."""
    if not key:
        return None
    try:
        return base64.b64decode(key.strip(), validate=True) or None
    except (binascii.Error, ValueError):
        return None


def signed_with(token: SasToken, key: str) -> bool:
    """Whether `token` is signed with the base64 `key`: HMAC-SHA256 over `sr` as sent + "\\n" + se,
    compared in constant time. A key that is not base64 (or empty) signs nothing."""
    raw_key = _decode_key(key)
    return raw_key is not None and _Verifier(token).signed_by(raw_key)


def verify_device_keys(token: SasToken, *, keys: Sequence[str]) -> None:
    """Raise DeviceAuthenticationError unless one of `keys` (an individual enrollment's primary and
    secondary key) signs `token`. Every key is checked, so timing does not tell which matched."""
    verifier = _Verifier(token)
    matched = False
    for key in keys:
        raw_key = _decode_key(key)
        if raw_key is not None:
            matched |= verifier.signed_by(raw_key)
    if not matched:
        raise DeviceAuthenticationError(BAD_SIGNATURE)


def match_group(token: SasToken, *, registration_id: str, groups: Sequence[GroupKeys]) -> GroupKeys:
    """The enrollment group whose derived device key (from its primary or secondary key) signs `token`.

    `registration_id` is the one the device registers (the derived key is HMAC over its UTF-8 bytes,
    exactly as sent); `groups`: every symmetric-key group (at most 100 by DPS's quota), checked
    without stopping at the first match. Raises DeviceAuthenticationError when no group matches
    (with its own message when the token is signed with a group key itself) or when two or more
    groups match (ambiguous). Cost: 2 HMACs per group key, plus 1 per group key when none matches.
    """
    verifier = _Verifier(token)
    matches = []
    group_keys = []
    for group in groups:
        matched = False
        for group_key in (_decode_key(group.primary_key), _decode_key(group.secondary_key)):
            if group_key is None:
                continue
            group_keys.append(group_key)
            device_key = derive_device_key_bytes(group_key=group_key, registration_id=registration_id)
            matched |= verifier.signed_by(device_key)
        if matched:
            matches.append(group)
    if len(matches) > 1:
        raise DeviceAuthenticationError(AMBIGUOUS_GROUP)
    if matches:
        return matches[0]
    if any(verifier.signed_by(group_key) for group_key in group_keys):
        raise DeviceAuthenticationError(GROUP_KEY_ITSELF)
    raise DeviceAuthenticationError(NO_GROUP)
