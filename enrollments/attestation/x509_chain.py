"""Which enrollment an X.509 device's certificate chain matches (DPS X.509 attestation).

Pure function over parsed `cryptography` certificates: no ORM, no HTTP. The TLS layer hands over the
chain the device presented (leaf first, any further certificates in any order); the selector
describes the candidate enrollments as plain data (`IndividualCandidate`, `GroupCandidate`,
`CaCandidate`); `match_chain` returns an `X509Match` or raises `X509AttestationError`, whose
`cause` is one of the `Cause` values and whose message says what is wrong and how to fix it.

Rules (dps-reference §4.1 "X.509 flow", §2 "Certificates"; DOCS concepts-x509-attestation.md):

1. The registration ID must equal the leaf's subject CN (ignoring case, as registration IDs are
   case-insensitive).
2. An individual enrollment for the registration ID decides: it matches when its primary or
   secondary client certificate is the leaf (by SHA-256 thumbprint); any other individual
   enrollment for that ID (another certificate, another attestation) refuses the device.
3. Otherwise walk up from the leaf, one issuer at a time. At each step the enrollment groups whose
   signing certificate, or whose CA reference (a CA certificate uploaded to the service), issued the
   certificate below are looked for first; the first step with a match decides. An anchor issued the
   certificate below when its signature over it verifies (names only pick the candidates to try:
   a look-alike CA with the same subject names fails the signature check). The anchor may be
   presented by the device or not.
4. A disabled first match is still the match (`X509Match.enabled` is False): the device is refused
   even when a group higher up is enabled. The caller records it as DPS does for a disabled
   enrollment.
5. Refused (cause): no certificate (`no_certificate`); CN ≠ registration ID (`cn_mismatch`); the
   registration ID's individual enrollment holds another certificate or attestation
   (`individual_mismatch`); an expired or not-yet-valid certificate on the path, the anchor included
   (`expired`, `not_yet_valid`); a presented issuer whose signature over the certificate below does
   not verify (`broken_chain`); an issuer that is not a CA (basic constraints, key usage, path
   length) (`not_a_ca`); a first match whose CA reference is unverified (`unverified_ca`); two
   groups matching at the same step (`ambiguous`); nothing matched (`no_enrollment`, or
   `unverified_ca` when the chain reached an uploaded CA that is unverified).

Thumbprints are uppercase hex SHA-256 over the DER encoding, as `X509CertificateInfo` shows them.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from ..exceptions import DomainError

MAX_CHAIN_DEPTH = 10
"""At most this many issuers above the leaf are walked (a longer path is refused as no match)."""


class Cause(enum.StrEnum):
    """Why a chain was refused; the value is shown to clients next to the message."""

    NO_CERTIFICATE = "no_certificate"
    CN_MISMATCH = "cn_mismatch"
    INDIVIDUAL_MISMATCH = "individual_mismatch"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    BROKEN_CHAIN = "broken_chain"
    NOT_A_CA = "not_a_ca"
    UNVERIFIED_CA = "unverified_ca"
    AMBIGUOUS = "ambiguous"
    NO_ENROLLMENT = "no_enrollment"


class X509AttestationError(DomainError):
    """A device's certificate chain was refused: `cause` (a Cause) and a message naming the cause."""

    def __init__(self, cause: Cause, message: str):
        super().__init__(message)
        self.cause = cause
        self.message = message


@dataclass(frozen=True)
class IndividualCandidate:
    """The individual enrollment for the registration ID (at most one exists).

    `thumbprints`: SHA-256 thumbprints of its primary and secondary client certificates (empty when
    its attestation is not X.509); `attestation_type` as stored (`x509`, `symmetricKey`, `tpm`).
    """

    key: Hashable
    registration_id: str
    enabled: bool
    attestation_type: str = "x509"
    thumbprints: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CaCandidate:
    """A CA certificate uploaded to the service's Certificates page (`name`, its status)."""

    name: str
    certificate: x509.Certificate
    verified: bool


@dataclass(frozen=True)
class GroupCandidate:
    """An X.509 enrollment group: its signing certificates (uploaded into the group) or its CA
    references (CaCandidate), and whether it is enabled."""

    key: Hashable
    name: str
    enabled: bool
    signing_certificates: tuple[x509.Certificate, ...] = ()
    ca_references: tuple[CaCandidate, ...] = ()


@dataclass(frozen=True)
class X509Match:
    """The enrollment a chain matched.

    `individual` or `group` is set. `leaf` is the device certificate; `signing_certificate` the group's
    anchor (its signing certificate or referenced CA) that the path reached, None for an individual
    enrollment; `ca_name` the uploaded CA's name when the match was by CA reference; `depth` how many
    issuers above the leaf the anchor is (0 for an individual enrollment). `enabled` False means the
    first match is disabled and the device must be refused.
    """

    leaf: x509.Certificate
    individual: IndividualCandidate | None = None
    group: GroupCandidate | None = None
    signing_certificate: x509.Certificate | None = None
    ca_name: str = ""
    depth: int = 0

    @property
    def enabled(self) -> bool:
        return (self.individual or self.group).enabled

    @property
    def leaf_thumbprint(self) -> str:
        return thumbprint(self.leaf)


@dataclass
class _Anchor:
    group: GroupCandidate
    certificate: x509.Certificate
    thumbprint: str
    ca: CaCandidate | None = None


@dataclass
class _Index:
    by_subject: dict[x509.Name, list[_Anchor]] = field(default_factory=dict)
    uploaded: dict[str, CaCandidate] = field(default_factory=dict)  # thumbprint → CA


def thumbprint(certificate: x509.Certificate) -> str:
    """SHA-256 thumbprint over the DER encoding, uppercase hex (as `X509CertificateInfo.sha256Thumbprint`)."""
    return certificate.fingerprint(hashes.SHA256()).hex().upper()


def common_name(certificate: x509.Certificate) -> str:
    """The subject's first CN, or "" when it has none."""
    attrs = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else ""


def describe(certificate: x509.Certificate) -> str:
    """`CN=…` subject plus a short thumbprint, for messages."""
    return f"“{certificate.subject.rfc4514_string() or '(empty subject)'}” (SHA-256 {thumbprint(certificate)[:16]}…)"


def _date(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _check_validity(certificate: x509.Certificate, role: str, now: datetime) -> None:
    if certificate.not_valid_after_utc < now:
        raise X509AttestationError(
            Cause.EXPIRED,
            f"The {role} {describe(certificate)} expired on {_date(certificate.not_valid_after_utc)}. "
            "Renew it and present a currently valid chain.",
        )
    if certificate.not_valid_before_utc > now:
        raise X509AttestationError(
            Cause.NOT_YET_VALID,
            f"The {role} {describe(certificate)} is not valid until {_date(certificate.not_valid_before_utc)}. "
            "Check the device's clock and the certificate's validity period.",
        )


def _ca_problem(issuer: x509.Certificate, intermediates_below: int) -> str:
    """Why `issuer` may not sign certificates at this place of the path ("" when it may)."""
    try:
        constraints = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return "it has no basic constraints extension saying CA:TRUE"
    if not constraints.ca:
        return "its basic constraints say CA:FALSE"
    if constraints.path_length is not None and intermediates_below > constraints.path_length:
        return f"its path length constraint ({constraints.path_length}) allows fewer CAs below it"
    try:
        usage = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return ""
    return "" if usage.key_cert_sign else "its key usage does not include certificate signing"


def _issued(issuer: x509.Certificate, certificate: x509.Certificate) -> bool:
    """Whether `issuer`'s key signed `certificate` (and the issuer name chains); signatures decide."""
    try:
        certificate.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _index(groups: Iterable[GroupCandidate], uploaded_cas: Iterable[CaCandidate]) -> _Index:
    index = _Index()
    for ca in uploaded_cas:
        index.uploaded[thumbprint(ca.certificate)] = ca
    for group in groups:
        anchors = [_Anchor(group, cert, thumbprint(cert)) for cert in group.signing_certificates]
        anchors += [_Anchor(group, ca.certificate, thumbprint(ca.certificate), ca) for ca in group.ca_references]
        for anchor in anchors:
            index.by_subject.setdefault(anchor.certificate.subject, []).append(anchor)
            if anchor.ca is not None:
                index.uploaded.setdefault(anchor.thumbprint, anchor.ca)
    return index


def match_chain(
    chain: Sequence[x509.Certificate],
    registration_id: str,
    *,
    individual: IndividualCandidate | None,
    groups: Iterable[GroupCandidate],
    now: datetime,
    uploaded_cas: Iterable[CaCandidate] = (),
) -> X509Match:
    """The enrollment `chain` (leaf first, as presented) matches for `registration_id` at `now`.

    `individual`: the individual enrollment for the registration ID, if any. `groups`: the X.509
    enrollment groups to consider (in any order; a selector may pass only those whose anchors could
    be on the path, e.g. by subject name). `uploaded_cas`: CA certificates uploaded to the service,
    so that a chain ending at an unverified one says so. `now` is timezone-aware UTC.

    Returns X509Match (possibly disabled: see its `enabled`); raises X509AttestationError.
    """
    if not chain:
        raise X509AttestationError(
            Cause.NO_CERTIFICATE,
            "No client certificate was presented. An X.509 device authenticates with its certificate over "
            "mutual TLS: send the device certificate (and its chain) and its private key with the request.",
        )
    leaf = chain[0]
    cn = common_name(leaf)
    if cn.lower() != registration_id.lower():
        raise X509AttestationError(
            Cause.CN_MISMATCH,
            f"The registration ID “{registration_id}” does not equal the device certificate's common name "
            f"“{cn}”. An X.509 device's registration ID is its certificate's CN: register as “{cn}”.",
        )

    if individual is not None:
        if individual.attestation_type != "x509":
            raise X509AttestationError(
                Cause.INDIVIDUAL_MISMATCH,
                f"The individual enrollment “{individual.registration_id}” does not use X.509 attestation, so a "
                "certificate cannot register it. Register with its own attestation, or delete the individual "
                "enrollment to let an enrollment group take the device.",
            )
        if thumbprint(leaf) not in individual.thumbprints:
            raise X509AttestationError(
                Cause.INDIVIDUAL_MISMATCH,
                f"The device certificate {describe(leaf)} is neither the primary nor the secondary certificate "
                f"of the individual enrollment “{individual.registration_id}”. Present the enrolled certificate "
                "or replace the enrollment's certificate.",
            )
        _check_validity(leaf, "device certificate", now)
        return X509Match(leaf=leaf, individual=individual)

    _check_validity(leaf, "device certificate", now)
    index = _index(groups, uploaded_cas)
    presented = list(chain[1:])
    path = [leaf]
    below = leaf
    for depth in range(1, MAX_CHAIN_DEPTH + 1):
        # 1. Enrollment groups whose anchor issued `below` (signature checked), presented or not.
        matches = [a for a in index.by_subject.get(below.issuer, ()) if _issued(a.certificate, below)]
        if matches:
            return _decide(matches, below, leaf, depth, now)
        # 2. No group at this step: go on through the presented issuer of `below`.
        named = [c for c in presented if c.subject == below.issuer]
        issuer = next((c for c in named if _issued(c, below)), None)
        if issuer is None:
            if named:
                raise X509AttestationError(
                    Cause.BROKEN_CHAIN,
                    f"The certificate {describe(below)} is not signed by the presented issuer {describe(named[0])}: "
                    "its signature does not verify with that certificate's key (a different CA with the same "
                    "name?). Present the chain of the CA that actually issued it.",
                )
            break
        problem = _ca_problem(issuer, intermediates_below=depth - 1)
        if problem:
            raise X509AttestationError(
                Cause.NOT_A_CA,
                f"The certificate {describe(issuer)} signed {describe(below)}, but {problem}, so it cannot issue "
                "certificates. Issue the device certificate from a CA certificate.",
            )
        _check_validity(issuer, "chain certificate", now)
        presented.remove(issuer)
        path.append(issuer)
        below = issuer
    else:
        below = None  # the path is longer than MAX_CHAIN_DEPTH: no match

    # No group matched: say where the chain leads when it reaches an uploaded CA (presented or not).
    reached = [
        ca
        for ca in index.uploaded.values()
        if below is not None and ca.certificate.subject == below.issuer and _issued(ca.certificate, below)
    ]
    reached += [index.uploaded[t] for t in map(thumbprint, path[1:]) if t in index.uploaded]
    walked = " → ".join(f"“{c.subject.rfc4514_string()}”" for c in path)
    unverified = next((ca for ca in reached if not ca.verified), None)
    if unverified is not None:
        raise X509AttestationError(
            Cause.UNVERIFIED_CA,
            f"The certificate chain ({walked}) leads to the CA certificate “{unverified.name}”, which is "
            "unverified, and no enrollment group matches below it. Verify the certificate (proof of possession) "
            "on the Certificates page and reference it from an enrollment group.",
        )
    unused = (
        f" It leads to the verified CA certificate “{reached[0].name}”, which no enrollment group references."
        if reached
        else ""
    )
    raise X509AttestationError(
        Cause.NO_ENROLLMENT,
        f"No enrollment matches this certificate chain ({walked}): no individual enrollment for "
        f"“{registration_id}” and no enrollment group whose signing certificate, or verified CA certificate, "
        "issued a certificate of the chain (checked by signature). Add an enrollment, or present the full "
        f"chain up to the enrollment group's certificate.{unused}",
    )


def _decide(matches: list[_Anchor], below: x509.Certificate, leaf: x509.Certificate, depth: int, now) -> X509Match:
    """The first step that found groups: exactly one group decides, its anchor valid and trusted."""
    groups = {a.group.key: a.group for a in matches}
    if len(groups) > 1:
        names = ", ".join(sorted(f"“{g.name}”" for g in groups.values()))
        raise X509AttestationError(
            Cause.AMBIGUOUS,
            f"The certificate {describe(below)} is issued by a certificate of several enrollment groups ({names}); "
            "DPS cannot tell which one the device belongs to. Keep each CA in one enrollment group.",
        )
    # Within one group prefer a trusted anchor (a signing certificate, or a verified CA reference).
    matches.sort(key=lambda a: a.ca is not None and not a.ca.verified)
    anchor = matches[0]
    problem = _ca_problem(anchor.certificate, intermediates_below=depth - 1)
    if problem:
        raise X509AttestationError(
            Cause.NOT_A_CA,
            f"The enrollment group “{anchor.group.name}” certificate {describe(anchor.certificate)} signed "
            f"{describe(below)}, but {problem}. Use a CA certificate for the enrollment group.",
        )
    if anchor.ca is not None and not anchor.ca.verified:
        raise X509AttestationError(
            Cause.UNVERIFIED_CA,
            f"The certificate chain leads to the CA certificate “{anchor.ca.name}” of the enrollment group "
            f"“{anchor.group.name}”, which is unverified. Verify it (proof of possession) on the Certificates page.",
        )
    role = (
        f"CA certificate “{anchor.ca.name}”"
        if anchor.ca is not None
        else f"signing certificate of the enrollment group “{anchor.group.name}”"
    )
    _check_validity(anchor.certificate, role, now)
    return X509Match(
        leaf=leaf,
        group=anchor.group,
        signing_certificate=anchor.certificate,
        ca_name=anchor.ca.name if anchor.ca is not None else "",
        depth=depth,
    )
