"""The X.509 chain rule: which enrollment a presented certificate chain matches (pure, no database)."""

import datetime as dt

import pytest
from cryptography import x509

from enrollments.attestation.x509_chain import (
    CaCandidate,
    Cause,
    GroupCandidate,
    IndividualCandidate,
    X509AttestationError,
    match_chain,
    thumbprint,
)
from tests.pki import build_pki, expired, issue, look_alike, not_yet_valid, now


@pytest.fixture(scope="module")
def pki():
    return build_pki()


@pytest.fixture(scope="module")
def leaf(pki):
    return pki.device("device-a")


def signing_group(name, *issued, enabled=True, key=None):
    return GroupCandidate(
        key=key or name, name=name, enabled=enabled, signing_certificates=tuple(i.certificate for i in issued)
    )


def ca_group(name, ca: CaCandidate, *, enabled=True):
    return GroupCandidate(key=name, name=name, enabled=enabled, ca_references=(ca,))


def uploaded(name, issued, *, verified=True):
    return CaCandidate(name=name, certificate=issued.certificate, verified=verified)


def individual_for(registration_id, *issued, enabled=True, attestation_type="x509"):
    return IndividualCandidate(
        key=registration_id,
        registration_id=registration_id,
        enabled=enabled,
        attestation_type=attestation_type,
        thumbprints=frozenset(thumbprint(i.certificate) for i in issued),
    )


def match(chain, registration_id="device-a", *, individual=None, groups=(), uploaded_cas=(), at=None):
    return match_chain(
        chain, registration_id, individual=individual, groups=groups, uploaded_cas=uploaded_cas, now=at or now()
    )


def refused(*args, **kwargs) -> X509AttestationError:
    with pytest.raises(X509AttestationError) as info:
        match(*args, **kwargs)
    return info.value


# Individual enrollments.


def test_leaf_as_individual_enrollment(pki, leaf):
    other = pki.device("device-a")
    result = match([leaf.certificate], individual=individual_for("device-a", other, leaf))
    assert result.individual.key == "device-a" and result.group is None and result.enabled
    assert result.leaf_thumbprint == thumbprint(leaf.certificate) and result.depth == 0


def test_individual_enrollment_wins_over_a_group_on_its_issuer(pki, leaf):
    result = match(
        pki.chain(leaf),
        individual=individual_for("device-a", leaf),
        groups=[signing_group("g2", pki.intermediate_2)],
    )
    assert result.individual is not None and result.group is None


def test_disabled_individual_enrollment_is_the_match_and_disabled(pki, leaf):
    result = match(
        pki.chain(leaf),
        individual=individual_for("device-a", leaf, enabled=False),
        groups=[signing_group("g2", pki.intermediate_2)],
    )
    assert result.individual is not None and not result.enabled


def test_individual_enrollment_with_another_certificate_refuses(pki, leaf):
    error = refused(
        pki.chain(leaf),
        individual=individual_for("device-a", pki.device("device-a")),
        groups=[signing_group("g2", pki.intermediate_2)],
    )
    assert error.cause == Cause.INDIVIDUAL_MISMATCH and "neither the primary nor the secondary" in error.message


def test_individual_symmetric_key_enrollment_refuses_a_certificate(leaf):
    error = refused([leaf.certificate], individual=individual_for("device-a", attestation_type="symmetricKey"))
    assert error.cause == Cause.INDIVIDUAL_MISMATCH and "does not use X.509" in error.message


def test_expired_individual_leaf(pki):
    old = pki.device("device-a", **expired())
    error = refused([old.certificate], individual=individual_for("device-a", old))
    assert error.cause == Cause.EXPIRED and "device certificate" in error.message and "expired on" in error.message


# Enrollment groups on each level of the chain.


@pytest.mark.parametrize("up_to", ["intermediate_2", "intermediate_1", "root"])
def test_group_on_intermediate_2_whatever_else_is_presented(pki, leaf, up_to):
    result = match(pki.chain(leaf, up_to=up_to), groups=[signing_group("g2", pki.intermediate_2)])
    assert result.group.name == "g2" and result.depth == 1
    assert result.signing_certificate == pki.intermediate_2.certificate and result.enabled


def test_group_on_intermediate_2_matches_a_bare_leaf_by_signature(pki, leaf):
    result = match([leaf.certificate], groups=[signing_group("g2", pki.intermediate_2)])
    assert result.group.name == "g2"


def test_group_on_intermediate_1_with_the_chain_presented(pki, leaf):
    result = match(pki.chain(leaf, up_to="intermediate_2"), groups=[signing_group("g1", pki.intermediate_1)])
    assert result.group.name == "g1" and result.depth == 2


def test_group_on_intermediate_1_without_intermediate_2_presented_is_no_match(pki, leaf):
    error = refused([leaf.certificate], groups=[signing_group("g1", pki.intermediate_1)])
    assert error.cause == Cause.NO_ENROLLMENT and "No enrollment matches" in error.message


def test_group_on_a_verified_uploaded_root(pki, leaf):
    root = uploaded("my-root", pki.root)
    result = match(pki.chain(leaf), groups=[ca_group("by-root", root)], uploaded_cas=[root])
    assert result.group.name == "by-root" and result.ca_name == "my-root" and result.depth == 3
    presented_too = match(pki.chain(leaf, up_to="root"), groups=[ca_group("by-root", root)])
    assert presented_too.group.name == "by-root"


def test_the_chain_may_come_in_any_order(pki, leaf):
    root = uploaded("my-root", pki.root)
    chain = [leaf.certificate, pki.intermediate_1.certificate, pki.intermediate_2.certificate]
    assert match(chain, groups=[ca_group("by-root", root)]).group.name == "by-root"


def test_an_unverified_root_is_refused(pki, leaf):
    root = uploaded("my-root", pki.root, verified=False)
    error = refused(pki.chain(leaf), groups=[ca_group("by-root", root)], uploaded_cas=[root])
    assert error.cause == Cause.UNVERIFIED_CA and "“my-root”" in error.message and "unverified" in error.message


def test_a_chain_to_an_uploaded_unverified_root_without_a_group_says_so(pki, leaf):
    root = uploaded("my-root", pki.root, verified=False)
    error = refused(pki.chain(leaf), uploaded_cas=[root])
    assert error.cause == Cause.UNVERIFIED_CA and "“my-root”" in error.message


def test_a_chain_to_a_verified_root_no_group_references(pki, leaf):
    error = refused(pki.chain(leaf), uploaded_cas=[uploaded("my-root", pki.root)])
    assert error.cause == Cause.NO_ENROLLMENT and "which no enrollment group references" in error.message


def test_an_unverified_ca_higher_up_does_not_hide_a_group_below_it(pki, leaf):
    root = uploaded("my-root", pki.root, verified=False)
    result = match(pki.chain(leaf, up_to="root"), groups=[signing_group("g1", pki.intermediate_1)], uploaded_cas=[root])
    assert result.group.name == "g1"


def test_first_match_disabled_refuses_though_a_higher_group_is_enabled(pki, leaf):
    root = uploaded("my-root", pki.root)
    groups = [ca_group("by-root", root), signing_group("g2", pki.intermediate_2, enabled=False)]
    result = match(pki.chain(leaf), groups=groups)
    assert result.group.name == "g2" and not result.enabled


def test_the_lowest_group_wins_when_several_levels_match(pki, leaf):
    groups = [signing_group("g1", pki.intermediate_1), signing_group("g2", pki.intermediate_2)]
    assert match(pki.chain(leaf), groups=groups).group.name == "g2"


def test_two_groups_on_the_same_certificate_are_ambiguous(pki, leaf):
    ca = uploaded("int2", pki.intermediate_2)
    error = refused(pki.chain(leaf), groups=[signing_group("a", pki.intermediate_2), ca_group("b", ca)])
    assert error.cause == Cause.AMBIGUOUS and "“a”, “b”" in error.message


def test_a_renewed_ca_certificate_with_the_same_key_matches_by_signature(pki, leaf):
    renewed = issue("Test Intermediate CA 2", issuer=pki.intermediate_1, ca=True, key=pki.intermediate_2.key)
    assert thumbprint(renewed.certificate) != thumbprint(pki.intermediate_2.certificate)
    assert match(pki.chain(leaf), groups=[signing_group("g2", renewed)]).group.name == "g2"


# Validity.


def test_expired_leaf_under_a_group(pki):
    old = pki.device("device-a", **expired())
    error = refused(pki.chain(old), groups=[signing_group("g2", pki.intermediate_2)])
    assert error.cause == Cause.EXPIRED and "“CN=device-a”" in error.message


def test_not_yet_valid_leaf(pki):
    young = pki.device("device-a", **not_yet_valid())
    error = refused(pki.chain(young), groups=[signing_group("g2", pki.intermediate_2)])
    assert error.cause == Cause.NOT_YET_VALID and "not valid until" in error.message


def test_expired_intermediate_in_the_presented_chain(pki):
    old_int2 = issue("Test Intermediate CA 2", issuer=pki.intermediate_1, ca=True, **expired())
    device = issue("device-a", issuer=old_int2)
    chain = [device.certificate, old_int2.certificate, pki.intermediate_1.certificate]
    error = refused(chain, groups=[signing_group("g1", pki.intermediate_1)])
    assert error.cause == Cause.EXPIRED and "chain certificate" in error.message
    assert "Test Intermediate CA 2" in error.message


def test_expired_group_signing_certificate(pki):
    old_int2 = issue("Test Intermediate CA 2", issuer=pki.intermediate_1, ca=True, **expired())
    device = issue("device-a", issuer=old_int2)
    error = refused([device.certificate], groups=[signing_group("g2", old_int2)])
    assert error.cause == Cause.EXPIRED and "signing certificate of the enrollment group “g2”" in error.message


def test_an_expired_verified_ca_reference():
    old_root = issue("Old Root CA", ca=True, **expired())
    intermediate = issue("Young Intermediate CA", issuer=old_root, ca=True)
    device = issue("device-a", issuer=intermediate)
    root = CaCandidate("old-root", old_root.certificate, verified=True)
    error = refused([device.certificate, intermediate.certificate], groups=[ca_group("by-root", root)])
    assert error.cause == Cause.EXPIRED and "CA certificate “old-root”" in error.message


# Signatures, not names.


def test_leaf_from_a_look_alike_ca_with_the_real_intermediate_presented(pki):
    fake = look_alike(pki)
    assert fake.intermediate_2.subject == pki.intermediate_2.subject
    impostor = fake.device("device-a")
    error = refused(
        [impostor.certificate, pki.intermediate_2.certificate], groups=[signing_group("g2", pki.intermediate_2)]
    )
    assert error.cause == Cause.BROKEN_CHAIN and "signature does not verify" in error.message


def test_leaf_from_a_look_alike_ca_alone_matches_no_group(pki):
    impostor = look_alike(pki).device("device-a")
    error = refused([impostor.certificate], groups=[signing_group("g2", pki.intermediate_2)])
    assert error.cause == Cause.NO_ENROLLMENT


def test_whole_look_alike_chain_does_not_reach_the_verified_root(pki):
    fake = look_alike(pki)
    root = uploaded("my-root", pki.root)
    chain = fake.chain(fake.device("device-a"), up_to="root")
    error = refused(chain, groups=[ca_group("by-root", root)], uploaded_cas=[root])
    assert error.cause == Cause.NO_ENROLLMENT


def test_a_device_certificate_cannot_sign_another_device(pki, leaf):
    forged = issue("device-b", issuer=leaf)
    chain = [forged.certificate, leaf.certificate, pki.intermediate_2.certificate]
    error = refused(chain, "device-b", groups=[signing_group("g1", pki.intermediate_1)])
    assert error.cause == Cause.NOT_A_CA and "CA:FALSE" in error.message


def test_path_length_constraint(pki):
    root = issue("Strict Root", ca=True)
    int1 = issue("Strict Intermediate 1", issuer=root, ca=True, path_length=0)
    int2 = issue("Strict Intermediate 2", issuer=int1, ca=True)
    device = issue("device-a", issuer=int2)
    error = refused([device.certificate, int2.certificate], groups=[signing_group("g", int1)])
    assert error.cause == Cause.NOT_A_CA and "path length" in error.message


# The registration ID and the certificate.


def test_cn_must_equal_the_registration_id(pki, leaf):
    error = refused(pki.chain(leaf), "device-b", groups=[signing_group("g2", pki.intermediate_2)])
    assert error.cause == Cause.CN_MISMATCH and "“device-a”" in error.message and "“device-b”" in error.message


def test_cn_comparison_ignores_case_like_registration_ids(pki, leaf):
    assert match(pki.chain(leaf), "Device-A", groups=[signing_group("g2", pki.intermediate_2)]).group


def test_no_certificate(pki):
    error = refused([], groups=[signing_group("g2", pki.intermediate_2)])
    assert error.cause == Cause.NO_CERTIFICATE and "No client certificate" in error.message


# Cross-check with the shared vectors (skipped where ../shared/vectors is absent).


def _load(vectors_dir, name) -> x509.Certificate:
    return x509.load_pem_x509_certificate((vectors_dir / name).read_bytes())


def test_vectors_device_001(vectors_dir, vectors):
    device = _load(vectors_dir, "device-001.pem")
    intermediate = _load(vectors_dir, "intermediate-ca.pem")
    root = CaCandidate("example-root", _load(vectors_dir, "root-ca.pem"), verified=True)
    at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)  # inside every vector's validity
    assert thumbprint(device) == vectors["certificates"]["device-001.pem"]["sha256Thumbprint"]

    by_intermediate = GroupCandidate("i", "by-intermediate", True, signing_certificates=(intermediate,))
    result = match_chain([device], "device-001", individual=None, groups=[by_intermediate], now=at)
    assert result.group.name == "by-intermediate" and result.depth == 1

    by_root = GroupCandidate("r", "by-root", True, ca_references=(root,))
    result = match_chain([device, intermediate], "device-001", individual=None, groups=[by_root], now=at)
    assert result.ca_name == "example-root" and result.depth == 2

    other = GroupCandidate("o", "other", True, signing_certificates=(_load(vectors_dir, "intermediate-ca-2.pem"),))
    with pytest.raises(X509AttestationError) as info:
        match_chain([device], "device-001", individual=None, groups=[other], now=at)
    assert info.value.cause == Cause.NO_ENROLLMENT

    with pytest.raises(X509AttestationError) as info:
        match_chain([device], "device-002", individual=None, groups=[by_intermediate], now=at)
    assert info.value.cause == Cause.CN_MISMATCH
