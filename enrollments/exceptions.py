"""Domain errors. Each carries a message meant for the user: what is wrong and how to fix it."""


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


class QuotaExceededError(DomainError):
    """A DPS quota (dps-reference §6) would be exceeded."""


class ProofOfPossessionError(DomainError):
    """A verification certificate does not prove possession of a CA's private key.

    `messages`: one user-facing message per cause found (wrong CN, wrong signer, expired code,
    expired verification certificate, unreadable file); str(error) joins them.
    """

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))
