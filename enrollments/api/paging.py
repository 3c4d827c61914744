"""Header-based query paging, as DPS does it (environment.md §4).

The client may send `x-ms-max-item-count` (page size) and `x-ms-continuation` (the token of the
previous page). Each answer is a JSON array; `x-ms-continuation` is set only when more items
follow, so clients stop when it is absent. The token is opaque to clients (here: the offset).
"""

from dataclasses import dataclass

from .errors import INVALID_BODY, INVALID_CONTINUATION, ApiError

DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Page:
    items: list
    continuation: str | None
    page_size: int


def paginate(queryset, request) -> Page:
    """Slice `queryset` (stably ordered) by the request's paging headers.

    Raises ApiError 400 for a page size that is not a positive integer or a token we never issued.
    """
    raw_size = request.headers.get("x-ms-max-item-count")
    size = DEFAULT_PAGE_SIZE
    if raw_size not in (None, ""):
        try:
            size = int(raw_size)
        except ValueError:
            size = 0
        if size < 1:
            raise ApiError(400, INVALID_BODY, "x-ms-max-item-count must be a positive whole number.")
        size = min(size, MAX_PAGE_SIZE)
    raw_token = request.headers.get("x-ms-continuation") or ""
    offset = 0
    if raw_token:
        if not raw_token.isdigit() or len(raw_token) > 12:
            raise ApiError(400, INVALID_CONTINUATION, "x-ms-continuation is not a token this service issued.")
        offset = int(raw_token)
    items = list(queryset[offset : offset + size + 1])
    more = len(items) > size
    return Page(items=items[:size], continuation=str(offset + size) if more else None, page_size=size)


def paging_headers(page: Page, item_type: str) -> dict[str, str]:
    """Response headers of a query page: item type, page size and (when more follow) continuation."""
    headers = {"x-ms-item-type": item_type, "x-ms-max-item-count": str(page.page_size)}
    if page.continuation:
        headers["x-ms-continuation"] = page.continuation
    return headers
