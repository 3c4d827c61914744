import base64
from urllib.parse import parse_qsl

import pytest

from enrollments import sas

KEY = base64.b64encode(b"k" * 32).decode()


def test_sign_matches_the_service_token_vector(vectors):
    service = vectors["sas"]["service"]
    parts = dict(p.split("=", 1) for p in service["connection_string"].split(";"))
    token = sas.parse_sas_token(service["token"])
    assert token.sr == parts["HostName"]
    assert token.skn == parts["SharedAccessKeyName"]
    assert token.se == service["expiry_epoch_s"]
    expected = sas.generate_sas_token(
        resource_uri=parts["HostName"],
        key=parts["SharedAccessKey"],
        policy_name=parts["SharedAccessKeyName"],
        expiry=service["expiry_epoch_s"],
    )
    assert expected == service["token"]
    sas.verify_signature(token, keys=[parts["SharedAccessKey"]], now=service["expiry_epoch_s"] - 10)


def test_sign_matches_the_device_token_vector(vectors):
    device = vectors["sas"]["device"]
    token = sas.parse_sas_token(device["token"])
    assert sas.sign(resource_uri=token.sr, expiry=token.se, key=device["device_key"]) == token.sig
    # The string to sign is quote_plus(sr) + "\n" + se.
    assert device["string_to_sign"] == f"{'0ne00A1B2C3%2Fregistrations%2F' + device['registration_id']}\n{token.se}"


def test_token_fields_are_in_sdk_order_and_url_encoded():
    token = sas.generate_sas_token(resource_uri="http://127.0.0.1:8000", key=KEY, policy_name="p", expiry=2000000000)
    assert token.startswith("SharedAccessSignature sr=http%3A%2F%2F127.0.0.1%3A8000&sig=")
    fields = list(dict(parse_qsl(token.split(" ", 1)[1])))
    assert fields == ["sr", "sig", "se", "skn"]


def test_token_without_skn_parses_with_empty_policy():
    token = sas.generate_sas_token(resource_uri="scope/registrations/d", key=KEY, expiry=2000000000)
    assert sas.parse_sas_token(token).skn == ""


@pytest.mark.parametrize(
    "header, message",
    [
        (None, sas.MISSING),
        ("", sas.MISSING),
        ("Bearer abc", sas.NOT_SAS),
        ("SharedAccessSignature sig=a&se=1", sas.MISSING_FIELD.format(field="sr")),
        ("SharedAccessSignature sr=h&se=1", sas.MISSING_FIELD.format(field="sig")),
        ("SharedAccessSignature sr=h&sig=a&se=soon", sas.BAD_EXPIRY),
    ],
)
def test_malformed_tokens_are_refused(header, message):
    with pytest.raises(sas.InvalidSasTokenError) as err:
        sas.parse_sas_token(header)
    assert str(err.value) == message


def test_expired_token_is_refused():
    token = sas.parse_sas_token(sas.generate_sas_token(resource_uri="h", key=KEY, policy_name="p", expiry=1000))
    with pytest.raises(sas.InvalidSasTokenError, match="expired"):
        sas.verify_signature(token, keys=[KEY], now=1000)


def test_wrong_key_is_refused_and_either_key_is_accepted():
    other = base64.b64encode(b"o" * 32).decode()
    token = sas.parse_sas_token(sas.generate_sas_token(resource_uri="h", key=KEY, policy_name="p", expiry=2000))
    with pytest.raises(sas.InvalidSasTokenError, match="does not match"):
        sas.verify_signature(token, keys=[other], now=1000)
    sas.verify_signature(token, keys=[other, KEY], now=1000)


def test_tampered_signature_is_refused():
    token = sas.parse_sas_token(sas.generate_sas_token(resource_uri="h", key=KEY, policy_name="p", expiry=2000))
    forged = sas.SasToken(sr=token.sr, sig=token.sig[:-2] + "A=", se=token.se, skn=token.skn)
    with pytest.raises(sas.InvalidSasTokenError):
        sas.verify_signature(forged, keys=[KEY], now=1000)


@pytest.mark.parametrize(
    "sr, ok",
    [
        ("127.0.0.1:8000", True),
        ("http://127.0.0.1:8000", True),
        ("HTTPS://DPS.Example.COM", True),
        ("dps.example.com/enrollments", True),
        ("dps.example.com/enrollments/dev-1", True),
        ("dps.example.com/enroll", False),
        ("dps.example.com/registrations", False),
        ("other.example.com", False),
        ("127.0.0.1:9000", False),
    ],
)
def test_resource_uri_host_matched_ignoring_case_and_scheme(sr, ok):
    hosts = ["127.0.0.1:8000", "dps.example.com"]
    assert sas.resource_matches(sr, hosts=hosts, path="/enrollments/dev-1") is ok


def test_generated_policy_key_is_base64_of_32_bytes():
    key = sas.generate_policy_key()
    assert len(base64.b64decode(key)) == 32
    assert key != sas.generate_policy_key()


@pytest.mark.parametrize(
    "url, host",
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://dps.example.com", "dps.example.com"),
        ("https://dps.example.com:8443/", "dps.example.com:8443"),
    ],
)
def test_connection_string_host_keeps_http_scheme_only(url, host):
    assert sas.service_connection_string(public_url=url, policy_name="p", key="k") == (
        f"HostName={host};SharedAccessKeyName=p;SharedAccessKey=k"
    )


def test_a_token_living_longer_than_the_maximum_is_refused():
    token = sas.parse_sas_token(sas.generate_sas_token(resource_uri="h", key=KEY, policy_name="p", expiry=1_000_000))
    sas.verify_signature(token, keys=[KEY], now=1_000_000 - 100, max_lifetime=100)
    with pytest.raises(sas.InvalidSasTokenError) as error:
        sas.verify_signature(token, keys=[KEY], now=1_000_000 - 101, max_lifetime=100)
    assert str(error.value) == sas.TOO_LONG_LIVED.format(away="101 seconds", limit="100 seconds")
    with pytest.raises(sas.InvalidSasTokenError, match="400 days away; .* within 365 days"):
        sas.verify_signature(token, keys=[KEY], now=1_000_000 - 400 * 86400, max_lifetime=365 * 86400)


def test_no_key_at_all_is_a_wrong_signature():
    # An unknown policy: the work and the answer of a wrong key, even for a token signed with the stand-in key.
    stand_in = base64.b64encode(bytes(32)).decode()
    token = sas.parse_sas_token(sas.generate_sas_token(resource_uri="h", key=stand_in, expiry=2_000_000_000))
    with pytest.raises(sas.InvalidSasTokenError, match="signature does not match"):
        sas.verify_signature(token, keys=[], now=1_999_999_000)
    with pytest.raises(sas.InvalidSasTokenError, match="signature does not match"):
        sas.verify_signature(token, keys=["", ""], now=1_999_999_000)
