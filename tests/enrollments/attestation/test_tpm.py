"""TPM endorsement keys: base64 TPM2B_PUBLIC parsed in full, each defect refused with its own message."""

import base64
import struct

import pytest
from django.core.exceptions import ValidationError

from enrollments import validators
from enrollments.attestation import tpm
from enrollments.attestation.tpm import parse_endorsement_key
from enrollments.exceptions import InvalidEndorsementKeyError

EK_ATTRIBUTES = 0x000300B2  # fixedTPM fixedParent sensitiveDataOrigin adminWithPolicy restricted decrypt
AES_128_CFB = struct.pack(">HHH", 0x0006, 128, 0x0043)
NULL_SCHEME = struct.pack(">H", 0x0010)
POLICY = bytes.fromhex("837197674484B3F81A90CC8D46A5D724FD52D76E06520B64F2A1DA1B331469AA")


def u16(v: int) -> bytes:
    return struct.pack(">H", v)


def u32(v: int) -> bytes:
    return struct.pack(">I", v)


def tpm2b(b: bytes) -> bytes:
    return u16(len(b)) + b


def rsa_public(
    *,
    key_type=0x0001,
    name_alg=0x000B,
    attributes=EK_ATTRIBUTES,
    policy=POLICY,
    symmetric=AES_128_CFB,
    scheme=NULL_SCHEME,
    key_bits=2048,
    exponent=0,
    modulus=None,
) -> bytes:
    """TPMT_PUBLIC of an RSA EK (the TCG default EK template), fields overridable."""
    modulus = b"\xab" * (key_bits // 8) if modulus is None else modulus
    return (
        u16(key_type)
        + u16(name_alg)
        + u32(attributes)
        + tpm2b(policy)
        + symmetric
        + scheme
        + u16(key_bits)
        + u32(exponent)
        + tpm2b(modulus)
    )


def ecc_public(*, curve=0x0003, kdf=NULL_SCHEME, scheme=NULL_SCHEME, x=b"\x01" * 32, y=b"\x02" * 32) -> bytes:
    """TPMT_PUBLIC of an ECC P-256 EK (TCG template L-2), fields overridable."""
    return (
        u16(0x0023)
        + u16(0x000B)
        + u32(EK_ATTRIBUTES)
        + tpm2b(POLICY)
        + u16(0x0006)
        + u16(128)
        + u16(0x0043)
        + scheme
        + u16(curve)
        + kdf
        + tpm2b(x)
        + tpm2b(y)
    )


def encode(public: bytes, *, size: int | None = None) -> str:
    """base64 of TPM2B_PUBLIC: the size prefix (correct unless given) then the TPMT_PUBLIC."""
    return base64.b64encode(u16(len(public) if size is None else size) + public).decode()


def refused(value: str) -> str:
    with pytest.raises(InvalidEndorsementKeyError) as err:
        parse_endorsement_key(value)
    return str(err.value)


# --- the shared vectors ---------------------------------------------------------------------


def test_vector_endorsement_key_parses_as_rsa_2048(vectors):
    info = parse_endorsement_key(vectors["tpm"]["endorsement_key"])
    assert info.key_type == "RSA"
    assert info.key_bits == 2048
    assert info.name_algorithm == "SHA256"
    assert info.exponent == 65537
    assert info.symmetric == "AES-128-CFB"
    assert info.scheme == "NULL"
    assert info.object_attributes == EK_ATTRIBUTES
    assert info.attributes == (
        "fixedTPM",
        "fixedParent",
        "sensitiveDataOrigin",
        "adminWithPolicy",
        "restricted",
        "decrypt",
    )
    assert info.auth_policy == POLICY.hex().upper()  # the TCG EK policy (PolicySecret of the endorsement hierarchy)
    assert len(info.unique) == 512
    assert info.name.startswith("000B") and len(info.name) == 2 * (2 + 32)
    assert info.description == "RSA 2048, SHA256"


def test_vector_invalid_endorsement_keys_are_refused_with_distinct_reasons(vectors):
    messages = [refused(value) for value in vectors["tpm"]["invalid_endorsement_keys"]]
    assert len(set(messages)) == len(messages) == 3
    assert "not valid base64" in messages[0]
    assert "only 5 bytes" in messages[1]
    assert "empty" in messages[2]


def test_result_is_frozen(vectors):
    info = parse_endorsement_key(vectors["tpm"]["endorsement_key"])
    with pytest.raises(AttributeError):
        info.key_bits = 1  # type: ignore[misc]


def test_surrounding_whitespace_is_ignored(vectors):
    assert parse_endorsement_key("  " + vectors["tpm"]["endorsement_key"] + "\n").key_bits == 2048


# --- well-formed keys of other shapes ---------------------------------------------------------


def test_ecc_p256_key_parses():
    info = parse_endorsement_key(encode(ecc_public()))
    assert (info.key_type, info.curve, info.key_bits, info.kdf, info.exponent) == (
        "ECC",
        "NIST_P256",
        256,
        "NULL",
        None,
    )
    assert info.unique == ("01" * 32 + "02" * 32).upper()
    assert info.description == "ECC NIST_P256, SHA256"


def test_ecc_key_with_scheme_and_kdf_parses():
    info = parse_endorsement_key(
        encode(ecc_public(scheme=u16(0x001A) + u16(0x000B) + u16(1), kdf=u16(0x0021) + u16(0x000C)))
    )
    assert info.scheme == "ECDAA-SHA256"
    assert info.kdf == "KDF2-SHA384"


def test_rsa_3072_with_sha384_and_signing_scheme_parses():
    info = parse_endorsement_key(
        encode(
            rsa_public(
                name_alg=0x000C,
                policy=b"\x00" * 48,
                key_bits=3072,
                exponent=3,
                scheme=u16(0x0014) + u16(0x000C),
                symmetric=u16(0x0010),
            )
        )
    )
    assert (info.key_bits, info.exponent, info.scheme, info.symmetric) == (3072, 3, "RSASSA-SHA384", "NULL")
    assert info.name.startswith("000C") and len(info.name) == 2 * (2 + 48)


def test_rsaes_scheme_has_no_hash():
    assert parse_endorsement_key(encode(rsa_public(scheme=u16(0x0015)))).scheme == "RSAES"


def test_empty_policy_is_fine():
    assert parse_endorsement_key(encode(rsa_public(policy=b""))).auth_policy == ""


def test_sm3_name_algorithm_parses_without_a_name():
    assert parse_endorsement_key(encode(rsa_public(name_alg=0x0012))).name == ""


# --- each defect, its own message ---------------------------------------------------------------


def test_not_base64_names_the_character():
    assert "“!” at position 5" in refused("AToA!QAL")


def test_invisible_characters_are_named_by_code_point():
    assert "U+0000 at position 3" in refused("AT\x00A")
    assert "a line break at position 5" in refused("AToA\nAQAL")


def test_inner_space_is_named():
    assert "a space at position 5" in refused("AToA AQAL")


def test_bad_padding_is_explained():
    assert "not a multiple of 4" in refused("AToAAQA")


@pytest.mark.parametrize("value", ["AA==AAAA", "AAAA====", "AAA=A==="])
def test_padding_only_at_the_end_at_most_twice(value):
    assert "padding may only end it, at most twice" in refused(value)


def test_too_short():
    message = refused(base64.b64encode(b"\x00\x09" + b"\x00" * 9).decode())
    assert message == tpm.TOO_SHORT.format(n=11, min=12)


def test_size_prefix_says_more_than_follows():
    public = rsa_public()
    assert refused(encode(public, size=len(public) + 2)) == tpm.SIZE_MISMATCH.format(
        declared=len(public) + 2, actual=len(public)
    )


def test_size_prefix_says_less_than_follows():
    public = rsa_public()
    assert "size prefix says 300 bytes but 314 bytes follow" in refused(encode(public, size=300))


def test_missing_size_prefix_is_recognised():
    public = rsa_public()
    message = refused(base64.b64encode(public).decode())
    assert "no TPM2B size prefix" in message and "0x013A" in message


def test_der_public_key_is_recognised():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    der = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert refused(base64.b64encode(der).decode()) == tpm.LOOKS_LIKE_DER


@pytest.mark.parametrize("code, name", [(0x0008, "KEYEDHASH"), (0x0025, "SYMCIPHER")])
def test_other_object_types_are_refused_by_name(code, name):
    message = refused(encode(rsa_public(key_type=code)))
    assert message.startswith(f"Unsupported key type 0x{code:04X} ({name}")


def test_unknown_key_type():
    assert refused(encode(rsa_public(key_type=0x4242))).startswith("Unknown key type 0x4242")


def test_unknown_name_algorithm():
    assert refused(encode(rsa_public(name_alg=0x0099))).startswith("Unknown name algorithm 0x0099")


def test_reserved_attribute_bits():
    assert "reserved bits (0x00000001)" in refused(encode(rsa_public(attributes=EK_ATTRIBUTES | 1)))


def test_policy_of_the_wrong_size():
    assert refused(encode(rsa_public(policy=b"\x00" * 20))) == tpm.BAD_POLICY_SIZE.format(n=20, alg="SHA256", size=32)


def test_unknown_symmetric_algorithm():
    assert "symmetric algorithm 0x0099" in refused(encode(rsa_public(symmetric=u16(0x0099) + u16(128) + u16(0x43))))


def test_bad_symmetric_key_size():
    assert "100 bits" in refused(encode(rsa_public(symmetric=u16(0x0006) + u16(100) + u16(0x43))))


def test_unknown_symmetric_mode():
    assert "symmetric mode 0x0099" in refused(encode(rsa_public(symmetric=u16(0x0006) + u16(128) + u16(0x99))))


def test_unknown_rsa_scheme():
    assert refused(encode(rsa_public(scheme=u16(0x0099)))) == tpm.UNKNOWN_SCHEME.format(kind="RSA", code=0x99)


def test_unknown_scheme_hash():
    assert "hash algorithm 0x0099 in the key's RSA scheme" in refused(
        encode(rsa_public(scheme=u16(0x0014) + u16(0x0099)))
    )


def test_unsupported_rsa_key_size():
    assert refused(encode(rsa_public(key_bits=1000, modulus=b"\x01" * 125))) == tpm.BAD_RSA_BITS.format(bits=1000)


def test_modulus_shorter_than_key_bits():
    assert refused(encode(rsa_public(modulus=b"\x01" * 128))) == tpm.BAD_MODULUS.format(n=128, bits=2048, expected=256)


def test_unknown_curve():
    assert refused(encode(ecc_public(curve=0x0099))).startswith("Unknown ECC curve 0x0099")


def test_unknown_kdf():
    assert refused(encode(ecc_public(kdf=u16(0x0099)))) == tpm.UNKNOWN_SCHEME.format(kind="KDF", code=0x99)


def test_ecc_coordinate_too_long():
    assert refused(encode(ecc_public(x=b"\x01" * 33))) == tpm.BAD_POINT.format(
        coord="x", n=33, curve="NIST_P256", size=32
    )


def test_ecc_coordinate_empty():
    assert refused(encode(ecc_public(y=b""))) == tpm.EMPTY_POINT.format(coord="y")


def test_structure_ending_early_names_the_field():
    public = rsa_public()[:-10]  # the modulus is cut short; the size prefix agrees with the bytes
    assert refused(encode(public)) == tpm.TRUNCATED.format(field="the RSA modulus", offset=60, need=256, have=246)


def test_trailing_bytes_after_the_structure():
    public = rsa_public() + b"\x00\x00\x00"
    assert refused(encode(public)) == tpm.TRAILING.format(n=3, offset=len(public) - 1)


def test_every_defect_has_a_distinct_message():
    public = rsa_public()
    values = [
        "",
        "AToA!QAL",
        base64.b64encode(b"\x00" * 5).decode(),
        encode(public, size=1),
        base64.b64encode(public).decode(),
        encode(rsa_public(key_type=0x0008)),
        encode(rsa_public(key_type=0x4242)),
        encode(rsa_public(name_alg=0x0099)),
        encode(rsa_public(attributes=EK_ATTRIBUTES | 1)),
        encode(rsa_public(policy=b"\x00" * 20)),
        encode(rsa_public(key_bits=1000, modulus=b"\x01" * 125)),
        encode(rsa_public(modulus=b"\x01" * 128)),
        encode(public[:-10]),
        encode(public + b"\x00"),
    ]
    messages = [refused(v) for v in values]
    assert len(set(messages)) == len(messages)


# --- the Django validator -------------------------------------------------------------------


def test_validator_accepts_the_vector(vectors):
    validators.validate_endorsement_key(vectors["tpm"]["endorsement_key"])


def test_validator_raises_validation_error_with_the_parser_message():
    with pytest.raises(ValidationError) as err:
        validators.validate_endorsement_key("c2hvcnQ=")
    assert err.value.messages == [tpm.TOO_SHORT.format(n=5, min=12)]


@pytest.mark.parametrize("make", [rsa_public, ecc_public])
def test_a_legacy_little_endian_dump_is_named_and_the_conversion_given(make):
    public = make()
    # A little-endian dump: every number written low byte first (here the size, type, name algorithm, attributes).
    le = struct.pack("<HHHI", len(public), *struct.unpack(">HHI", public[:8])) + public[8:]
    message = refused(base64.b64encode(le).decode())
    assert message == (
        f"The endorsement key's numbers are in little-endian byte order (its size prefix reads {len(public)} only "
        "when its bytes are swapped): this is a legacy little-endian dump, but TPM 2.0 structures are big-endian. "
        "Export the TPM2B_PUBLIC again in TPM wire format (tpm2_readpublic -c 0x81010001 -f tss -o ek.pub, then "
        "base64 of ek.pub), or swap the bytes of every size, algorithm and attribute field of the dump."
    )
