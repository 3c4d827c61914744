"""Every portal form says one thing per failure: a too-long or malformed value gets the rule's own
message only, never the rule's message plus Django's generic "Ensure this value has at most …"
(and no HTML maxlength cuts a pasted value short)."""

import pytest
from django.utils.datastructures import MultiValueDict

from enrollments.forms.certificates import CaCertificateForm
from enrollments.forms.hubs import LinkedIotHubForm
from enrollments.forms.policies import SharedAccessPolicyForm
from enrollments.forms.wizard import (
    EnrollmentGroupRegistrationForm,
    IndividualEnrollmentRegistrationForm,
    IotHubsForm,
)

pytestmark = pytest.mark.django_db
REGISTRATION = {"provisioning_status": "on", "reprovision_policy": "reprovisionandmigratedata"}


def _messages(form, field: str) -> list[str]:
    form.is_valid()
    return list(form.errors.get(field, []))


@pytest.mark.parametrize("length", [129, 300, 5000])
@pytest.mark.parametrize(
    ("build", "field", "starts"),
    [
        (
            lambda v: EnrollmentGroupRegistrationForm(
                data={**REGISTRATION, "attestation": "symmetricKey", "enrollment_group_id": v}
            ),
            "enrollment_group_id",
            "Group name is",
        ),
        (
            lambda v: IndividualEnrollmentRegistrationForm(
                data={**REGISTRATION, "attestation": "symmetricKey", "registration_id": v}
            ),
            "registration_id",
            "Registration ID is",
        ),
        (
            lambda v: IndividualEnrollmentRegistrationForm(
                data={**REGISTRATION, "attestation": "symmetricKey", "registration_id": "dev-1", "device_id": v}
            ),
            "device_id",
            "IoT Hub Device ID is",
        ),
        (
            lambda v: IotHubsForm(
                data=MultiValueDict(
                    {
                        "allocation_policy": ["custom"],
                        "webhook_url": ["https://x.example/" + v],
                        "api_version": ["2021-10-01"],
                    }
                )
            ),
            "webhook_url",
            "",
        ),
        (
            lambda v: IotHubsForm(
                data=MultiValueDict(
                    {"allocation_policy": ["custom"], "webhook_url": ["https://x.example/"], "api_version": [v]}
                )
            ),
            "api_version",
            "API version must be a date",
        ),
        (lambda v: SharedAccessPolicyForm(data={"name": v, "rights": ["EnrollmentRead"]}), "name", ""),
    ],
)
def test_a_too_long_value_has_one_message(build, field, starts, length):
    value = "a" * length
    messages = _messages(build(value), field)
    if field == "webhook_url" and length < 2048:
        assert messages == []  # within the URL limit
        return
    assert len(messages) == 1, messages
    assert messages[0].startswith(starts)
    assert "Ensure this value has at most" not in messages[0]


@pytest.mark.parametrize("key", ["a" * 200, "QUJD" * 500])
@pytest.mark.parametrize("form_class", [EnrollmentGroupRegistrationForm, IndividualEnrollmentRegistrationForm])
def test_a_too_long_symmetric_key_has_one_message(form_class, key):
    data = {**REGISTRATION, "attestation": "symmetricKey", "auto_generate_keys": "", "primary_key": key}
    messages = _messages(form_class(data=data), "primary_key")
    assert len(messages) == 1, messages
    assert "DPS needs 16–64 bytes" in messages[0] or "base64" in messages[0].lower()


def test_other_portal_text_fields_have_one_message():
    for form, field in (
        (LinkedIotHubForm(data={"location": "l" * 300, "allocation_weight": "1"}), "location"),
        (CaCertificateForm(data={"name": "n" * 300}), "name"),
    ):
        assert len(_messages(form, field)) <= 1, (field, form.errors)
