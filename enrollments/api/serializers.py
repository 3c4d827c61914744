"""DPS JSON shapes (dps-reference §1), camelCase as on the wire. They validate the structure of
request bodies (types, required members, enums) and describe requests and responses in the OpenAPI
document. Business rules live in validators and services; enrollments/api/mapping.py converts.
Read-only members that clients echo back in PUT bodies (etag, times, registrationState,
certificate info) are accepted and ignored."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from ..choices import AllocationPolicy, ProvisioningStatus, RegistrationStatus, RegistrationSubstatus

ATTESTATION_TYPES = ["none", "tpm", "x509", "symmetricKey"]
BULK_MODES = ["create", "update", "updateIfMatchETag", "delete"]
DPS_ID_PATTERN = r"^[A-Za-z0-9\-._:]*[A-Za-z0-9\-]$"


# Wire types are checked exactly (JSON has no implicit conversions): DRF's own fields would turn
# `"yes"` or `1` into `true` and `123` into `"123"`. Messages start with "must", so the API's 400
# reads `capabilities.iotEdge must be true or false (a JSON boolean), not a string ("yes").`


def json_type(value) -> str:
    """The JSON type name of a parsed JSON value: object, array, string, number, boolean or null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def must_be(expected: str, value) -> str:
    """`must be {expected}, not {JSON type}` (strings and numbers quoted back, cut to 40 characters)."""
    kind = json_type(value)
    if kind in ("string", "number"):
        shown = repr(value)[:40] if kind == "number" else '"' + value[:40] + '"'
        return f"must be {expected}, not a {kind} ({shown})."
    article = "an" if kind in ("object", "array") else "a"
    return f"must be {expected}, not {article} {kind}." if kind != "null" else f"must be {expected}, not null."


class WireString(serializers.CharField):
    """A JSON string, exactly: numbers, booleans, objects and arrays are refused, never converted."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(must_be("a JSON string", data))
        return super().to_internal_value(data)

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)  # kept exactly; the validators say what is wrong
        super().__init__(**kwargs)


class WireBoolean(serializers.BooleanField):
    """JSON `true` or `false` only (DRF would accept "yes", "on", 1, "1" …)."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            raise serializers.ValidationError(must_be("true or false (a JSON boolean)", data))
        return data


class WireChoice(serializers.ChoiceField):
    """One of the listed JSON strings, exactly: DRF's ChoiceField reads `true` as "True" and then
    calls it "not a valid choice". The message lists the values: `provisioningStatus must be one of
    enabled, disabled (a JSON string), not a boolean.`"""

    def to_internal_value(self, data):
        listed = ", ".join(self.choices)
        if not isinstance(data, str):
            raise serializers.ValidationError(must_be(f"one of {listed} (a JSON string)", data))
        if data not in self.choices:
            raise serializers.ValidationError(f'must be one of {listed}, not "{data[:40]}".')
        return data


class WireList(serializers.ListField):
    """A JSON array, with a message naming the type that was sent instead."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError(must_be("a JSON array", data))
        return super().to_internal_value(data)


class WireObject(serializers.Serializer):
    """A JSON object of known members, with a message naming the type that was sent instead."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [must_be("a JSON object", data)]})
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "maxLength": 128, "pattern": DPS_ID_PATTERN})
class DpsIdField(WireString):
    """A registration ID or group name (rules checked by enrollments.validators)."""


@extend_schema_field({"type": "object", "additionalProperties": True})
class TwinCollectionField(serializers.DictField):
    """A free-form JSON object (TwinCollection)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(must_be("a JSON object", data))
        return super().to_internal_value(data)


class X509CertificateInfoSerializer(WireObject):
    subjectName = WireString(read_only=True)
    sha1Thumbprint = WireString(read_only=True)
    sha256Thumbprint = WireString(read_only=True)
    issuerName = WireString(read_only=True)
    notBeforeUtc = serializers.DateTimeField(read_only=True)
    notAfterUtc = serializers.DateTimeField(read_only=True)
    serialNumber = WireString(read_only=True)
    version = serializers.IntegerField(read_only=True)


class X509CertificateWithInfoSerializer(WireObject):
    certificate = WireString(
        required=False, allow_null=True, allow_blank=True, write_only=True, help_text="PEM or base64 DER (input only)."
    )
    info = X509CertificateInfoSerializer(read_only=True)


class X509CertificatesSerializer(WireObject):
    primary = X509CertificateWithInfoSerializer(required=False, allow_null=True)
    secondary = X509CertificateWithInfoSerializer(required=False, allow_null=True)


class X509CAReferencesSerializer(WireObject):
    primary = WireString(required=False, allow_null=True, allow_blank=True)
    secondary = WireString(required=False, allow_null=True, allow_blank=True)


class X509AttestationSerializer(WireObject):
    clientCertificates = X509CertificatesSerializer(required=False, allow_null=True)
    signingCertificates = X509CertificatesSerializer(required=False, allow_null=True)
    caReferences = X509CAReferencesSerializer(required=False, allow_null=True)


class SymmetricKeyAttestationSerializer(WireObject):
    primaryKey = WireString(required=False, allow_null=True, allow_blank=True)
    secondaryKey = WireString(required=False, allow_null=True, allow_blank=True)


class TpmAttestationSerializer(WireObject):
    endorsementKey = WireString(allow_blank=True)
    storageRootKey = WireString(required=False, allow_null=True, allow_blank=True)


class AttestationMechanismSerializer(WireObject):
    type = WireChoice(choices=ATTESTATION_TYPES)
    tpm = TpmAttestationSerializer(required=False, allow_null=True)
    x509 = X509AttestationSerializer(required=False, allow_null=True)
    symmetricKey = SymmetricKeyAttestationSerializer(required=False, allow_null=True)


class ReprovisionPolicySerializer(WireObject):
    updateHubAssignment = WireBoolean(required=False, default=True)
    migrateDeviceData = WireBoolean(required=False, default=True)


class CapabilitiesSerializer(WireObject):
    iotEdge = WireBoolean(required=False, default=False)


class InitialTwinPropertiesSerializer(WireObject):
    desired = TwinCollectionField(required=False, allow_null=True)


class InitialTwinSerializer(WireObject):
    tags = TwinCollectionField(required=False, allow_null=True)
    properties = InitialTwinPropertiesSerializer(required=False, allow_null=True)


class CustomAllocationDefinitionSerializer(WireObject):
    webhookUrl = WireString(allow_blank=True)
    apiVersion = WireString(allow_blank=True)


class DeviceRegistrationStateSerializer(WireObject):
    registrationId = WireString(read_only=True)
    createdDateTimeUtc = serializers.DateTimeField(read_only=True)
    assignedHub = WireString(read_only=True)
    deviceId = WireString(read_only=True)
    status = serializers.ChoiceField(choices=RegistrationStatus.values, read_only=True)
    substatus = serializers.ChoiceField(choices=RegistrationSubstatus.values, read_only=True)
    errorCode = serializers.IntegerField(read_only=True)
    errorMessage = WireString(read_only=True)
    lastUpdatedDateTimeUtc = serializers.DateTimeField(read_only=True)
    etag = WireString(read_only=True)
    payload = TwinCollectionField(read_only=True)


class EnrollmentBaseSerializer(WireObject):
    attestation = AttestationMechanismSerializer()
    capabilities = CapabilitiesSerializer(required=False, allow_null=True)
    iotHubHostName = WireString(required=False, allow_null=True, allow_blank=True)
    initialTwin = InitialTwinSerializer(required=False, allow_null=True)
    etag = WireString(required=False, allow_null=True, allow_blank=True, help_text="Read-only; ignored.")
    provisioningStatus = WireChoice(choices=ProvisioningStatus.values, required=False, allow_null=True)
    reprovisionPolicy = ReprovisionPolicySerializer(required=False, allow_null=True)
    createdDateTimeUtc = serializers.DateTimeField(read_only=True)
    lastUpdatedDateTimeUtc = serializers.DateTimeField(read_only=True)
    allocationPolicy = WireChoice(choices=AllocationPolicy.values, required=False, allow_null=True)
    iotHubs = WireList(child=WireString(), required=False, allow_null=True)
    customAllocationDefinition = CustomAllocationDefinitionSerializer(required=False, allow_null=True)


class IndividualEnrollmentSerializer(EnrollmentBaseSerializer):
    registrationId = DpsIdField(required=False)
    deviceId = WireString(required=False, allow_null=True, allow_blank=True)
    registrationState = DeviceRegistrationStateSerializer(read_only=True)
    optionalDeviceInformation = TwinCollectionField(required=False, allow_null=True)


class EnrollmentGroupSerializer(EnrollmentBaseSerializer):
    enrollmentGroupId = DpsIdField(required=False)


class BulkEnrollmentOperationSerializer(WireObject):
    enrollments = WireList(child=IndividualEnrollmentSerializer())
    mode = WireChoice(choices=BULK_MODES)


class BulkEnrollmentGroupOperationSerializer(WireObject):
    enrollmentGroups = WireList(child=EnrollmentGroupSerializer())
    mode = WireChoice(choices=BULK_MODES)


class BulkEnrollmentOperationErrorSerializer(WireObject):
    registrationId = WireString()
    errorCode = serializers.IntegerField()
    errorStatus = WireString()


class BulkEnrollmentGroupOperationErrorSerializer(WireObject):
    enrollmentGroupId = WireString()
    errorCode = serializers.IntegerField()
    errorStatus = WireString()


class BulkEnrollmentOperationResultSerializer(WireObject):
    isSuccessful = WireBoolean()
    errors = BulkEnrollmentOperationErrorSerializer(many=True)


class BulkEnrollmentGroupOperationResultSerializer(WireObject):
    isSuccessful = WireBoolean()
    errors = BulkEnrollmentGroupOperationErrorSerializer(many=True)


class QuerySpecificationSerializer(WireObject):
    query = WireString(help_text="`*` (or `SELECT * FROM enrollments`): every record.")


class ProvisioningServiceErrorDetailsSerializer(WireObject):
    errorCode = serializers.IntegerField()
    trackingId = WireString()
    message = WireString()
    info = serializers.DictField(child=WireString(), required=False)
    timestampUtc = serializers.DateTimeField()
