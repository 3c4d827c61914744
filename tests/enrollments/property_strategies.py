"""Hypothesis strategies shared by the property tests (`test_enrollments_properties.py` of services/,
`test_wizard_properties.py` of views/).

Each strategy mixes values that follow a DPS rule, values right at its limits and arbitrary ones,
so that both successes and refusals occur. `http=True` variants leave out unpaired surrogates,
which no browser can send (they are not encodable as UTF-8).
"""

import base64
import json
import string

from hypothesis import strategies as st

DPS_ID_ALPHABET = string.ascii_letters + string.digits + "-._:"
DEVICE_ID_ALPHABET = string.ascii_letters + string.digits + "-.%_*?!(),:=@$'"

any_char = st.characters(exclude_categories=[])  # every code point: NUL and surrogates included
http_char = st.characters(exclude_categories=["Cs"])  # what a browser can post


def chars(http: bool):
    return http_char if http else any_char


def dps_ids(http: bool = False):
    """Registration IDs / group names: valid ones, 120–135 × `a`, the issue's small inputs, junk."""
    return st.one_of(
        st.text(st.one_of(st.sampled_from(DPS_ID_ALPHABET), chars(http)), max_size=140),
        st.text(st.sampled_from(DPS_ID_ALPHABET), min_size=1, max_size=140),
        st.integers(120, 135).map(lambda n: "a" * n),
        st.sampled_from(["DEVICE001", "dev.01:a_b-c", "grp-", "x.", "x:", "x_", "", " a", "a\x00"]),
    )


def device_ids(http: bool = False):
    return st.one_of(
        st.text(st.sampled_from(DEVICE_ID_ALPHABET), max_size=135),
        st.text(chars(http), max_size=20),
    )


def symmetric_keys(http: bool = False):
    """Keys: base64 of 0–100 bytes (16–64 valid), excess padding, NUL, junk."""
    junk = ["a\x00b", "", " ", "AAAA====", "not base64!"] + ([] if http else ["\ud800" * 4])
    return st.one_of(
        st.binary(min_size=0, max_size=100).map(lambda b: base64.b64encode(b).decode()),
        st.integers(10, 70).map(lambda n: base64.b64encode(b"k" * n).decode()),
        st.text(chars(http), max_size=100),
        st.binary(min_size=10, max_size=70).map(lambda b: base64.b64encode(b).decode().rstrip("=") + "===="),
        st.sampled_from(junk),
    )


def endorsement_keys(valid: str, http: bool = False):
    """TPM endorsement keys: the valid vector, truncations, single-byte changes, short keys, junk."""
    raw = base64.b64decode(valid)
    return st.one_of(
        st.just(valid),
        st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()),
        st.integers(0, len(raw)).map(lambda n: base64.b64encode(raw[:n]).decode()),
        st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 255)).map(
            lambda t: base64.b64encode(raw[: t[0]] + bytes([t[1]]) + raw[t[0] + 1 :]).decode()
        ),
        st.text(chars(http), max_size=30),
    )


def json_keys(http: bool = False):
    return st.one_of(
        st.text(chars(http), max_size=8), st.sampled_from(["version", "a.b", "$x", "a b", "", "\x00", "k\t"])
    )


def json_values(http: bool = False):
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(chars(http), max_size=20),
    )
    return st.recursive(
        leaves,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(json_keys(http), children, max_size=3),
        max_leaves=12,
    )


def nested(levels: int) -> dict:
    """An object `levels` deep, the top object counting as 1."""
    value: dict = {"leaf": 1}
    for i in range(levels - 1):
        value = {f"l{i}": value}
    return value


def padded(total: int) -> dict:
    """An object of exactly `total` bytes as compact JSON (`{"k":"…"}` is 8 bytes around the value)."""
    return {"k": "x" * max(total - 8, 0)}


def twins(http: bool = False):
    """Twin sections as Python values: objects, 1–14 levels deep, around 8 KB and 32 KB, non-objects."""
    return st.one_of(
        st.dictionaries(json_keys(http), json_values(http), max_size=4),
        st.integers(1, 14).map(nested),
        st.sampled_from([8180, 8192, 8193, 32768, 32769]).map(padded),
        json_values(http),
    )


def corrupt(text: str, draw) -> str:
    """Delete, insert or replace one character of otherwise valid JSON text."""
    if not text:
        return text
    i = draw(st.integers(0, len(text) - 1))
    how = draw(st.sampled_from(["delete", "insert", "replace"]))
    if how == "delete":
        return text[:i] + text[i + 1 :]
    char = draw(st.sampled_from(list('{}[]":,\\ 0aN\x00')))
    return text[:i] + char + text[i + (how == "replace") :]


@st.composite
def twin_texts(draw, http: bool = False):
    """Twins typed as text: JSON of a twin (compact or indented, escaped or not), maybe corrupted by
    one character, or arbitrary text."""
    value = draw(twins(http))
    try:
        text = json.dumps(value, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 2])))
    except ValueError:  # pragma: no cover - json.dumps accepts NaN by default
        text = str(value)
    if draw(st.booleans()):
        text = corrupt(text, draw)
    if draw(st.integers(0, 9)) == 0:
        text = draw(st.text(chars(http), max_size=40))
    return text


def webhook_urls(http: bool = False):
    return st.one_of(
        st.builds(
            lambda host, path, query: f"https://{host}/{path}?{query}",
            st.sampled_from(["fn.azurewebsites.net", "127.0.0.1:7071", "h"]),
            st.text(st.sampled_from(string.ascii_letters + "/-_.%"), max_size=20),
            st.text(st.sampled_from(string.ascii_letters + string.digits + "=&%+;/?#"), max_size=60),
        ),
        st.text(chars(http), max_size=60),
        st.sampled_from(["", "ftp://h/x", "https://", "https://h/" + "a" * 2040, "https://h/?code=a b"]),
    )


api_versions = st.one_of(
    st.sampled_from(["2021-10-01", "2018-09-01-preview", "2018-08-31", "2019-03-31", "latest", "", "2021-02-30"]),
    st.text(http_char, max_size=70),
)
policies = st.sampled_from([None, "hashed", "geoLatency", "static", "custom", "bogus", ""])
booleanish = st.one_of(st.none(), st.booleans(), st.sampled_from(["yes", "true", "1", "", "maybe"]))
statuses = st.one_of(st.sampled_from(["enabled", "disabled", "", None, "Enabled"]), st.text(max_size=10))
