"""Property-based tests of the service entry points: start from a valid submission, mutate
one field (or one allocation combination) at a time, and require either success, with what was
given stored unchanged, or a ValidationError keyed by field, never any other exception.

Each example runs inside a savepoint that is rolled back, so examples do not see each other. Runs on
SQLite and PostgreSQL (DATABASE_URL).
"""

from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrollments import twin
from enrollments.attestation.x509 import parse_certificate
from enrollments.exceptions import InvalidTwinError
from enrollments.models import CaCertificate, EnrollmentGroup, IndividualEnrollment, LinkedIotHub
from enrollments.services.enrollments import enrollment_group_create, enrollment_update, individual_enrollment_create
from tests.enrollments import property_strategies as ps
from tests.factories import LinkedIotHubFactory
from tests.hypothesis_profiles import scaled_examples
from tests.vectors import vectors_path

pytestmark = pytest.mark.django_db

PROPERTY_SETTINGS = settings(
    max_examples=scaled_examples(1000),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Field names a service may key its errors by (model fields plus the certificate slots).
ERROR_FIELDS = {
    "__all__",
    "enrollment_group_id",
    "registration_id",
    "device_id",
    "attestation_type",
    "primary_key",
    "secondary_key",
    "primary_certificate",
    "secondary_certificate",
    "ca_primary",
    "ca_secondary",
    "endorsement_key",
    "storage_root_key",
    "optional_device_information",
    "provisioning_status",
    "update_hub_assignment",
    "migrate_device_data",
    "allocation_policy",
    "webhook_url",
    "api_version",
    "iot_hubs",
    "iot_hub_host_name",
    "iot_edge",
    "initial_twin_tags",
    "initial_twin_desired_properties",
}

# --- strategies (property_strategies.py holds the shared ones) --------------------------------------

dps_ids = ps.dps_ids()
device_ids = ps.device_ids()
symmetric_keys = ps.symmetric_keys()
twins = ps.twins()
twin_texts = ps.twin_texts
webhook_urls = ps.webhook_urls()
api_versions, policies, booleanish, statuses = ps.api_versions, ps.policies, ps.booleanish, ps.statuses
any_char = ps.any_char


@st.composite
def allocation_combos(draw, hubs):
    combo = {"allocation_policy": draw(policies), "iot_hubs": draw(hub_choices(hubs))}
    if draw(st.booleans()):
        combo["webhook_url"] = draw(webhook_urls)
    if draw(st.booleans()):
        combo["api_version"] = draw(api_versions)
    return combo


def hub_choices(hubs):
    return st.one_of(
        st.lists(st.sampled_from(hubs), max_size=3, unique_by=lambda h: h.pk),
        st.lists(st.sampled_from([*hubs, "not-linked.azure-devices.net", LinkedIotHub(host_name="x.y")]), max_size=2),
    )


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def hubs(db):
    return [LinkedIotHubFactory(host_name=f"hub-{i}.azure-devices.net", shared_access_key_name="o") for i in range(3)]


@pytest.fixture(scope="module")
def certificates():
    return {
        name: parse_certificate((vectors_path() / name).read_bytes())
        for name in [
            "intermediate-ca.pem",
            "intermediate-ca-2.pem",
            "root-ca.pem",
            "expired-ca.pem",
            "device-001.pem",
            "device-002.pem",
            "device-bad-cn.pem",
        ]
    }


@pytest.fixture
def used_certificate(db, certificates):
    """intermediate-ca-2.pem already belongs to a group, so reusing it must be refused."""
    enrollment_group_create(
        enrollment_group_id="holder",
        attestation_type="x509",
        signing_certificates={"primary": certificates["intermediate-ca-2.pem"]},
    )


@pytest.fixture
def ca_references(db, certificates):
    # Two different certificates: one upload per certificate (unique SHA-256 thumbprint).
    return [
        CaCertificate.objects.create(name="verified", is_verified=True, **certificates["root-ca.pem"].model_fields()),
        CaCertificate.objects.create(
            name="unverified", is_verified=False, **certificates["intermediate-ca.pem"].model_fields()
        ),
    ]


# --- running one example ------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def attempt(call, kwargs: dict, outcomes: Counter, check=None) -> None:
    """Call a service in a rolled-back savepoint; record success or field error; anything else fails."""
    try:
        with transaction.atomic():
            result = call(**kwargs)
            if check:
                check(result)
            raise _Rollback
    except _Rollback:
        outcomes["success"] += 1
    except ValidationError as exc:
        assert hasattr(exc, "error_dict"), f"not keyed by field: {exc!r} for {kwargs!r}"
        assert set(exc.error_dict) <= ERROR_FIELDS, (exc.message_dict, kwargs)
        assert all(m.strip() for ms in exc.message_dict.values() for m in ms)
        outcomes["field error"] += 1


def stored_as_given(model, given: dict):
    """On success, the mutated fields read back from the database exactly as given."""

    def check(obj) -> None:
        fresh = model.objects.get(pk=obj.pk)
        for field, value in given.items():
            if field == "iot_hubs":
                assert {h.pk for h in fresh.iot_hubs.all()} == {h.pk for h in value}
            elif field in ("initial_twin_tags", "initial_twin_desired_properties"):
                assert getattr(fresh, field) == (value if value is not None else {}), field
            elif field in ("primary_key", "secondary_key") and fresh.attestation_type == "symmetricKey":
                assert getattr(fresh, field) == value if value else getattr(fresh, field)  # blank: generated
            elif field in ("enrollment_group_id", "registration_id", "device_id", "webhook_url", "api_version"):
                assert getattr(fresh, field) == value, field  # byte for byte
            elif field == "optional_device_information":
                assert fresh.optional_device_information == value

    return check


def assert_both(outcomes: Counter, *, at_least: int = scaled_examples(1000)) -> None:
    """Both outcomes occurred, over at least `at_least` examples (Hypothesis may skip duplicates)."""
    assert outcomes["success"] > 0 and outcomes["field error"] > 0, outcomes
    assert sum(outcomes.values()) >= at_least * 0.95, outcomes


# --- enrollment_group_create -------------------------------------------------------------------------------

GROUP_BASE = {"enrollment_group_id": "Prop-Base", "attestation_type": "symmetricKey"}


@st.composite
def group_mutations(draw, hubs, certificates, cas):
    kind = draw(
        st.sampled_from(
            [
                "id",
                "id",
                "attestation",
                "keys",
                "status",
                "reprovision",
                "allocation",
                "allocation",
                "edge",
                "tags",
                "desired",
                "tags_text",
                "desired_text",
                "x509_signing",
                "x509_ca",
            ]
        )
    )
    if kind == "id":
        return {"enrollment_group_id": draw(dps_ids)}
    if kind == "attestation":
        return {"attestation_type": draw(st.sampled_from(["symmetricKey", "x509", "tpm", "bogus", ""]))}
    if kind == "keys":
        return {draw(st.sampled_from(["primary_key", "secondary_key"])): draw(symmetric_keys)}
    if kind == "status":
        return {"provisioning_status": draw(statuses)}
    if kind == "reprovision":
        return {"update_hub_assignment": draw(booleanish), "migrate_device_data": draw(booleanish)}
    if kind == "allocation":
        return draw(allocation_combos(hubs))
    if kind == "edge":
        return {"iot_edge": draw(booleanish)}
    if kind in ("tags", "desired"):
        return {f"initial_twin_{'tags' if kind == 'tags' else 'desired_properties'}": draw(twins)}
    if kind in ("tags_text", "desired_text"):
        field = "initial_twin_tags" if kind == "tags_text" else "initial_twin_desired_properties"
        return {field: ("text", draw(twin_texts()))}
    names = list(certificates)
    if kind == "x509_signing":
        primary = certificates[draw(st.sampled_from(names))]
        secondary = draw(st.one_of(st.none(), st.sampled_from(names).map(certificates.get)))
        return {"attestation_type": "x509", "signing_certificates": {"primary": primary, "secondary": secondary}}
    return {
        "attestation_type": "x509",
        "ca_primary": draw(st.one_of(st.none(), st.sampled_from(cas))),
        "ca_secondary": draw(st.one_of(st.none(), st.sampled_from(cas))),
    }


def typed_twins(kwargs: dict, outcomes: Counter) -> bool:
    """Parse twins given as text like the form does; a parse error is the field error. False if refused."""
    for field in ("initial_twin_tags", "initial_twin_desired_properties"):
        value = kwargs.get(field)
        if isinstance(value, tuple) and value[:1] == ("text",):
            try:
                kwargs[field] = twin.parse_json_object(value[1], what=field)
            except InvalidTwinError as exc:
                assert str(exc).strip()
                outcomes["field error"] += 1
                return False
    return True


def test_enrollment_group_create_never_fails_unexpectedly(hubs, certificates, used_certificate, ca_references):
    enrollment_group_create(**GROUP_BASE)  # the base submission is valid …
    EnrollmentGroup.objects.filter(enrollment_group_id="Prop-Base").delete()  # … and is created fresh below
    outcomes: Counter = Counter()

    @PROPERTY_SETTINGS
    @given(mutation=group_mutations(hubs, certificates, ca_references))
    def run(mutation):
        kwargs = {**GROUP_BASE, **mutation}
        if typed_twins(kwargs, outcomes):
            given_fields = {k: v for k, v in kwargs.items() if k not in ("attestation_type",)}
            attempt(enrollment_group_create, kwargs, outcomes, stored_as_given(EnrollmentGroup, given_fields))

    run()
    assert_both(outcomes)


# --- individual_enrollment_create ----------------------------------------------------------------------------

INDIVIDUAL_BASE = {"registration_id": "prop-device", "attestation_type": "symmetricKey"}


@st.composite
def individual_mutations(draw, hubs, certificates, tpm_key):
    kind = draw(
        st.sampled_from(
            [
                "id",
                "id",
                "device",
                "attestation",
                "keys",
                "tpm",
                "srk",
                "odi",
                "status",
                "allocation",
                "allocation",
                "edge",
                "tags",
                "desired",
                "tags_text",
                "x509",
            ]
        )
    )
    if kind == "id":
        return {"registration_id": draw(dps_ids)}
    if kind == "device":
        return {"device_id": draw(device_ids)}
    if kind == "attestation":
        return {"attestation_type": draw(st.sampled_from(["symmetricKey", "x509", "tpm", "bogus", ""]))}
    if kind == "keys":
        return {draw(st.sampled_from(["primary_key", "secondary_key"])): draw(symmetric_keys)}
    if kind in ("tpm", "srk"):
        key = draw(ps.endorsement_keys(tpm_key))
        if kind == "tpm":
            return {"attestation_type": "tpm", "endorsement_key": key}
        return {"attestation_type": "tpm", "endorsement_key": tpm_key, "storage_root_key": key}
    if kind == "odi":
        return {"optional_device_information": draw(st.one_of(st.none(), twins))}
    if kind == "status":
        return {"provisioning_status": draw(statuses)}
    if kind == "allocation":
        return draw(allocation_combos(hubs))
    if kind == "edge":
        return {"iot_edge": draw(booleanish)}
    if kind in ("tags", "desired"):
        return {f"initial_twin_{'tags' if kind == 'tags' else 'desired_properties'}": draw(twins)}
    if kind == "tags_text":
        return {"initial_twin_tags": ("text", draw(twin_texts()))}
    names = list(certificates)
    return {
        "attestation_type": "x509",
        "registration_id": draw(st.sampled_from(["", "device-001", "DEVICE-001", "device-002", "other"])),
        "client_certificates": {
            "primary": certificates[draw(st.sampled_from(names))],
            "secondary": draw(st.one_of(st.none(), st.sampled_from(names).map(certificates.get))),
        },
    }


def test_individual_enrollment_create_never_fails_unexpectedly(hubs, certificates, used_certificate, vectors):
    individual_enrollment_create(**INDIVIDUAL_BASE)
    IndividualEnrollment.objects.filter(registration_id="prop-device").delete()
    outcomes: Counter = Counter()

    @PROPERTY_SETTINGS
    @given(mutation=individual_mutations(hubs, certificates, vectors["tpm"]["endorsement_key"]))
    def run(mutation):
        kwargs = {**INDIVIDUAL_BASE, **mutation}
        if typed_twins(kwargs, outcomes):
            given_fields = {
                k: v
                for k, v in kwargs.items()
                if k not in ("attestation_type", "registration_id", "client_certificates")
            }
            attempt(individual_enrollment_create, kwargs, outcomes, stored_as_given(IndividualEnrollment, given_fields))

    run()
    assert_both(outcomes)


# --- enrollment_update -------------------------------------------------------------------------------------


@st.composite
def update_mutations(draw, hubs, tpm_key, individual: bool):
    kinds = [
        "keys",
        "status",
        "reprovision",
        "allocation",
        "allocation",
        "hubs",
        "edge",
        "tags",
        "desired",
        "tags_text",
        "attestation",
    ]
    if individual:
        kinds += ["device", "tpm", "odi"]
    kind = draw(st.sampled_from(kinds))
    if kind == "keys":
        return {draw(st.sampled_from(["primary_key", "secondary_key"])): draw(symmetric_keys)}
    if kind == "status":
        return {"provisioning_status": draw(statuses)}
    if kind == "reprovision":
        return {"update_hub_assignment": draw(booleanish), "migrate_device_data": draw(booleanish)}
    if kind == "allocation":
        return draw(allocation_combos(hubs))
    if kind == "hubs":
        return {"iot_hubs": draw(hub_choices(hubs))}
    if kind == "edge":
        return {"iot_edge": draw(booleanish)}
    if kind in ("tags", "desired"):
        return {f"initial_twin_{'tags' if kind == 'tags' else 'desired_properties'}": draw(twins)}
    if kind == "tags_text":
        return {"initial_twin_tags": ("text", draw(twin_texts()))}
    if kind == "attestation":
        return {"attestation_type": draw(st.sampled_from(["symmetricKey", "x509", "tpm", ""]))}
    if kind == "device":
        return {"device_id": draw(device_ids)}
    if kind == "tpm":
        return {"endorsement_key": draw(st.one_of(st.just(tpm_key), st.just(""), st.text(any_char, max_size=20)))}
    return {"optional_device_information": draw(st.one_of(st.none(), twins))}


@pytest.mark.parametrize("kind", ["group", "individual", "individual-tpm"])
def test_enrollment_update_never_fails_unexpectedly(kind, hubs, vectors):
    tpm_key = vectors["tpm"]["endorsement_key"]
    if kind == "group":
        enrollment = enrollment_group_create(**GROUP_BASE, iot_hubs=hubs[:1], initial_twin_tags={"version": "2.1"})
    elif kind == "individual":
        enrollment = individual_enrollment_create(**INDIVIDUAL_BASE, iot_hubs=hubs[:2])
    else:
        enrollment = individual_enrollment_create(
            registration_id="prop-tpm", attestation_type="tpm", endorsement_key=tpm_key
        )
    model = type(enrollment)
    outcomes: Counter = Counter()

    examples = 1000 if kind != "individual-tpm" else 300

    @settings(PROPERTY_SETTINGS, max_examples=scaled_examples(examples))
    @given(changes=update_mutations(hubs, tpm_key, individual=kind != "group"))
    def run(changes):
        changes = dict(changes)
        if typed_twins(changes, outcomes):
            given_fields = {k: v for k, v in changes.items() if k != "attestation_type"}
            attempt(
                enrollment_update,
                {"enrollment": enrollment, "expected_etag": None, "changes": changes},
                outcomes,
                stored_as_given(model, given_fields),
            )

    run()
    assert_both(outcomes, at_least=scaled_examples(examples))
