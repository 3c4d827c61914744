"""The portal's icon: linked from every portal page, and /favicon.ico answers (no 404 in the log)."""

from django.templatetags.static import static
from django.urls import reverse


def test_portal_pages_link_the_icon(admin_client):
    html = admin_client.get(reverse("enrollments:overview")).content.decode()
    assert f'<link rel="icon" href="{static("img/favicon.svg")}" type="image/svg+xml">' in html


def test_favicon_ico_redirects_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == static("img/favicon.svg")
