"""Keyset (seek) paging and the index-backed prefix filter of the portal's lists.

Why not Django's `Paginator`: it runs a full `COUNT(*)` and pages with `OFFSET`, so page 500 of a
million-row table reads 10,000 rows first. Here a page is "the next `size` rows whose sort key is
greater than the last one shown" (`WHERE key > :after ORDER BY key LIMIT size + 1`), which an index
on the key answers by seeking, whatever the page's depth; the total is a capped count
(`COUNT(*)` over at most `COUNT_CAP + 1` rows, shown as "1,000+").

The sort key is the name in lower case compared byte by byte (`expressions.SortKey`): registration IDs and group
names are unique ignoring case, so the key is unique and needs no tie-breaker. A case-insensitive
prefix filter is the key range `prefix <= key < prefix_upper_bound(prefix)`, which the same index
serves (a `LIKE 'abc%'` on an expression is not index-optimised by SQLite, and on PostgreSQL only
in the C collation). The indexes: see migration 0002 and `RegistrationRecord.Meta.indexes`.

`Last` lines up with paging forward from `First`: pages are cut every `size` rows from the start, so
the last page holds the remainder (`last_page_length`), and `Previous` from it walks back over exactly
the pages `Next` walked forward over. That needs the exact number of matching rows, so the `Last`
page (only it) counts them all instead of up to the cap: still two queries, the count an index-only
scan of the filtered range.

Everything but `keyset_paginate` is pure (no ORM) and unit-tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
PAGE_SIZE_CHOICES = (10, 20, 50, 100)
COUNT_CAP = 1000
# Past the last Unicode code point nothing can follow: such a prefix has no upper bound.
_MAX_CODE_POINT = 0x10FFFF


def normalize_prefix(raw: str | None) -> str:
    """The filter box's text as a sort-key prefix: surrounding spaces removed, lower case."""
    return (raw or "").strip().lower()


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with `prefix` (code point order).

    `"abc"` → `"abd"`; trailing U+10FFFF characters are dropped before incrementing; `None` when no
    bound exists (empty prefix, or only U+10FFFF). Surrogates are skipped: they are not valid text.
    """
    chars = list(prefix)
    while chars and ord(chars[-1]) == _MAX_CODE_POINT:
        chars.pop()
    if not chars:
        return None
    following = ord(chars[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:
        following = 0xE000
    chars[-1] = chr(following)
    return "".join(chars)


def prefix_range(prefix: str) -> tuple[str, str | None]:
    """(low, high) such that `low <= key < high` (high None: unbounded) holds exactly for keys
    starting with `prefix`, in code point order."""
    return prefix, prefix_upper_bound(prefix)


def parse_page_size(raw: Any, default: int = DEFAULT_PAGE_SIZE) -> int:
    """`page_size` from the query string, clamped to 1..MAX_PAGE_SIZE; junk gives the default."""
    try:
        size = int(raw)
    except (TypeError, ValueError):
        return default
    return max(1, min(MAX_PAGE_SIZE, size))


def format_count(count: int, *, cap: int | None = None) -> str:
    """A capped count for display: `"1,234"` up to the cap (default COUNT_CAP), `"1,000+"` beyond it."""
    cap = COUNT_CAP if cap is None else cap
    if count > cap:
        return f"{cap:,}+"
    return f"{count:,}"


@dataclass(frozen=True)
class PageRequest:
    """Which page to show: after a key, before a key, the last page, or (none of them) the first.

    From the query string `after=<key>`, `before=<key>`, `last=1`, `page_size=<n>`.
    """

    after: str | None = None
    before: str | None = None
    last: bool = False
    size: int = DEFAULT_PAGE_SIZE

    @classmethod
    def from_query(cls, query) -> PageRequest:
        """Build from a QueryDict or dict. `after` wins over `before`, which wins over `last`."""
        after = query.get("after") or None
        before = None if after else (query.get("before") or None)
        last = not after and not before and query.get("last") == "1"
        return cls(after=after, before=before, last=last, size=parse_page_size(query.get("page_size")))

    @property
    def descending(self) -> bool:
        """True when the query reads backwards from the end (previous or last page)."""
        return self.before is not None or self.last


def last_page_length(total: int, size: int) -> int:
    """How many rows the last page holds when pages are cut every `size` rows from the first row:
    the remainder of `total / size`, or a full page when it divides evenly (0 for no rows).

    `last_page_length(7, 3) == 1` (pages 3, 3, 1); `last_page_length(6, 3) == 3`.
    """
    if total <= 0:
        return 0
    return total % size or size


def window(rows: list, request: PageRequest, length: int | None = None) -> tuple[list, bool, bool]:
    """Cut `rows` (fetched as `length + 1` rows in the request's direction; `length` defaults to
    the page size, the last page passes `last_page_length`) into the page's items.

    Returns (items in ascending order, has_previous, has_next). The extra row only tells that more
    rows exist in the reading direction; the other direction is known from the request itself.
    """
    length = request.size if length is None else length
    more = len(rows) > length
    items = list(rows[:length])
    if request.descending:
        items.reverse()
        return items, more, request.before is not None
    return items, request.after is not None, more


def querystring(params: dict[str, Any], **updates: Any) -> str:
    """`?a=1&b=2` from `params` with `updates` applied; None or "" values are left out."""
    merged = {**params, **updates}
    pairs = [(k, v) for k, v in merged.items() if v not in (None, "")]
    return "?" + urlencode(pairs) if pairs else "?"


@dataclass
class KeysetPage:
    """One page of a keyset-paginated list, with links to its neighbours.

    `items`: the rows, ascending by key. `count`: rows matching the filter, capped at
    `COUNT_CAP + 1` (see `count_display`). `params`: the query parameters to keep in links
    (filter text, page size, group...).
    """

    items: list
    has_previous: bool
    has_next: bool
    first_key: str | None
    last_key: str | None
    size: int
    count: int
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def count_display(self) -> str:
        return format_count(self.count)

    @property
    def count_is_capped(self) -> bool:
        return self.count > COUNT_CAP

    def _link(self, **updates: Any) -> str:
        base = {k: v for k, v in self.params.items() if k not in ("after", "before", "last")}
        if self.size != DEFAULT_PAGE_SIZE:
            base["page_size"] = self.size
        return querystring(base, **updates)

    @property
    def first_url(self) -> str:
        return self._link()

    @property
    def previous_url(self) -> str | None:
        return self._link(before=self.first_key) if self.has_previous and self.first_key is not None else None

    @property
    def next_url(self) -> str | None:
        return self._link(after=self.last_key) if self.has_next and self.last_key is not None else None

    @property
    def last_url(self) -> str:
        return self._link(last="1")

    @property
    def current_url(self) -> str:
        """This page's own query string (to come back here after a bulk action)."""
        return querystring(self.params)


def keyset_paginate(
    queryset: QuerySet, *, key: str, request: PageRequest, params: dict[str, Any] | None = None
) -> KeysetPage:
    """One page of `queryset` ordered by its annotation `key` (unique, e.g. a `SortKey`).

    Runs exactly two queries whatever the table size or page depth: the count and the page itself
    (`WHERE key > :after ORDER BY key LIMIT size + 1`, or the reverse for earlier pages). The count
    is capped at `COUNT_CAP + 1` rows, except on the last page: it needs the exact total to hold
    the remainder (`last_page_length`), so that `Last` then `Previous` shows the same pages as
    `First` then `Next`. Annotations the rows need (e.g. a status subquery) belong to `queryset`
    and ride in the page query.
    """
    length = request.size
    if request.last:
        count = queryset.order_by().count()
        length = last_page_length(count, request.size) or request.size
    else:
        count = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
    page_qs = queryset
    if request.after is not None:
        page_qs = page_qs.filter(**{f"{key}__gt": request.after})
    elif request.before is not None:
        page_qs = page_qs.filter(**{f"{key}__lt": request.before})
    page_qs = page_qs.order_by(f"-{key}" if request.descending else key)
    rows = list(page_qs[: length + 1])
    items, has_previous, has_next = window(rows, request, length)
    return KeysetPage(
        items=items,
        has_previous=has_previous,
        has_next=has_next,
        # An empty page (a stale cursor) still links back to where it came from.
        first_key=getattr(items[0], key) if items else request.after,
        last_key=getattr(items[-1], key) if items else request.before,
        size=request.size,
        count=count,
        params=dict(params or {}),
    )
