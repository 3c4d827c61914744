"""Symmetric-key attestation (DOCS concepts-symmetric-key-attestation.md; dps-reference §2, §4.1).

Keys are base64 strings decoding to 16–64 bytes; generated keys are 64 random bytes.
"""

import base64
import binascii
import hashlib
import hmac
import secrets

from ..constants import GENERATED_SYMMETRIC_KEY_BYTES, SYMMETRIC_KEY_MAX_BYTES, SYMMETRIC_KEY_MIN_BYTES
from ..exceptions import InvalidSymmetricKeyError

KEY_NOT_BASE64 = "The key is not valid base64. Paste the key exactly as generated (A–Z, a–z, 0–9, +, / and = padding)."
KEY_WRONG_LENGTH = (
    "The key decodes to {n} bytes; DPS needs {min}–{max} bytes (base64 of 16 bytes is 24 characters, "
    "of 64 bytes 88 characters)."
)


def generate_symmetric_key() -> str:
    """A new random key: base64 of 64 bytes from `secrets` (88 characters)."""
    return base64.b64encode(secrets.token_bytes(GENERATED_SYMMETRIC_KEY_BYTES)).decode("ascii")


def decode_symmetric_key(key: str) -> bytes:
    """Decode a base64 symmetric key and check its length after decoding.

    Returns the raw key bytes (16–64 of them). Raises InvalidSymmetricKeyError when `key` is not
    strict base64 or decodes to fewer than 16 or more than 64 bytes (dps-reference §2).
    """
    text = (key or "").strip()
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSymmetricKeyError(KEY_NOT_BASE64) from exc
    if not text:
        raise InvalidSymmetricKeyError(KEY_NOT_BASE64)
    if not SYMMETRIC_KEY_MIN_BYTES <= len(raw) <= SYMMETRIC_KEY_MAX_BYTES:
        raise InvalidSymmetricKeyError(
            KEY_WRONG_LENGTH.format(n=len(raw), min=SYMMETRIC_KEY_MIN_BYTES, max=SYMMETRIC_KEY_MAX_BYTES)
        )
    return raw


def derive_device_key(*, group_key: str, registration_id: str) -> str:
    """Derived device key for a device of a symmetric-key enrollment group.

    base64(HMAC-SHA256(key=base64decode(group_key), msg=UTF-8 registration ID)) — 44 characters.
    Source: DOCS concepts-symmetric-key-attestation.md; az CLI `compute_device_key`.
    """
    raw = derive_device_key_bytes(group_key=base64.b64decode(group_key), registration_id=registration_id)
    return base64.b64encode(raw).decode("ascii")


def derive_device_key_bytes(*, group_key: bytes, registration_id: str) -> bytes:
    """`derive_device_key` on raw bytes: the 32-byte HMAC-SHA256 of the UTF-8 registration ID under
    the decoded group key (the device key before base64)."""
    return hmac.digest(group_key, registration_id.encode("utf-8"), hashlib.sha256)


def mask_secret(value: str) -> str:
    """The masked form of a secret for pages: `••••` plus nothing of the value."""
    return "••••" if value else ""
