"""TPM attestation: parse a TPM endorsement key (EK) as DPS receives it (dps-reference §1.3, §2).

DPS takes the EK as base64 of a `TPM2B_PUBLIC` (the docs' example starts `AToAAQALAAMAsgAg…`, i.e.
size 0x013A, type RSA, nameAlg SHA-256, attributes 0x000300B2, a 32-byte policy). The layout, from
TPM 2.0 Library Part 2 (Structures) §12.2.5 TPMT_PUBLIC, §12.2.3.5 TPMS_RSA_PARMS, §12.2.3.6
TPMS_ECC_PARMS, all integers big-endian:

    TPM2B_PUBLIC  = size:u16, TPMT_PUBLIC (exactly `size` bytes)
    TPMT_PUBLIC   = type:u16, nameAlg:u16, objectAttributes:u32, authPolicy:TPM2B, parameters, unique
    RSA parameters = symmetric:TPMT_SYM_DEF_OBJECT, scheme:TPMT_RSA_SCHEME, keyBits:u16, exponent:u32
    ECC parameters = symmetric:TPMT_SYM_DEF_OBJECT, scheme:TPMT_ECC_SCHEME, curveID:u16, kdf:TPMT_KDF_SCHEME
    RSA unique     = modulus:TPM2B            ECC unique = x:TPM2B, y:TPM2B
    TPMT_SYM_DEF_OBJECT = algorithm:u16 [, keyBits:u16, mode:u16 unless algorithm is NULL]
    TPMT_*_SCHEME       = scheme:u16 [, hashAlg:u16 unless NULL or RSAES; ECDAA adds count:u16]

Only RSA and ECC keys can be endorsement keys; other object types are refused by name. Every
problem raises InvalidEndorsementKeyError whose message says what is wrong and where.
"""

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass

from ..exceptions import InvalidEndorsementKeyError

# TPM_ALG_ID values (TPM 2.0 Library Part 2 §6.3 and the TCG Algorithm Registry).
ALG_RSA = 0x0001
ALG_ECC = 0x0023
ALG_NULL = 0x0010
ALG_RSAES = 0x0015
ALG_ECDAA = 0x001A

OBJECT_TYPES = {
    0x0001: "RSA",
    0x0008: "KEYEDHASH (a keyed-hash object)",
    0x0023: "ECC",
    0x0025: "SYMCIPHER (a symmetric cipher object)",
}
HASH_ALGORITHMS = {  # name, digest size in bytes
    0x0004: ("SHA1", 20),
    0x000B: ("SHA256", 32),
    0x000C: ("SHA384", 48),
    0x000D: ("SHA512", 64),
    0x0012: ("SM3_256", 32),
    0x0027: ("SHA3_256", 32),
    0x0028: ("SHA3_384", 48),
    0x0029: ("SHA3_512", 64),
}
_HASHLIB_NAMES = {
    "SHA1": "sha1",
    "SHA256": "sha256",
    "SHA384": "sha384",
    "SHA512": "sha512",
    "SHA3_256": "sha3_256",
    "SHA3_384": "sha3_384",
    "SHA3_512": "sha3_512",
}
SYMMETRIC_ALGORITHMS = {0x0006: "AES", 0x0013: "SM4", 0x0026: "CAMELLIA"}
SYMMETRIC_MODES = {0x0040: "CTR", 0x0041: "OFB", 0x0042: "CBC", 0x0043: "CFB", 0x0044: "ECB"}
RSA_SCHEMES = {0x0014: "RSASSA", 0x0015: "RSAES", 0x0016: "RSAPSS", 0x0017: "OAEP"}
ECC_SCHEMES = {0x0018: "ECDSA", 0x0019: "ECDH", 0x001A: "ECDAA", 0x001B: "SM2", 0x001C: "ECSCHNORR", 0x001D: "ECMQV"}
KDF_SCHEMES = {0x0007: "MGF1", 0x0020: "KDF1_SP800_56A", 0x0021: "KDF2", 0x0022: "KDF1_SP800_108"}
CURVES = {  # name, coordinate size in bytes
    0x0001: ("NIST_P192", 24),
    0x0002: ("NIST_P224", 28),
    0x0003: ("NIST_P256", 32),
    0x0004: ("NIST_P384", 48),
    0x0005: ("NIST_P521", 66),
    0x0010: ("BN_P256", 32),
    0x0011: ("BN_P638", 80),
    0x0020: ("SM2_P256", 32),
}
RSA_KEY_BITS = (1024, 2048, 3072, 4096)
# TPMA_OBJECT bits (Part 2 §8.3); every other bit is reserved and must be clear.
OBJECT_ATTRIBUTES = {
    1: "fixedTPM",
    2: "stClear",
    4: "fixedParent",
    5: "sensitiveDataOrigin",
    6: "userWithAuth",
    7: "adminWithPolicy",
    10: "noDA",
    11: "encryptedDuplication",
    16: "restricted",
    17: "decrypt",
    18: "sign",
    19: "x509sign",
}
_RESERVED_ATTRIBUTE_MASK = 0xFFFFFFFF & ~sum(1 << bit for bit in OBJECT_ATTRIBUTES)

# The fixed part before the parameters: size, type, nameAlg, objectAttributes, authPolicy size.
MIN_BYTES = 2 + 2 + 2 + 4 + 2

HOW_TO = "Paste the endorsement key exactly as the TPM exports it: base64 of its TPM2B_PUBLIC (e.g. AToAAQALAAMAsgAg…)."
EMPTY = "The endorsement key is empty. " + HOW_TO
NOT_BASE64 = "The endorsement key is not valid base64: {detail}. " + HOW_TO
TOO_SHORT = (
    "The endorsement key decodes to only {n} bytes; a TPM2B_PUBLIC needs at least {min} bytes for its "
    "header alone (an RSA 2048 endorsement key is 316 bytes). " + HOW_TO
)
SIZE_MISMATCH = (
    "The endorsement key's size prefix says {declared} bytes but {actual} bytes follow. "
    "The key is truncated or has extra data: export it again."
)
LITTLE_ENDIAN = (
    "The endorsement key's numbers are in little-endian byte order (its size prefix reads {n} only when "
    "its bytes are swapped): this is a legacy little-endian dump, but TPM 2.0 structures are big-endian. "
    "Export the TPM2B_PUBLIC again in TPM wire format (tpm2_readpublic -c 0x81010001 -f tss -o ek.pub, "
    "then base64 of ek.pub), or swap the bytes of every size, algorithm and attribute field of the dump."
)
SIZE_MISMATCH_NO_PREFIX = (
    "The endorsement key has no TPM2B size prefix: it looks like a bare TPMT_PUBLIC of {n} bytes. "
    "DPS needs the TPM2B_PUBLIC, which starts with the 2-byte size ({n_hex})."
)
LOOKS_LIKE_DER = (
    "The endorsement key looks like a DER public key (SubjectPublicKeyInfo), not a TPM2B_PUBLIC. "
    "Export the EK's public area in TPM format instead (e.g. tpm2_readpublic -c 0x81010001 -f tss -o ek.pub, "
    "then base64 of ek.pub)."
)
UNSUPPORTED_TYPE = (
    "Unsupported key type 0x{code:04X} ({name}): an endorsement key is an RSA (0x0001) or ECC (0x0023) key."
)
UNKNOWN_TYPE = "Unknown key type 0x{code:04X}: an endorsement key is an RSA (0x0001) or ECC (0x0023) key."
UNKNOWN_NAME_ALG = (
    "Unknown name algorithm 0x{code:04X}: expected a hash algorithm such as SHA256 (0x000B) or SHA384 (0x000C)."
)
RESERVED_ATTRIBUTES = (
    "The object attributes 0x{value:08X} set reserved bits (0x{bits:08X}); a TPM never creates such a key."
)
BAD_POLICY_SIZE = (
    "The authorization policy is {n} bytes long; with name algorithm {alg} it must be empty or {size} bytes."
)
TRUNCATED = "The endorsement key ends early: {field} at byte {offset} needs {need} bytes but only {have} remain."
UNKNOWN_SYMMETRIC = (
    "Unknown symmetric algorithm 0x{code:04X} in the key's parameters (expected AES, SM4, CAMELLIA or NULL)."
)
UNKNOWN_MODE = "Unknown symmetric mode 0x{code:04X} in the key's parameters (expected CFB, CTR, OFB, CBC or ECB)."
BAD_SYMMETRIC_BITS = "The symmetric key size {bits} bits is not one of 128, 192 or 256."
UNKNOWN_SCHEME = "Unknown {kind} scheme 0x{code:04X} in the key's parameters."
UNKNOWN_SCHEME_HASH = "Unknown hash algorithm 0x{code:04X} in the key's {kind} scheme."
BAD_RSA_BITS = "Unsupported RSA key size {bits} bits (expected 1024, 2048, 3072 or 4096)."
UNKNOWN_CURVE = "Unknown ECC curve 0x{code:04X} (expected e.g. NIST_P256 0x0003 or NIST_P384 0x0004)."
BAD_MODULUS = "The RSA modulus is {n} bytes long but the key says {bits} bits ({expected} bytes)."
BAD_POINT = "The ECC point's {coord} coordinate is {n} bytes long; curve {curve} needs at most {size} bytes."
EMPTY_POINT = "The ECC point's {coord} coordinate is empty."
TRAILING = (
    "The endorsement key has {n} trailing bytes after its TPMT_PUBLIC structure ends (at byte {offset}). "
    "Export the key again without extra data."
)

_BASE64_CHARS = re.compile(r"[A-Za-z0-9+/=]")


@dataclass(frozen=True)
class EndorsementKeyInfo:
    """A parsed TPM endorsement key (TPM2B_PUBLIC).

    `key_type` is "RSA" or "ECC"; `name_algorithm` e.g. "SHA256"; `object_attributes` the raw
    TPMA_OBJECT and `attributes` the names of its set bits; `auth_policy` hex (may be "");
    `symmetric` e.g. "AES-128-CFB" or "NULL"; `scheme` e.g. "NULL" or "RSASSA-SHA256"; RSA keys
    have `key_bits` and `exponent` (65537 when stored as 0) and no `curve`; ECC keys have `curve`
    (e.g. "NIST_P256"), `key_bits` of the curve and `kdf`. `name` is the TPM object Name in hex
    (nameAlg ID followed by the digest of TPMT_PUBLIC), or "" for a hash hashlib lacks (SM3).
    `unique` is the public key (RSA modulus, or ECC x‖y) in hex.
    """

    key_type: str
    name_algorithm: str
    object_attributes: int
    attributes: tuple[str, ...]
    auth_policy: str
    symmetric: str
    scheme: str
    key_bits: int
    exponent: int | None
    curve: str | None
    kdf: str | None
    unique: str
    name: str

    @property
    def description(self) -> str:
        """Short summary for pages, e.g. `RSA 2048, SHA256`."""
        size = f"{self.key_bits}" if self.key_type == "RSA" else (self.curve or "")
        return f"{self.key_type} {size}, {self.name_algorithm}"


class _Reader:
    def __init__(self, data: bytes, offset: int = 0):
        self.data = data
        self.offset = offset

    def take(self, n: int, field: str) -> bytes:
        have = len(self.data) - self.offset
        if have < n:
            raise InvalidEndorsementKeyError(TRUNCATED.format(field=field, offset=self.offset, need=n, have=have))
        chunk = self.data[self.offset : self.offset + n]
        self.offset += n
        return chunk

    def u16(self, field: str) -> int:
        return struct.unpack(">H", self.take(2, field))[0]

    def u32(self, field: str) -> int:
        return struct.unpack(">I", self.take(4, field))[0]

    def tpm2b(self, field: str) -> bytes:
        size = self.u16(f"the size of {field}")
        return self.take(size, field)


def decode_endorsement_key(value: str) -> bytes:
    """Strict base64 decoding of an endorsement key (surrounding whitespace ignored).

    Raises InvalidEndorsementKeyError when empty or not base64 (naming the first bad character).
    """
    text = (value or "").strip()
    if not text:
        raise InvalidEndorsementKeyError(EMPTY)
    for index, char in enumerate(text):
        if not _BASE64_CHARS.fullmatch(char):
            if char == " ":
                shown = "a space"
            elif char in "\r\n":
                shown = "a line break"
            elif not char.isprintable() or 0xD800 <= ord(char) <= 0xDFFF:
                shown = f"U+{ord(char):04X}"
            else:
                shown = f"“{char}”"
            raise InvalidEndorsementKeyError(NOT_BASE64.format(detail=f"{shown} at position {index + 1}"))
    if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", text):
        raise InvalidEndorsementKeyError(NOT_BASE64.format(detail="“=” padding may only end it, at most twice"))
    if len(text) % 4:
        detail = f"its length {len(text)} is not a multiple of 4 (missing = padding or cut off)"
        raise InvalidEndorsementKeyError(NOT_BASE64.format(detail=detail))
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - the checks above cover strict base64
        raise InvalidEndorsementKeyError(NOT_BASE64.format(detail=str(exc))) from exc


def _hash(code: int, *, kind: str | None = None) -> tuple[str, int]:
    if code not in HASH_ALGORITHMS:
        if kind:
            raise InvalidEndorsementKeyError(UNKNOWN_SCHEME_HASH.format(code=code, kind=kind))
        raise InvalidEndorsementKeyError(UNKNOWN_NAME_ALG.format(code=code))
    return HASH_ALGORITHMS[code]


def _symmetric(reader: _Reader) -> str:
    algorithm = reader.u16("the symmetric algorithm")
    if algorithm == ALG_NULL:
        return "NULL"
    if algorithm not in SYMMETRIC_ALGORITHMS:
        raise InvalidEndorsementKeyError(UNKNOWN_SYMMETRIC.format(code=algorithm))
    bits = reader.u16("the symmetric key size")
    if bits not in (128, 192, 256):
        raise InvalidEndorsementKeyError(BAD_SYMMETRIC_BITS.format(bits=bits))
    mode = reader.u16("the symmetric mode")
    if mode not in SYMMETRIC_MODES:
        raise InvalidEndorsementKeyError(UNKNOWN_MODE.format(code=mode))
    return f"{SYMMETRIC_ALGORITHMS[algorithm]}-{bits}-{SYMMETRIC_MODES[mode]}"


def _scheme(reader: _Reader, schemes: dict[int, str], kind: str) -> str:
    scheme = reader.u16(f"the {kind} scheme")
    if scheme == ALG_NULL:
        return "NULL"
    if scheme not in schemes:
        raise InvalidEndorsementKeyError(UNKNOWN_SCHEME.format(kind=kind, code=scheme))
    if scheme == ALG_RSAES:  # TPMS_ENC_SCHEME_RSAES is empty
        return schemes[scheme]
    hash_name, _ = _hash(reader.u16(f"the {kind} scheme's hash algorithm"), kind=kind)
    if scheme == ALG_ECDAA:
        reader.u16("the ECDAA count")
    return f"{schemes[scheme]}-{hash_name}"


def parse_endorsement_key(value: str) -> EndorsementKeyInfo:
    """Parse a base64 TPM2B_PUBLIC endorsement key in full.

    Returns EndorsementKeyInfo. Raises InvalidEndorsementKeyError naming the first problem: empty,
    not base64, too short, size prefix disagreeing with the bytes that follow, unsupported or unknown
    key type, unknown name algorithm, reserved attribute bits, a policy of the wrong size, unknown
    parameters, a modulus or point of the wrong size, the structure ending early, or trailing bytes.
    """
    data = decode_endorsement_key(value)
    if len(data) < MIN_BYTES:
        raise InvalidEndorsementKeyError(TOO_SHORT.format(n=len(data), min=MIN_BYTES))
    declared = struct.unpack(">H", data[:2])[0]
    actual = len(data) - 2
    if declared != actual:
        if data[0] == 0x30 and data[1] in (0x81, 0x82):
            raise InvalidEndorsementKeyError(LOOKS_LIKE_DER)
        if declared in OBJECT_TYPES and struct.unpack(">H", data[2:4])[0] in HASH_ALGORITHMS:
            raise InvalidEndorsementKeyError(SIZE_MISMATCH_NO_PREFIX.format(n=len(data), n_hex=f"0x{len(data):04X}"))
        if struct.unpack("<H", data[:2])[0] == actual:
            raise InvalidEndorsementKeyError(LITTLE_ENDIAN.format(n=actual))
        raise InvalidEndorsementKeyError(SIZE_MISMATCH.format(declared=declared, actual=actual))

    reader = _Reader(data, 2)
    key_type = reader.u16("the key type")
    if key_type not in (ALG_RSA, ALG_ECC):
        if key_type in OBJECT_TYPES:
            raise InvalidEndorsementKeyError(UNSUPPORTED_TYPE.format(code=key_type, name=OBJECT_TYPES[key_type]))
        raise InvalidEndorsementKeyError(UNKNOWN_TYPE.format(code=key_type))
    name_alg, digest_size = _hash(reader.u16("the name algorithm"))
    attributes = reader.u32("the object attributes")
    if attributes & _RESERVED_ATTRIBUTE_MASK:
        raise InvalidEndorsementKeyError(
            RESERVED_ATTRIBUTES.format(value=attributes, bits=attributes & _RESERVED_ATTRIBUTE_MASK)
        )
    policy = reader.tpm2b("the authorization policy")
    if len(policy) not in (0, digest_size):
        raise InvalidEndorsementKeyError(BAD_POLICY_SIZE.format(n=len(policy), alg=name_alg, size=digest_size))

    symmetric = _symmetric(reader)
    exponent: int | None = None
    curve: str | None = None
    kdf: str | None = None
    if key_type == ALG_RSA:
        scheme = _scheme(reader, RSA_SCHEMES, "RSA")
        key_bits = reader.u16("the RSA key size")
        if key_bits not in RSA_KEY_BITS:
            raise InvalidEndorsementKeyError(BAD_RSA_BITS.format(bits=key_bits))
        exponent = reader.u32("the RSA exponent") or 65537
        modulus = reader.tpm2b("the RSA modulus")
        if len(modulus) != key_bits // 8:
            raise InvalidEndorsementKeyError(BAD_MODULUS.format(n=len(modulus), bits=key_bits, expected=key_bits // 8))
        unique = modulus
    else:
        scheme = _scheme(reader, ECC_SCHEMES, "ECC")
        curve_id = reader.u16("the ECC curve")
        if curve_id not in CURVES:
            raise InvalidEndorsementKeyError(UNKNOWN_CURVE.format(code=curve_id))
        curve, coordinate_size = CURVES[curve_id]
        key_bits = int(re.sub(r"\D", "", curve.rsplit("_", 1)[-1]))
        kdf_code = reader.u16("the KDF scheme")
        if kdf_code == ALG_NULL:
            kdf = "NULL"
        elif kdf_code in KDF_SCHEMES:
            kdf_hash, _ = _hash(reader.u16("the KDF scheme's hash algorithm"), kind="KDF")
            kdf = f"{KDF_SCHEMES[kdf_code]}-{kdf_hash}"
        else:
            raise InvalidEndorsementKeyError(UNKNOWN_SCHEME.format(kind="KDF", code=kdf_code))
        coordinates = []
        for coord in ("x", "y"):
            point = reader.tpm2b(f"the ECC point's {coord} coordinate")
            if not point:
                raise InvalidEndorsementKeyError(EMPTY_POINT.format(coord=coord))
            if len(point) > coordinate_size:
                raise InvalidEndorsementKeyError(
                    BAD_POINT.format(coord=coord, n=len(point), curve=curve, size=coordinate_size)
                )
            coordinates.append(point)
        unique = b"".join(coordinates)
    if reader.offset != len(data):
        raise InvalidEndorsementKeyError(TRAILING.format(n=len(data) - reader.offset, offset=reader.offset))

    hashlib_name = _HASHLIB_NAMES.get(name_alg)
    name = ""
    if hashlib_name:
        name_alg_id = data[4:6]
        name = (name_alg_id + hashlib.new(hashlib_name, data[2:]).digest()).hex().upper()
    return EndorsementKeyInfo(
        key_type="RSA" if key_type == ALG_RSA else "ECC",
        name_algorithm=name_alg,
        object_attributes=attributes,
        attributes=tuple(label for bit, label in sorted(OBJECT_ATTRIBUTES.items()) if attributes & (1 << bit)),
        auth_policy=policy.hex().upper(),
        symmetric=symmetric,
        scheme=scheme,
        key_bits=key_bits,
        exponent=exponent,
        curve=curve,
        kdf=kdf,
        unique=unique.hex().upper(),
        name=name,
    )
