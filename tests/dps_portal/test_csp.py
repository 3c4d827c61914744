"""The Content-Security-Policy: portal pages allow no inline script or style; only the API docs
relax style-src, and no template carries an inline script, style element or style attribute."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


def test_portal_pages_allow_no_inline_script_or_style(admin_client):
    for url in (reverse("enrollments:overview"), "/accounts/login/", "/admin/"):
        policy = _policy(admin_client.get(url))
        assert policy["script-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'"], url
        assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_api_docs_have_their_own_policy(client, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in policy["style-src"]
    assert b"<script>" not in response.content  # the Swagger UI initialiser is served as a file
    assert b"fonts.googleapis.com" not in response.content


def test_the_swagger_initialiser_is_a_script_file(client):
    response = client.get("/api/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")


def test_no_template_has_an_inline_script_or_style():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if "drf_spectacular" in path.parts:
            continue  # the docs pages have their own policy
        if inline_script.search(text) or re.search(r"<style\b|\sstyle=", text, re.I):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []
