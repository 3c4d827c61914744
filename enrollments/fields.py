"""Model fields of the enrollments app.

`JsonTextField` keeps a JSON-serialisable value as JSON *text* in a text column, for values that
must survive exactly as typed: PostgreSQL's `jsonb` (Django's JSONField) refuses the character
U+0000 anywhere in a string, so a user who typed (or pasted) a NUL into a wizard field got a 500
instead of the field's validation error (nothing typed is lost). `json.dumps` writes every
control character, NUL included, as a `\\u0000`-style escape and (with `ensure_ascii`) every
non-ASCII character as an escape too, so the column only ever holds printable ASCII that any
database stores, and `json.loads` gives back exactly the value that was saved.
"""

import json
from typing import Any

from django.db import models


class JsonTextField(models.TextField):
    """A JSON value (dict, list, str, number, bool, None) stored as JSON text in a TEXT column.

    The attribute is the decoded value, like `models.JSONField`; nothing but whole-value reads and
    writes is supported (no key lookups in queries). Text that is not valid JSON (which only a
    hand-edited row can hold) raises `json.JSONDecodeError` on load.
    """

    description = "A JSON value stored as JSON text (any string survives, U+0000 included)"

    def from_db_value(self, value: str | None, expression, connection) -> Any:
        if value is None:
            return None
        return json.loads(value)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=True, separators=(",", ":"))

    def value_to_string(self, obj) -> str:
        return self.get_prep_value(self.value_from_object(obj)) or ""
