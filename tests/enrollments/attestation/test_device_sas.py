import base64
import hashlib
import hmac
import re
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrollments.attestation import device_sas
from enrollments.attestation.device_sas import (
    DeviceAuthenticationError,
    GroupKeys,
    check_device_token,
    match_group,
    parse_device_token,
    signed_with,
    verify_device_keys,
)
from enrollments.attestation.symmetric_keys import derive_device_key, generate_symmetric_key
from enrollments.exceptions import DomainError
from enrollments.sas import SasToken, generate_sas_token
from tests.hypothesis_profiles import scaled_examples

SCOPE = "0ne00A1B2C3"
RID = "my.device:01_a-b"
NOW = 1_900_000_000
SE = NOW + 3600
PRIMARY = generate_symmetric_key()
SECONDARY = generate_symmetric_key()


def python_sdk_token(*, key: str, id_scope: str = SCOPE, registration_id: str = RID, se: int = SE) -> str:
    """The token of Azure's Python device SDK (sastoken.py): sr quoted with safe="", no skn."""
    sr = quote(f"{id_scope}/registrations/{registration_id}", safe="")
    mac = hmac.new(base64.b64decode(key), f"{sr}\n{se}".encode(), hashlib.sha256).digest()
    return f"SharedAccessSignature sr={sr}&sig={quote(base64.b64encode(mac).decode(), safe='')}&se={se}"


def token(*, key: str, sr: str | None = None, se: int = SE, skn: str | None = "registration") -> str:
    """A token as the service helper writes it (sr, sig, se, skn; urlencoded)."""
    return generate_sas_token(resource_uri=sr or f"{SCOPE}/registrations/{RID}", key=key, policy_name=skn, expiry=se)


def accepted(header: str, keys: list[str], *, registration_id: str = RID, now: int = NOW) -> bool:
    parsed = parse_device_token(header)
    check_device_token(parsed, id_scope=SCOPE, registration_id=registration_id, now=now)
    return any(signed_with(parsed, key) for key in keys)


# Individual enrollments: primary, secondary, with and without skn.


@pytest.mark.parametrize("skn", ["registration", None])
@pytest.mark.parametrize("key", [PRIMARY, SECONDARY], ids=["primary", "secondary"])
def test_primary_or_secondary_key_with_or_without_skn(key, skn):
    header = token(key=key, skn=skn)
    assert ("&skn=registration" in header) == (skn is not None)
    assert accepted(header, [PRIMARY, SECONDARY])
    verify_device_keys(parse_device_token(header), keys=[PRIMARY, SECONDARY])


def test_generated_device_tokens_are_the_sdks_tokens(vectors):
    device = vectors["sas"]["device"]
    common = {"id_scope": device["id_scope"], "registration_id": device["registration_id"], "key": device["device_key"]}
    assert device_sas.generate_device_token(**common, expiry=device["expiry_epoch_s"]) == device["token"]
    without = device_sas.generate_device_token(**common, expiry=device["expiry_epoch_s"], key_name=None)
    assert without == device["token"].removesuffix("&skn=registration")
    fresh = parse_device_token(device_sas.generate_device_token(**common))
    check_device_token(fresh, id_scope=device["id_scope"], registration_id=device["registration_id"])
    assert signed_with(fresh, device["device_key"])


def test_python_sdk_token_is_accepted():
    header = python_sdk_token(key=SECONDARY)
    assert "skn" not in header
    assert accepted(header, [PRIMARY, SECONDARY])


def test_dps_docs_vector_verifies(vectors):
    device = vectors["sas"]["device"]
    parsed = parse_device_token(device["token"])
    check_device_token(
        parsed, id_scope=device["id_scope"], registration_id=device["registration_id"], now=device["expiry_epoch_s"] - 1
    )
    assert signed_with(parsed, device["device_key"])
    assert not signed_with(parsed, generate_symmetric_key())


def test_another_key_is_refused_with_a_message():
    parsed = parse_device_token(token(key=generate_symmetric_key()))
    assert not signed_with(parsed, PRIMARY)
    with pytest.raises(DeviceAuthenticationError, match="signature does not match the enrollment's keys"):
        verify_device_keys(parsed, keys=[PRIMARY, SECONDARY, ""])


@pytest.mark.parametrize("key", ["", "not base64!", "abc"])
def test_a_key_that_is_not_base64_signs_nothing(key):
    assert not signed_with(parse_device_token(token(key=PRIMARY)), key)


def test_a_changed_field_breaks_the_signature():
    parsed = parse_device_token(token(key=PRIMARY))
    for changed in (
        SasToken(sr=parsed.sr, sig=parsed.sig, se=parsed.se + 1, skn=parsed.skn),
        SasToken(sr=parsed.sr + "x", sig=parsed.sig, se=parsed.se, skn=parsed.skn),
        SasToken(sr=parsed.sr, sig=parsed.sig[:-2] + "A=", se=parsed.se, skn=parsed.skn),
    ):
        assert not signed_with(changed, PRIMARY)


# sr: this ID scope and registration ID, ignoring case; the signature over sr exactly as sent.


def test_sr_case_is_ignored_and_the_signature_is_over_sr_as_sent():
    # An SDK that signs the lower-cased resource URI (the docs' sample does).
    header = token(key=PRIMARY, sr=f"{SCOPE}/registrations/{RID}".lower())
    assert accepted(header, [PRIMARY], registration_id=RID.upper())
    # Same token, sr re-cased by someone without the key: the signature no longer matches.
    tampered = header.replace("0ne00a1b2c3", "0ne00A1B2C3")
    assert tampered != header
    assert not accepted(tampered, [PRIMARY])


def test_sr_percent_encoded_in_lower_case_hex_is_verified_as_sent():
    sr = f"{SCOPE}%2fregistrations%2f{RID.replace(':', '%3a')}"
    mac = hmac.new(base64.b64decode(PRIMARY), f"{sr}\n{SE}".encode(), hashlib.sha256).digest()
    header = f"SharedAccessSignature sr={sr}&sig={quote(base64.b64encode(mac).decode(), safe='')}&se={SE}"
    assert accepted(header, [PRIMARY])


def test_sr_sent_unencoded_verifies_over_its_encoded_form():
    # A hand-written token: sr in the clear, signed as DPS documents it (URL-encoded).
    signed = parse_device_token(token(key=PRIMARY, skn=None))
    header = f"SharedAccessSignature sr={SCOPE}/registrations/{RID}&sig={quote(signed.sig, safe='')}&se={SE}"
    assert accepted(header, [PRIMARY])


def test_a_literal_plus_in_sig_is_base64_not_a_space():
    for n in range(200):  # find a signature holding "+"
        header = token(key=PRIMARY, se=SE + n, skn=None)
        sig = parse_device_token(header).sig
        if "+" in sig:
            break
    else:
        pytest.fail("no signature with + found")
    unencoded = re.sub(r"sig=[^&]*", "sig=" + sig, header)
    assert accepted(unencoded, [PRIMARY])


@pytest.mark.parametrize(
    "sr",
    [
        "0ne00FFFFFF/registrations/" + RID,  # wrong scope
        f"{SCOPE}/registrations/other-device",
        f"{SCOPE}/registrations/{RID}/register",
        f"{SCOPE}/registrations/",
        f"global.azure-devices-provisioning.net/{SCOPE}/registrations/{RID}",
        f"{SCOPE}/enrollments/{RID}",
    ],
)
def test_sr_naming_another_scope_or_device_is_refused(sr):
    parsed = parse_device_token(token(key=PRIMARY, sr=sr))
    with pytest.raises(DeviceAuthenticationError, match="sr names") as caught:
        check_device_token(parsed, id_scope=SCOPE, registration_id=RID, now=NOW)
    assert f"“{SCOPE}/registrations/{RID}”" in str(caught.value)


def test_a_long_wrong_sr_is_quoted_shortened():
    parsed = parse_device_token(token(key=PRIMARY, sr=f"{SCOPE}/registrations/{'x' * 5000}"))
    with pytest.raises(DeviceAuthenticationError, match="sr names") as caught:
        check_device_token(parsed, id_scope=SCOPE, registration_id=RID, now=NOW)
    assert len(str(caught.value)) < 600 and "x…”" in str(caught.value)


# se and skn


def test_expired_token_is_refused():
    parsed = parse_device_token(token(key=PRIMARY, se=NOW))
    with pytest.raises(DeviceAuthenticationError, match="expired"):
        check_device_token(parsed, id_scope=SCOPE, registration_id=RID, now=NOW)
    check_device_token(parsed, id_scope=SCOPE, registration_id=RID, now=NOW - 1)


def test_expiry_uses_the_clock_by_default():
    with pytest.raises(DeviceAuthenticationError, match="expired"):
        check_device_token(parse_device_token(token(key=PRIMARY, se=1000)), id_scope=SCOPE, registration_id=RID)
    check_device_token(parse_device_token(token(key=PRIMARY, se=2**40)), id_scope=SCOPE, registration_id=RID)


def test_max_lifetime_refuses_far_expiries():
    parsed = parse_device_token(token(key=PRIMARY, se=NOW + 3601))
    with pytest.raises(DeviceAuthenticationError, match="expires in 3,601 seconds.*within 3,600 seconds"):
        check_device_token(parsed, id_scope=SCOPE, registration_id=RID, now=NOW, max_lifetime=3600)
    check_device_token(parsed, id_scope=SCOPE, registration_id=RID, now=NOW, max_lifetime=3601)


@pytest.mark.parametrize("skn", ["registration", "Registration", None])
def test_skn_registration_or_none_is_accepted(skn):
    check_device_token(parse_device_token(token(key=PRIMARY, skn=skn)), id_scope=SCOPE, registration_id=RID, now=NOW)


@pytest.mark.parametrize("skn", ["provisioningserviceowner", "registrations", "enrollmentread"])
def test_other_skn_is_refused(skn):
    with pytest.raises(DeviceAuthenticationError, match=f"skn is “{skn}”"):
        check_device_token(
            parse_device_token(token(key=PRIMARY, skn=skn)), id_scope=SCOPE, registration_id=RID, now=NOW
        )


# Parsing


@pytest.mark.parametrize(
    "header, message",
    [
        (None, "no Authorization header"),
        ("", "no Authorization header"),
        ("Bearer abc", r"not a SharedAccessSignature token \(sr=…&sig=…&se=…\[&skn=registration\]\)"),
        ("SharedAccessSignature sig=a&se=1", "has no sr"),
        ("SharedAccessSignature sr=a&se=1", "has no sig"),
        ("SharedAccessSignature sr=a&sig=b", "has no se"),
        ("SharedAccessSignature sr=a&sig=b&se=soon", "not a whole number"),
        ("SharedAccessSignature sr=é&sig=b&se=1", "outside ASCII"),
    ],
)
def test_malformed_headers_are_refused_with_a_message(header, message):
    with pytest.raises(DeviceAuthenticationError, match=message):
        parse_device_token(header)


def test_parse_reads_fields_in_any_order():
    parsed = parse_device_token(
        f"sharedaccesssignature se={SE}&skn=registration&sig=abc%3D&sr={SCOPE}%2Fregistrations%2F{RID}"
    )
    assert (parsed.sr, parsed.sig, parsed.se, parsed.skn) == (
        f"{SCOPE}/registrations/{RID}",
        "abc=",
        SE,
        "registration",
    )
    assert parsed.sr_as_sent == f"{SCOPE}%2Fregistrations%2F{RID}"
    assert isinstance(parsed, SasToken)


def test_errors_are_domain_errors():
    assert issubclass(DeviceAuthenticationError, DomainError)


@settings(max_examples=scaled_examples(1000))
@given(st.one_of(st.none(), st.text(max_size=200), st.text(max_size=100).map(lambda t: "SharedAccessSignature " + t)))
def test_any_header_parses_or_is_refused_with_a_device_authentication_error(header):
    try:
        parsed = parse_device_token(header)
    except DeviceAuthenticationError as exc:
        assert str(exc)
        return
    try:
        check_device_token(parsed, id_scope=SCOPE, registration_id=RID, now=NOW)
    except DeviceAuthenticationError:
        pass
    assert not signed_with(parsed, PRIMARY)


# Enrollment groups: the derived key decides, the group key itself is refused, two matches are ambiguous.

GROUP_A = GroupKeys(key="group-a", primary_key=generate_symmetric_key(), secondary_key=generate_symmetric_key())
GROUP_B = GroupKeys(key="group-b", primary_key=generate_symmetric_key(), secondary_key=generate_symmetric_key())
GROUP_NO_SECONDARY = GroupKeys(key="group-c", primary_key=generate_symmetric_key(), secondary_key="")


def group_token(group_key: str, registration_id: str = RID, **kwargs) -> device_sas.DeviceSasToken:
    device_key = derive_device_key(group_key=group_key, registration_id=registration_id)
    return parse_device_token(token(key=device_key, sr=f"{SCOPE}/registrations/{registration_id}", **kwargs))


@pytest.mark.parametrize("slot", ["primary_key", "secondary_key"])
@pytest.mark.parametrize("skn", ["registration", None])
def test_the_group_whose_derived_key_signs_is_matched(slot, skn):
    for group in (GROUP_A, GROUP_B):
        parsed = group_token(getattr(group, slot), skn=skn)
        assert match_group(parsed, registration_id=RID, groups=[GROUP_NO_SECONDARY, GROUP_A, GROUP_B]) is group


def test_the_docs_derived_key_vector_matches_its_group(vectors):
    device = vectors["sas"]["device"]
    group = GroupKeys(key=1, primary_key=vectors["symmetric_keys"]["group_primary_key"], secondary_key="")
    parsed = parse_device_token(device["token"])
    assert match_group(parsed, registration_id=device["registration_id"], groups=[GROUP_A, group]) is group


def test_a_key_derived_for_another_registration_id_is_refused():
    parsed = group_token(GROUP_A.primary_key, registration_id="other-device")
    with pytest.raises(DeviceAuthenticationError, match="not signed with a key derived from any enrollment group"):
        match_group(parsed, registration_id=RID, groups=[GROUP_A, GROUP_B])


@pytest.mark.parametrize("slot", ["primary_key", "secondary_key"])
def test_the_group_key_itself_is_refused(slot):
    parsed = parse_device_token(token(key=getattr(GROUP_B, slot)))
    with pytest.raises(DeviceAuthenticationError, match="signed with an enrollment group's key itself"):
        match_group(parsed, registration_id=RID, groups=[GROUP_A, GROUP_B])


def test_a_token_verifying_for_two_groups_is_ambiguous():
    twin = GroupKeys(key="copy", primary_key=generate_symmetric_key(), secondary_key=GROUP_A.primary_key)
    parsed = group_token(GROUP_A.primary_key)
    with pytest.raises(DeviceAuthenticationError, match="more than one enrollment group"):
        match_group(parsed, registration_id=RID, groups=[GROUP_A, GROUP_B, twin])


def test_one_group_matching_by_both_keys_is_not_ambiguous():
    same = GroupKeys(key="same", primary_key=GROUP_A.primary_key, secondary_key=GROUP_A.primary_key)
    assert match_group(group_token(same.primary_key), registration_id=RID, groups=[same, GROUP_B]) is same


def test_no_groups_match_nothing():
    with pytest.raises(DeviceAuthenticationError, match="not signed with a key derived"):
        match_group(group_token(GROUP_A.primary_key), registration_id=RID, groups=[])


def test_a_group_key_that_is_not_base64_is_skipped():
    broken = GroupKeys(key="broken", primary_key="not base64!", secondary_key="")
    assert match_group(group_token(GROUP_B.secondary_key), registration_id=RID, groups=[broken, GROUP_B]) is GROUP_B


def test_match_group_checks_a_hundred_groups():
    groups = [
        GroupKeys(key=n, primary_key=generate_symmetric_key(), secondary_key=generate_symmetric_key())
        for n in range(100)
    ]
    parsed = group_token(groups[73].secondary_key)
    assert match_group(parsed, registration_id=RID, groups=groups) is groups[73]
