"""X.509 attestation: parse uploaded certificates into DPS `X509CertificateInfo` (dps-reference §1.3, §2).

Accepts PEM (one `CERTIFICATE` block) or a `.cer` file holding base64 DER, with or without a BOM
(UTF-8, or UTF-16 as Windows tools write), CRLF line ends or surrounding whitespace; binary DER is
accepted too. Everything else is refused
with an InvalidCertificateError whose message says what is wrong and how to fix it. Private keys
are recognised and refused without being kept anywhere.

Proof of possession of a CA's private key (dps-reference §1.3; Azure "Verify certificate"): the
service hands out a one-time verification code; the owner of the CA issues a certificate whose
subject CN is that code and signs it with the CA's private key. `check_proof_of_possession`
accepts it only when the signature verifies with the CA certificate's public key (names are not
trusted: anyone can write a CA's subject into an issuer field).
"""

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

from ..exceptions import InvalidCertificateError, ProofOfPossessionError

MAX_CERTIFICATE_BYTES = 64 * 1024

EMPTY = "The file is empty. Choose a .pem or .cer file that holds one X.509 certificate."
PRIVATE_KEY = (
    "This file holds a private key, not a certificate. Never upload private keys: "
    "choose the certificate (.pem or .cer) instead. The key was discarded."
)
SEVERAL = (
    "This file holds {n} certificates. A file must hold exactly one certificate: "
    "split the bundle and choose the certificate you want."
)
TRUNCATED = (
    "The certificate is truncated or damaged: its PEM block has no END CERTIFICATE line or its "
    "content does not decode. Export the certificate again."
)
PEM_CONTENT_DAMAGED = (
    "The PEM block has its BEGIN and END CERTIFICATE lines, but the text between them is not a "
    "certificate (it does not decode to X.509 DER: damaged, edited or another kind of data). "
    "Export the certificate again."
)
NOT_A_CERTIFICATE = (
    "This file is not an X.509 certificate. Choose a PEM file (-----BEGIN CERTIFICATE-----) "
    "or a base64 or DER .cer file."
)
MALFORMED = (
    "The certificate's contents cannot be read (a malformed extension, name or version field). "
    "Issue or export the certificate again."
)
SERIAL_NOT_POSITIVE = (
    "The certificate's serial number is zero or negative, which RFC 5280 forbids. "
    "Issue the certificate again with a positive serial number."
)
TOO_LARGE = "The file is larger than 64 KB; a single certificate is a few KB at most."
EXPIRED = "The certificate expired on {date}. Upload a certificate that is currently valid."
NOT_YET_VALID = "The certificate is not valid until {date}. Upload a certificate that is currently valid."
NOT_CA = (
    "This certificate is not a CA certificate (its basic constraints do not say CA:TRUE), so it cannot "
    "sign device certificates. Use the intermediate or root CA certificate for an enrollment group."
)

CA_AS_CLIENT_CERTIFICATE_WARNING = (
    "This is a CA certificate (its basic constraints say CA:TRUE), not a device certificate. DPS "
    "authenticates a device by its leaf (end-entity) certificate, so a device presenting this certificate "
    "will not be authenticated. Choose the device's own certificate; a CA belongs in an enrollment group."
)
NOT_A_TLS_CLIENT_CERTIFICATE = (
    "This certificate cannot authenticate a device: {why}, so the TLS handshake at registration refuses "
    "it. Choose the device's own (leaf) certificate, issued for client authentication."
)
_NO_SIGNING_KEY_USAGE = "its key usage ({usages}) allows neither a digital signature nor key agreement"
_NO_CLIENT_AUTH = "its extended key usage does not include TLS client authentication (clientAuth)"

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)(?:-----END \1-----|\Z)", re.S)


@dataclass(frozen=True)
class CertificateInfo:
    """A parsed certificate: DPS X509CertificateInfo fields plus what the portal needs.

    Times are timezone-aware UTC datetimes; thumbprints and serial are uppercase hex without separators.
    `pem` is the certificate re-encoded as clean PEM (public data only).
    """

    subject_name: str
    issuer_name: str
    sha1_thumbprint: str
    sha256_thumbprint: str
    serial_number: str
    not_before_utc: datetime
    not_after_utc: datetime
    version: int
    common_name: str
    is_ca: bool
    pem: str
    # False when key usage or extended key usage forbid TLS client authentication (see
    # `tls_client_usage_problem`); True for certificates parsed before this was recorded.
    allows_tls_client: bool = True

    def as_dict(self) -> dict:
        """JSON-safe dict (for the wizard draft): datetimes as ISO strings."""
        return {
            "subject_name": self.subject_name,
            "issuer_name": self.issuer_name,
            "sha1_thumbprint": self.sha1_thumbprint,
            "sha256_thumbprint": self.sha256_thumbprint,
            "serial_number": self.serial_number,
            "not_before_utc": self.not_before_utc.isoformat(),
            "not_after_utc": self.not_after_utc.isoformat(),
            "version": self.version,
            "common_name": self.common_name,
            "is_ca": self.is_ca,
            "pem": self.pem,
            "allows_tls_client": self.allows_tls_client,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "CertificateInfo":
        return cls(
            **{
                **data,
                "not_before_utc": datetime.fromisoformat(data["not_before_utc"]),
                "not_after_utc": datetime.fromisoformat(data["not_after_utc"]),
            }
        )

    def model_fields(self) -> dict:
        """Keyword arguments for a model built on CertificateInfoFields."""
        return {
            "certificate": self.pem,
            "subject_name": self.subject_name,
            "issuer_name": self.issuer_name,
            "sha1_thumbprint": self.sha1_thumbprint,
            "sha256_thumbprint": self.sha256_thumbprint,
            "serial_number": self.serial_number,
            "not_before_utc": self.not_before_utc,
            "not_after_utc": self.not_after_utc,
            "version": self.version,
        }


def _parse_der(der: bytes) -> x509.Certificate:
    """Load DER; ValueError when it is not a certificate. A zero or negative serial number is
    refused: RFC 5280 forbids it and cryptography deprecates loading it (a warning now, an error
    later; the test suite turns the warning into an exception)."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except CryptographyDeprecationWarning as exc:
        raise InvalidCertificateError(SERIAL_NOT_POSITIVE) from exc
    except x509.InvalidVersion as exc:  # not a ValueError: e.g. version 2 (value 1), which cryptography refuses
        raise InvalidCertificateError(MALFORMED) from exc
    if cert.serial_number <= 0:
        raise InvalidCertificateError(SERIAL_NOT_POSITIVE)
    return cert


def _load_der(der: bytes) -> x509.Certificate:
    try:
        return _parse_der(der)
    except InvalidCertificateError:
        raise
    except ValueError as exc:
        raise InvalidCertificateError(TRUNCATED) from exc


def _looks_like_private_key_der(der: bytes) -> bool:
    try:
        serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError):
        return False
    except Exception:  # noqa: BLE001 - any parse failure means "not a key"
        return False
    return True


def load_certificate(data: bytes | str) -> x509.Certificate:
    """Load exactly one certificate from PEM, base64 DER or binary DER.

    Raises InvalidCertificateError for: empty input, a private key, several certificates,
    a truncated or damaged certificate, anything else that is not a certificate.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    if len(data) > MAX_CERTIFICATE_BYTES:
        raise InvalidCertificateError(TOO_LARGE)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 text with its BOM (e.g. saved by Windows PowerShell): the same PEM/base64 text.
        try:
            data = data.decode("utf-16").encode("ascii")
        except (UnicodeDecodeError, UnicodeEncodeError):
            pass
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").strip()
    if not text:
        raise InvalidCertificateError(EMPTY)

    if b"-----BEGIN" in text:
        blocks = _PEM_BLOCK.findall(text)
        labels = [label for label, _ in blocks]
        if any(b"PRIVATE KEY" in label for label in labels):
            raise InvalidCertificateError(PRIVATE_KEY)
        certs = [
            body for label, body in blocks if label in (b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE")
        ]
        if len(certs) > 1:
            raise InvalidCertificateError(SEVERAL.format(n=len(certs)))
        if not certs:
            raise InvalidCertificateError(NOT_A_CERTIFICATE)
        label, body = next(
            (lb, b) for lb, b in blocks if lb in (b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE")
        )
        if not re.search(rb"-----END " + label + rb"-----", text):
            raise InvalidCertificateError(TRUNCATED)
        compact = b"".join(body.split())
        if not re.fullmatch(rb"[A-Za-z0-9+/]*={0,2}", compact):
            # Armour around text that is not base64 at all: not a certificate, as opposed to a cut-off one.
            raise InvalidCertificateError(NOT_A_CERTIFICATE)
        try:
            der = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidCertificateError(PEM_CONTENT_DAMAGED) from exc
        try:
            return _load_der(der)
        except InvalidCertificateError as exc:
            # Both markers are there: the block is complete, its content is what is wrong.
            if str(exc) == TRUNCATED:
                raise InvalidCertificateError(PEM_CONTENT_DAMAGED) from exc
            raise

    # No PEM armour: binary DER, or a base64 `.cer` body.
    if text[:1] == b"\x30":
        # Binary DER: its last bytes may be whitespace bytes (0x20, 0x0A…) that belong to the
        # signature, so try the file exactly as uploaded before a stripped copy.
        for candidate in dict.fromkeys((data, data.lstrip(), data.strip())):
            if _looks_like_private_key_der(candidate):
                raise InvalidCertificateError(PRIVATE_KEY)
            try:
                return _parse_der(candidate)
            except InvalidCertificateError:
                raise
            except ValueError:
                continue
        if text[:2] in (b"\x30\x81", b"\x30\x82", b"\x30\x83") and not text.isascii():
            raise InvalidCertificateError(TRUNCATED)  # binary DER, cut short or damaged
    compact = b"".join(text.split())
    if re.fullmatch(rb"[A-Za-z0-9+/]+={0,2}", compact or b"-"):
        try:
            der = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidCertificateError(TRUNCATED) from exc
        if _looks_like_private_key_der(der):
            raise InvalidCertificateError(PRIVATE_KEY)
        if der[:1] != b"\x30":
            raise InvalidCertificateError(NOT_A_CERTIFICATE)
        return _load_der(der)
    raise InvalidCertificateError(NOT_A_CERTIFICATE)


def _common_name(name: x509.Name) -> str:
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else ""


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def tls_client_usage_problem(cert: x509.Certificate) -> str | None:
    """Why `cert` can never be a TLS client certificate, or None.

    The checks of OpenSSL's SSL-client purpose (RFC 5280 §4.2.1.3, §4.2.1.12): a key usage
    extension, when present, must allow digitalSignature or keyAgreement; an extended key usage,
    when present, must include clientAuth or anyExtendedKeyUsage. Absent extensions allow everything.
    """
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not (usage.digital_signature or usage.key_agreement):
        names = [
            label
            for label, allowed in (
                ("keyCertSign", usage.key_cert_sign),
                ("cRLSign", usage.crl_sign),
                ("keyEncipherment", usage.key_encipherment),
                ("dataEncipherment", usage.data_encipherment),
                ("nonRepudiation", usage.content_commitment),
            )
            if allowed
        ]
        return _NO_SIGNING_KEY_USAGE.format(usages=", ".join(names) or "none")
    try:
        purposes = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        purposes = None
    if purposes is not None and not (
        x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH in purposes
        or x509.oid.ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in purposes
    ):
        return _NO_CLIENT_AUTH
    return None


def certificate_info(cert: x509.Certificate) -> CertificateInfo:
    """Build CertificateInfo from a loaded certificate (thumbprints over its DER encoding)."""
    serial = f"{cert.serial_number:X}"
    if len(serial) % 2:
        serial = "0" + serial
    return CertificateInfo(
        subject_name=cert.subject.rfc4514_string(),
        issuer_name=cert.issuer.rfc4514_string(),
        sha1_thumbprint=cert.fingerprint(hashes.SHA1()).hex().upper(),  # noqa: S303 - DPS shows SHA-1 thumbprints
        sha256_thumbprint=cert.fingerprint(hashes.SHA256()).hex().upper(),
        serial_number=serial,
        not_before_utc=cert.not_valid_before_utc,
        not_after_utc=cert.not_valid_after_utc,
        version=cert.version.value + 1,
        common_name=_common_name(cert.subject),
        is_ca=_is_ca(cert),
        pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        allows_tls_client=tls_client_usage_problem(cert) is None,
    )


def parse_certificate(data: bytes | str) -> CertificateInfo:
    """Parse one certificate (PEM, base64 `.cer` or DER) into CertificateInfo.

    Raises InvalidCertificateError with a user-facing message (see load_certificate).
    Validity dates are not checked here: see check_validity.
    """
    cert = load_certificate(data)
    try:
        # cryptography parses extensions, names and the version lazily: a damaged one fails here.
        return certificate_info(cert)
    except (ValueError, x509.InvalidVersion) as exc:
        raise InvalidCertificateError(MALFORMED) from exc


def check_validity(info: CertificateInfo, *, now: datetime | None = None) -> None:
    """Refuse an expired or not-yet-valid certificate (InvalidCertificateError)."""
    now = now or datetime.now(UTC)
    if info.not_after_utc < now:
        raise InvalidCertificateError(EXPIRED.format(date=info.not_after_utc.strftime("%Y-%m-%d %H:%M UTC")))
    if info.not_before_utc > now:
        raise InvalidCertificateError(NOT_YET_VALID.format(date=info.not_before_utc.strftime("%Y-%m-%d %H:%M UTC")))


def check_client_certificate(info: CertificateInfo) -> None:
    """Refuse, as an individual enrollment's client certificate, one that no TLS stack accepts as a
    client certificate (key usage without digitalSignature/keyAgreement, or extended key usage
    without clientAuth). InvalidCertificateError names the extension."""
    if not info.allows_tls_client:
        cert = x509.load_pem_x509_certificate(info.pem.encode("ascii"))
        why = tls_client_usage_problem(cert) or _NO_CLIENT_AUTH
        raise InvalidCertificateError(NOT_A_TLS_CLIENT_CERTIFICATE.format(why=why))


def client_certificate_warning(info: CertificateInfo) -> str | None:
    """The warning for an individual enrollment's client certificate that is a CA (CA:TRUE): DPS
    matches a device by its leaf certificate (dps-reference §4.1 X.509 flow), so it will not
    authenticate one. None for a leaf."""
    return CA_AS_CLIENT_CERTIFICATE_WARNING if info.is_ca else None


def check_is_ca(info: CertificateInfo) -> None:
    """Refuse a non-CA certificate as an enrollment group's signing certificate."""
    if not info.is_ca:
        raise InvalidCertificateError(NOT_CA)


VERIFICATION_NO_CODE = (
    "No verification code is pending for this certificate. Select Generate verification code, then "
    "upload a certificate whose common name (CN) is that code."
)
VERIFICATION_CODE_EXPIRED = (
    "The verification code expired at {date}. Select Generate verification code for a new code and "
    "issue the verification certificate again with the new code as its common name (CN)."
)
VERIFICATION_WRONG_CN = (
    "The verification certificate's common name (CN) is “{cn}”, not the verification code. Issue it "
    "again with the code shown by Generate verification code as its CN (for example CN=<code>)."
)
VERIFICATION_NO_CN = (
    "The verification certificate has no common name (CN). Issue it again with the code shown by "
    "Generate verification code as its CN (for example CN=<code>)."
)
VERIFICATION_WRONG_SIGNER = (
    "The verification certificate is not signed by this CA: its signature does not verify with the public "
    "key of “{subject}”. Sign the verification certificate with this CA's private key."
)
VERIFICATION_EXPIRED = (
    "The verification certificate expired at {date}. Issue a new verification certificate that is valid now."
)
VERIFICATION_NOT_YET_VALID = (
    "The verification certificate is not valid until {date}. Issue a verification certificate that is valid now."
)

_DATE = "%Y-%m-%d %H:%M UTC"


def verification_code_digest(code: str) -> str:
    """SHA-256 hex digest (64 lowercase hex characters) of a verification code, as stored.

    Codes are compared ignoring case and surrounding whitespace (they are uppercase hex).
    """
    return hashlib.sha256(code.strip().upper().encode("utf-8")).hexdigest()


def is_signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when `cert`'s signature verifies with `issuer`'s public key (RSA PKCS#1 v1.5 or PSS,
    ECDSA, Ed25519, Ed448, DSA). Names (issuer vs. subject) are not looked at."""
    key = issuer.public_key()
    signature, tbs = cert.signature, cert.tbs_certificate_bytes
    try:
        if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(signature, tbs)
            return True
        algorithm = cert.signature_hash_algorithm
        if algorithm is None:
            return False
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, tbs, cert.signature_algorithm_parameters, algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, tbs, ec.ECDSA(algorithm))
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, tbs, algorithm)
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, TypeError, ValueError):
        return False
    return True


def check_proof_of_possession(
    *,
    ca_pem: str,
    data: bytes | str,
    code_digest: str,
    code_expires_utc: datetime | None,
    now: datetime | None = None,
) -> CertificateInfo:
    """Check a verification certificate against a CA certificate and its pending verification code.

    `ca_pem`: the uploaded CA certificate (PEM). `data`: the verification certificate file (PEM,
    base64 `.cer` or DER). `code_digest`: `verification_code_digest` of the pending code ("" when
    none). `code_expires_utc`: when the code stops being accepted (aware UTC).
    Returns the verification certificate's CertificateInfo.
    Raises ProofOfPossessionError naming every cause found: no pending code, expired code (these two
    alone), an unreadable file (the parser's message), a signature that does not verify with the
    CA's public key, a CN other than the code, a verification certificate outside its validity.
    """
    now = now or datetime.now(UTC)
    if not code_digest:
        raise ProofOfPossessionError([VERIFICATION_NO_CODE])
    if code_expires_utc is None or code_expires_utc <= now:
        date = code_expires_utc.strftime(_DATE) if code_expires_utc else "an unknown time"
        raise ProofOfPossessionError([VERIFICATION_CODE_EXPIRED.format(date=date)])
    try:
        cert = load_certificate(data)
        info = certificate_info(cert)
    except InvalidCertificateError as exc:
        raise ProofOfPossessionError([str(exc)]) from exc
    except (ValueError, x509.InvalidVersion) as exc:
        raise ProofOfPossessionError([MALFORMED]) from exc
    ca = load_certificate(ca_pem)
    problems: list[str] = []
    if not is_signed_by(cert, ca):
        problems.append(VERIFICATION_WRONG_SIGNER.format(subject=ca.subject.rfc4514_string()))
    if not info.common_name:
        problems.append(VERIFICATION_NO_CN)
    elif not hmac.compare_digest(verification_code_digest(info.common_name), code_digest):
        problems.append(VERIFICATION_WRONG_CN.format(cn=info.common_name))
    if info.not_after_utc < now:
        problems.append(VERIFICATION_EXPIRED.format(date=info.not_after_utc.strftime(_DATE)))
    elif info.not_before_utc > now:
        problems.append(VERIFICATION_NOT_YET_VALID.format(date=info.not_before_utc.strftime(_DATE)))
    if problems:
        raise ProofOfPossessionError(problems)
    return info
