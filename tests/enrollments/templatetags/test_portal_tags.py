"""A webhook URL's `code=` secret (an Azure Functions key) never appears in a read-only display:
the wizard's Review tab, the read-only settings, the details page (masked on display)."""

import re

import pytest
from django.template.loader import render_to_string

from enrollments.models import EnrollmentGroup, ProvisioningService
from enrollments.services.enrollments import enrollment_group_create
from tests.enrollments.views.test_details import open_page
from tests.enrollments.views.test_wizard import HX, REGISTRATION, start, tab_url
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


# --- Review: the webhook's code= is masked ------------------------------------------------------------


def test_review_never_shows_the_webhook_code(admin_client):
    draft = start(admin_client)
    post_tab(admin_client, draft, "registration", "iot-hubs", REGISTRATION, "next")
    data = {"allocation_policy": "custom", "webhook_url": WEBHOOK, "api_version": "2021-10-01"}
    response = post_tab(admin_client, draft, "iot-hubs", "device-settings", data, "next")
    assert response["HX-Push-Url"] == tab_url(draft, "device-settings")
    for headers in (HX, {}):
        html = admin_client.get(tab_url(draft, "review"), headers=headers).content.decode()
        assert SECRET not in html and "S3cr3t" not in html
        assert "https://fn.example.net/api/alloc?x=1&amp;code=••••&amp;y=2#frag" in html
    # what the user typed is kept whole in the draft (the IoT hubs tab shows it for editing)
    assert SECRET in admin_client.get(tab_url(draft, "iot-hubs")).content.decode()
    admin_client.post(tab_url(draft, "review"), {"_tab": "review", "_nav": "create"}, headers=HX)
    assert EnrollmentGroup.objects.get().webhook_url == WEBHOOK


def test_review_masks_symmetric_keys(admin_client):
    draft = start(admin_client)
    key = "c3ltbWV0cmljLWtleS1vZi10aGlydHktdHdvLWJ5dGVzIQ=="
    data = {**REGISTRATION, "auto_generate_keys": "", "primary_key": key, "secondary_key": key}
    post_tab(admin_client, draft, "registration", "review", data)
    html = admin_client.get(tab_url(draft, "review")).content.decode()
    assert key not in html and "••••" in html


def test_read_only_settings_mask_the_webhook_code():
    group = enrollment_group_create(
        enrollment_group_id="g",
        attestation_type="symmetricKey",
        allocation_policy="custom",
        webhook_url=WEBHOOK,
        api_version="2021-10-01",
    )
    html = render_to_string(
        "enrollments/includes/enrollment_settings_readonly.html",
        {"enrollment": group, "service": ProvisioningService.objects.get_current()},
    )
    assert "Webhook URL" in html and SECRET not in html and "code=••••" in html


def test_details_page_never_shows_the_webhook_code(admin_client):
    group = enrollment_group_create(
        enrollment_group_id="g",
        attestation_type="symmetricKey",
        allocation_policy="custom",
        webhook_url=WEBHOOK,
        api_version="2021-10-01",
    )
    html, _ = open_page(admin_client, group.get_absolute_url())
    assert SECRET not in html and "S3cr3t" not in html
