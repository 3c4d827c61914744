"""The wizard's IoT hubs tab: no target hub checked means all linked hubs (Review: `All linked IoT
hubs`); Static configuration still needs exactly one; a malformed API version is refused on the IoT
hubs tab; the `Link a new IoT hub` round trip. The details page's IoT hubs tab: test_details.py."""

import re

import pytest

from enrollments.models import EnrollmentGroup
from tests.enrollments.views.test_details import form_data
from tests.enrollments.views.test_wizard import HX, REGISTRATION, hub, start, tab_url
from tests.enrollments.views.test_wizard_properties import TAB_FIELDS

pytestmark = pytest.mark.django_db

SECRET = "S3cr3t-Functi0n-Key%3D%3D"
WEBHOOK = f"https://fn.example.net/api/alloc?x=1&code={SECRET}&y=2#frag"


def post_tab(client, draft, from_tab: str, to_tab: str, data: dict, nav: str = "tab"):
    """Post `from_tab` as its page would, with every field it can show named in `_fields`."""
    payload = {"_tab": from_tab, "_nav": nav, "_fields": ",".join(TAB_FIELDS[from_tab]), **data}
    return client.post(tab_url(draft, to_tab), payload, headers=HX)


def one_line(html: str) -> str:
    return re.sub(r"\s+", " ", html)


# --- IoT hubs: none checked means all linked hubs --------------------------------------------------------


def test_no_target_hub_checked_means_all_linked_hubs(admin_client):
    hub("a.azure-devices.net")
    hub("b.azure-devices.net")
    draft = start(admin_client)
    post_tab(admin_client, draft, "registration", "iot-hubs", REGISTRATION, "next")
    response = post_tab(admin_client, draft, "iot-hubs", "device-settings", {"allocation_policy": "hashed"}, "next")
    html = response.content.decode()
    assert response["HX-Push-Url"] == tab_url(draft, "device-settings"), html
    review = one_line(admin_client.get(tab_url(draft, "review")).content.decode())
    assert re.search(r"<dt[^>]*>Target IoT hubs</dt>\s*<dd[^>]*>All linked IoT hubs</dd>", review)
    response = admin_client.post(tab_url(draft, "review"), {"_tab": "review", "_nav": "create"}, headers=HX)
    assert "HX-Redirect" in response
    group = EnrollmentGroup.objects.get()
    assert not group.iot_hubs.exists() and group.allocation_policy == "hashed"


def test_the_iot_hubs_tab_says_what_none_checked_means(admin_client):
    hub("a.azure-devices.net")
    draft = start(admin_client)
    html = admin_client.get(tab_url(draft, "iot-hubs")).content.decode()
    assert "None checked means all linked IoT hubs" in html


def test_static_allocation_still_needs_exactly_one_hub(admin_client):
    hub("a.azure-devices.net")
    draft = start(admin_client)
    response = post_tab(admin_client, draft, "iot-hubs", "device-settings", {"allocation_policy": "static"}, "next")
    assert "HX-Push-Url" not in response
    html = one_line(response.content.decode())
    assert "exactly one" in html and re.search(r'id="tab-iot-hubs"[^>]*aria-invalid="true"', html)


@pytest.mark.parametrize("version", ["2021-13-01", "yesterday", "2021-10-01-beta", "2017-01-01", "2021-10-01\x00"])
def test_a_malformed_api_version_is_refused_on_the_iot_hubs_tab(admin_client, version):
    draft = start(admin_client)
    data = {"allocation_policy": "custom", "webhook_url": "https://fn.example.net/api/a", "api_version": version}
    response = post_tab(admin_client, draft, "iot-hubs", "device-settings", data, "next")
    assert "HX-Push-Url" not in response
    html = one_line(response.content.decode())
    assert re.search(r'id="tab-iot-hubs"[^>]*aria-invalid="true"', html)
    assert re.search(r'name="api_version"[^>]*is-invalid|is-invalid[^>]*name="api_version"', html), html
    assert form_data(html, "wizard-form")["api_version"] == [version]


@pytest.mark.parametrize("version", ["2021-10-01", "2018-09-01-preview", "2019-03-31"])
def test_a_well_formed_api_version_is_accepted(admin_client, version):
    draft = start(admin_client)
    data = {"allocation_policy": "custom", "webhook_url": "https://fn.example.net/api/a", "api_version": version}
    response = post_tab(admin_client, draft, "iot-hubs", "device-settings", data, "next")
    assert response["HX-Push-Url"] == tab_url(draft, "device-settings")


# --- Link a new IoT hub round trip ------------------------------------------------------------------------


def test_coming_back_from_link_a_new_hub_shows_no_errors_until_the_user_acts(admin_client):
    a, b = hub("a.azure-devices.net"), hub("b.azure-devices.net")
    draft = start(admin_client)
    data = {"allocation_policy": "static", "iot_hubs": [str(a.pk), str(b.pk)]}
    # The tab was already left once with an error (Next), then the user links a third hub.
    post_tab(admin_client, draft, "iot-hubs", "device-settings", data, "next")
    post_tab(admin_client, draft, "iot-hubs", "iot-hubs", data, "link-hub")
    new = hub("new.azure-devices.net")
    response = admin_client.get(tab_url(draft, "iot-hubs") + "?linked_hub=new.azure-devices.net")
    assert response.status_code == 302
    html = one_line(admin_client.get(tab_url(draft, "iot-hubs")).content.decode())
    assert re.search(rf'name="iot_hubs" value="{new.pk}"[^>]* checked', html)
    assert '<option value="static" selected>' in html
    assert "selected: 3" not in html and not re.search(r'id="tab-iot-hubs"[^>]*aria-invalid', html)
    # Next and Create still refuse it, on this tab.
    data["iot_hubs"].append(str(new.pk))
    response = post_tab(admin_client, draft, "iot-hubs", "device-settings", data, "next")
    assert "HX-Push-Url" not in response and "selected: 3" in response.content.decode()
    post_tab(admin_client, draft, "iot-hubs", "iot-hubs", data, "link-hub")
    admin_client.get(tab_url(draft, "iot-hubs") + "?linked_hub=new.azure-devices.net")
    post_tab(admin_client, draft, "registration", "review", REGISTRATION)
    response = admin_client.post(tab_url(draft, "review"), {"_tab": "review", "_nav": "create"}, headers=HX)
    assert response["HX-Push-Url"] == tab_url(draft, "iot-hubs") and "selected: 3" in response.content.decode()
    assert not EnrollmentGroup.objects.exists()
