"""The service API's JSON body parser: DRF's, plus a nesting limit.

Python's JSON reader recurses once per array or object level, so a body nested about a thousand
levels deep would end in RecursionError (a 500) here or in any code that walks the parsed value.
No DPS body needs more than a few levels (an initial twin allows 10, inside an enrollment inside a
bulk operation), so a body nested deeper than MAX_DEPTH is refused with DPS's 400.
"""

from rest_framework.parsers import JSONParser

from .errors import INVALID_BODY, ApiError

MAX_DEPTH = 64
TOO_DEEP = (
    "The request body is nested more than {limit} levels deep (objects and arrays within each other); "
    "DPS bodies need far fewer (an initial twin allows 10). Flatten it."
)


def deeper_than(value, limit: int) -> bool:
    """Whether `value` (parsed JSON) nests objects and arrays more than `limit` levels deep; a
    scalar is 0 levels, `{}` and `[]` are 1. Iterative, so any depth is measured without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class DpsJsonParser(JSONParser):
    """JSONParser refusing bodies nested more than MAX_DEPTH levels (ApiError 400, INVALID_BODY)."""

    def parse(self, stream, media_type=None, parser_context=None):
        too_deep = ApiError(400, INVALID_BODY, TOO_DEEP.format(limit=MAX_DEPTH))
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        if deeper_than(data, MAX_DEPTH):
            raise too_deep
        return data
