"""Template filters of the portal: masking secrets on display (`{% load portal_tags %}`).

- `{{ enrollment.webhook_url|mask_webhook_secret }}`: the URL with the value of its `code=` query
  parameter (an Azure Functions key) shown as `••••`; everything else exactly as stored.
- `{{ key|mask_secret }}`: `••••` for any non-empty secret, `` for an empty one.

Both return plain strings, so Django's autoescaping still applies.
"""

from django import template

from ..attestation.symmetric_keys import mask_secret as _mask_secret

register = template.Library()

MASK = "••••"
SECRET_PARAMETERS = frozenset({"code"})


@register.filter
def mask_webhook_secret(url: str | None) -> str:
    """Mask the value of each `code=` parameter in a URL's query string (issue 4: the secret is
    kept byte for byte in the database, masked on display).

    Only the value between `code=` and the next `&` (or `#`/end) changes; the parameter name's case,
    the other parameters, their order, encoding and the fragment are left exactly as they were.
    """
    if not url:
        return ""
    url = str(url)
    base, hash_mark, fragment = url.partition("#")
    path, question_mark, query = base.partition("?")
    if not question_mark:
        return url
    parts = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        if equals and name.lower() in SECRET_PARAMETERS and value:
            part = f"{name}={MASK}"
        parts.append(part)
    return f"{path}?{'&'.join(parts)}{hash_mark}{fragment}"


@register.filter
def mask_secret(value: str | None) -> str:
    """`••••` for a non-empty secret (symmetric key, hub key…), nothing of the value itself."""
    return _mask_secret(value or "")
