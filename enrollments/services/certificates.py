"""CA certificates uploaded to the service's Certificates page (dps-reference §1.3, §6).

A certificate is uploaded under a name (letters, digits, `- . _`; unique ignoring case) as a
`.pem` or base64/DER `.cer` file, parsed by `attestation.x509.parse_certificate` and refused when
expired or not yet valid (`check_validity`), when it is not a CA certificate (`check_is_ca`: only a
CA can sign device certificates, so only a CA can be a group's CA reference), and when the same
certificate (same SHA-256 thumbprint, whatever its encoding) is already uploaded under any name
(also a database constraint). A file holding a private key is refused by the
parser and nothing of it is kept. Status is Verified or Unverified (`is_verified`): set on
upload by the uploader, or by proof of possession (`ca_certificate_generate_verification_code`,
then `ca_certificate_verify` with a certificate signed by the CA whose CN is the code).
At most `settings.DPS_MAX_CA_CERTIFICATES` (25) certificates.
A certificate cannot be deleted while an enrollment group references it (PROTECT).

Errors are django ValidationError with a field -> messages dict: `name`, `certificate` (the file),
`__all__` (quota); `verification_certificate` for proof of possession.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from ..attestation.x509 import (
    check_is_ca,
    check_proof_of_possession,
    check_validity,
    parse_certificate,
    verification_code_digest,
)
from ..exceptions import InvalidCertificateError, ProofOfPossessionError
from ..models import CaCertificate, EnrollmentGroup, new_etag
from . import etags, quotas

ALREADY_EXISTS = "A certificate named “{name}” already exists."
ALREADY_UPLOADED = "This certificate is already uploaded as “{name}”."
CERTIFICATE_IN_USE = (
    "The certificate “{name}” cannot be deleted while enrollment groups use it: {names}. Change or delete {them} first."
)
REQUIRED = "This field is required."
ALREADY_VERIFIED = "The certificate “{name}” is already verified."

# Model fields filled from the parsed file; their errors belong to the file field.
_PARSED_FIELDS = (
    "certificate",
    "subject_name",
    "issuer_name",
    "sha1_thumbprint",
    "sha256_thumbprint",
    "serial_number",
    "not_before_utc",
    "not_after_utc",
    "version",
)


def ca_certificate_check(*, certificate: CaCertificate, data: bytes | str | None) -> None:
    """Validate `certificate` (new or existing, not saved here) with the portal's upload rules.

    `data`: the uploaded file's content; required for a new certificate, None on an existing one
    keeps the stored certificate. The parsed fields (public data only) are set on `certificate`.
    Checks: the file is one certificate, not a private key, valid now, a CA certificate, not already
    uploaded (same SHA-256 thumbprint); the name's format and uniqueness ignoring case; the CA
    certificate quota (new certificates).
    Raises ValidationError keyed `name`, `certificate`, `__all__`.
    """
    errors: dict[str, list[str]] = {}
    certificate.name = (certificate.name or "").strip()
    if not certificate.name:
        errors.setdefault("name", []).append(REQUIRED)
    if data:
        try:
            info = parse_certificate(data)
            check_validity(info)
            check_is_ca(info)
        except InvalidCertificateError as exc:
            errors.setdefault("certificate", []).append(str(exc))
        else:
            for field, value in info.model_fields().items():
                setattr(certificate, field, value)
    elif certificate.pk is None:
        errors.setdefault("certificate", []).append(REQUIRED)
    if certificate.pk is None:
        try:
            quotas.check_ca_certificate_quota()
        except ValidationError as exc:
            errors.setdefault("__all__", []).extend(exc.messages)
    try:
        certificate.full_clean(validate_constraints=False, validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            key = "certificate" if field in _PARSED_FIELDS else field
            if key in ("certificate", "name") and errors.get(key):
                continue
            errors.setdefault(key, []).extend(messages)
    if certificate.name and not errors.get("name"):
        duplicates = CaCertificate.objects.filter(name__iexact=certificate.name)
        if certificate.pk is not None:
            duplicates = duplicates.exclude(pk=certificate.pk)
        if duplicates.exists():
            errors.setdefault("name", []).append(ALREADY_EXISTS.format(name=certificate.name))
    if not errors.get("certificate"):
        _check_duplicate_certificate(errors, certificate)
    if errors:
        raise ValidationError(errors)


def _existing_upload(certificate: CaCertificate) -> CaCertificate | None:
    """Another uploaded certificate with `certificate`'s SHA-256 thumbprint, if any."""
    if not certificate.sha256_thumbprint:
        return None
    others = CaCertificate.objects.filter(sha256_thumbprint=certificate.sha256_thumbprint)
    if certificate.pk is not None:
        others = others.exclude(pk=certificate.pk)
    return others.first()


def _check_duplicate_certificate(errors: dict, certificate: CaCertificate) -> None:
    existing = _existing_upload(certificate)
    if existing is not None:
        errors.setdefault("certificate", []).append(ALREADY_UPLOADED.format(name=existing.name))


@transaction.atomic
def ca_certificate_create(*, name: str, data: bytes | str, verified: bool = False) -> CaCertificate:
    """Upload a CA certificate under `name`; `verified` sets its status to Verified.

    Returns the saved CaCertificate. Raises ValidationError (see ca_certificate_check); a lost race
    on the unique name or thumbprint becomes the same `name` or `certificate` error.
    """
    certificate = CaCertificate(name=name or "", is_verified=bool(verified))
    ca_certificate_check(certificate=certificate, data=data)
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError as exc:
        existing = _existing_upload(certificate)
        if existing is not None:
            raise ValidationError({"certificate": [ALREADY_UPLOADED.format(name=existing.name)]}) from exc
        raise ValidationError({"name": [ALREADY_EXISTS.format(name=certificate.name)]}) from exc
    return certificate


def ca_certificate_touch(certificate: CaCertificate) -> None:
    """Give a changed certificate a new etag and last-updated time (before saving it)."""
    certificate.etag = new_etag()
    certificate.last_updated_date_time_utc = timezone.now()


def groups_referencing(certificate: CaCertificate) -> list[str]:
    """Names of the enrollment groups whose primary or secondary CA reference is `certificate`."""
    return list(
        EnrollmentGroup.objects.filter(Q(ca_primary=certificate) | Q(ca_secondary=certificate))
        .order_by("enrollment_group_id")
        .values_list("enrollment_group_id", flat=True)
    )


def _in_use_error(certificate: CaCertificate, names: list[str]) -> ValidationError:
    quoted = [f"“{n}”" for n in names]
    shown = ", ".join(quoted[:5]) + (f" and {len(quoted) - 5} more" if len(quoted) > 5 else "")
    return ValidationError(
        CERTIFICATE_IN_USE.format(name=certificate.name, names=shown, them="it" if len(names) == 1 else "them"),
        code="protected",
    )


@transaction.atomic
def ca_certificate_delete(*, certificate: CaCertificate) -> None:
    """Delete an uploaded CA certificate.

    Raises ValidationError (code `protected`, naming the groups) while an enrollment group
    references it; the database's PROTECT is the backstop for a concurrent write.
    """
    names = groups_referencing(certificate)
    if names:
        raise _in_use_error(certificate, names)
    try:
        with transaction.atomic():
            certificate.delete()
    except ProtectedError as exc:
        raise _in_use_error(certificate, groups_referencing(certificate) or ["an enrollment group"]) from exc


@transaction.atomic
def ca_certificate_generate_verification_code(*, certificate: CaCertificate) -> str:
    """Start proof of possession: a new one-time verification code for an unverified certificate.

    Returns the code (48 uppercase hex characters, as Azure DPS shows them); only its SHA-256
    digest is stored, valid for `settings.DPS_VERIFICATION_CODE_LIFETIME` seconds. A new code
    replaces any pending one. Raises ValidationError (`__all__`) when the certificate is verified.
    """
    locked = CaCertificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.is_verified:
        raise ValidationError({"__all__": [ALREADY_VERIFIED.format(name=locked.name)]})
    code = secrets.token_hex(24).upper()
    locked.verification_code = verification_code_digest(code)
    locked.verification_code_expires_utc = timezone.now() + timedelta(seconds=settings.DPS_VERIFICATION_CODE_LIFETIME)
    ca_certificate_touch(locked)
    locked.save(
        update_fields=["verification_code", "verification_code_expires_utc", "etag", "last_updated_date_time_utc"]
    )
    certificate.refresh_from_db()
    return code


@transaction.atomic
def ca_certificate_verify(*, certificate: CaCertificate, data: bytes | str | None) -> CaCertificate:
    """Finish proof of possession with a verification certificate (the uploaded file's content).

    The certificate becomes Verified and its code is cleared (one use) when
    `attestation.x509.check_proof_of_possession` accepts the file. Raises ValidationError keyed
    `verification_certificate` with one message per cause (no or expired code, wrong CN, not
    signed by this CA, expired verification certificate, unreadable file), or `__all__` when the
    certificate is already verified.
    """
    locked = CaCertificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.is_verified:
        raise ValidationError({"__all__": [ALREADY_VERIFIED.format(name=locked.name)]})
    if not data:
        raise ValidationError({"verification_certificate": [REQUIRED]})
    try:
        check_proof_of_possession(
            ca_pem=locked.certificate,
            data=data,
            code_digest=locked.verification_code,
            code_expires_utc=locked.verification_code_expires_utc,
            now=timezone.now(),
        )
    except ProofOfPossessionError as exc:
        raise ValidationError({"verification_certificate": exc.messages}) from exc
    locked.is_verified = True
    locked.verification_code = ""
    locked.verification_code_expires_utc = None
    ca_certificate_touch(locked)
    locked.save(
        update_fields=[
            "is_verified",
            "verification_code",
            "verification_code_expires_utc",
            "etag",
            "last_updated_date_time_utc",
        ]
    )
    certificate.refresh_from_db()
    return certificate


CERTIFICATE_CHANGED = (
    "Someone else changed this certificate after you opened it (for example its verification), so your "
    "changes were not saved. Open the current version, then apply them again."
)


@transaction.atomic
def ca_certificate_update(
    *, certificate: CaCertificate, expected_etag: str | None, name: str, verified: bool, data: bytes | str | None = None
) -> CaCertificate:
    """Rename an uploaded CA certificate, set its status (`verified`), and optionally replace the
    certificate itself with a new file's content (`data`; None keeps the stored one).

    The upload rules of ca_certificate_check apply. A replaced certificate loses any pending
    verification code (the code proved possession of the old one). The write is conditional on
    `expected_etag` (None: any) and sets a new etag. Returns the saved certificate. Raises
    ValidationError, or EtagMismatchError (CERTIFICATE_CHANGED) when someone changed or deleted it
    in between.
    """
    current = etags.locked_current(
        CaCertificate, certificate.pk, expected_etag=expected_etag, message=CERTIFICATE_CHANGED
    )
    old_thumbprint = current.sha256_thumbprint
    current.name = name or ""
    current.is_verified = bool(verified)
    ca_certificate_check(certificate=current, data=data)
    if current.sha256_thumbprint != old_thumbprint or current.is_verified:
        current.verification_code = ""
        current.verification_code_expires_utc = None
    try:
        with transaction.atomic():
            etags.save_if_unchanged(current, message=CERTIFICATE_CHANGED)
    except IntegrityError as exc:
        existing = _existing_upload(current)
        if existing is not None:
            raise ValidationError({"certificate": [ALREADY_UPLOADED.format(name=existing.name)]}) from exc
        raise ValidationError({"name": [ALREADY_EXISTS.format(name=current.name)]}) from exc
    return current
