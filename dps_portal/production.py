"""Production guard: the entry points a deployment runs (wsgi.py, asgi.py, and every listener or
worker command) refuse development settings, so a server cannot start by accident with DEBUG on
or the fixed development secret key.

`DPS_DEVELOPMENT=1` (set by `make run` and the tests) lets them start anyway.
"""

import os

from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"


def development_settings_problems(*, debug: bool, secret_key: str) -> list[str]:
    """What makes these settings unfit for production, as sentences (empty when fit)."""
    problems = []
    if debug:
        problems.append("DJANGO_DEBUG is on (set DJANGO_DEBUG=false)")
    if secret_key == DEVELOPMENT_SECRET_KEY:
        problems.append("DJANGO_SECRET_KEY is the development key (set a long random DJANGO_SECRET_KEY)")
    return problems


def refuse_development_settings(entry_point: str) -> None:
    """Raise ImproperlyConfigured naming each problem, unless DPS_DEVELOPMENT=1.

    `entry_point`: what is starting (e.g. "the WSGI server"), for the message.
    """
    from django.conf import settings

    if os.environ.get("DPS_DEVELOPMENT", "") == "1":
        return
    problems = development_settings_problems(debug=settings.DEBUG, secret_key=settings.SECRET_KEY)
    if problems:
        raise ImproperlyConfigured(
            f"Refusing to start {entry_point} with development settings: {'; '.join(problems)}. "
            "For development, set DPS_DEVELOPMENT=1 (make run does)."
        )
