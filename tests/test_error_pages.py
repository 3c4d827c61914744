"""Friendly 404 and 500 pages (shown when DJANGO_DEBUG=false), each with a link to Overview."""

import pytest
from django.http import HttpRequest
from django.test import Client
from django.urls import include, path, reverse
from django.views.defaults import server_error


def boom(request: HttpRequest):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), path("", include("dps_portal.urls"))]

OVERVIEW = f'href="{reverse("enrollments:overview")}">Overview</a>'


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/portal/no-such-page/", "/portal/certificates/abc/", "/nothing"])
def test_404_page_is_friendly_and_links_to_overview(client, settings, url):
    settings.DEBUG = False
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    assert '<h1 class="h3">Page not found</h1>' in html and OVERVIEW in html
    assert "Traceback" not in html and "urlpatterns" not in html.lower()


@pytest.mark.django_db
def test_404_of_a_missing_enrollment_for_a_signed_in_user(admin_client, settings):
    settings.DEBUG = False
    response = admin_client.get(reverse("enrollments:enrollment_group_detail", args=["missing"]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_500_page_renders_without_the_database_or_request_context(rf, settings):
    """No django_db mark: any query would fail the test. Django renders 500.html with an empty context."""
    settings.DEBUG = False
    response = server_error(rf.get("/portal/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html and OVERVIEW in html


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_an_unhandled_error_shows_the_500_page(settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and OVERVIEW in html and "a bug" not in html
