"""Keyset paging and the prefix filter: pure helpers, selectors, and the index proof (EXPLAIN)."""

import pytest
from django.db import connection, transaction
from django.http import QueryDict

from enrollments import selectors
from enrollments.models import IndividualEnrollment
from enrollments.pagination import (
    COUNT_CAP,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    KeysetPage,
    PageRequest,
    format_count,
    keyset_paginate,
    last_page_length,
    normalize_prefix,
    parse_page_size,
    prefix_range,
    prefix_upper_bound,
    querystring,
    window,
)

# --- pure helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "bound"),
    [
        ("abc", "abd"),
        ("dev-", "dev."),
        ("a:", "a;"),
        ("z", "{"),
        ("", None),
        ("a\U0010ffff", "b"),
        ("\U0010ffff", None),
        ("a\ud7ff", "a\ue000"),
    ],
)
def test_prefix_upper_bound(prefix, bound):
    assert prefix_upper_bound(prefix) == bound


@pytest.mark.parametrize("key", ["abc", "abc-1", "abc\U0010ffff", "abcz" * 30])
def test_prefix_range_contains_every_key_with_the_prefix(key):
    low, high = prefix_range("abc")
    assert low <= key < high


@pytest.mark.parametrize("key", ["ab", "abb", "abd", "abd-1", "b", "ABC"])
def test_prefix_range_excludes_keys_without_the_prefix(key):
    low, high = prefix_range("abc")
    assert not (low <= key < high)


def test_normalize_prefix_strips_and_lowers():
    assert normalize_prefix("  Dev-A ") == "dev-a"
    assert normalize_prefix(None) == ""


@pytest.mark.parametrize(
    ("raw", "size"),
    [(None, DEFAULT_PAGE_SIZE), ("", DEFAULT_PAGE_SIZE), ("x", DEFAULT_PAGE_SIZE), ("5", 5), ("0", 1), ("-3", 1)],
)
def test_parse_page_size(raw, size):
    assert parse_page_size(raw) == size


def test_parse_page_size_is_capped():
    assert parse_page_size(str(MAX_PAGE_SIZE * 10)) == MAX_PAGE_SIZE


def test_format_count_caps():
    assert format_count(0) == "0"
    assert format_count(COUNT_CAP) == "1,000"
    assert format_count(COUNT_CAP + 1) == "1,000+"


def test_page_request_from_query():
    assert PageRequest.from_query(QueryDict("")) == PageRequest()
    assert PageRequest.from_query(QueryDict("after=b&before=a&last=1&page_size=5")) == PageRequest(after="b", size=5)
    assert PageRequest.from_query(QueryDict("before=a&last=1")) == PageRequest(before="a")
    assert PageRequest.from_query(QueryDict("last=1")).last is True


def test_window_forward_pages():
    first = PageRequest(size=2)
    assert window(["a", "b", "c"], first) == (["a", "b"], False, True)
    assert window(["a", "b"], first) == (["a", "b"], False, False)
    after = PageRequest(after="a", size=2)
    assert window(["b", "c", "d"], after) == (["b", "c"], True, True)
    assert window(["b"], after) == (["b"], True, False)


def test_window_backward_pages_come_back_in_ascending_order():
    before = PageRequest(before="d", size=2)
    assert window(["c", "b", "a"], before) == (["b", "c"], True, True)
    assert window(["c", "b"], before) == (["b", "c"], False, True)
    last = PageRequest(last=True, size=2)
    assert window(["e", "d", "c"], last) == (["d", "e"], True, False)
    assert window(["e", "d"], last, 1) == (["e"], True, False)


def test_querystring_drops_empty_values():
    assert querystring({"q": "", "page_size": 5}, after="dev-1") == "?page_size=5&after=dev-1"
    assert querystring({}) == "?"


def test_keyset_page_links_keep_filter_and_size():
    page = KeysetPage(
        items=[1, 2],
        has_previous=True,
        has_next=True,
        first_key="b",
        last_key="c",
        size=5,
        count=7,
        params={"q": "de v", "after": "a"},
    )
    assert page.next_url == "?q=de+v&page_size=5&after=c"
    assert page.previous_url == "?q=de+v&page_size=5&before=b"
    assert page.first_url == "?q=de+v&page_size=5"
    assert page.last_url == "?q=de+v&page_size=5&last=1"


def test_keyset_page_without_neighbours_has_no_links():
    page = KeysetPage(items=[], has_previous=False, has_next=False, first_key=None, last_key=None, size=20, count=0)
    assert page.next_url is None and page.previous_url is None
    assert page.count_display == "0"


# --- against the database ---------------------------------------------------------------------


def _make(*registration_ids):
    IndividualEnrollment.objects.bulk_create(
        [IndividualEnrollment(registration_id=rid, attestation_type="symmetricKey") for rid in registration_ids]
    )


def _ids(page):
    return [e.registration_id for e in page.items]


@pytest.mark.django_db
def test_keyset_next_and_previous_walk_the_whole_list():
    _make(*[f"dev-{i:02d}" for i in range(7)])
    qs = selectors.individual_enrollment_list()
    page1 = keyset_paginate(qs, key="sort_key", request=PageRequest(size=3))
    assert _ids(page1) == ["dev-00", "dev-01", "dev-02"]
    assert not page1.has_previous and page1.has_next
    page2 = keyset_paginate(qs, key="sort_key", request=PageRequest(after=page1.last_key, size=3))
    assert _ids(page2) == ["dev-03", "dev-04", "dev-05"]
    assert page2.has_previous and page2.has_next
    page3 = keyset_paginate(qs, key="sort_key", request=PageRequest(after=page2.last_key, size=3))
    assert _ids(page3) == ["dev-06"] and not page3.has_next
    back = keyset_paginate(qs, key="sort_key", request=PageRequest(before=page3.first_key, size=3))
    assert _ids(back) == _ids(page2) and back.has_previous and back.has_next
    back1 = keyset_paginate(qs, key="sort_key", request=PageRequest(before=back.first_key, size=3))
    assert _ids(back1) == _ids(page1) and not back1.has_previous
    last = keyset_paginate(qs, key="sort_key", request=PageRequest(last=True, size=3))
    assert _ids(last) == _ids(page3) and last.has_previous and not last.has_next
    assert page1.count == 7


def test_last_page_length_is_the_remainder_from_the_first_row():
    assert [last_page_length(total, 3) for total in range(8)] == [0, 1, 2, 3, 1, 2, 3, 1]
    assert last_page_length(1001, 20) == 1


def _walk(qs, first_request, step):
    pages, page = [], keyset_paginate(qs, key="sort_key", request=first_request)
    while True:
        pages.append(_ids(page))
        following = step(page)
        if following is None:
            return pages
        page = keyset_paginate(qs, key="sort_key", request=following)


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 8])
def test_last_then_previous_shows_the_pages_of_first_then_next(size):
    _make(*[f"dev-{i:02d}" for i in range(7)])
    qs = selectors.individual_enrollment_list()
    forward = _walk(
        qs, PageRequest(size=size), lambda p: PageRequest(after=p.last_key, size=size) if p.has_next else None
    )
    backward = _walk(
        qs,
        PageRequest(last=True, size=size),
        lambda p: PageRequest(before=p.first_key, size=size) if p.has_previous else None,
    )
    assert backward == forward[::-1]
    assert sum(forward, []) == [f"dev-{i:02d}" for i in range(7)]


@pytest.mark.django_db
def test_last_page_beyond_the_count_cap_counts_exactly(monkeypatch, django_assert_num_queries):
    import enrollments.pagination as pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    _make(*[f"d{i}" for i in range(8)])
    with django_assert_num_queries(2):
        last = keyset_paginate(
            selectors.individual_enrollment_list(), key="sort_key", request=PageRequest(last=True, size=3)
        )
    assert _ids(last) == ["d6", "d7"] and last.has_previous
    assert last.count_display == "3+"  # shown capped as on every other page


@pytest.mark.django_db
def test_last_page_of_an_empty_list():
    last = keyset_paginate(selectors.individual_enrollment_list(), key="sort_key", request=PageRequest(last=True))
    assert last.items == [] and not last.has_previous and not last.has_next


@pytest.mark.django_db
def test_sort_order_ignores_case():
    _make("b-2", "A-1", "a-3", "C-0")
    page = keyset_paginate(selectors.individual_enrollment_list(), key="sort_key", request=PageRequest())
    assert _ids(page) == ["A-1", "a-3", "b-2", "C-0"]


@pytest.mark.django_db
def test_prefix_filter_is_case_insensitive_and_a_prefix_not_a_substring():
    _make("Dev-A", "dev-b", "DEVICE", "my-dev", "de", "dev_x", "devZ")
    assert sorted(e.registration_id for e in selectors.individual_enrollment_list(prefix="DEV-")) == ["Dev-A", "dev-b"]
    assert {e.registration_id for e in selectors.individual_enrollment_list(prefix="dev")} == {
        "DEVICE",
        "Dev-A",
        "dev-b",
        "dev_x",
        "devZ",
    }
    # `_` and `%` are not wildcards: the filter is a key range, not LIKE.
    assert [e.registration_id for e in selectors.individual_enrollment_list(prefix="dev_")] == ["dev_x"]
    assert list(selectors.individual_enrollment_list(prefix="dev%")) == []
    assert selectors.individual_enrollment_list(prefix="  ").count() == 7


@pytest.mark.django_db
def test_capped_count(monkeypatch):
    import enrollments.pagination as pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    _make(*[f"d{i}" for i in range(5)])
    page = keyset_paginate(selectors.individual_enrollment_list(), key="sort_key", request=PageRequest(size=2))
    assert page.count == 4  # stopped counting after cap + 1 rows


@pytest.mark.django_db
def test_stale_cursor_gives_an_empty_page_that_links_back():
    _make("a", "b")
    page = keyset_paginate(selectors.individual_enrollment_list(), key="sort_key", request=PageRequest(after="zzz"))
    assert page.items == [] and page.has_previous and page.previous_url == "?before=zzz"


# --- the index proof: prefix filter, keyset seek and order come from one index ----------------


def _explain(queryset) -> str:
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Tiny test tables make a scan and a sort cheapest; forbid them to see whether the index can
                # serve the filter, the seek and the order by itself (the plan keeps them only if it cannot).
                for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                    cursor.execute(f"SET LOCAL {setting} = off")
            return queryset.explain()
    return queryset.explain()


def _index_names():
    if connection.vendor == "postgresql":
        return {"individual": "enrollments_ie_sort_key_idx", "group": "enrollments_eg_sort_key_idx"}
    return {
        "individual": "enrollments_individualenrollment_unique_registration_id",
        "group": "enrollments_enrollmentgroup_unique_enrollment_group_id",
    }


def _assert_index_only(plan: str, index: str) -> None:
    assert index in plan, plan
    assert "Seq Scan" not in plan and "SCAN enrollments_individualenrollment\n" not in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan.replace("Sort Key", ""), plan


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor not in ("sqlite", "postgresql"), reason="plans checked on SQLite and PostgreSQL")
def test_prefix_filter_and_keyset_page_use_the_sort_key_index():
    _make(*[f"dev-{i}" for i in range(30)])
    index = _index_names()["individual"]
    filtered = selectors.individual_enrollment_list(prefix="Dev-1").order_by("sort_key")[:21]
    plan = _explain(filtered)
    _assert_index_only(plan, index)
    if connection.vendor == "sqlite":
        assert "SEARCH" in plan, plan  # a range seek, not a full index scan
    deep = selectors.individual_enrollment_list().filter(sort_key__gt="dev-25").order_by("sort_key")[:21]
    _assert_index_only(_explain(deep), index)
    groups = selectors.enrollment_group_list(prefix="fleet").order_by("sort_key")[:21]
    assert _index_names()["group"] in _explain(groups)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor not in ("sqlite", "postgresql"), reason="plans checked on SQLite and PostgreSQL")
def test_registration_records_by_group_use_the_group_index():
    queryset = selectors.registration_record_list(group="Fleet", prefix="dev").order_by("sort_key")[:21]
    assert "enrollments_rr_group_key_idx" in _explain(queryset)
