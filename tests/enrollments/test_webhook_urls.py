"""webhook_urls: a masked webhook URL gets its stored `code=` secrets back in their places, but only
while it points at the same scheme, host, port and path."""

import pytest

from enrollments.templatetags.portal_tags import mask_webhook_secret
from enrollments.webhook_urls import secret_moved, still_masked, unmask_webhook_secret

STORED = "https://fn.example.net/api/alloc?code=Ab%2Fc%3D%3D&x=a+b&Code=second&empty=&x=dup#frag"


def test_an_untouched_masked_url_gives_back_the_stored_url_byte_for_byte():
    assert unmask_webhook_secret(mask_webhook_secret(STORED), STORED) == STORED


def test_an_edited_url_gets_the_stored_secrets_back_in_their_places():
    masked = mask_webhook_secret(STORED)
    edited = masked.replace("x=dup", "x=new").replace("#frag", "#other")
    assert unmask_webhook_secret(edited, STORED) == STORED.replace("x=dup", "x=new").replace("#frag", "#other")
    # Scheme and host are compared ignoring case, a default port equals no port.
    edited = masked.replace("https://fn.example.net/", "HTTPS://FN.example.net:443/")
    assert not still_masked(unmask_webhook_secret(edited, STORED))


@pytest.mark.parametrize(
    "moved",
    [
        "https://attacker.example/api/alloc",  # host
        "http://fn.example.net/api/alloc",  # scheme
        "https://fn.example.net:8443/api/alloc",  # port
        "https://fn.example.net/api/v2",  # path
        "https://fn.example.net/api/alloc/",  # path
        "https://fn.example.net.attacker.example/api/alloc",
        "https://fn.example.net:notaport/api/alloc",
    ],
)
def test_a_masked_secret_is_not_put_back_into_a_url_that_points_elsewhere(moved):
    edited = mask_webhook_secret(STORED).replace("https://fn.example.net/api/alloc", moved)
    result = unmask_webhook_secret(edited, STORED)
    assert still_masked(result) and "Ab%2Fc%3D%3D" not in result and "second" not in result
    assert secret_moved(edited, STORED)
    assert not secret_moved(mask_webhook_secret(STORED), STORED)


def test_a_new_secret_typed_by_the_user_is_kept():
    edited = mask_webhook_secret(STORED).replace("code=••••", "code=NEW", 1)
    assert unmask_webhook_secret(edited, STORED) == STORED.replace("code=Ab%2Fc%3D%3D", "code=NEW")


@pytest.mark.parametrize("url", ["https://a.example/x", "https://a.example/x?code=plain", ""])
def test_urls_without_a_mask_are_returned_unchanged(url):
    assert unmask_webhook_secret(url, STORED) == url


def test_a_mask_with_nothing_to_restore_stays_masked():
    result = unmask_webhook_secret("https://a.example/x?code=••••", "")
    assert still_masked(result)
    assert still_masked(unmask_webhook_secret("https://a.example/x?code=••••", "https://b.example/?code=k"))
    assert not still_masked(unmask_webhook_secret("https://b.example/?x=1&code=••••", "https://b.example/?code=k"))
