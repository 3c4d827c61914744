"""X.509 candidate enrollments from the database for one presented chain: a fixed number of queries,
and with the chain rule the enrollment a device matches."""

import pytest

from enrollments import selectors
from enrollments.attestation.x509 import parse_certificate
from enrollments.attestation.x509_chain import Cause, X509AttestationError, match_chain
from enrollments.services.certificates import ca_certificate_create
from enrollments.services.enrollments import enrollment_group_create, individual_enrollment_create
from tests.pki import build_pki, now

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pki():
    return build_pki()


def signing_group(name, issued, **fields):
    info = parse_certificate(issued.pem)
    return enrollment_group_create(
        enrollment_group_id=name, attestation_type="x509", signing_certificates={"primary": info}, **fields
    )


def matched(registration_id, chain):
    candidates = selectors.x509_attestation_candidates(registration_id=registration_id, chain=chain)
    return match_chain(
        chain,
        registration_id,
        individual=candidates.individual,
        groups=candidates.groups,
        uploaded_cas=candidates.uploaded_cas,
        now=now(),
    )


def test_candidates_take_a_fixed_number_of_queries(pki, django_assert_max_num_queries):
    root = ca_certificate_create(name="root", data=pki.root.pem, verified=True)
    enrollment_group_create(enrollment_group_id="by-root", attestation_type="x509", ca_primary=root)
    signing_group("on-int1", pki.intermediate_1)
    for n in range(30):  # unrelated groups: never loaded
        other = build_pki(f"Other {n}")
        signing_group(f"other-{n}", other.intermediate_2)
    leaf = pki.device("device-a")
    with django_assert_max_num_queries(5):
        candidates = selectors.x509_attestation_candidates(registration_id="device-a", chain=pki.chain(leaf))
    assert sorted(g.name for g in candidates.groups) == ["by-root", "on-int1"]
    assert [ca.name for ca in candidates.uploaded_cas] == ["root"] and candidates.individual is None


def test_individual_then_group_then_higher_group(pki):
    root = ca_certificate_create(name="root", data=pki.root.pem, verified=True)
    enrollment_group_create(enrollment_group_id="by-root", attestation_type="x509", ca_primary=root)
    signing_group("on-int2", pki.intermediate_2, provisioning_status="disabled")
    enrolled = pki.device("device-a")
    individual_enrollment_create(
        registration_id="device-a",
        attestation_type="x509",
        client_certificates={"primary": parse_certificate(enrolled.pem)},
    )

    result = matched("DEVICE-A", pki.chain(enrolled))
    assert result.individual is not None and result.individual.registration_id == "device-a"

    group_device = pki.device("device-b")
    result = matched("device-b", pki.chain(group_device))
    assert result.group.name == "on-int2" and not result.enabled  # disabled first match, though by-root is enabled

    under_int1 = pki.device("device-c", issuer=pki.intermediate_1)
    result = matched("device-c", [under_int1.certificate, pki.intermediate_1.certificate])
    assert result.group.name == "by-root" and result.ca_name == "root" and result.enabled


def test_a_certificate_other_than_the_individual_enrollments_is_refused(pki):
    individual_enrollment_create(
        registration_id="device-a",
        attestation_type="x509",
        client_certificates={"primary": parse_certificate(pki.device("device-a").pem)},
    )
    signing_group("on-int2", pki.intermediate_2)
    with pytest.raises(X509AttestationError) as info:
        matched("device-a", pki.chain(pki.device("device-a")))
    assert info.value.cause == Cause.INDIVIDUAL_MISMATCH


def test_a_chain_to_an_uploaded_unverified_ca_is_refused_naming_it(pki):
    ca_certificate_create(name="not-yet-verified", data=pki.root.pem, verified=False)
    with pytest.raises(X509AttestationError) as info:
        matched("device-a", pki.chain(pki.device("device-a")))
    assert info.value.cause == Cause.UNVERIFIED_CA and "“not-yet-verified”" in info.value.message
