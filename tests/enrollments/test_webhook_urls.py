"""webhook_urls: a masked webhook URL gets its stored `code=` secrets back in their places."""

import pytest

from enrollments.templatetags.portal_tags import mask_webhook_secret
from enrollments.webhook_urls import still_masked, unmask_webhook_secret

STORED = "https://fn.example.net/api/alloc?code=Ab%2Fc%3D%3D&x=a+b&Code=second&empty=&x=dup#frag"


def test_an_untouched_masked_url_gives_back_the_stored_url_byte_for_byte():
    assert unmask_webhook_secret(mask_webhook_secret(STORED), STORED) == STORED


def test_an_edited_url_gets_the_stored_secrets_back_in_their_places():
    masked = mask_webhook_secret(STORED)
    edited = masked.replace("/api/alloc", "/api/v2").replace("x=dup", "x=new")
    assert unmask_webhook_secret(edited, STORED) == STORED.replace("/api/alloc", "/api/v2").replace("x=dup", "x=new")


def test_a_new_secret_typed_by_the_user_is_kept():
    edited = mask_webhook_secret(STORED).replace("code=••••", "code=NEW", 1)
    assert unmask_webhook_secret(edited, STORED) == STORED.replace("code=Ab%2Fc%3D%3D", "code=NEW")


@pytest.mark.parametrize("url", ["https://a.example/x", "https://a.example/x?code=plain", ""])
def test_urls_without_a_mask_are_returned_unchanged(url):
    assert unmask_webhook_secret(url, STORED) == url


def test_a_mask_with_nothing_to_restore_stays_masked():
    result = unmask_webhook_secret("https://a.example/x?code=••••", "")
    assert still_masked(result)
    assert not still_masked(unmask_webhook_secret("https://a.example/x?code=••••", "https://b.example/?code=k"))
