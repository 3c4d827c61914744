"""Initial twin rules (enrollments/twin.py): IoT Hub twin limits on tags and desired properties."""

import json

import pytest

from enrollments import twin
from enrollments.exceptions import InvalidTwinError


def nested(levels: int) -> dict:
    """An object `levels` deep, the top object counting as 1."""
    value: dict = {"leaf": 1}
    for i in range(levels - 1):
        value = {f"l{i}": value}
    return value


def refused(value, validator=twin.validate_desired_properties) -> str:
    with pytest.raises(InvalidTwinError) as err:
        validator(value)
    return str(err.value)


def parse_refused(text: str) -> str:
    with pytest.raises(InvalidTwinError) as err:
        twin.parse_json_object(text, what="Device tags")
    return str(err.value)


# --- parsing typed JSON ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n", None])
def test_blank_text_means_an_empty_object(text):
    assert twin.parse_json_object(text, what="Device tags") == {}


def test_ordinary_keys_such_as_version_parse_and_validate():
    value = twin.parse_json_object('{"version": "2.1"}', what="Device tags")
    assert value == {"version": "2.1"}
    twin.validate_tags(value)


def test_syntax_error_names_line_and_column():
    message = parse_refused('{\n  "a": 1,\n  "b" 2\n}')
    assert (
        message
        == 'Not valid JSON: Expecting \':\' delimiter at line 3, column 7. Fix the JSON there, e.g. {"key": "value"}.'
    )


def test_unterminated_object_names_line_and_column():
    assert "at line 1, column 9" in parse_refused('{"a": 1 ')


def test_single_quotes_are_a_syntax_error():
    assert "Expecting property name enclosed in double quotes at line 1, column 2" in parse_refused("{'a': 1}")


@pytest.mark.parametrize(
    "text, kind",
    [("[1, 2]", "an array"), ('"x"', "a string"), ("3", "a number"), ("true", "a boolean"), ("null", "null")],
)
def test_top_level_must_be_an_object(text, kind):
    assert parse_refused(text) == f'Device tags must be a JSON object such as {{"key": "value"}}, not {kind}.'


def test_a_key_given_twice_is_refused_rather_than_silently_dropped():
    assert parse_refused('{"a": 1, "b": {"c": 1, "c": 2}}') == twin.DUPLICATE_KEY.format(key="c")


@pytest.mark.parametrize("constant, col", [("NaN", 12), ("Infinity", 12), ("-Infinity", 12)])
def test_nan_and_infinity_are_not_json(constant, col):
    message = parse_refused('{"a": "NaN", "b": ' + constant + "}")
    assert message.startswith(f"Not valid JSON: {constant} is not a JSON value")
    assert "at line 1, column 19" in message


def test_number_out_of_range_is_refused():
    assert parse_refused('{"a": 1e400}') == twin.NUMBER_OUT_OF_RANGE.format(number="1e400")


def test_number_with_too_many_digits_is_refused():
    assert "more than 4,300 digits" in parse_refused('{"a": ' + "9" * 5000 + "}")


def test_absurd_nesting_is_refused_without_crashing():
    assert parse_refused("[" * 200_000) == twin.NESTED_TOO_DEEP


# --- keys ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, shown",
    [
        ("a.b", "“.”"),
        ("$version", "“$”"),
        ("a b", "a space"),
        ("a\tb", "a control character (U+0009)"),
        ("a\x7f", "a control character (U+007F)"),
        ("a\x85", "a control character (U+0085)"),
    ],
)
def test_keys_cannot_contain_dot_dollar_space_or_control_characters(key, shown):
    message = refused({"outer": {key: 1}})
    assert f"contains {shown}; twin keys cannot contain" in message


def test_empty_key_is_refused():
    assert refused({"": 1}) == twin.EMPTY_KEY


def test_keys_are_at_most_1_kb_of_utf8():
    twin.validate_desired_properties({"k" * 1024: 1})
    assert "is 1025 bytes long; twin keys are at most 1 KB" in refused({"k" * 1025: 1})
    # 342 three-byte characters are 1,026 bytes though only 342 characters.
    assert "is 1026 bytes long" in refused({"€" * 342: 1})


def test_unicode_keys_are_fine():
    twin.validate_tags({"température": 1, "名前": "x", "emoji😀": True})


def test_non_text_keys_from_python_are_refused():
    assert refused({1: "a"}) == twin.NOT_TEXT_KEY.format(key=1)


# --- depth -------------------------------------------------------------------------------------------


def test_depth_10_is_accepted_and_11_refused():
    twin.validate_desired_properties(nested(10))
    assert refused(nested(11)) == twin.TOO_DEEP.format(what="Desired properties", depth=11)
    twin.validate_tags(nested(10))
    assert "Device tags are nested 11 levels" in refused(nested(11), twin.validate_tags)


def test_depth_counts_the_deepest_branch():
    value = {"shallow": 1, "deep": nested(10)}
    assert "nested 11 levels" in refused(value)


def test_objects_inside_arrays_sit_at_the_arrays_level():
    twin.validate_desired_properties({"a": [[nested(9)]]})
    assert "nested 11 levels" in refused({"a": [nested(10)]})


def test_very_deep_python_structures_are_refused_without_recursion():
    value: dict = {}
    for _ in range(50_000):
        value = {"a": value}
    assert "nested 50001 levels" in refused(value)


# --- size -------------------------------------------------------------------------------------------


def compact_size(value) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def padded(total: int) -> dict:
    value = {"k": ""}
    value["k"] = "x" * (total - compact_size(value))
    assert compact_size(value) == total
    return value


def test_tags_are_at_most_8_kb_of_compact_json():
    twin.validate_tags(padded(8192))
    assert refused(padded(8193), twin.validate_tags) == twin.TOO_LARGE.format(what="Device tags", n=8193, limit=8192)


def test_desired_properties_are_at_most_32_kb_of_compact_json():
    twin.validate_desired_properties(padded(32768))
    assert "take 32769 bytes as compact JSON; the limit is 32768" in refused(padded(32769))


def test_size_counts_utf8_bytes_not_characters():
    value = {"k": "€" * 2731}  # 2,731 characters, 8,193 + 6 bytes
    assert len(json.dumps(value, ensure_ascii=False)) < 8192
    assert "bytes as compact JSON" in refused(value, twin.validate_tags)


def test_whitespace_does_not_count_toward_the_size():
    text = "{\n" + ",\n".join(f'    "k{i}":    "v"' for i in range(700)) + "\n}"
    assert len(text.encode()) > 8192
    twin.validate_tags(twin.parse_json_object(text, what="Device tags"))


# --- what cannot be stored -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [{"a": "x\x00y"}, {"a\x00": 1}, {"a": ["\x00"]}, {"a": {"b": "\x00"}}])
def test_nul_characters_are_refused_anywhere(value):
    assert "NUL character" in refused(value)


def test_nul_typed_as_an_escape_is_refused():
    assert "NUL character" in refused(twin.parse_json_object('{"a": "\\u0000"}', what="Desired properties"))


def test_a_literal_backslash_u0000_text_is_not_a_nul():
    value = twin.parse_json_object('{"a": "\\\\u0000"}', what="Desired properties")
    assert value == {"a": "\\u0000"}
    twin.validate_desired_properties(value)


def test_unpaired_surrogates_are_refused():
    value = twin.parse_json_object('{"a": "\\ud800"}', what="Desired properties")
    assert refused(value) == twin.SURROGATE.format(what="Desired properties", code=0xD800)


def test_paired_surrogates_are_a_character():
    value = twin.parse_json_object('{"a": "\\ud83d\\ude00"}', what="Desired properties")
    assert value == {"a": "😀"}
    twin.validate_desired_properties(value)


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_from_python_are_refused(number):
    assert "which JSON cannot store" in refused({"a": number})


def test_non_json_python_values_are_refused():
    assert "type set" in refused({"a": {1, 2}})


def test_every_json_type_is_fine_as_a_value():
    twin.validate_desired_properties({"s": "x", "i": -1, "f": 1.5, "t": True, "n": None, "a": [1, "x"], "o": {}})


def test_errors_are_distinct_per_rule():
    messages = {
        refused({"a.b": 1}),
        refused({"": 1}),
        refused({"k" * 1025: 1}),
        refused(nested(11)),
        refused(padded(32769)),
        refused({"a": "\x00"}),
        refused([]),
    }
    assert len(messages) == 7


@pytest.mark.parametrize("number", [4503599627370495, -4503599627370496, 4503599627370495.0, 1.5e15, 0.1])
def test_numbers_within_the_twin_range_are_accepted(number):
    twin.validate_tags({"n": number})


@pytest.mark.parametrize(
    "number",
    [4503599627370496, -4503599627370497, 4.220729354559759e16, 1e300, 10**400, pytest.param(10**5000, id="10**5000")],
)
def test_numbers_beyond_the_twin_range_are_refused(number):
    # 4.220729354559759e16 would come back from PostgreSQL's jsonb as the integer 42207293545597590.
    with pytest.raises(InvalidTwinError, match="between -4503599627370496 and 4503599627370495"):
        twin.validate_tags({"n": number})
