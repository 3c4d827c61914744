"""Webhook URLs shown masked and sent back by an edit form (a `code=` secret, an Azure Functions key,
is masked on display and kept byte for byte when the user does not touch it).

The details page shows `mask_webhook_secret(stored)` in its `Webhook URL` input. What comes
back is either that masked text unchanged (the stored URL is kept exactly), a URL the user edited but
whose `code=` value still reads `••••` (the stored secret is put back in its place, but only while the
URL still points where the secret was meant to go: same scheme, host, port and path), or a new URL.
Otherwise a details page could move the real key to another host: `https://legit.example/alloc?code=••••`
edited to `https://attacker.example/collect?code=••••` must not send the legit key to the attacker.
"""

from urllib.parse import urlsplit

MASK = "••••"
SECRET_PARAMETERS = frozenset({"code"})


def mask_webhook_secret(url: str | None) -> str:
    """Mask the value of each `code=` parameter in a URL's query string (the secret is kept byte
    for byte in the database, masked on display).

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


def _split(url: str) -> tuple[str, str | None, str]:
    """(part before `?`, query or None, `#fragment` with its mark or ``)."""
    base, hash_mark, fragment = url.partition("#")
    path, question_mark, query = base.partition("?")
    return path, (query if question_mark else None), hash_mark + fragment


def _secrets(url: str) -> list[str]:
    """The values of the URL's `code=` parameters, in order."""
    _, query, _ = _split(url)
    if query is None:
        return []
    values = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        if equals and name.lower() in SECRET_PARAMETERS:
            values.append(value)
    return values


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _endpoint(url: str) -> tuple | None:
    """(scheme, host, port, path) of a URL, scheme and host in lower case and the port filled in
    for http/https; None when the URL cannot be read (e.g. a port that is not a number)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme), parts.path


def same_endpoint(url: str, other: str) -> bool:
    """Whether two URLs have the same scheme, host, port and path (query and fragment may differ)."""
    endpoint = _endpoint(url or "")
    return endpoint is not None and endpoint == _endpoint(other or "")


def secret_moved(submitted: str, stored: str) -> bool:
    """Whether `submitted` keeps a masked `code=` of `stored` but points elsewhere (another scheme,
    host, port or path), so the secret was not put back and must be typed again."""
    return MASK in (submitted or "") and bool(_secrets(stored or "")) and not same_endpoint(submitted, stored)


def unmask_webhook_secret(submitted: str, stored: str) -> str:
    """The URL to save for `submitted`, given the URL `stored` before the edit.

    - `submitted` equals the masked display of `stored`: returns `stored` itself (byte for byte).
    - a `code=` parameter of `submitted` still reads `••••`: the stored value of the `code=`
      parameter at the same position (first, second…) is put back; other characters stay as submitted.
      Only when `submitted` has the same scheme, host, port and path as `stored` (same_endpoint).
    - otherwise `submitted` unchanged. A mask with no stored secret to restore, or of a URL that now
      points elsewhere, stays `••••` (callers refuse it with `still_masked`; `secret_moved` says which).
    """
    submitted = submitted or ""
    stored = stored or ""
    if MASK not in submitted:
        return submitted
    if stored and submitted == mask_webhook_secret(stored):
        return stored
    if not same_endpoint(submitted, stored):
        return submitted
    secrets = _secrets(stored)
    path, query, fragment = _split(submitted)
    if query is None:
        return submitted
    parts, index = [], 0
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        if equals and name.lower() in SECRET_PARAMETERS:
            if value == MASK and index < len(secrets):
                part = f"{name}={secrets[index]}"
            index += 1
        parts.append(part)
    return f"{path}?{'&'.join(parts)}{fragment}"


def still_masked(url: str) -> bool:
    """True when a URL still holds the display mask (a secret that could not be restored)."""
    return MASK in (url or "")
