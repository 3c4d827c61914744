"""Property-based tests of the add-enrollment wizards through the Django test client.

Start from a valid submission of a tab, change one field at a time, post the tab with htmx
(`HX-Request`) and `Next: …` (or `Create` on the review tab): the answer is always a 200 that either
moves on (success) or shows the tab again with an error next to a field, never a 500. Each example
runs in a rolled-back savepoint, so the draft starts from the same state every time. Runs on SQLite
and PostgreSQL (DATABASE_URL).
"""

import base64
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrollments.attestation.x509 import parse_certificate
from enrollments.models import CaCertificate, LinkedIotHub, WizardDraft
from tests.enrollments import property_strategies as ps
from tests.factories import LinkedIotHubFactory
from tests.hypothesis_profiles import scaled_examples
from tests.vectors import vectors_path

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
PROPERTY_SETTINGS = settings(
    max_examples=scaled_examples(1000),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
VECTOR_FILES = [
    "intermediate-ca.pem",
    "intermediate-ca-2.pem",
    "intermediate-ca-bom.pem",
    "intermediate-ca-crlf.cer",
    "intermediate-ca-der.cer",
    "intermediate-ca-base64.cer",
    "root-ca.pem",
    "device-001.pem",
    "device-002.pem",
    "device-bad-cn.pem",
    "expired-ca.pem",
    "private-key.pem",
    "garbage.pem",
    "truncated.pem",
    "empty.pem",
    "chain-bundle.pem",
]

# Every field a tab can show: `_fields` names them all, so what a post leaves out is cleared.
TAB_FIELDS = {
    "registration": [
        "attestation",
        "auto_generate_keys",
        "primary_key",
        "secondary_key",
        "primary_certificate",
        "secondary_certificate",
        "remove_secondary_certificate",
        "ca_primary",
        "ca_secondary",
        "enrollment_group_id",
        "registration_id",
        "device_id",
        "endorsement_key",
        "provisioning_status",
        "reprovision_policy",
    ],
    "iot-hubs": ["iot_hubs", "allocation_policy", "webhook_url", "api_version"],
    "device-settings": ["iot_edge", "initial_twin_tags", "initial_twin_desired_properties"],
}
NEXT = {"registration": "iot-hubs", "iot-hubs": "device-settings", "device-settings": "review"}


# --- fixtures -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vector_files() -> dict[str, bytes]:
    return {name: (vectors_path() / name).read_bytes() for name in VECTOR_FILES}


@pytest.fixture
def hubs(db) -> list[LinkedIotHub]:
    return [LinkedIotHubFactory(host_name=f"hub-{i}.azure-devices.net", shared_access_key_name="o") for i in range(2)]


@pytest.fixture
def cas(db, vector_files) -> list[CaCertificate]:
    # Two different certificates: one upload per certificate (unique SHA-256 thumbprint).
    verified = parse_certificate(vector_files["root-ca.pem"]).model_fields()
    unverified = parse_certificate(vector_files["intermediate-ca.pem"]).model_fields()
    return [
        CaCertificate.objects.create(name="verified", is_verified=True, **verified),
        CaCertificate.objects.create(name="unverified", is_verified=False, **unverified),
    ]


class Wizard:
    """One draft of one wizard kind, driven through the test client."""

    def __init__(self, client, kind: str):
        self.client = client
        self.kind = kind
        prefix = "enrollment_group" if kind == "group" else "individual_enrollment"
        client.get(reverse(f"enrollments:{prefix}_add"))  # stores nothing; the first post stores the draft
        client.post(reverse(f"enrollments:{prefix}_add_new_tab", args=["registration"]), {"_nav": "tab"})
        self.draft = WizardDraft.objects.filter(kind=kind).order_by("-created_date_time_utc").first()

    def url(self, tab: str) -> str:
        name = (
            "enrollments:enrollment_group_add_tab"
            if self.kind == "group"
            else "enrollments:individual_enrollment_add_tab"
        )
        return reverse(name, args=[self.draft.pk, tab])

    def post(self, from_tab: str, to_tab: str, data: dict, nav: str):
        payload = {"_tab": from_tab, "_nav": nav, "_fields": ",".join(TAB_FIELDS.get(from_tab, [])), **data}
        payload = {k: v for k, v in payload.items() if v is not None}
        response = self.client.post(self.url(to_tab), payload, headers=HX)
        assert response.status_code == 200, (response.status_code, data)
        assert "<html" not in response.content.decode()[:200]
        return response


class _Rollback(Exception):
    pass


def in_savepoint(action):
    """Run `action` (which returns an outcome) and undo everything it wrote."""
    result = []
    try:
        with transaction.atomic():
            result.append(action())
            raise _Rollback
    except _Rollback:
        pass
    return result[0]


def next_outcome(wizard: Wizard, tab: str, data: dict) -> str:
    """Post `tab` with `Next: …`: success moves on to the next tab, a refusal shows an error on it."""
    response = wizard.post(tab, NEXT[tab], data, "next")
    html = response.content.decode()
    if response.get("HX-Push-Url") == wizard.url(NEXT[tab]):
        return "success"
    assert "HX-Push-Url" not in response, response["HX-Push-Url"]
    assert f'name="_tab" value="{tab}"' in html
    assert "invalid-feedback" in html, data  # the error is next to its field
    assert f'id="tab-{tab}"' in html and 'aria-invalid="true"' in html  # and the tab is marked
    return "field error"


def assert_both(outcomes: Counter, *, at_least: int) -> None:
    """Both outcomes occurred, over at least `at_least` examples (Hypothesis may skip duplicates)."""
    assert outcomes["success"] > 0 and outcomes["field error"] > 0, outcomes
    assert sum(outcomes.values()) >= at_least * 0.95, outcomes


# --- strategies ---------------------------------------------------------------------------------------

text = st.text(ps.http_char, max_size=30)
checkbox = st.sampled_from(["on", None, "", "off", "0", "yes"])
reprovision = st.one_of(
    st.sampled_from(["reprovisionandmigratedata", "reprovisionandresetdata", "never", "", None]), text
)


def uploads(vector_files):
    """A certificate file input: a vector file, a damaged copy of one, random bytes, or nothing."""
    names = list(vector_files)

    def damaged(args):
        name, index, byte = args
        data = vector_files[name]
        if not data:
            return SimpleUploadedFile(name, bytes([byte]))
        i = index % len(data)
        return SimpleUploadedFile(name, data[:i] + bytes([byte]) + data[i + 1 :])

    return st.one_of(
        st.sampled_from(names).map(lambda n: SimpleUploadedFile(n, vector_files[n])),
        st.tuples(st.sampled_from(names), st.integers(0, 5000), st.integers(0, 255)).map(damaged),
        st.binary(max_size=300).map(lambda b: SimpleUploadedFile("random.cer", b)),
        st.none(),
    )


# --- registration tab: enrollment group --------------------------------------------------------------------

GROUP_REGISTRATION = {
    "attestation": "symmetricKey",
    "auto_generate_keys": "on",
    "enrollment_group_id": "wizard-group",
    "provisioning_status": "on",
    "reprovision_policy": "reprovisionandmigratedata",
}
GROUP_ATTESTATIONS = ["symmetricKey", "x509SigningCertificates", "x509CaReferences", "tpm"]


GROUP_FAMILIES = {
    "identity": ["name", "name", "attestation", "keys", "status", "reprovision"],
    "credentials": ["x509", "x509", "ca", "attestation"],
}


@st.composite
def group_registration_mutations(draw, vector_files, cas, family: str = "all"):
    kinds = GROUP_FAMILIES.get(family) or [k for f in GROUP_FAMILIES.values() for k in f]
    kind = draw(st.sampled_from(kinds))
    if kind == "name":
        return {"enrollment_group_id": draw(ps.dps_ids(http=True))}
    if kind == "attestation":
        return {"attestation": draw(st.one_of(st.sampled_from(GROUP_ATTESTATIONS), text))}
    if kind == "keys":
        return {
            "auto_generate_keys": None,
            "primary_key": draw(ps.symmetric_keys(http=True)),
            "secondary_key": base64.b64encode(b"s" * 32).decode(),
        }
    if kind == "status":
        return {"provisioning_status": draw(checkbox)}
    if kind == "reprovision":
        return {"reprovision_policy": draw(reprovision)}
    if kind == "x509":
        return {
            "attestation": "x509SigningCertificates",
            "primary_certificate": draw(uploads(vector_files)),
            "secondary_certificate": draw(uploads(vector_files)),
        }
    choices = [str(ca.pk) for ca in cas] + ["", "999999", "x"]
    return {
        "attestation": "x509CaReferences",
        "ca_primary": draw(st.one_of(st.sampled_from(choices), text)),
        "ca_secondary": draw(st.sampled_from(choices)),
    }


@pytest.mark.parametrize("family", list(GROUP_FAMILIES))
def test_group_registration_tab(admin_client, hubs, cas, vector_files, family):
    """1,000 examples for the form in all: 500 on the name, keys and options, 500 on the certificates."""
    wizard = Wizard(admin_client, "group")
    assert in_savepoint(lambda: next_outcome(wizard, "registration", GROUP_REGISTRATION)) == "success"
    outcomes: Counter = Counter()

    @settings(PROPERTY_SETTINGS, max_examples=scaled_examples(500))
    @given(mutation=group_registration_mutations(vector_files, cas, family))
    def run(mutation):
        outcomes[in_savepoint(lambda: next_outcome(wizard, "registration", {**GROUP_REGISTRATION, **mutation}))] += 1

    run()
    assert_both(outcomes, at_least=scaled_examples(500))


# --- registration tab: individual enrollment ------------------------------------------------------------------

INDIVIDUAL_REGISTRATION = {
    "attestation": "symmetricKey",
    "auto_generate_keys": "on",
    "registration_id": "wizard-device",
    "device_id": "",
    "provisioning_status": "on",
    "reprovision_policy": "reprovisionandmigratedata",
}


INDIVIDUAL_FAMILIES = {
    "identity": ["id", "id", "device", "attestation", "keys", "status", "reprovision"],
    "credentials": ["tpm", "tpm", "x509", "x509", "attestation"],
}


@st.composite
def individual_registration_mutations(draw, vector_files, tpm_key, family: str = "all"):
    kinds = INDIVIDUAL_FAMILIES.get(family) or [k for f in INDIVIDUAL_FAMILIES.values() for k in f]
    kind = draw(st.sampled_from(kinds))
    if kind == "id":
        return {"registration_id": draw(ps.dps_ids(http=True))}
    if kind == "device":
        return {"device_id": draw(ps.device_ids(http=True))}
    if kind == "attestation":
        return {"attestation": draw(st.one_of(st.sampled_from(["symmetricKey", "x509", "tpm"]), text))}
    if kind == "keys":
        return {
            "auto_generate_keys": None,
            "primary_key": base64.b64encode(b"p" * 32).decode(),
            "secondary_key": draw(ps.symmetric_keys(http=True)),
        }
    if kind == "tpm":
        return {"attestation": "tpm", "endorsement_key": draw(ps.endorsement_keys(tpm_key, http=True))}
    if kind == "x509":
        return {
            "attestation": "x509",
            "primary_certificate": draw(uploads(vector_files)),
            "secondary_certificate": draw(uploads(vector_files)),
        }
    if kind == "status":
        return {"provisioning_status": draw(checkbox)}
    return {"reprovision_policy": draw(reprovision)}


@pytest.mark.parametrize("family", list(INDIVIDUAL_FAMILIES))
def test_individual_registration_tab(admin_client, hubs, vector_files, vectors, family):
    """1,000 examples for the form in all: 500 on the IDs, keys and options, 500 on TPM and X.509."""
    wizard = Wizard(admin_client, "individual")
    assert in_savepoint(lambda: next_outcome(wizard, "registration", INDIVIDUAL_REGISTRATION)) == "success"
    outcomes: Counter = Counter()

    @settings(PROPERTY_SETTINGS, max_examples=scaled_examples(500))
    @given(mutation=individual_registration_mutations(vector_files, vectors["tpm"]["endorsement_key"], family))
    def run(mutation):
        data = {**INDIVIDUAL_REGISTRATION, **mutation}
        outcomes[in_savepoint(lambda: next_outcome(wizard, "registration", data))] += 1

    run()
    assert_both(outcomes, at_least=scaled_examples(500))


# --- IoT hubs tab -----------------------------------------------------------------------------------------------


@st.composite
def iot_hubs_mutations(draw, hubs):
    pks = [str(h.pk) for h in hubs]
    combo = {
        "allocation_policy": draw(st.one_of(st.sampled_from(["hashed", "geoLatency", "static", "custom"]), text)),
        "iot_hubs": draw(
            st.one_of(
                st.lists(st.sampled_from(pks), max_size=2, unique=True),
                st.lists(st.sampled_from([*pks, "999999", "x", ""]), max_size=3),
            )
        ),
    }
    if draw(st.booleans()):
        combo["webhook_url"] = draw(ps.webhook_urls(http=True))
    if draw(st.booleans()):
        combo["api_version"] = draw(ps.api_versions)
    return combo


@pytest.mark.parametrize("kind", ["group", "individual"])
def test_iot_hubs_tab(admin_client, hubs, kind):
    wizard = Wizard(admin_client, kind)
    base = {"iot_hubs": [str(h.pk) for h in hubs], "allocation_policy": "hashed"}
    assert in_savepoint(lambda: next_outcome(wizard, "iot-hubs", base)) == "success"
    outcomes: Counter = Counter()

    examples = 1000 if kind == "group" else 300  # the same form: 1,000 on the group wizard

    @settings(PROPERTY_SETTINGS, max_examples=scaled_examples(examples))
    @given(mutation=iot_hubs_mutations(hubs))
    def run(mutation):
        outcomes[in_savepoint(lambda: next_outcome(wizard, "iot-hubs", {**base, **mutation}))] += 1

    run()
    assert_both(outcomes, at_least=scaled_examples(examples))


# --- Device settings tab ------------------------------------------------------------------------------------------


@st.composite
def device_settings_mutations(draw, family: str = "all"):
    fields = {"tags": ["initial_twin_tags"], "desired": ["initial_twin_desired_properties"]}.get(
        family, ["initial_twin_tags", "initial_twin_desired_properties"]
    )
    kind = draw(st.sampled_from(["edge", *fields, *fields, *fields]))
    if kind == "edge":
        return {"iot_edge": draw(checkbox)}
    return {kind: draw(ps.twin_texts(http=True))}


@pytest.mark.parametrize(
    "kind, family, examples", [("group", "tags", 500), ("group", "desired", 500), ("individual", "all", 300)]
)
def test_device_settings_tab(admin_client, hubs, kind, family, examples):
    """The same form on both wizards: 1,000 examples on the group wizard (500 per twin section)."""
    wizard = Wizard(admin_client, kind)
    base = {"initial_twin_tags": '{"version": "2.1"}', "initial_twin_desired_properties": ""}
    assert in_savepoint(lambda: next_outcome(wizard, "device-settings", base)) == "success"
    outcomes: Counter = Counter()

    @settings(PROPERTY_SETTINGS, max_examples=scaled_examples(examples))
    @given(mutation=device_settings_mutations(family))
    def run(mutation):
        outcomes[in_savepoint(lambda: next_outcome(wizard, "device-settings", {**base, **mutation}))] += 1

    run()
    assert_both(outcomes, at_least=scaled_examples(examples))


# --- Review + create --------------------------------------------------------------------------------------------


def create_outcome(wizard: Wizard, tab: str, data: dict) -> str:
    """Store one tab's (mutated) values, then `Create`: the list page, or a tab with the error marked."""
    wizard.post(tab, "review", data, "tab")
    response = wizard.post("review", "review", {}, "create")
    if "HX-Redirect" in response:
        return "success"
    html = response.content.decode()
    assert 'aria-invalid="true"' in html or "alert-danger" in html, data
    return "field error"


@st.composite
def any_tab_mutation(draw, hubs, vector_files, cas):
    tab = draw(st.sampled_from(["registration", "iot-hubs", "device-settings"]))
    if tab == "registration":
        return tab, {**GROUP_REGISTRATION, **draw(group_registration_mutations(vector_files, cas))}
    if tab == "iot-hubs":
        return tab, {
            "iot_hubs": [str(h.pk) for h in hubs],
            "allocation_policy": "hashed",
            **draw(iot_hubs_mutations(hubs)),
        }
    return tab, {"initial_twin_tags": "", "initial_twin_desired_properties": "", **draw(device_settings_mutations())}


def test_review_create(admin_client, hubs, cas, vector_files):
    wizard = Wizard(admin_client, "group")
    wizard.post("registration", "review", GROUP_REGISTRATION, "tab")
    assert in_savepoint(lambda: create_outcome(wizard, "registration", GROUP_REGISTRATION)) == "success"
    outcomes: Counter = Counter()

    @settings(PROPERTY_SETTINGS, max_examples=scaled_examples(400))
    @given(change=any_tab_mutation(hubs, vector_files, cas))
    def run(change):
        tab, data = change
        outcomes[in_savepoint(lambda: create_outcome(wizard, tab, data))] += 1

    run()
    assert_both(outcomes, at_least=scaled_examples(400))


@pytest.mark.parametrize(
    "tab, data",
    [
        ("registration", {**GROUP_REGISTRATION, "enrollment_group_id": "a\x00b"}),
        ("device-settings", {"initial_twin_tags": '{"a": "\x00"}', "initial_twin_desired_properties": ""}),
    ],
)
def test_a_posted_nul_is_not_a_500(admin_client, tab, data):
    """The draft is JSON text (fields.JsonTextField): a NUL is kept and gets its field error, on PostgreSQL too."""
    wizard = Wizard(admin_client, "group")
    payload = {"_tab": tab, "_nav": "next", "_fields": ",".join(TAB_FIELDS[tab]), **data}
    response = admin_client.post(wizard.url(NEXT[tab]), payload, headers=HX)
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
