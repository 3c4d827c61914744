"""Template filters of the portal: masking secrets on display (`{% load portal_tags %}`).

- `{{ enrollment.webhook_url|mask_webhook_secret }}`: the URL with the value of its `code=` query
  parameter (an Azure Functions key) shown as `••••`; everything else exactly as stored.
- `{{ key|mask_secret }}`: `••••` for any non-empty secret, `` for an empty one.

Both return plain strings, so Django's autoescaping still applies.
"""

from django import template

from ..attestation.symmetric_keys import mask_secret as _mask_secret
from ..webhook_urls import mask_webhook_secret as _mask_webhook_secret

register = template.Library()


@register.filter
def mask_webhook_secret(url: str | None) -> str:
    """The URL with each `code=` value shown as `••••` (webhook_urls.mask_webhook_secret)."""
    return _mask_webhook_secret(url)


@register.filter
def mask_secret(value: str | None) -> str:
    """`••••` for a non-empty secret (symmetric key, hub key…), nothing of the value itself."""
    return _mask_secret(value or "")
