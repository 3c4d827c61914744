"""Initial twin rules: IoT Hub twin limits that apply to an enrollment's initial twin
(DOCS iot-hub-devguide-device-twins.md; dps-reference §2).

- `tags` and `properties.desired` are JSON objects;
- keys: UTF-8, at most 1 KB, no `.`, `$`, space or control characters;
- depth at most 10, the top object counting as 1;
- size (UTF-8 bytes of compact JSON): tags at most 8 KB, desired properties at most 32 KB;
- no NUL character anywhere (PostgreSQL refuses it in JSON text), no unpaired surrogates and no
  NaN/Infinity (neither is JSON; PostgreSQL refuses both);
- numbers within IoT Hub's integer range, -4503599627370496 to 4503599627370495 (a larger whole
  number would also come back altered from PostgreSQL's jsonb, which stores 4.2e16 as an integer);
- typed JSON: a syntax error names line and column; a key given twice in one object is refused
  (JSON would silently keep only the last, losing what the user typed).
"""

import json
import math
import re
import sys
import unicodedata
from typing import Any

from .constants import TWIN_DESIRED_MAX_BYTES, TWIN_KEY_MAX_BYTES, TWIN_MAX_DEPTH, TWIN_TAGS_MAX_BYTES
from .exceptions import InvalidTwinError

NOT_AN_OBJECT = '{what} must be a JSON object such as {{"key": "value"}}, not {kind}.'
BAD_KEY_CHAR = "The key “{key}” contains {char}; twin keys cannot contain “.”, “$”, spaces or control characters."
EMPTY_KEY = 'A twin key cannot be empty. Give every entry a name, e.g. {"key": "value"}.'
LONG_KEY = "The key “{short}…” is {n} bytes long; twin keys are at most 1 KB (1,024 bytes of UTF-8). Shorten it."
NOT_TEXT_KEY = "The key {key!r} is not text; twin keys are strings."
TOO_DEEP = (
    "{what} are nested {depth} levels deep; the twin allows at most 10 levels (the top object counts as 1). "
    "Flatten the innermost objects."
)
TOO_LARGE = "{what} take {n} bytes as compact JSON; the limit is {limit} bytes. Remove some entries."
NUL_CHAR = "{what} contain a NUL character (\\u0000), which cannot be stored. Remove it."
SURROGATE = (
    "{what} contain an unpaired surrogate (\\u{code:04x}), which is not valid Unicode and cannot be stored. "
    "Remove it or write the whole character."
)
NOT_FINITE = "{what} contain the number {value}, which JSON cannot store. Use a finite number (or a string)."
TWIN_NUMBER_MIN, TWIN_NUMBER_MAX = -4503599627370496, 4503599627370495
NUMBER_BEYOND_TWIN_RANGE = (
    "{what} contain the number {value}; twin numbers must lie between -4503599627370496 and "
    "4503599627370495 (IoT Hub's limit). Use a smaller number, or a string."
)
NOT_JSON_VALUE = (
    "{what} contain a value of type {kind}, which is not JSON. Use strings, numbers, booleans, null, objects or arrays."
)
SYNTAX = 'Not valid JSON: {msg} at line {line}, column {col}. Fix the JSON there, e.g. {{"key": "value"}}.'
DUPLICATE_KEY = "The key “{key}” appears twice in the same object; JSON keeps only one of them. Remove or rename one."
NUMBER_TOO_LONG = "Not valid JSON here: a number has more than {digits:,} digits. Write it as a string instead."
NUMBER_OUT_OF_RANGE = "Not valid JSON here: the number {number} is out of range. Use a smaller number or a string."
NESTED_TOO_DEEP = "Not valid JSON here: it is nested far too deeply to read. The twin allows at most 10 levels."


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


class _BadConstant(ValueError):
    pass


class _BadNumber(ValueError):
    pass


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # e.g. 1e400: json would read it as Infinity
        raise _BadNumber(text)
    return value


def _refuse_constant(name: str) -> None:
    # json accepts NaN, Infinity and -Infinity, which are not JSON and which PostgreSQL refuses.
    raise _BadConstant(name)


_STRING_OR_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')


def _constant_position(text: str) -> int:
    """Offset of the first NaN/Infinity outside a string (json reads left to right, so it is the culprit)."""
    for match in _STRING_OR_CONSTANT.finditer(text):
        if match.group(1):
            return match.start(1)
    return 0


def parse_json_object(text: str, *, what: str) -> dict:
    """Parse user-typed JSON for a twin section. Blank means `{}`.

    Raises InvalidTwinError naming the line and column of a syntax error, a key given twice in one
    object (JSON would silently keep the last), NaN/Infinity, numbers too long to read, or saying
    the value is not an object. The parsed object still has to pass validate_twin_collection.
    """
    if text is None or not str(text).strip():
        return {}
    text = str(text)
    try:
        value = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant, parse_float=_finite_float
        )
    except json.JSONDecodeError as exc:
        raise InvalidTwinError(SYNTAX.format(msg=exc.msg, line=exc.lineno, col=exc.colno)) from exc
    except _BadConstant as exc:
        where = json.JSONDecodeError("", text, _constant_position(text))
        msg = f"{exc} is not a JSON value (use a number or a string)"
        raise InvalidTwinError(SYNTAX.format(msg=msg, line=where.lineno, col=where.colno)) from exc
    except _DuplicateKey as exc:
        raise InvalidTwinError(DUPLICATE_KEY.format(key=exc.key[:60])) from exc
    except _BadNumber as exc:
        raise InvalidTwinError(NUMBER_OUT_OF_RANGE.format(number=str(exc)[:40])) from exc
    except RecursionError as exc:
        raise InvalidTwinError(NESTED_TOO_DEEP) from exc
    except ValueError as exc:  # e.g. an integer longer than sys.get_int_max_str_digits()
        raise InvalidTwinError(NUMBER_TOO_LONG.format(digits=sys.get_int_max_str_digits())) from exc
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


def _describe(char: str) -> str:
    if char == " ":
        return "a space"
    if unicodedata.category(char) == "Cc":
        return f"a control character (U+{ord(char):04X})"
    return f"“{char}”"


def _check_key(key: Any) -> None:
    if not isinstance(key, str):
        raise InvalidTwinError(NOT_TEXT_KEY.format(key=key))
    if key == "":
        raise InvalidTwinError(EMPTY_KEY)
    for ch in key:
        if ch in ".$ " or unicodedata.category(ch) == "Cc":
            shown = key[:60].encode("unicode_escape").decode("ascii") if not key.isprintable() else key[:60]
            raise InvalidTwinError(BAD_KEY_CHAR.format(key=shown, char=_describe(ch)))
    size = len(key.encode("utf-8"))
    if size > TWIN_KEY_MAX_BYTES:
        raise InvalidTwinError(LONG_KEY.format(short=key[:30], n=size))


def _check_text(text: str, what: str) -> None:
    if "\x00" in text:
        raise InvalidTwinError(NUL_CHAR.format(what=what))
    for ch in text:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise InvalidTwinError(SURROGATE.format(what=what, code=ord(ch)))


def _walk(value: Any, what: str) -> int:
    """Check every key and value; return the depth of the deepest object (the top object is 1).

    Iterative, so absurdly deep input cannot exhaust the stack.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, depth)
            for key, child in node.items():
                if isinstance(key, str):
                    _check_text(key, what)
                _check_key(key)
                stack.append((child, depth + 1))
        elif isinstance(node, list | tuple):
            # An array is not an object: objects inside it sit at the array's own level.
            stack.extend((child, depth) for child in node)
        elif isinstance(node, str):
            _check_text(node, what)
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise InvalidTwinError(NOT_FINITE.format(what=what, value=node))
            if not TWIN_NUMBER_MIN <= node <= TWIN_NUMBER_MAX:
                raise InvalidTwinError(NUMBER_BEYOND_TWIN_RANGE.format(what=what, value=node))
        elif isinstance(node, int) and not isinstance(node, bool):
            if not TWIN_NUMBER_MIN <= node <= TWIN_NUMBER_MAX:
                shown = str(node) if node.bit_length() < 200 else "of more than 60 digits"
                raise InvalidTwinError(NUMBER_BEYOND_TWIN_RANGE.format(what=what, value=shown))
        elif node is not None and not isinstance(node, bool | int):
            raise InvalidTwinError(NOT_JSON_VALUE.format(what=what, kind=type(node).__name__))
    return deepest


def validate_twin_collection(value: Any, *, what: str, max_bytes: int) -> None:
    """Check one twin section (tags or desired properties) against the IoT Hub rules.

    `value` is the parsed JSON; raises InvalidTwinError with a message naming the rule broken:
    not an object; NUL, unpaired surrogates or non-finite numbers (not storable); a key empty,
    not text, with `.`, `$`, a space or a control character, or over 1 KB; deeper than 10 levels;
    larger than `max_bytes` as compact UTF-8 JSON.
    """
    if not isinstance(value, dict):
        raise InvalidTwinError(NOT_AN_OBJECT.format(what=what, kind=_kind(value)))
    depth = _walk(value, what)
    if depth > TWIN_MAX_DEPTH:
        raise InvalidTwinError(TOO_DEEP.format(what=what, depth=depth))
    try:
        compact = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except RecursionError as exc:  # pragma: no cover - deeper than Python can encode, already refused above
        raise InvalidTwinError(TOO_DEEP.format(what=what, depth=depth)) from exc
    size = len(compact.encode("utf-8"))
    if size > max_bytes:
        raise InvalidTwinError(TOO_LARGE.format(what=what, n=size, limit=max_bytes))


def validate_tags(value: Any) -> None:
    """Device tags: a JSON object of at most 8 KB (see validate_twin_collection)."""
    validate_twin_collection(value, what="Device tags", max_bytes=TWIN_TAGS_MAX_BYTES)


def validate_desired_properties(value: Any) -> None:
    """Desired properties: a JSON object of at most 32 KB (see validate_twin_collection)."""
    validate_twin_collection(value, what="Desired properties", max_bytes=TWIN_DESIRED_MAX_BYTES)
