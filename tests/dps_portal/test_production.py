"""Production mode: the entry points refuse development settings, and `check --deploy` is clean with
the README's production variables."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dps_portal.production import DEVELOPMENT_SECRET_KEY, development_settings_problems

ROOT = Path(__file__).resolve().parents[2]
SECRET = "k3y-" + "x" * 60  # long and random enough for check --deploy (W009)


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DPS_"))}
    env.pop("DATABASE_URL", None)
    env.update(extra)
    return env


def _run(code: str, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_env(**extra), capture_output=True, text=True, timeout=60
    )


def test_problems_name_each_development_setting():
    assert development_settings_problems(debug=False, secret_key="s") == []
    assert development_settings_problems(debug=True, secret_key=DEVELOPMENT_SECRET_KEY) == [
        "DJANGO_DEBUG is on (set DJANGO_DEBUG=false)",
        "DJANGO_SECRET_KEY is the development key (set a long random DJANGO_SECRET_KEY)",
    ]


@pytest.mark.parametrize("module", ["dps_portal.wsgi", "dps_portal.asgi"])
def test_entry_points_refuse_debug_and_the_development_key(module):
    result = _run(f"import {module}")
    assert result.returncode != 0
    assert "Refusing to start" in result.stderr
    assert "DJANGO_DEBUG is on" in result.stderr and "development key" in result.stderr
    assert "DPS_DEVELOPMENT=1" in result.stderr


@pytest.mark.parametrize("module", ["dps_portal.wsgi", "dps_portal.asgi"])
def test_entry_points_start_in_production_or_development_mode(module):
    assert _run(f"import {module}", DJANGO_DEBUG="false", DJANGO_SECRET_KEY=SECRET).returncode == 0
    assert _run(f"import {module}", DPS_DEVELOPMENT="1").returncode == 0


def test_debug_off_with_the_development_key_is_impossible():
    result = _run("import dps_portal.wsgi", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_the_readme_production_variables():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_env(
            DJANGO_DEBUG="false",
            DJANGO_SECRET_KEY=SECRET,
            DJANGO_ALLOWED_HOSTS="dps.example.com",
            DJANGO_CSRF_TRUSTED_ORIGINS="https://dps.example.com",
            DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
            DJANGO_TRUSTED_PROXIES="127.0.0.1",
            DPS_PUBLIC_URL="https://dps.example.com",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_malformed_proxy_ssl_header_is_refused_with_the_form_to_use():
    result = _run(
        "import django; django.setup()",
        DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        DJANGO_SETTINGS_MODULE="dps_portal.settings",
    )
    assert result.returncode != 0
    assert "use HEADER,value, e.g. HTTP_X_FORWARDED_PROTO,https" in result.stderr
