"""Unit tests for enrollments/validators.py: one test per DPS rule (dps-reference §2)."""

import base64

import pytest
from django.core.exceptions import ValidationError

from enrollments import validators as v


def refused(validator, value) -> str:
    with pytest.raises(ValidationError) as err:
        validator(value)
    assert len(err.value.messages) == 1
    return err.value.messages[0]


# --- registration ID and group name -------------------------------------------------------------

DPS_ID_VALIDATORS = [
    (v.validate_registration_id, "Registration ID"),
    (v.validate_enrollment_group_id, "Group name"),
]


@pytest.mark.parametrize("validator, what", DPS_ID_VALIDATORS)
@pytest.mark.parametrize(
    "value",
    ["DEVICE001", "device-001", "dev.01:a_b-c", "grp-", "a", "A1", "x" * 128, "-a", ".a", "_a", ":a", "1"],
)
def test_dps_ids_accept_letters_digits_and_the_four_specials(validator, what, value):
    validator(value)


@pytest.mark.parametrize("validator, what", DPS_ID_VALIDATORS)
def test_dps_ids_are_at_most_128_characters(validator, what):
    validator("a" * 128)
    assert refused(validator, "a" * 129) == f"{what} is 129 characters long; the limit is 128. Shorten it."


@pytest.mark.parametrize("validator, what", DPS_ID_VALIDATORS)
@pytest.mark.parametrize(
    "value, shown",
    [
        ("a b", "a space"),
        ("a/b", "“/”"),
        ("a#b", "“#”"),
        ("a@b", "“@”"),
        ("dév", "“é”"),
        ("a\nb", "a line break"),
        ("a\tb", "a tab"),
        ("a\x00b", "U+0000"),
        ("a\x7fb", "U+007F"),
        ("ａb", "“ａ”"),  # a full-width letter is not an ASCII letter
    ],
)
def test_dps_ids_refuse_other_characters_naming_them(validator, what, value, shown):
    message = refused(validator, value)
    assert message.startswith(f"{what} may contain only letters, digits and - . _ :")
    assert f"(found {shown})" in message


def test_bad_characters_are_named_once_each_in_order():
    assert "(found a space and “/”)" in refused(v.validate_registration_id, "a b/c d/e")


@pytest.mark.parametrize("validator, what", DPS_ID_VALIDATORS)
@pytest.mark.parametrize("last", [".", "_", ":"])
def test_dps_ids_must_end_with_a_letter_digit_or_dash(validator, what, last):
    assert refused(validator, "abc" + last) == f"{what} must end with a letter, a digit or -, not “{last}”."


@pytest.mark.parametrize("validator, what", DPS_ID_VALIDATORS)
def test_dps_ids_are_required(validator, what):
    assert refused(validator, "") == "This field is required."


def test_x509_registration_id_is_at_most_64_characters():
    v.validate_x509_registration_id("a" * 64)
    message = refused(v.validate_x509_registration_id, "a" * 65)
    assert "65 characters long; the limit is 64" in message
    assert message.startswith("The certificate's common name (the registration ID)")


def test_x509_registration_id_follows_the_character_rule():
    assert "(found a space, “/” and “#”)" in refused(v.validate_x509_registration_id, "Device With Spaces/And#Slash")


# --- IoT Hub device ID --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["DEVICE001", "device-001", "a.b%c_d*e?f!g(h)i,j:k=l@m$n'o", "-", "x" * 128, "Device-001"]
)
def test_device_id_accepts_the_iot_hub_character_set(value):
    v.validate_device_id(value)


def test_device_id_blank_means_the_registration_id():
    v.validate_device_id("")


def test_device_id_is_at_most_128_characters():
    assert "129 characters long; the limit is 128" in refused(v.validate_device_id, "d" * 129)


@pytest.mark.parametrize(
    "value, shown",
    [
        ("a b", "a space"),
        ("a/b", "“/”"),
        ("a#b", "“#”"),
        ("a+b", "“+”"),
        ("a&b", "“&”"),
        ('a"b', '“"”'),
        ("dév", "“é”"),
        ("a\x00b", "U+0000"),
        ("a~b", "“~”"),
    ],
)
def test_device_id_refuses_other_characters_naming_them(value, shown):
    message = refused(v.validate_device_id, value)
    assert message.startswith("IoT Hub Device ID may contain only 7-bit ASCII letters, digits and")
    assert f"(found {shown})" in message


# --- symmetric keys ------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [16, 32, 64])
def test_symmetric_key_of_16_to_64_bytes_is_accepted(n):
    v.validate_symmetric_key(base64.b64encode(b"k" * n).decode())


@pytest.mark.parametrize("n", [1, 15, 65, 100])
def test_symmetric_key_outside_16_to_64_bytes_is_refused_after_decoding(n):
    message = refused(v.validate_symmetric_key, base64.b64encode(b"k" * n).decode())
    assert message.startswith(f"The key decodes to {n} bytes; DPS needs 16–64 bytes")


def test_a_65_byte_key_has_88_characters_like_a_64_byte_key_and_is_refused():
    key65, key64 = base64.b64encode(b"k" * 65).decode(), base64.b64encode(b"k" * 64).decode()
    assert len(key65) == len(key64) == 88
    v.validate_symmetric_key(key64)
    assert "65 bytes" in refused(v.validate_symmetric_key, key65)


@pytest.mark.parametrize("value", ["not base64!", "a" * 25, "AAAA====", "AA==AAAA", "", "   "])
def test_symmetric_key_must_be_base64(value):
    assert refused(v.validate_symmetric_key, value).startswith("The key is not valid base64.")


# --- TPM (full parser tests in attestation/test_tpm.py) -----------------------------------------


def test_endorsement_key_validator(vectors):
    v.validate_endorsement_key(vectors["tpm"]["endorsement_key"])
    assert "not valid base64" in refused(v.validate_endorsement_key, "not-base64!!")


def test_storage_root_key_is_optional_but_must_be_a_tpm_public_key(vectors):
    v.validate_storage_root_key("")
    v.validate_storage_root_key(vectors["tpm"]["endorsement_key"])
    message = refused(v.validate_storage_root_key, "c2hvcnQ=")
    assert message.startswith("The storage root key decodes to only 5 bytes")
    assert "endorsement key" not in message


# --- webhook URL and API version ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "https://fn.azurewebsites.net/api/alloc?code=abc%2F%3D%3D&clientId=default",
        "http://127.0.0.1:7071/api/alloc",
        "https://h/" + "a" * (2048 - len("https://h/")),
        "",
    ],
)
def test_webhook_url_accepts_http_and_https_urls_up_to_2048_characters(value):
    v.validate_webhook_url(value)


def test_webhook_url_is_at_most_2048_characters():
    value = "https://h/" + "a" * (2049 - len("https://h/"))
    assert refused(v.validate_webhook_url, value) == "Webhook URL is 2,049 characters long; the limit is 2,048."


@pytest.mark.parametrize("value", ["ftp://h/x", "fn.azurewebsites.net/api", "https://", "javascript:alert(1)"])
def test_webhook_url_must_be_http_or_https(value):
    assert refused(v.validate_webhook_url, value) == v.WEBHOOK_URL_SCHEME


@pytest.mark.parametrize(
    "value",
    [
        "http://localhost:7071/api/alloc?code=k",
        "http://LOCALHOST./api",
        "http://fn.localhost/api",
        "http://127.0.0.1:7071/api/alloc",
        "http://127.14.0.9/api",
        "http://[::1]:7071/api",
        "http://[::ffff:127.0.0.1]/api",
        "HTTP://127.0.0.1/api",
    ],
)
def test_plain_http_webhook_url_is_accepted_to_loopback_only(value):
    v.validate_webhook_url(value)


@pytest.mark.parametrize(
    "value, host",
    [
        ("http://fn.azurewebsites.net/api/alloc?code=abc", "fn.azurewebsites.net"),
        ("http://10.0.0.7:7071/api", "10.0.0.7"),
        ("http://0.0.0.0/api", "0.0.0.0"),
        ("http://localhost.example.com/api", "localhost.example.com"),
        ("http://[fe80::1]/api", "fe80::1"),
    ],
)
def test_plain_http_webhook_url_elsewhere_is_refused_saying_why(value, host):
    message = refused(v.validate_webhook_url, value)
    assert message == v.WEBHOOK_URL_PLAIN_HTTP.format(host=host)
    assert "Use https://" in message and "unencrypted" in message


@pytest.mark.parametrize(
    "value, shown",
    [
        ("https://h/a b", "a space"),
        ("https://h/?code=a\x00", "U+0000"),
        ("https://h/?code=a\nb", "a line break"),
        ("https://h/\ud800", "U+D800"),
        ("https://h/a\u00a0b", "U+00A0"),
    ],
)
def test_webhook_url_refuses_spaces_and_control_characters(value, shown):
    assert refused(v.validate_webhook_url, value) == v.WEBHOOK_URL_BAD_CHAR.format(char=shown)


@pytest.mark.parametrize("value", ["2021-10-01", "2019-03-31", "2018-09-01-preview", "2021-11-01-preview", ""])
def test_api_version_accepts_dates_from_2018_09_01_preview(value):
    v.validate_api_version(value)


@pytest.mark.parametrize("value", ["latest", "2021-10-1", "2021-13-01", "2021-02-30", "2021-10-01-beta", " 2021-10-01"])
def test_api_version_must_be_a_date(value):
    assert refused(v.validate_api_version, value) == v.API_VERSION_FORMAT


@pytest.mark.parametrize("value", ["2018-08-31", "2017-11-15", "2018-04-01"])
def test_api_version_older_than_2018_09_01_preview_is_refused(value):
    assert refused(v.validate_api_version, value) == v.API_VERSION_TOO_OLD.format(value=value)


# --- twin and optional device information (full twin tests in test_twin.py) -----------------------


def test_twin_validators_wrap_twin_errors():
    v.validate_twin_tags({"version": "2.1"})
    assert "nested 11 levels" in refused(v.validate_twin_desired_properties, nested(11))
    assert "must be a JSON object" in refused(v.validate_twin_tags, [1])


def test_optional_device_information_is_a_storable_object_or_null():
    v.validate_optional_device_information(None)
    v.validate_optional_device_information({"model": "x"})
    assert "NUL" in refused(v.validate_optional_device_information, {"a": "\x00"})
    assert "must be a JSON object" in refused(v.validate_optional_device_information, "text")


def nested(levels: int) -> dict:
    value: dict = {"leaf": 1}
    for i in range(levels - 1):
        value = {f"l{i}": value}
    return value


# --- other identifiers ----------------------------------------------------------------------------


def test_id_scope():
    v.validate_id_scope("0ne00A1B2C3")
    for value in ("0ne00a1b2c3", "1ne00A1B2C3", "0ne00A1B2C", ""):
        refused(v.validate_id_scope, value)


def test_host_name():
    for value in ("hub.azure-devices.net", "hub-a.example.com:8443", "a.b"):
        v.validate_host_name(value)
    for value in ("hub", "Hub.azure-devices.net", "-hub.net", "hub .net", "hub.net\x00"):
        refused(v.validate_host_name, value)


def test_certificate_name():
    v.validate_certificate_name("root-ca_2.v1")
    for value in ("root ca", "ca/1", ""):
        refused(v.validate_certificate_name, value)


# --- messages survive Django's field cleaning ---------------------------------------------------


@pytest.mark.parametrize(
    "model_name, field, value, expected",
    [
        ("EnrollmentGroup", "initial_twin_tags", {"a.b": 1}, "twin keys cannot contain"),
        ("EnrollmentGroup", "initial_twin_desired_properties", nested(11), "nested 11 levels"),
        ("EnrollmentGroup", "webhook_url", "https://h/?code=a\x00", "control characters"),
        ("EnrollmentGroup", "api_version", "latest", "API version must be a date"),
        ("EnrollmentGroup", "enrollment_group_id", "grp.", "must end with a letter"),
        ("IndividualEnrollment", "device_id", "a b", "IoT Hub Device ID may contain only"),
        ("IndividualEnrollment", "endorsement_key", "c2hvcnQ=", "only 5 bytes"),
        ("IndividualEnrollment", "optional_device_information", {"a": "\x00"}, "NUL"),
    ],
)
def test_model_fields_keep_the_validators_message(model_name, field, value, expected):
    """Django swaps a validator's message for the field's error_messages[code] when codes match."""
    from enrollments import models

    with pytest.raises(ValidationError) as err:
        getattr(models, model_name)._meta.get_field(field).clean(value, None)
    assert any(expected in m for m in err.value.messages), err.value.messages


def test_legacy_iot_hub_host_name_accepts_any_letter_case():
    v.validate_legacy_iot_hub_host_name("")
    v.validate_legacy_iot_hub_host_name("MyHub.azure-devices.net")
    assert "is not a host name" in refused(v.validate_legacy_iot_hub_host_name, "my hub")


def test_several_bad_characters_are_listed_in_plain_english():
    from django.core.exceptions import ValidationError

    from enrollments.validators import validate_device_id, validate_registration_id

    with pytest.raises(ValidationError) as err:
        validate_device_id("tpm dev#1")
    assert "(found a space and “#”)" in err.value.messages[0]
    with pytest.raises(ValidationError) as err:
        validate_registration_id("Device With Spaces/And#Slash")
    assert "(found a space, “/” and “#”)" in err.value.messages[0]
