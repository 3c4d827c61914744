"""Domain errors and the messages of the enrollment rules: what is wrong and how to fix it.

Forms, the admin, the service API and the services all name a refusal by these constants, so
a rule's wording exists once."""


class DomainError(ValueError):
    """Base class of the portal's domain errors."""


class InvalidCertificateError(DomainError):
    """A certificate file or string could not be accepted (see attestation/x509.py)."""


class InvalidSymmetricKeyError(DomainError):
    """A symmetric key is not base64 of 16–64 bytes (dps-reference §2)."""


class InvalidEndorsementKeyError(DomainError):
    """A TPM endorsement key is not base64 of a well-formed TPM2B_PUBLIC."""


class InvalidConnectionStringError(DomainError):
    """An IoT hub connection string lacks a part or is malformed."""


class InvalidTwinError(DomainError):
    """An initial twin (tags or desired properties) breaks an IoT Hub twin rule."""


class ProofOfPossessionError(DomainError):
    """A verification certificate does not prove possession of a CA's private key.

    `messages`: one user-facing message per cause found (wrong CN, wrong signer, expired code,
    expired verification certificate, unreadable file); str(error) joins them.
    """

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))


# `{name}` is the existing record's spelling (see name_taken_message), not the one typed.
ALREADY_EXISTS_GROUP = "An enrollment group named “{name}” already exists (names are not case-sensitive)."
ALREADY_EXISTS_INDIVIDUAL = (
    "An individual enrollment with registration ID “{name}” already exists (registration IDs are not case-sensitive)."
)
CERTIFICATE_IN_USE = (
    "This certificate (SHA-256 {thumb}…) is already used by {owner}. A certificate can be in only one "
    "enrollment: use a different certificate or remove it from {owner} first."
)
SAME_CERTIFICATE_TWICE = "The secondary certificate is the same as the primary one. Choose a different certificate."
CA_UNVERIFIED = (
    "The certificate “{name}” is unverified. To use a verified one: delete it on the Certificates page and upload "
    "it again with “Set certificate status to verified on upload” checked (or an administrator sets it verified "
    "in the Django admin)."
)
CA_NOT_CA = (
    "The certificate “{name}” is not a CA certificate, so it cannot sign device certificates. Upload the "
    "intermediate or root CA certificate on the Certificates page and choose that one."
)
STATIC_NEEDS_ONE_HUB = (
    "Static configuration assigns every device to one hub: select exactly one target IoT hub (selected: {n})."
)
CUSTOM_NEEDS_WEBHOOK = "Custom allocation needs the webhook URL that DPS calls to choose a hub."
CUSTOM_NEEDS_API_VERSION = "Custom allocation needs the API version of the webhook request, e.g. 2021-10-01."
ATTESTATION_IMMUTABLE = "The attestation type cannot change after creation: create a new enrollment instead."
GROUP_NO_TPM = "Enrollment groups do not support TPM attestation."
REQUIRED = "This field is required."
CREDENTIAL_OF_OTHER_TYPE = (
    "This enrollment uses {type} attestation, so it has no such credential: the attestation type and its "
    "kind of credentials cannot change. Create a new enrollment to use another attestation."
)
ETAG_MISMATCH = (
    "Someone else changed this enrollment after you opened it, so your changes were not saved. "
    "They are still shown here: open the current version, then apply them again."
)


class EtagMismatchError(DomainError):
    """A conditional write (If-Match / the etag a page was opened with) lost to a newer write."""

    def __init__(self, message: str = ETAG_MISMATCH):
        super().__init__(message)


NEEDS_A_RIGHT = "Choose at least one permission."
