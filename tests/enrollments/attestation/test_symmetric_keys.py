import base64

import pytest

from enrollments.attestation.symmetric_keys import decode_symmetric_key, derive_device_key, generate_symmetric_key
from enrollments.exceptions import InvalidSymmetricKeyError


def test_generated_key_is_base64_of_64_random_bytes():
    key = generate_symmetric_key()
    assert len(base64.b64decode(key)) == 64
    assert len(key) == 88
    assert generate_symmetric_key() != key


@pytest.mark.parametrize("n", [16, 32, 64])
def test_keys_of_16_to_64_bytes_are_accepted(n):
    assert len(decode_symmetric_key(base64.b64encode(b"k" * n).decode())) == n


@pytest.mark.parametrize("n", [0, 15, 65, 66])
def test_keys_outside_16_to_64_bytes_are_refused(n):
    with pytest.raises(InvalidSymmetricKeyError):
        decode_symmetric_key(base64.b64encode(b"k" * n).decode())


def test_length_is_checked_after_decoding_not_on_characters():
    key = base64.b64encode(b"k" * 65).decode()  # 88 characters, like a valid 64-byte key
    assert len(key) == 88
    with pytest.raises(InvalidSymmetricKeyError, match="65 bytes"):
        decode_symmetric_key(key)


@pytest.mark.parametrize("bad", ["not base64!", "abc", "ZZZZ====", "a" * 23 + "!"])
def test_non_base64_is_refused(bad):
    with pytest.raises(InvalidSymmetricKeyError, match="base64"):
        decode_symmetric_key(bad)


def test_derive_device_key_matches_dps_docs_vector():
    group_key = "8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw=="
    assert (
        derive_device_key(group_key=group_key, registration_id="sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6")
        == "Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc="
    )


def test_derive_device_key_matches_shared_vectors(vectors):
    keys = vectors["symmetric_keys"]
    for registration_id, expected in keys["derived_device_keys"].items():
        assert derive_device_key(group_key=keys["group_primary_key"], registration_id=registration_id) == expected
