"""Header-based query paging, as DPS does it (environment.md §4).

The client may send `x-ms-max-item-count` (page size) and `x-ms-continuation` (the token of the
previous page). Each answer is a JSON array; `x-ms-continuation` is set only when more items
follow, so clients stop when it is absent.

The token is a keyset position, not an offset: the sort key (ID in lower case, then primary key)
of the last item sent, signed with the server's secret (django.core.signing) and bound to the query
it came from. The next page starts strictly after that position, so records inserted or deleted
during an iteration never make it skip or repeat a record that existed throughout; a token that is
altered, or sent to another query, is refused with 400.
"""

from dataclasses import dataclass

from django.core import signing
from django.db.models import Q
from django.db.models.functions import Lower

from .errors import INVALID_BODY, INVALID_CONTINUATION, ApiError

DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 1000
_SALT = "enrollments.api.paging.continuation"
BAD_TOKEN = "x-ms-continuation is not a token this service issued for this query. Start again without it."


@dataclass(frozen=True)
class Page:
    items: list
    continuation: str | None
    page_size: int


def _page_size(request) -> int:
    raw_size = request.headers.get("x-ms-max-item-count")
    size = DEFAULT_PAGE_SIZE
    if raw_size not in (None, ""):
        # ASCII digits only: int() would also take "٣", "+5", " 5" and "1_0".
        size = int(raw_size) if raw_size.isascii() and raw_size.isdigit() else 0
        if size < 1:
            raise ApiError(400, INVALID_BODY, "x-ms-max-item-count must be a positive whole number.")
        size = min(size, MAX_PAGE_SIZE)
    return size


def paginate(queryset, request, *, key_field: str, scope: str) -> Page:
    """One page of `queryset` in (lower(`key_field`), pk) order, after the request's token.

    `scope` names the query (e.g. `enrollments`, `registrations:grp1`): a token is only valid for
    the scope that issued it. Raises ApiError 400 for a page size that is not a positive integer or
    a token this service did not issue for this scope.
    """
    size = _page_size(request)
    queryset = queryset.annotate(_page_key=Lower(key_field)).order_by("_page_key", "pk")
    raw_token = request.headers.get("x-ms-continuation") or ""
    if raw_token:
        try:
            position = signing.loads(raw_token, salt=_SALT)
            token_scope, key, pk = position["s"], position["k"], position["p"]
            if token_scope != scope or not isinstance(key, str) or not isinstance(pk, int):
                raise ValueError
        except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
            raise ApiError(400, INVALID_CONTINUATION, BAD_TOKEN) from exc
        queryset = queryset.filter(Q(_page_key__gt=key) | Q(_page_key=key, pk__gt=pk))
    items = list(queryset[: size + 1])
    more = len(items) > size
    items = items[:size]
    token = None
    if more:
        last = items[-1]
        token = signing.dumps({"s": scope, "k": last._page_key, "p": last.pk}, salt=_SALT, compress=True)
    return Page(items=items, continuation=token, page_size=size)


def paging_headers(page: Page, item_type: str) -> dict[str, str]:
    """Response headers of a query page: item type, page size and (when more follow) continuation."""
    headers = {"x-ms-item-type": item_type, "x-ms-max-item-count": str(page.page_size)}
    if page.continuation:
        headers["x-ms-continuation"] = page.continuation
    return headers
