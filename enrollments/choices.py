"""Choice sets. Values are DPS wire names, so the REST API passes them through unchanged."""

from django.db import models


class AttestationType(models.TextChoices):
    SYMMETRIC_KEY = "symmetricKey", "Symmetric key"
    X509 = "x509", "X.509"
    TPM = "tpm", "TPM"


class GroupAttestation(models.TextChoices):
    """The `Attestation` options of the enrollment-group wizard (ui-contract.md)."""

    SYMMETRIC_KEY = "symmetricKey", "Symmetric key"
    X509_SIGNING = "x509SigningCertificates", "X.509 intermediate certificates"
    X509_CA = "x509CaReferences", "X.509 certificates uploaded to this Device Provisioning Service"
    TPM = "tpm", "TPM"


class IndividualAttestation(models.TextChoices):
    """The `Attestation` options of the individual-enrollment wizard (ui-contract.md)."""

    SYMMETRIC_KEY = "symmetricKey", "Symmetric key"
    X509 = "x509", "X.509 client certificates"
    TPM = "tpm", "TPM"


class ProvisioningStatus(models.TextChoices):
    ENABLED = "enabled", "Enabled"
    DISABLED = "disabled", "Disabled"


class AllocationPolicy(models.TextChoices):
    HASHED = "hashed", "Evenly weighted distribution"
    GEO_LATENCY = "geoLatency", "Lowest latency"
    STATIC = "static", "Static configuration"
    CUSTOM = "custom", "Custom (use a webhook)"


class ReprovisionPolicy(models.TextChoices):
    """Portal names of the reprovision policy; az CLI values (dps-reference §1.5)."""

    MIGRATE = "reprovisionandmigratedata", "Re-provision device and migrate current data"
    RESET = "reprovisionandresetdata", "Re-provision device and reset to initial config"
    NEVER = "never", "Never re-provision device"


# (updateHubAssignment, migrateDeviceData) for each portal reprovision policy (dps-reference §1.5).
REPROVISION_FLAGS: dict[str, tuple[bool, bool]] = {
    ReprovisionPolicy.MIGRATE: (True, True),
    ReprovisionPolicy.RESET: (True, False),
    ReprovisionPolicy.NEVER: (False, False),
}


def reprovision_policy_from_flags(update_hub_assignment: bool | None, migrate_device_data: bool | None) -> str:
    """Portal reprovision policy for the two DPS booleans; null fields take DPS's default (true)."""
    update = True if update_hub_assignment is None else update_hub_assignment
    migrate = True if migrate_device_data is None else migrate_device_data
    if not update:
        return ReprovisionPolicy.NEVER
    return ReprovisionPolicy.MIGRATE if migrate else ReprovisionPolicy.RESET


class RegistrationStatus(models.TextChoices):
    UNASSIGNED = "unassigned", "Unassigned"
    ASSIGNING = "assigning", "Assigning"
    ASSIGNED = "assigned", "Assigned"
    FAILED = "failed", "Failed"
    DISABLED = "disabled", "Disabled"


class RegistrationSubstatus(models.TextChoices):
    INITIAL_ASSIGNMENT = "initialAssignment", "Initial assignment"
    DEVICE_DATA_MIGRATED = "deviceDataMigrated", "Device data migrated"
    DEVICE_DATA_RESET = "deviceDataReset", "Device data reset"
    REPROVISIONED_TO_INITIAL_ASSIGNMENT = "reprovisionedToInitialAssignment", "Reprovisioned to initial assignment"


class CertificateSlot(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
