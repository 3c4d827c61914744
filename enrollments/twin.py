"""Initial twin rules: IoT Hub twin limits that apply to an enrollment's initial twin
(DOCS iot-hub-devguide-device-twins.md; dps-reference §2).

- `tags` and `properties.desired` are JSON objects;
- keys: UTF-8, at most 1 KB, no `.`, `$`, space or control characters;
- depth at most 10, the top object counting as 1;
- size (UTF-8 bytes of compact JSON): tags at most 8 KB, desired properties at most 32 KB;
- no NUL character anywhere (PostgreSQL refuses it in JSON text).
"""

import json
from typing import Any

from .constants import TWIN_DESIRED_MAX_BYTES, TWIN_KEY_MAX_BYTES, TWIN_MAX_DEPTH, TWIN_TAGS_MAX_BYTES
from .exceptions import InvalidTwinError

NOT_AN_OBJECT = '{what} must be a JSON object such as {{"key": "value"}}, not {kind}.'
BAD_KEY_CHAR = "The key “{key}” contains {char}; twin keys cannot contain “.”, “$”, spaces or control characters."
EMPTY_KEY = "A twin key cannot be empty."
LONG_KEY = "The key “{short}…” is {n} bytes long; twin keys are at most 1 KB."
TOO_DEEP = "{what} are nested {depth} levels deep; the twin allows at most 10 levels (the top object counts as 1)."
TOO_LARGE = "{what} take {n} bytes as compact JSON; the limit is {limit} bytes. Remove some entries."
NUL_CHAR = "{what} contain a NUL character (\\u0000), which cannot be stored. Remove it."
SYNTAX = "Not valid JSON: {msg} at line {line}, column {col}."


def parse_json_object(text: str, *, what: str) -> dict:
    """Parse user-typed JSON for a twin section. Blank means `{}`.

    Raises InvalidTwinError naming the line and column of a syntax error, or saying the value is
    not an object.
    """
    if text is None or not str(text).strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidTwinError(SYNTAX.format(msg=exc.msg, line=exc.lineno, col=exc.colno)) from exc
    if not isinstance(value, dict):
        raise InvalidTwinError(NOT_AN_OBJECT.format(what=what, kind=_kind(value)))
    return value


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def _check_key(key: str) -> None:
    if key == "":
        raise InvalidTwinError(EMPTY_KEY)
    for ch in key:
        if ch in ".$ ":
            raise InvalidTwinError(BAD_KEY_CHAR.format(key=key[:60], char=f"“{ch}”" if ch != " " else "a space"))
        if ord(ch) < 32 or ord(ch) == 127:
            raise InvalidTwinError(
                BAD_KEY_CHAR.format(key=key[:60].encode("unicode_escape").decode(), char="a control character")
            )
    size = len(key.encode("utf-8"))
    if size > TWIN_KEY_MAX_BYTES:
        raise InvalidTwinError(LONG_KEY.format(short=key[:30], n=size))


def _depth_and_keys(value: Any, depth: int, what: str) -> None:
    if isinstance(value, dict):
        if depth > TWIN_MAX_DEPTH:
            raise InvalidTwinError(TOO_DEEP.format(what=what, depth=_max_depth(value, depth)))
        for key, child in value.items():
            _check_key(key)
            _depth_and_keys(child, depth + 1, what)
    elif isinstance(value, list):
        for child in value:
            _depth_and_keys(child, depth, what)


def _max_depth(value: Any, depth: int) -> int:
    if isinstance(value, dict) and value:
        return (
            max(_max_depth(v, depth + 1) for v in value.values())
            if any(isinstance(v, dict) for v in value.values())
            else depth
        )
    return depth


def validate_twin_collection(value: Any, *, what: str, max_bytes: int) -> None:
    """Check one twin section (tags or desired properties) against the IoT Hub rules.

    `value` is the parsed JSON; raises InvalidTwinError with a message naming the rule broken.
    """
    if not isinstance(value, dict):
        raise InvalidTwinError(NOT_AN_OBJECT.format(what=what, kind=_kind(value)))
    compact = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if "\x00" in compact or "\\u0000" in compact:
        raise InvalidTwinError(NUL_CHAR.format(what=what))
    _depth_and_keys(value, 1, what)
    size = len(compact.encode("utf-8"))
    if size > max_bytes:
        raise InvalidTwinError(TOO_LARGE.format(what=what, n=size, limit=max_bytes))


def validate_tags(value: Any) -> None:
    """Device tags: a JSON object of at most 8 KB (see validate_twin_collection)."""
    validate_twin_collection(value, what="Device tags", max_bytes=TWIN_TAGS_MAX_BYTES)


def validate_desired_properties(value: Any) -> None:
    """Desired properties: a JSON object of at most 32 KB (see validate_twin_collection)."""
    validate_twin_collection(value, what="Desired properties", max_bytes=TWIN_DESIRED_MAX_BYTES)
