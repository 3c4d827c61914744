"""Convert between DPS wire JSON (camelCase, dps-reference §1) and the models / service arguments.

`to_wire` functions build response bodies; `*_arguments` functions turn a validated request body
into keyword arguments for enrollments.services.enrollments, so the API and the portal share one
create/update path. `wire_field` maps a service ValidationError key (a model field name) back to
the JSON member path named in 400 messages.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError

from .. import selectors
from ..attestation.x509 import CertificateInfo, parse_certificate
from ..choices import AttestationType, CertificateSlot
from ..exceptions import InvalidCertificateError
from ..models import (
    CaCertificate,
    EnrollmentGroup,
    IndividualEnrollment,
    RegistrationRecord,
)
from ..services import bulk

UNSUPPORTED_NONE = "Attestation type “none” is not supported: use symmetricKey, x509 or tpm."
NEEDS_MEMBER = "Attestation type “{type}” needs the “{member}” object."
NO_SUCH_CA = "No certificate named “{name}” is uploaded to this service (Certificates page)."
SIGNING_AND_CA_REFERENCES = (
    "send either signingCertificates (certificates uploaded into the group) or caReferences (names of "
    "certificates on the Certificates page), not both."
)
GROUP_CLIENT_CERTIFICATES = "an enrollment group has no client certificates: send signingCertificates or caReferences."
INDIVIDUAL_CLIENT_ONLY = (
    "an individual enrollment's X.509 attestation uses clientCertificates (the device's own certificate), not {member}."
)
EMPTY_CERTIFICATE = (
    "the certificate is empty. Send the PEM text (-----BEGIN CERTIFICATE-----…) or the base64 DER of one "
    "X.509 certificate, or leave the member out to keep the stored one."
)
ID_MISMATCH = "“{body}” in the body differs from “{url}” in the URL."
PRIMARY_NOT_REMOVABLE = (
    'The primary certificate cannot be removed (null): send {{"certificate": "<PEM>"}} to replace it, '
    "leave out {path} to keep the stored certificates, or delete the enrollment."
)
PRIMARY_TO_KEEP_MISSING = (
    'This enrollment has no stored primary certificate to keep: send the primary as {"certificate": "<PEM>"}.'
)


def wire_time(value) -> str | None:
    """ISO 8601 UTC with 7 fractional digits, as DPS sends (e.g. 2023-05-19T23:10:45.1256254Z)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z" if value else None


def _certificate_set(certificates) -> dict:
    out = {}
    for cert in certificates:
        out[cert.slot] = {"info": cert.info_dict()}
    return out


def attestation_to_wire(obj: EnrollmentGroup | IndividualEnrollment, *, include_keys: bool) -> dict:
    """The `attestation` object. Symmetric keys only when `include_keys` (PUT answers and
    `attestationmechanism`); GET and query answers carry `{"type": "symmetricKey"}` (dps-reference §1.3)."""
    kind = obj.attestation_type
    out: dict[str, Any] = {"type": kind}
    if kind == AttestationType.SYMMETRIC_KEY:
        if include_keys:
            out["symmetricKey"] = {"primaryKey": obj.primary_key, "secondaryKey": obj.secondary_key}
    elif kind == AttestationType.TPM:
        tpm = {"endorsementKey": obj.endorsement_key}
        if obj.storage_root_key:
            tpm["storageRootKey"] = obj.storage_root_key
        out["tpm"] = tpm
    elif kind == AttestationType.X509:
        if isinstance(obj, EnrollmentGroup) and obj.ca_primary_id:
            refs = {"primary": obj.ca_primary.name}
            if obj.ca_secondary_id:
                refs["secondary"] = obj.ca_secondary.name
            out["x509"] = {"caReferences": refs}
        elif isinstance(obj, EnrollmentGroup):
            out["x509"] = {"signingCertificates": _certificate_set(obj.certificates.all())}
        else:
            out["x509"] = {"clientCertificates": _certificate_set(obj.certificates.all())}
    return out


def registration_state_to_wire(record: RegistrationRecord) -> dict:
    """DeviceRegistrationState (dps-reference §1.6); empty members left out."""
    out: dict[str, Any] = {
        "registrationId": record.registration_id,
        "createdDateTimeUtc": wire_time(record.created_date_time_utc),
        "assignedHub": record.assigned_hub,
        "deviceId": record.device_id,
        "status": record.status,
        "substatus": record.substatus,
        "errorCode": record.error_code,
        "errorMessage": record.error_message,
        "lastUpdatedDateTimeUtc": wire_time(record.last_updated_date_time_utc),
        "etag": record.etag,
        "payload": record.payload,
    }
    return {k: v for k, v in out.items() if v not in (None, "")}


def device_registration_result(record: RegistrationRecord) -> dict:
    """DeviceRegistrationResult, the device API's registrationState (dps-reference §1.6): the
    registration state plus, for a symmetric-key group's device, `symmetricKey.enrollmentGroupId`."""
    out = registration_state_to_wire(record)
    if record.attestation_type == AttestationType.SYMMETRIC_KEY and record.enrollment_group_name:
        out["symmetricKey"] = {"enrollmentGroupId": record.enrollment_group_name}
    return out


def enrollments_to_wire(objs: Sequence[EnrollmentGroup | IndividualEnrollment]) -> list[dict]:
    """A query page: `enrollment_to_wire` of each record, the individual enrollments' registration
    states read in one query for the whole page (so a page of 1,000 costs what a page of 1 does,
    given `objs` came with their hubs and certificates prefetched)."""
    records = selectors.registration_records_by_registration_id(
        obj.registration_id for obj in objs if isinstance(obj, IndividualEnrollment)
    )
    return [enrollment_to_wire(obj, registration_records=records) for obj in objs]


def enrollment_to_wire(
    obj: EnrollmentGroup | IndividualEnrollment,
    *,
    include_keys: bool = False,
    registration_records: Mapping[str, RegistrationRecord] | None = None,
) -> dict:
    """An IndividualEnrollment or EnrollmentGroup in DPS JSON (etag always included).

    `registration_records`: {lower-case registration ID: record} already read for a page
    (`enrollments_to_wire`); None reads this individual enrollment's record.
    """
    out: dict[str, Any] = {}
    if isinstance(obj, IndividualEnrollment):
        out["registrationId"] = obj.registration_id
        if obj.device_id:
            out["deviceId"] = obj.device_id
        record = (
            selectors.registration_record_for_registration_id(obj.registration_id)
            if registration_records is None
            else registration_records.get(obj.registration_id.lower())
        )
        out["registrationState"] = (
            registration_state_to_wire(record)
            if record
            else {"registrationId": obj.registration_id, "status": "unassigned"}
        )
        if obj.optional_device_information is not None:
            out["optionalDeviceInformation"] = obj.optional_device_information
    else:
        out["enrollmentGroupId"] = obj.enrollment_group_id
    out["attestation"] = attestation_to_wire(obj, include_keys=include_keys)
    out["capabilities"] = {"iotEdge": obj.iot_edge}
    if obj.iot_hub_host_name:
        out["iotHubHostName"] = obj.iot_hub_host_name
    if obj.initial_twin_tags or obj.initial_twin_desired_properties:
        out["initialTwin"] = {
            "tags": obj.initial_twin_tags or {},
            "properties": {"desired": obj.initial_twin_desired_properties or {}},
        }
    out["etag"] = obj.etag
    out["provisioningStatus"] = obj.provisioning_status
    if obj.update_hub_assignment is not None or obj.migrate_device_data is not None:
        out["reprovisionPolicy"] = {
            "updateHubAssignment": True if obj.update_hub_assignment is None else obj.update_hub_assignment,
            "migrateDeviceData": True if obj.migrate_device_data is None else obj.migrate_device_data,
        }
    out["createdDateTimeUtc"] = wire_time(obj.created_date_time_utc)
    out["lastUpdatedDateTimeUtc"] = wire_time(obj.last_updated_date_time_utc)
    if obj.allocation_policy:
        out["allocationPolicy"] = obj.allocation_policy
    out["iotHubs"] = [hub.host_name for hub in obj.iot_hubs.all()]
    if obj.webhook_url or obj.api_version:
        out["customAllocationDefinition"] = {"webhookUrl": obj.webhook_url, "apiVersion": obj.api_version}
    return out


# --- requests → service arguments ----------------------------------------------------------------

_COMMON_WIRE = {
    "provisioning_status": "provisioningStatus",
    "update_hub_assignment": "reprovisionPolicy.updateHubAssignment",
    "migrate_device_data": "reprovisionPolicy.migrateDeviceData",
    "allocation_policy": "allocationPolicy",
    "webhook_url": "customAllocationDefinition.webhookUrl",
    "api_version": "customAllocationDefinition.apiVersion",
    "iot_hub_host_name": "iotHubHostName",
    "iot_edge": "capabilities.iotEdge",
    "initial_twin_tags": "initialTwin.tags",
    "initial_twin_desired_properties": "initialTwin.properties.desired",
    "iot_hubs": "iotHubs",
    "attestation_type": "attestation.type",
    "primary_key": "attestation.symmetricKey.primaryKey",
    "secondary_key": "attestation.symmetricKey.secondaryKey",
}
_INDIVIDUAL_WIRE = {
    **_COMMON_WIRE,
    "registration_id": "registrationId",
    "device_id": "deviceId",
    "endorsement_key": "attestation.tpm.endorsementKey",
    "storage_root_key": "attestation.tpm.storageRootKey",
    "optional_device_information": "optionalDeviceInformation",
    "primary_certificate": "attestation.x509.clientCertificates.primary",
    "secondary_certificate": "attestation.x509.clientCertificates.secondary",
}
_GROUP_WIRE = {
    **_COMMON_WIRE,
    "enrollment_group_id": "enrollmentGroupId",
    "primary_certificate": "attestation.x509.signingCertificates.primary",
    "secondary_certificate": "attestation.x509.signingCertificates.secondary",
    "ca_primary": "attestation.x509.caReferences.primary",
    "ca_secondary": "attestation.x509.caReferences.secondary",
}


def wire_field(field: str, *, group: bool) -> str:
    """The JSON member path for a model field name in a service ValidationError."""
    return (_GROUP_WIRE if group else _INDIVIDUAL_WIRE).get(field, field)


def validation_message(exc: ValidationError, *, group: bool) -> str:
    """One 400 message naming each failing member: `registrationId: …; attestation.type: …`."""
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    parts = []
    for field, errors in exc.message_dict.items():
        text = " ".join(errors)
        parts.append(text if field == "__all__" else f"{wire_field(field, group=group)}: {text}")
    return "; ".join(parts)


def _field_error(path: str, message: str) -> ValidationError:
    # Keys here are already wire paths; validation_message passes unknown keys through.
    return ValidationError({path: [message]})


def _hubs(names) -> list:
    """LinkedIotHub rows for host names (case-insensitive); unknown names stay strings, which the
    service reports as "not a linked IoT hub"."""
    names = list(names or [])
    linked = bulk.known_hubs(names)  # inside a bulk call: read once for all its items
    if linked is None:
        linked = selectors.linked_iot_hubs_by_host_name(names)
    return [linked.get(name.lower(), name) if isinstance(name, str) else name for name in names]


def _common_arguments(data: dict) -> dict:
    policy = data.get("reprovisionPolicy")
    custom = data.get("customAllocationDefinition") or {}
    twin = data.get("initialTwin") or {}
    properties = twin.get("properties") or {}
    return {
        "provisioning_status": data.get("provisioningStatus") or "enabled",
        "update_hub_assignment": policy.get("updateHubAssignment", True) if policy else None,
        "migrate_device_data": policy.get("migrateDeviceData", True) if policy else None,
        "allocation_policy": data.get("allocationPolicy") or None,
        "webhook_url": custom.get("webhookUrl") or "",
        "api_version": custom.get("apiVersion") or "",
        "iot_hub_host_name": data.get("iotHubHostName") or "",
        "iot_edge": bool((data.get("capabilities") or {}).get("iotEdge", False)),
        "initial_twin_tags": twin.get("tags") or {},
        "initial_twin_desired_properties": properties.get("desired") or {},
    }


def _parse_certificates(value: dict | None, path: str) -> dict[str, CertificateInfo | None]:
    """{"primary": {"certificate": PEM}, …} → {"primary": CertificateInfo}; slots without a
    certificate body (e.g. only the echoed `info`) are left out."""
    out: dict[str, CertificateInfo | None] = {}
    errors: dict[str, list] = {}
    for slot in (CertificateSlot.PRIMARY, CertificateSlot.SECONDARY):
        body = ((value or {}).get(slot) or {}).get("certificate")
        if body is not None and not body.strip():
            errors[f"{path}.{slot}.certificate"] = [EMPTY_CERTIFICATE]
            continue
        if not body:
            continue
        try:
            out[slot] = parse_certificate(body)
        except InvalidCertificateError as exc:
            errors[f"{path}.{slot}.certificate"] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    return out


def _ca_reference(name: str | None, path: str) -> CaCertificate | None:
    if not name:
        return None
    ca = selectors.ca_certificate_by_name(name)
    if ca is None:
        raise _field_error(path, NO_SUCH_CA.format(name=name))
    return ca


def _check_attestation(attestation: dict, *, group: bool) -> str:
    """The attestation type, after the structure rules no service argument can express: `none` is
    refused, `tpm`/`x509` need their object, and an X.509 attestation holds exactly the certificate
    member its kind uses (dps-reference §1.3): a group `signingCertificates` or `caReferences` (never
    both: one would be dropped), an individual enrollment `clientCertificates`."""
    kind = attestation["type"]
    if kind == "none":
        raise _field_error("attestation.type", UNSUPPORTED_NONE)
    if kind in ("tpm", "x509") and not attestation.get(kind):
        raise _field_error(f"attestation.{kind}", NEEDS_MEMBER.format(type=kind, member=kind))
    if kind == AttestationType.X509:
        x509 = attestation["x509"]
        sent = [m for m in ("clientCertificates", "signingCertificates", "caReferences") if x509.get(m) is not None]
        if group:
            if "clientCertificates" in sent:
                raise _field_error("attestation.x509.clientCertificates", GROUP_CLIENT_CERTIFICATES)
            if len(sent) > 1:
                raise _field_error("attestation.x509", SIGNING_AND_CA_REFERENCES)
        elif set(sent) - {"clientCertificates"}:
            member = next(m for m in sent if m != "clientCertificates")
            raise _field_error(f"attestation.x509.{member}", INDIVIDUAL_CLIENT_ONLY.format(member=member))
    return kind


def _check_id(data: dict, member: str, url_id: str) -> str:
    body_id = data.get(member)
    if body_id and body_id.lower() != url_id.lower():
        raise _field_error(member, ID_MISMATCH.format(body=body_id, url=url_id))
    return body_id or url_id


def individual_create_arguments(data: dict, url_id: str) -> dict:
    """Keyword arguments for `individual_enrollment_create` from a validated IndividualEnrollment body."""
    attestation = data["attestation"]
    kind = _check_attestation(attestation, group=False)
    args: dict[str, Any] = {
        "registration_id": _check_id(data, "registrationId", url_id),
        "attestation_type": kind,
        "device_id": data.get("deviceId") or "",
        "optional_device_information": data.get("optionalDeviceInformation"),
        "iot_hubs": _hubs(data.get("iotHubs")),
        **_common_arguments(data),
    }
    if kind == AttestationType.SYMMETRIC_KEY:
        keys = attestation.get("symmetricKey") or {}
        args["primary_key"] = keys.get("primaryKey") or ""
        args["secondary_key"] = keys.get("secondaryKey") or ""
    elif kind == AttestationType.TPM:
        args["endorsement_key"] = attestation["tpm"].get("endorsementKey") or ""
        args["storage_root_key"] = attestation["tpm"].get("storageRootKey") or ""
    else:
        x509 = attestation["x509"]
        args["client_certificates"] = _parse_certificates(
            x509.get("clientCertificates"), "attestation.x509.clientCertificates"
        )
    return args


def group_create_arguments(data: dict, url_id: str) -> dict:
    """Keyword arguments for `enrollment_group_create` from a validated EnrollmentGroup body."""
    attestation = data["attestation"]
    kind = _check_attestation(attestation, group=True)
    args: dict[str, Any] = {
        "enrollment_group_id": _check_id(data, "enrollmentGroupId", url_id),
        "attestation_type": kind,
        "iot_hubs": _hubs(data.get("iotHubs")),
        **_common_arguments(data),
    }
    if kind == AttestationType.SYMMETRIC_KEY:
        keys = attestation.get("symmetricKey") or {}
        args["primary_key"] = keys.get("primaryKey") or ""
        args["secondary_key"] = keys.get("secondaryKey") or ""
    elif kind == AttestationType.X509:
        x509 = attestation["x509"]
        refs = x509.get("caReferences") or {}
        if refs.get("primary") or refs.get("secondary"):
            args["ca_primary"] = _ca_reference(refs.get("primary"), "attestation.x509.caReferences.primary")
            args["ca_secondary"] = _ca_reference(refs.get("secondary"), "attestation.x509.caReferences.secondary")
        else:
            args["signing_certificates"] = _parse_certificates(
                x509.get("signingCertificates"), "attestation.x509.signingCertificates"
            )
    return args


def update_arguments(obj: EnrollmentGroup | IndividualEnrollment, data: dict) -> tuple[dict, dict | None]:
    """(`changes` for `enrollment_update`, X.509 replacement kwargs for `enrollment_x509_replace` or None).

    PUT replaces the record: members left out take their defaults. Credentials left out (GET
    answers carry no keys, X.509 answers no certificate bodies) are kept.
    """
    group = isinstance(obj, EnrollmentGroup)
    args = (
        group_create_arguments(data, obj.enrollment_group_id)
        if group
        else individual_create_arguments(data, obj.registration_id)
    )
    changes: dict[str, Any] = {"attestation_type": args["attestation_type"], "iot_hubs": args["iot_hubs"]}
    changes.update(_common_arguments(data))
    if not group:
        changes["device_id"] = args["device_id"]
        changes["optional_device_information"] = args["optional_device_information"]
    x509_changes = None
    if args["attestation_type"] != obj.attestation_type:
        return changes, None  # the service refuses the type change
    if obj.attestation_type == AttestationType.SYMMETRIC_KEY:
        for key in ("primary_key", "secondary_key"):
            if args.get(key):
                changes[key] = args[key]
    elif obj.attestation_type == AttestationType.TPM:
        if args.get("endorsement_key") and args["endorsement_key"] != obj.endorsement_key:
            changes["endorsement_key"] = args["endorsement_key"]
        changes["storage_root_key"] = args.get("storage_root_key", "")
    elif obj.attestation_type == AttestationType.X509:
        member = "signingCertificates" if group else "clientCertificates"
        certificates = _certificates_after_put(obj, data["attestation"]["x509"], member)
        if certificates is not None:
            x509_changes = {"certificates": certificates}
        elif group and args.get("ca_primary"):
            x509_changes = {"ca_primary": args["ca_primary"], "ca_secondary": args.get("ca_secondary")}
    return changes, x509_changes


def _certificates_after_put(
    obj: EnrollmentGroup | IndividualEnrollment, x509: dict, member: str
) -> dict[str, CertificateInfo] | None:
    """The enrollment's certificates after a PUT, slot by slot, or None when they do not change.

    As in Azure DPS, answers carry a certificate's `info` but never its body, so a slot is
    replaced only by a `{"certificate": PEM}`; a slot sent with only `info` (a re-sent GET answer)
    or left out keeps the stored certificate, and a slot set to null is removed (the secondary
    only: every X.509 enrollment has a primary). Raises ValidationError on the slot's wire path.
    """
    path = f"attestation.x509.{member}"
    sent = x509.get(member)
    if sent is None:
        return None
    replaced = _parse_certificates(sent, path)
    removed = [
        slot for slot in (CertificateSlot.PRIMARY, CertificateSlot.SECONDARY) if slot in sent and sent[slot] is None
    ]
    if CertificateSlot.PRIMARY in removed:
        raise _field_error(f"{path}.primary", PRIMARY_NOT_REMOVABLE.format(path=path))
    if not replaced and not removed:
        return None
    stored = {row.slot: parse_certificate(row.certificate) for row in obj.certificates.all()}
    merged = {**stored, **replaced}
    for slot in removed:
        merged.pop(slot, None)
    if CertificateSlot.PRIMARY not in merged:
        raise _field_error(f"{path}.primary", PRIMARY_TO_KEEP_MISSING)
    return merged
