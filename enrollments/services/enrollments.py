"""Create, update and delete enrollment groups and individual enrollments: the one write path
used by the portal's wizard and details pages, the admin and the REST API.

Rules enforced here (dps-reference §2, §5.1) beyond the field validators on the models:
- symmetric keys: generated (64 random bytes) when not given, else base64 of 16–64 bytes;
- X.509: certificates currently valid; a group's signing certificate must be a CA; a device's
  registration ID is its certificate's CN (≤64 chars); a certificate is used by one enrollment only
  (also enforced by the database); CA references must be verified;
- TPM: individual enrollments only, endorsement key required;
- allocation: `static` needs exactly one target hub, `custom` a webhook URL and API version,
  target hubs must be linked;
- names unique ignoring case (database constraint; races become a field error, never a 500);
- quotas (services.quotas).

All failures raise ValidationError({field: [messages]}) with model field names as keys, or
EtagMismatchError when a conditional update or delete finds a newer record.
"""

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .. import kinds, validators
from ..attestation.symmetric_keys import generate_symmetric_key
from ..attestation.x509 import (
    CertificateInfo,
    check_client_certificate,
    check_is_ca,
    check_validity,
    parse_certificate,
)
from ..choices import AllocationPolicy, AttestationType, CertificateSlot
from ..exceptions import (
    ALREADY_EXISTS_GROUP,
    ALREADY_EXISTS_INDIVIDUAL,
    ATTESTATION_IMMUTABLE,
    CA_NOT_CA,
    CA_UNVERIFIED,
    CERTIFICATE_IN_USE,
    CREDENTIAL_OF_OTHER_TYPE,
    CUSTOM_NEEDS_API_VERSION,
    CUSTOM_NEEDS_WEBHOOK,
    ETAG_MISMATCH,
    GROUP_NO_TPM,
    REQUIRED,
    SAME_CERTIFICATE_TWICE,
    STATIC_NEEDS_ONE_HUB,
    EtagMismatchError,
    InvalidCertificateError,
)
from ..models import (
    CaCertificate,
    EnrollmentCertificate,
    EnrollmentGroup,
    IndividualEnrollment,
    LinkedIotHub,
    RegistrationRecord,
    with_name,
)
from . import etags, lookups, quotas

# Credential fields and the attestation types they belong to (the CLI's same-type rule, dps-reference §2).
CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "primary_key": (AttestationType.SYMMETRIC_KEY,),
    "secondary_key": (AttestationType.SYMMETRIC_KEY,),
    "endorsement_key": (AttestationType.TPM,),
    "storage_root_key": (AttestationType.TPM,),
}
# Fields every enrollment accepts, with their defaults on create.
COMMON_FIELDS: dict[str, Any] = {
    "provisioning_status": "enabled",
    "update_hub_assignment": None,
    "migrate_device_data": None,
    "allocation_policy": None,
    "webhook_url": "",
    "api_version": "",
    "iot_hub_host_name": "",
    "iot_edge": False,
    "initial_twin_tags": None,
    "initial_twin_desired_properties": None,
}


def _error(field: str | None, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]} if field else message, code=code)


def _merge(errors: dict[str, list], exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errs in exc.error_dict.items():
            errors.setdefault(field, []).extend(errs)
    else:
        errors.setdefault("__all__", []).extend(exc.error_list)


def _check_allocation(errors: dict, enrollment, iot_hubs: list) -> None:
    """Allocation rules (dps-reference §2, §5.1): `static` needs exactly one target hub (stricter than
    Azure's service), `custom` a webhook URL and an API version."""
    policy = enrollment.allocation_policy
    if policy == AllocationPolicy.STATIC and len(iot_hubs) != 1:
        errors.setdefault("iot_hubs", []).append(STATIC_NEEDS_ONE_HUB.format(n=len(iot_hubs)))
    if policy == AllocationPolicy.CUSTOM:
        if not enrollment.webhook_url:
            errors.setdefault("webhook_url", []).append(CUSTOM_NEEDS_WEBHOOK)
        if not enrollment.api_version:
            errors.setdefault("api_version", []).append(CUSTOM_NEEDS_API_VERSION)


def _check_endorsement_key(errors: dict, enrollment) -> None:
    """A TPM enrollment's endorsement key: required, and a well-formed TPM2B_PUBLIC."""
    if not enrollment.endorsement_key:
        errors.setdefault("endorsement_key", []).append(REQUIRED)
        return
    try:
        validators.validate_endorsement_key(enrollment.endorsement_key)
    except ValidationError as exc:
        errors.setdefault("endorsement_key", []).extend(exc.messages)


def _check_symmetric_keys(errors: dict, obj) -> None:
    if not obj.primary_key and not obj.secondary_key:
        obj.primary_key, obj.secondary_key = generate_symmetric_key(), generate_symmetric_key()
    elif not obj.primary_key:
        obj.primary_key = generate_symmetric_key()
    elif not obj.secondary_key:
        obj.secondary_key = generate_symmetric_key()
    for field in ("primary_key", "secondary_key"):
        try:
            validators.validate_symmetric_key(getattr(obj, field))
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)


def _owner_label(cert: EnrollmentCertificate) -> str:
    return _owner_label_of(cert.enrollment_group if cert.enrollment_group_id else cert.individual_enrollment)


def _owner_label_of(enrollment: EnrollmentGroup | IndividualEnrollment) -> str:
    if isinstance(enrollment, EnrollmentGroup):
        return f"enrollment group “{enrollment.enrollment_group_id}”"
    return f"individual enrollment “{enrollment.registration_id}”"


def _check_certificates(
    errors: dict,
    certificates: dict[str, CertificateInfo | None],
    *,
    require_ca: bool,
    exclude_owner: dict | None = None,
) -> None:
    """Check uploaded certificates: present, valid now, not used elsewhere; a group's must be CA
    certificates (`require_ca`), an individual enrollment's must be usable as TLS client
    certificates (`check_client_certificate`: a CA certificate with keyCertSign-only key usage never is)."""
    if not certificates.get(CertificateSlot.PRIMARY):
        errors.setdefault("primary_certificate", []).append(REQUIRED)
    seen: set[str] = set()
    for slot in (CertificateSlot.PRIMARY, CertificateSlot.SECONDARY):
        info = certificates.get(slot)
        if info is None:
            continue
        field = f"{slot}_certificate"
        try:
            check_validity(info)
            if require_ca:
                check_is_ca(info)
            else:
                check_client_certificate(info)
        except InvalidCertificateError as exc:
            errors.setdefault(field, []).append(str(exc))
            continue
        if info.sha256_thumbprint in seen:
            errors.setdefault(field, []).append(SAME_CERTIFICATE_TWICE)
            continue
        seen.add(info.sha256_thumbprint)
        used = EnrollmentCertificate.objects.select_related("enrollment_group", "individual_enrollment").filter(
            sha256_thumbprint=info.sha256_thumbprint
        )
        if exclude_owner:
            used = used.exclude(**exclude_owner)
        existing = used.first()
        batch = lookups.active()
        owner = _owner_label(existing) if existing else (batch.claimed.get(info.sha256_thumbprint) if batch else None)
        if owner:
            errors.setdefault(field, []).append(
                CERTIFICATE_IN_USE.format(thumb=info.sha256_thumbprint[:16], owner=owner)
            )


def _check_ca_references(errors: dict, ca_primary: CaCertificate | None, ca_secondary: CaCertificate | None) -> None:
    if ca_primary is None:
        errors.setdefault("ca_primary", []).append(REQUIRED)
    for field, ca in (("ca_primary", ca_primary), ("ca_secondary", ca_secondary)):
        if ca is not None and not ca.is_verified:
            errors.setdefault(field, []).append(CA_UNVERIFIED.format(name=ca.name))
        if ca is not None:
            # Rows uploaded before the Certificates page refused non-CA certificates may hold one.
            try:
                check_is_ca(parse_certificate(ca.certificate))
            except InvalidCertificateError:
                errors.setdefault(field, []).append(CA_NOT_CA.format(name=ca.name))


def _save_certificates(owner_field: str, owner, certificates: dict[str, CertificateInfo | None]) -> None:
    for slot in (CertificateSlot.PRIMARY, CertificateSlot.SECONDARY):
        info = certificates.get(slot)
        if info is not None:
            EnrollmentCertificate.objects.create(**{owner_field: owner}, slot=slot, **info.model_fields())


def _apply_common(obj, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if name in ("initial_twin_tags", "initial_twin_desired_properties") and value is None:
            value = {}
        setattr(obj, name, value)


def _full_clean(errors: dict, obj, exclude: Iterable[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude), validate_constraints=False)
    except ValidationError as exc:
        _merge(errors, exc)


def _raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError({f: list(dict.fromkeys(_messages(_one_length_error(m)))) for f, m in errors.items()})


def _one_length_error(items: list) -> list:
    """One message per failure: Django's generic "Ensure this value has at most N characters" is
    dropped when the field's own validator already explained the same length (or the value) problem."""
    generic = [
        item
        for item in items
        if isinstance(item, ValidationError)
        and getattr(item, "code", None) == "max_length"
        and isinstance(getattr(item, "params", None), dict)
        and "show_value" in item.params
    ]
    if generic and len(generic) < len(items):
        return [item for item in items if item not in generic]
    return items


def _messages(items: list) -> list[str]:
    out: list[str] = []
    for item in items:
        if isinstance(item, ValidationError):
            out.extend(item.messages)
        else:
            out.append(str(item))
    return out


NOT_LINKED = "“{hub}” is not a linked IoT hub. Link it first."


def _check_legacy_hub(errors: dict, enrollment, previous: str | None = None) -> None:
    """The legacy single hub (`iotHubHostName`) follows the rule of `iotHubs`: it must name a linked
    IoT hub (any letter case). A value kept unchanged on update (`previous`) is not checked again,
    so unlinking a hub never blocks edits of records that still name it."""
    name = enrollment.iot_hub_host_name
    if not name or (previous is not None and name.lower() == previous.lower()):
        return
    batch = lookups.active()
    if batch is not None and name.lower() in batch.hubs:
        linked = batch.hubs[name.lower()] is not None  # read for the whole many-item write
    else:
        linked = LinkedIotHub.objects.filter(host_name__iexact=name).exists()
    if not linked:
        errors.setdefault("iot_hub_host_name", []).append(NOT_LINKED.format(hub=name))


def _check_hubs(errors: dict, iot_hubs: Iterable) -> list[LinkedIotHub]:
    """The target hubs as a list without repeats; anything not a saved LinkedIotHub is a field error."""
    hubs, seen = [], set()
    for hub in iot_hubs or []:
        key = ("hub", hub.pk) if isinstance(hub, LinkedIotHub) and hub.pk is not None else ("other", id(hub))
        if key not in seen:
            seen.add(key)
            hubs.append(hub)
    for hub in hubs:
        if not isinstance(hub, LinkedIotHub) or hub.pk is None:
            errors.setdefault("iot_hubs", []).append(NOT_LINKED.format(hub=hub))
    return [h for h in hubs if isinstance(h, LinkedIotHub)]


_F = TypeVar("_F", bound=Callable[..., Any])


def _atomic_unless_batched(function: _F) -> _F:
    """`transaction.atomic` around a create, except inside a many-item write (services.bulk): there
    the caller's transaction is open, the create's checks write nothing and its write is deferred
    to the batch's flush, so a savepoint per item would only cost two round trips."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if lookups.active() is not None:
            return function(*args, **kwargs)
        with transaction.atomic():
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@_atomic_unless_batched
def enrollment_group_create(
    *,
    enrollment_group_id: str,
    attestation_type: str,
    primary_key: str = "",
    secondary_key: str = "",
    signing_certificates: dict[str, CertificateInfo | None] | None = None,
    ca_primary: CaCertificate | None = None,
    ca_secondary: CaCertificate | None = None,
    iot_hubs: Iterable[LinkedIotHub] = (),
    **fields: Any,
) -> EnrollmentGroup:
    """Create an enrollment group.

    `attestation_type`: `symmetricKey` (keys generated when blank) or `x509`, with either
    `signing_certificates` ({"primary": CertificateInfo, "secondary": CertificateInfo|None}) or
    `ca_primary`/`ca_secondary` (verified CaCertificate). `fields`: any of COMMON_FIELDS.
    Returns the saved group (with generated keys). Raises ValidationError.
    """
    unknown = set(fields) - set(COMMON_FIELDS)
    if unknown:
        raise TypeError(f"unknown enrollment fields: {sorted(unknown)}")
    errors: dict[str, list] = {}
    if attestation_type == AttestationType.TPM:
        raise _error("attestation_type", GROUP_NO_TPM)
    try:
        quotas.check_enrollment_group_quota(attestation_type)
    except ValidationError as exc:
        _merge(errors, exc)
    group = EnrollmentGroup(
        enrollment_group_id=enrollment_group_id or "",
        attestation_type=attestation_type,
        primary_key=primary_key or "",
        secondary_key=secondary_key or "",
    )
    _apply_common(group, {**COMMON_FIELDS, **fields})
    hubs = _check_hubs(errors, iot_hubs)
    certificates = signing_certificates or {}
    if attestation_type == AttestationType.SYMMETRIC_KEY:
        _check_symmetric_keys(errors, group)
    elif attestation_type == AttestationType.X509:
        if ca_primary is not None or ca_secondary is not None or not certificates:
            if certificates:
                errors.setdefault("__all__", []).append("Give either signing certificates or CA references, not both.")
            _check_ca_references(errors, ca_primary, ca_secondary)
            group.ca_primary, group.ca_secondary = ca_primary, ca_secondary
        else:
            _check_certificates(errors, certificates, require_ca=True)
    return _finish_create(errors, group, hubs=hubs, certificates=certificates if not group.ca_primary else {})


@_atomic_unless_batched
def individual_enrollment_create(
    *,
    registration_id: str,
    attestation_type: str,
    device_id: str = "",
    primary_key: str = "",
    secondary_key: str = "",
    client_certificates: dict[str, CertificateInfo | None] | None = None,
    endorsement_key: str = "",
    storage_root_key: str = "",
    optional_device_information: dict | None = None,
    iot_hubs: Iterable[LinkedIotHub] = (),
    **fields: Any,
) -> IndividualEnrollment:
    """Create an individual enrollment.

    `attestation_type`: `symmetricKey` (keys generated when blank), `x509` (`client_certificates`;
    the registration ID must equal the primary certificate's CN, ≤64 chars; pass the CN when the
    user typed none) or `tpm` (`endorsement_key` base64, validated by `validators.validate_endorsement_key`).
    Returns the saved enrollment. Raises ValidationError.
    """
    unknown = set(fields) - set(COMMON_FIELDS)
    if unknown:
        raise TypeError(f"unknown enrollment fields: {sorted(unknown)}")
    errors: dict[str, list] = {}
    try:
        quotas.check_individual_enrollment_quota()
    except ValidationError as exc:
        _merge(errors, exc)
    certificates = client_certificates or {}
    enrollment = IndividualEnrollment(
        registration_id=registration_id or "",
        attestation_type=attestation_type,
        device_id=device_id or "",
        primary_key=primary_key or "",
        secondary_key=secondary_key or "",
        endorsement_key=endorsement_key or "",
        storage_root_key=storage_root_key or "",
        optional_device_information=optional_device_information,
    )
    _apply_common(enrollment, {**COMMON_FIELDS, **fields})
    hubs = _check_hubs(errors, iot_hubs)
    if attestation_type == AttestationType.SYMMETRIC_KEY:
        _check_symmetric_keys(errors, enrollment)
    elif attestation_type == AttestationType.X509:
        _check_certificates(errors, certificates, require_ca=False)
        primary = certificates.get(CertificateSlot.PRIMARY)
        if primary is not None:
            if not enrollment.registration_id:
                enrollment.registration_id = primary.common_name
            _check_client_certificate_cn(errors, enrollment.registration_id, primary, mismatch_field="registration_id")
            secondary = certificates.get(CertificateSlot.SECONDARY)
            message = secondary_cn_mismatch(primary, secondary)
            if message:
                errors.setdefault("secondary_certificate", []).append(message)
    elif attestation_type == AttestationType.TPM:
        _check_endorsement_key(errors, enrollment)
    return _finish_create(errors, enrollment, hubs=hubs, certificates=certificates)


def _finish_create(
    errors: dict[str, list],
    enrollment: EnrollmentGroup | IndividualEnrollment,
    *,
    hubs: list[LinkedIotHub],
    certificates: dict[str, CertificateInfo | None],
) -> EnrollmentGroup | IndividualEnrollment:
    """The shared end of both creates: allocation rules, field validation, the case-insensitive name
    check, then one savepoint writing the record, its target hubs and its certificates. Inside a
    many-item write of this kind (services.bulk) the checked record is handed to the batch instead
    and written, with the call's other creates, by `bulk.flush` (it is returned unsaved).

    Raises ValidationError with every error collected so far; a lost race on a unique constraint
    becomes the same field error as the pre-check (never an IntegrityError).
    """
    kind = kinds.kind_of(enrollment)
    id_field = kind.id_field
    name = kind.name(enrollment)
    _check_allocation(errors, enrollment, hubs)
    _check_legacy_hub(errors, enrollment)
    _full_clean(errors, enrollment)
    if not errors.get(id_field):
        message = name_taken_message(type(enrollment), name)
        if message:
            errors.setdefault(id_field, []).append(message)
    _raise_if(errors)
    batch = lookups.active(type(enrollment))
    if batch is not None:
        batch.pending.append(lookups.PendingCreate(batch.index, enrollment, hubs, certificates))
        batch.records[name.lower()] = enrollment
        for info in certificates.values():
            if info is not None:
                batch.claimed[info.sha256_thumbprint] = _owner_label_of(enrollment)
        return enrollment
    return write_create(enrollment, hubs=hubs, certificates=certificates)


def write_create(
    enrollment: EnrollmentGroup | IndividualEnrollment,
    *,
    hubs: list[LinkedIotHub],
    certificates: dict[str, CertificateInfo | None],
) -> EnrollmentGroup | IndividualEnrollment:
    """Write a checked create in one savepoint: the record, its target hubs and its certificates.
    A lost race on a unique constraint raises the same ValidationError as the pre-check."""
    kind = kinds.kind_of(enrollment)
    name = kind.name(enrollment)
    try:
        with transaction.atomic():
            enrollment.save()
            enrollment.iot_hubs.set(hubs)
            _save_certificates(
                "enrollment_group" if kind.is_group else "individual_enrollment", enrollment, certificates
            )
    except IntegrityError as exc:
        raise _integrity_to_validation(exc, name, kind="group" if kind.is_group else "individual") from exc
    return enrollment


def name_taken_message(
    model: type[EnrollmentGroup] | type[IndividualEnrollment], name: str, *, default_spelling: bool = False
) -> str | None:
    """`… already exists (… not case-sensitive).` naming the existing record's spelling when another
    `model` record has `name` ignoring case, else None.

    Names are unique ignoring case (the `Lower()` constraints), so a user typing `Device-001` while
    `device-001` exists must see which record is in the way. `default_spelling`: fall back to `name`
    when the other record is not visible (a lost race whose winner has not committed yet).
    """
    id_field = kinds.BY_MODEL[model].id_field
    batch = lookups.active(model)
    if batch is not None and name.lower() in batch.records:
        # Read for the whole many-item write (services.bulk), with the creates it has checked.
        record = batch.records[name.lower()]
        existing = getattr(record, id_field) if record is not None else None
    else:
        existing = with_name(model.objects.all(), id_field, name).values_list(id_field, flat=True).first()
    if existing is None and not default_spelling:
        return None
    template = ALREADY_EXISTS_GROUP if model is EnrollmentGroup else ALREADY_EXISTS_INDIVIDUAL
    return template.format(name=existing if existing is not None else name)


def _check_client_certificate_cn(
    errors: dict, registration_id: str, primary: CertificateInfo, *, mismatch_field: str
) -> None:
    """A device certificate's CN is its registration ID (≤64 characters, the registration ID rule) and
    must equal the enrollment's registration ID, ignoring case (DOCS concepts-x509-attestation.md)."""
    try:
        validators.validate_x509_registration_id(primary.common_name)
    except ValidationError as exc:
        errors.setdefault("primary_certificate", []).extend(exc.messages)
        return
    if registration_id.lower() != primary.common_name.lower():
        errors.setdefault(mismatch_field, []).append(
            f"An X.509 registration ID must equal the certificate's common name “{primary.common_name}”."
        )


SECONDARY_CN_MISMATCH = (
    "The secondary certificate's common name “{secondary}” differs from the primary's “{primary}”. The device "
    "presents either certificate and its common name is the registration ID, so both need the same common name."
)


def secondary_cn_mismatch(primary: CertificateInfo | None, secondary: CertificateInfo | None) -> str | None:
    """For an individual X.509 enrollment: the message when the secondary client certificate's CN is not
    the primary's (ignoring case, as registration IDs do), else None (DOCS concepts-x509-attestation.md:
    the registration ID is the CN of the certificate the device presents)."""
    if primary is None or secondary is None or primary.common_name.lower() == secondary.common_name.lower():
        return None
    return SECONDARY_CN_MISMATCH.format(secondary=secondary.common_name, primary=primary.common_name)


def _integrity_to_validation(exc: IntegrityError, name: str, *, kind: str) -> ValidationError:
    """Turn a lost race on a unique constraint into the same field error the pre-check gives."""
    text = str(exc).lower()
    if "thumbprint" in text or "enrollmentcertificate" in text:
        return _error("primary_certificate", "This certificate is already used by another enrollment.")
    if kind == "group":
        message = name_taken_message(EnrollmentGroup, name, default_spelling=True)
        return _error("enrollment_group_id", message, code="unique")
    return _error(
        "registration_id", name_taken_message(IndividualEnrollment, name, default_spelling=True), code="unique"
    )


def normalize_etag(etag: str | None) -> str | None:
    """`"abc"`, `abc` and `W/"abc"` all mean abc; `*` and None mean any."""
    if etag is None:
        return None
    etag = etag.strip()
    if etag.startswith("W/"):
        etag = etag[2:]
    etag = etag.strip('"')
    return None if etag in ("", "*") else etag


@transaction.atomic
def enrollment_update(
    *,
    enrollment: EnrollmentGroup | IndividualEnrollment,
    expected_etag: str | None,
    changes: dict[str, Any],
) -> EnrollmentGroup | IndividualEnrollment:
    """Update an enrollment group or individual enrollment, changing only the fields in `changes`.

    `changes` keys: COMMON_FIELDS, `iot_hubs` (list of LinkedIotHub), `device_id` (individual),
    and same-type credentials for the API (`primary_key`, `secondary_key`, `endorsement_key`,
    `storage_root_key`, `optional_device_information`). `attestation_type`, if given, must equal the
    current one. The write is conditional: `UPDATE … WHERE etag = expected_etag` (None or `*`: any), and
    bumps the etag, so two saves from the same version can never both win.
    Raises ValidationError, or EtagMismatchError when someone saved in between.
    """
    model = type(enrollment)
    expected = normalize_etag(expected_etag)
    errors: dict[str, list] = {}
    current = etags.locked_current(model, enrollment.pk, expected_etag=expected, message=ETAG_MISMATCH)
    changes = dict(changes)
    if "attestation_type" in changes:
        if changes.pop("attestation_type") != current.attestation_type:
            errors.setdefault("attestation_type", []).append(ATTESTATION_IMMUTABLE)
    hubs_given = "iot_hubs" in changes
    hubs = _check_hubs(errors, changes.pop("iot_hubs", None)) if hubs_given else list(current.iot_hubs.all())
    allowed = set(COMMON_FIELDS) | {"primary_key", "secondary_key"}
    if model is IndividualEnrollment:
        allowed |= {"device_id", "endorsement_key", "storage_root_key", "optional_device_information"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"unknown or read-only enrollment fields: {sorted(unknown)}")
    for field, attestation_types in CREDENTIAL_FIELDS.items():
        if field in changes and changes[field] and current.attestation_type not in attestation_types:
            errors.setdefault(field, []).append(
                CREDENTIAL_OF_OTHER_TYPE.format(type=AttestationType(current.attestation_type).label)
            )
            del changes[field]
    previous_legacy_hub = current.iot_hub_host_name
    _apply_common(current, changes)
    _check_legacy_hub(errors, current, previous=previous_legacy_hub)
    if current.attestation_type == AttestationType.SYMMETRIC_KEY and ({"primary_key", "secondary_key"} & set(changes)):
        _check_symmetric_keys(errors, current)
    if current.attestation_type == AttestationType.TPM and "endorsement_key" in changes:
        # A replaced endorsement key (REST API) gets the same check as on create.
        _check_endorsement_key(errors, current)
    _check_allocation(errors, current, hubs)
    _full_clean(errors, current)
    _raise_if(errors)
    etags.save_if_unchanged(current, message=ETAG_MISMATCH)
    if hubs_given:
        current.iot_hubs.set(hubs)
    return current


def _delete_registration_records_of_groups(groups) -> int:
    """Delete the registration records of these enrollment groups (a queryset, not yet deleted): the
    records tied to them by key, i.e. what each group's `Registration records` tab lists (never the
    orphans of an earlier group of the same name). Returns how many records went."""
    records = RegistrationRecord.objects.filter(enrollment_group__in=list(groups.values_list("pk", flat=True)))
    return records.delete()[1].get(RegistrationRecord._meta.label, 0)


@transaction.atomic
def enrollment_delete(
    *,
    enrollment: EnrollmentGroup | IndividualEnrollment,
    expected_etag: str | None = None,
    delete_registration_records: bool = False,
) -> int:
    """Delete one enrollment, conditionally on its etag (None or `*`: any).

    A deleted group's registration records are kept by default, as DPS keeps them (their
    `enrollment_group_name` remains, they still count toward the quota); with
    `delete_registration_records` they go in the same transaction (the portal's `Also delete its
    registration records`). Device identities in the IoT hubs are never touched.
    Returns how many registration records were deleted (always 0 for an individual enrollment).
    Raises EtagMismatchError when the etag does not match.
    """
    expected = normalize_etag(expected_etag)
    qs = type(enrollment).objects.filter(pk=enrollment.pk)
    if expected is not None:
        qs = qs.filter(etag=expected)
    if not qs.exists():
        raise EtagMismatchError()
    records_deleted = 0
    if delete_registration_records and isinstance(enrollment, EnrollmentGroup):
        records_deleted = _delete_registration_records_of_groups(qs)
    qs.delete()
    return records_deleted


@transaction.atomic
def enrollments_delete(*, model: type, pks: Iterable[int], delete_registration_records: bool = False) -> int:
    """Delete several enrollments of one kind (list pages' bulk delete); returns how many went.

    `delete_registration_records` (groups only): their registration records go too, as in
    `enrollment_delete`."""
    queryset = model.objects.filter(pk__in=list(pks))
    if delete_registration_records and model is EnrollmentGroup:
        _delete_registration_records_of_groups(queryset)
    deleted = queryset.delete()[1].get(model._meta.label, 0)
    return deleted


@transaction.atomic
def enrollment_x509_replace(
    *,
    enrollment: EnrollmentGroup | IndividualEnrollment,
    certificates: dict[str, CertificateInfo | None] | None = None,
    ca_primary: CaCertificate | None = None,
    ca_secondary: CaCertificate | None = None,
) -> None:
    """Replace the X.509 credentials of an existing X.509 enrollment (the REST API's PUT with new
    certificates; the attestation type stays the same).

    Individual enrollment: `certificates` ({"primary": CertificateInfo, "secondary": …|None}); the
    registration ID must still equal the primary certificate's CN. Group: either `certificates`
    (CA signing certificates) or `ca_primary`/`ca_secondary` (verified CaCertificate); the other
    kind is removed. The same checks as on create apply; the enrollment's own certificates do not
    count as "already used". Call it inside the same transaction as `enrollment_update` (which
    bumps the etag). Raises ValidationError keyed by model field names.
    """
    errors: dict[str, list] = {}
    if enrollment.attestation_type != AttestationType.X509:
        raise _error("attestation_type", "Only X.509 enrollments have certificates.")
    is_group = isinstance(enrollment, EnrollmentGroup)
    owner_field = "enrollment_group" if is_group else "individual_enrollment"
    certificates = certificates or {}
    use_ca = is_group and not certificates
    if use_ca:
        _check_ca_references(errors, ca_primary, ca_secondary)
    else:
        _check_certificates(errors, certificates, require_ca=is_group, exclude_owner={owner_field: enrollment})
        primary = certificates.get(CertificateSlot.PRIMARY)
        if not is_group and primary is not None:
            _check_client_certificate_cn(
                errors, enrollment.registration_id, primary, mismatch_field="primary_certificate"
            )
    _raise_if(errors)
    EnrollmentCertificate.objects.filter(**{owner_field: enrollment}).delete()
    if is_group:
        enrollment.ca_primary, enrollment.ca_secondary = (ca_primary, ca_secondary) if use_ca else (None, None)
        EnrollmentGroup.objects.filter(pk=enrollment.pk).update(
            ca_primary=enrollment.ca_primary, ca_secondary=enrollment.ca_secondary
        )
    if not use_ca:
        try:
            with transaction.atomic():
                _save_certificates(owner_field, enrollment, certificates)
        except IntegrityError as exc:
            raise _error("primary_certificate", "This certificate is already used by another enrollment.") from exc


@transaction.atomic
def enrollment_secondary_certificate_remove(
    *, enrollment: EnrollmentGroup | IndividualEnrollment, expected_etag: str | None = None
) -> None:
    """Remove the secondary X.509 certificate uploaded into an enrollment (the primary stays: a
    certificate enrollment always has one). The enrollment gets a new etag; the write is conditional
    on `expected_etag` (None or `*`: any). Raises EtagMismatchError when someone saved in between."""
    model = type(enrollment)
    expected = normalize_etag(expected_etag)
    current = etags.locked_current(model, enrollment.pk, expected_etag=expected, message=ETAG_MISMATCH)
    owner_field = "enrollment_group" if model is EnrollmentGroup else "individual_enrollment"
    EnrollmentCertificate.objects.filter(**{owner_field: current}, slot=CertificateSlot.SECONDARY).delete()
    etags.save_if_unchanged(current, message=ETAG_MISMATCH)
