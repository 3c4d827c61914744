"""Paging headers as text: only ASCII digits make a page size, and a continuation token that is
not ours (non-ASCII digits included) is a 400, never a 500."""

import pytest

from .test_views import assert_error, create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("token", ["²", "٣", "1", "0", "-1", "abc", "²:1:x", "é" * 500])
def test_a_foreign_continuation_token_is_400(api, token):
    create(api)
    assert_error(api.post("/enrollments/query", {"query": "*"}, headers={"x-ms-continuation": token}), 400, 400006)
    assert_error(api.post("/registrations/g/query", headers={"x-ms-continuation": token}), 400, 400006)


@pytest.mark.parametrize("size", ["²", "٣", "３", "1_0", "+5", " 5", "5.0", "0", "-1"])
def test_a_page_size_is_ascii_digits_only(api, size):
    error = assert_error(api.post("/enrollments/query", {"query": "*"}, headers={"x-ms-max-item-count": size}), 400)
    assert "x-ms-max-item-count" in error["message"]


def test_an_ascii_page_size_is_taken(api):
    for n in range(3):
        create(api, f"dev-{n}")
    response = api.post("/enrollments/query", {"query": "*"}, headers={"x-ms-max-item-count": "2"})
    assert len(response.json()) == 2 and response.headers["x-ms-continuation"]
