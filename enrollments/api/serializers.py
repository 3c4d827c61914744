"""DPS JSON shapes (dps-reference §1), camelCase as on the wire. They validate the structure of
request bodies (types, required members, enums) and describe requests and responses in the OpenAPI
document. Business rules live in validators and services; enrollments/api/mapping.py converts.
Read-only members that clients echo back in PUT bodies (etag, times, registrationState,
certificate info) are accepted and ignored."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import AllocationPolicy, ProvisioningStatus, RegistrationStatus, RegistrationSubstatus

ATTESTATION_TYPES = ["none", "tpm", "x509", "symmetricKey"]
BULK_MODES = ["create", "update", "updateIfMatchETag", "delete"]
DPS_ID_PATTERN = r"^[A-Za-z0-9\-._:]*[A-Za-z0-9\-]$"


@extend_schema_field({"type": "string", "maxLength": 128, "pattern": DPS_ID_PATTERN})
class DpsIdField(serializers.CharField):
    """A registration ID or group name (rules checked by enrollments.validators)."""


@extend_schema_field({"type": "object", "additionalProperties": True})
class TwinCollectionField(serializers.DictField):
    """A free-form JSON object (TwinCollection)."""


class X509CertificateInfoSerializer(serializers.Serializer):
    subjectName = serializers.CharField(read_only=True)
    sha1Thumbprint = serializers.CharField(read_only=True)
    sha256Thumbprint = serializers.CharField(read_only=True)
    issuerName = serializers.CharField(read_only=True)
    notBeforeUtc = serializers.DateTimeField(read_only=True)
    notAfterUtc = serializers.DateTimeField(read_only=True)
    serialNumber = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True)


class X509CertificateWithInfoSerializer(serializers.Serializer):
    certificate = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, write_only=True, help_text="PEM or base64 DER (input only)."
    )
    info = X509CertificateInfoSerializer(read_only=True)


class X509CertificatesSerializer(serializers.Serializer):
    primary = X509CertificateWithInfoSerializer(required=False, allow_null=True)
    secondary = X509CertificateWithInfoSerializer(required=False, allow_null=True)


class X509CAReferencesSerializer(serializers.Serializer):
    primary = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    secondary = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class X509AttestationSerializer(serializers.Serializer):
    clientCertificates = X509CertificatesSerializer(required=False, allow_null=True)
    signingCertificates = X509CertificatesSerializer(required=False, allow_null=True)
    caReferences = X509CAReferencesSerializer(required=False, allow_null=True)


class SymmetricKeyAttestationSerializer(serializers.Serializer):
    primaryKey = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    secondaryKey = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class TpmAttestationSerializer(serializers.Serializer):
    endorsementKey = serializers.CharField(allow_blank=True)
    storageRootKey = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class AttestationMechanismSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ATTESTATION_TYPES)
    tpm = TpmAttestationSerializer(required=False, allow_null=True)
    x509 = X509AttestationSerializer(required=False, allow_null=True)
    symmetricKey = SymmetricKeyAttestationSerializer(required=False, allow_null=True)


class ReprovisionPolicySerializer(serializers.Serializer):
    updateHubAssignment = serializers.BooleanField(required=False, default=True)
    migrateDeviceData = serializers.BooleanField(required=False, default=True)


class CapabilitiesSerializer(serializers.Serializer):
    iotEdge = serializers.BooleanField(required=False, default=False)


class InitialTwinPropertiesSerializer(serializers.Serializer):
    desired = TwinCollectionField(required=False, allow_null=True)


class InitialTwinSerializer(serializers.Serializer):
    tags = TwinCollectionField(required=False, allow_null=True)
    properties = InitialTwinPropertiesSerializer(required=False, allow_null=True)


class CustomAllocationDefinitionSerializer(serializers.Serializer):
    webhookUrl = serializers.CharField(allow_blank=True)
    apiVersion = serializers.CharField(allow_blank=True)


class DeviceRegistrationStateSerializer(serializers.Serializer):
    registrationId = serializers.CharField(read_only=True)
    createdDateTimeUtc = serializers.DateTimeField(read_only=True)
    assignedHub = serializers.CharField(read_only=True)
    deviceId = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=RegistrationStatus.values, read_only=True)
    substatus = serializers.ChoiceField(choices=RegistrationSubstatus.values, read_only=True)
    errorCode = serializers.IntegerField(read_only=True)
    errorMessage = serializers.CharField(read_only=True)
    lastUpdatedDateTimeUtc = serializers.DateTimeField(read_only=True)
    etag = serializers.CharField(read_only=True)
    payload = TwinCollectionField(read_only=True)


class EnrollmentBaseSerializer(serializers.Serializer):
    attestation = AttestationMechanismSerializer()
    capabilities = CapabilitiesSerializer(required=False, allow_null=True)
    iotHubHostName = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    initialTwin = InitialTwinSerializer(required=False, allow_null=True)
    etag = serializers.CharField(required=False, allow_null=True, allow_blank=True, help_text="Read-only; ignored.")
    provisioningStatus = serializers.ChoiceField(choices=ProvisioningStatus.values, required=False, allow_null=True)
    reprovisionPolicy = ReprovisionPolicySerializer(required=False, allow_null=True)
    createdDateTimeUtc = serializers.DateTimeField(read_only=True)
    lastUpdatedDateTimeUtc = serializers.DateTimeField(read_only=True)
    allocationPolicy = serializers.ChoiceField(choices=AllocationPolicy.values, required=False, allow_null=True)
    iotHubs = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    customAllocationDefinition = CustomAllocationDefinitionSerializer(required=False, allow_null=True)


class IndividualEnrollmentSerializer(EnrollmentBaseSerializer):
    registrationId = DpsIdField(required=False)
    deviceId = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    registrationState = DeviceRegistrationStateSerializer(read_only=True)
    optionalDeviceInformation = TwinCollectionField(required=False, allow_null=True)


class EnrollmentGroupSerializer(EnrollmentBaseSerializer):
    enrollmentGroupId = DpsIdField(required=False)


class BulkEnrollmentOperationSerializer(serializers.Serializer):
    enrollments = serializers.ListField(child=IndividualEnrollmentSerializer())
    mode = serializers.ChoiceField(choices=BULK_MODES)


class BulkEnrollmentGroupOperationSerializer(serializers.Serializer):
    enrollmentGroups = serializers.ListField(child=EnrollmentGroupSerializer())
    mode = serializers.ChoiceField(choices=BULK_MODES)


class BulkEnrollmentOperationErrorSerializer(serializers.Serializer):
    registrationId = serializers.CharField()
    errorCode = serializers.IntegerField()
    errorStatus = serializers.CharField()


class BulkEnrollmentGroupOperationErrorSerializer(serializers.Serializer):
    enrollmentGroupId = serializers.CharField()
    errorCode = serializers.IntegerField()
    errorStatus = serializers.CharField()


class BulkEnrollmentOperationResultSerializer(serializers.Serializer):
    isSuccessful = serializers.BooleanField()
    errors = BulkEnrollmentOperationErrorSerializer(many=True)


class BulkEnrollmentGroupOperationResultSerializer(serializers.Serializer):
    isSuccessful = serializers.BooleanField()
    errors = BulkEnrollmentGroupOperationErrorSerializer(many=True)


class QuerySpecificationSerializer(serializers.Serializer):
    query = serializers.CharField(help_text="`*` (or `SELECT * FROM enrollments`): every record.")


class ProvisioningServiceErrorDetailsSerializer(serializers.Serializer):
    errorCode = serializers.IntegerField()
    trackingId = serializers.CharField()
    message = serializers.CharField()
    info = serializers.DictField(child=serializers.CharField(), required=False)
    timestampUtc = serializers.DateTimeField()
