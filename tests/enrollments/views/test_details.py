"""Details pages: edit mode, conditional Save, keys only on Show/Copy, Delete,
registration records. POSTs are built from the page's own form, as a browser would submit it."""

import json
import re
from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from enrollments.exceptions import ETAG_MISMATCH
from enrollments.models import EnrollmentGroup, IndividualEnrollment, LinkedIotHub, RegistrationRecord
from enrollments.services.enrollments import enrollment_group_create, enrollment_update, individual_enrollment_create
from enrollments.views import details as details_views
from tests.factories import LinkedIotHubFactory, RegistrationRecordFactory

pytestmark = pytest.mark.django_db

WEBHOOK = "https://fn.example.net/api/alloc?code=Ab%2Fc%3D%3D&x=a+b&empty=&x=dup#frag"
TAGS = {"version": "2.1", "z": {"b": 1, "a": [1, 2.5, None, True]}, "a": "ü"}
DESIRED = {"telemetry": {"interval": 30, "units": "metric"}, "empty": None, "list": []}


class _FormReader(HTMLParser):
    """What a browser submits for the form `form_id` (inputs inside it or pointing at it with form=)."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.depth = 0  # >0 while inside the form
        self.fields: list[tuple[str, str]] = []
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if a.get("id") == self.form_id:
                self.depth = 1
            elif self.depth:
                self.depth += 1
            return
        inside = self.depth or a.get("form") == self.form_id
        if not inside or "disabled" in a or "name" not in a:
            if tag == "option" and self._select is not None and "selected" in a:
                self._select["value"] = a.get("value", "")
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = {"name": name, "text": ""}
        elif tag == "select":
            self._select = {"name": name, "value": None}

    def handle_endtag(self, tag):
        if tag == "form" and self.depth:
            self.depth -= 1
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea["text"]
            self.fields.append((self._textarea["name"], text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if self._select["value"] is not None:
                self.fields.append((self._select["name"], self._select["value"]))
            self._select = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["text"] += data


def form_data(html: str, form_id: str = "details-form") -> dict[str, list[str]]:
    reader = _FormReader(form_id)
    reader.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in reader.fields:
        if name != "csrfmiddlewaretoken":
            data.setdefault(name, []).append(value)
    return data


def hub(name: str) -> LinkedIotHub:
    return LinkedIotHubFactory(host_name=name)


def one_line(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def rich_group(name: str = "grp-1") -> EnrollmentGroup:
    hubs = [hub("h1.azure-devices.net"), hub("h2.azure-devices.net")]
    return enrollment_group_create(
        enrollment_group_id=name,
        attestation_type="symmetricKey",
        iot_hubs=hubs,
        allocation_policy="custom",
        webhook_url=WEBHOOK,
        api_version="2021-10-01",
        iot_edge=True,
        initial_twin_tags=TAGS,
        initial_twin_desired_properties=DESIRED,
    )


def open_page(client, url: str) -> tuple[str, dict[str, list[str]]]:
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    return html, form_data(html)


def snapshot(enrollment) -> dict:
    enrollment = type(enrollment).objects.get(pk=enrollment.pk)
    return {
        "tags": json.dumps(enrollment.initial_twin_tags),
        "desired": json.dumps(enrollment.initial_twin_desired_properties),
        "keys": (enrollment.primary_key, enrollment.secondary_key),
        "hubs": sorted(h.host_name for h in enrollment.iot_hubs.all()),
        "iot_edge": enrollment.iot_edge,
        "allocation": (enrollment.allocation_policy, enrollment.webhook_url, enrollment.api_version),
        "status": enrollment.provisioning_status,
        "reprovision": (enrollment.update_hub_assignment, enrollment.migrate_device_data),
        "etag": enrollment.etag,
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- sign-in and unknown IDs ------------------------------------------------------------------


def test_every_details_url_needs_sign_in(client):
    group = enrollment_group_create(enrollment_group_id="g", attestation_type="symmetricKey")
    urls = [
        reverse("enrollments:enrollment_group_detail", args=["g"]),
        reverse("enrollments:enrollment_group_detail_tab", args=["g", "iot-hubs"]),
        reverse("enrollments:enrollment_group_key", args=["g", "primary"]),
        reverse("enrollments:individual_enrollment_key", args=["d", "primary"]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert group.primary_key not in response.content.decode()
    for url in (
        reverse("enrollments:enrollment_group_detail", args=["g"]),
        reverse("enrollments:enrollment_group_delete", args=["g"]),
    ):
        response = client.post(url, {"etag": group.etag})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert EnrollmentGroup.objects.filter(pk=group.pk).exists()


@pytest.mark.parametrize(
    "name, args",
    [
        ("enrollment_group_detail", ["nope"]),
        ("enrollment_group_detail_tab", ["nope", "iot-hubs"]),
        ("enrollment_group_key", ["nope", "primary"]),
        ("individual_enrollment_detail", ["nope"]),
        ("individual_enrollment_detail_tab", ["nope", "device-settings"]),
        ("individual_enrollment_key", ["nope", "primary"]),
    ],
)
def test_unknown_ids_are_404(admin_client, name, args):
    assert admin_client.get(reverse(f"enrollments:{name}", args=args)).status_code == 404


def test_unknown_ids_are_404_on_delete_too(admin_client):
    assert admin_client.post(reverse("enrollments:enrollment_group_delete", args=["nope"])).status_code == 404
    assert admin_client.post(reverse("enrollments:individual_enrollment_delete", args=["nope"])).status_code == 404


def test_unknown_tabs_and_key_slots_are_404(admin_client):
    enrollment_group_create(enrollment_group_id="g", attestation_type="symmetricKey")
    individual_enrollment_create(registration_id="d", attestation_type="symmetricKey")
    assert admin_client.get(reverse("enrollments:enrollment_group_detail_tab", args=["g", "review"])).status_code == 404
    records_tab = reverse("enrollments:individual_enrollment_detail_tab", args=["d", "registration-records"])
    assert admin_client.get(records_tab).status_code == 404
    assert admin_client.get(reverse("enrollments:enrollment_group_key", args=["g", "tertiary"])).status_code == 404


def test_ids_with_dot_and_colon_work_everywhere(admin_client):
    enrollment = individual_enrollment_create(registration_id="dev.01:a_b-c", attestation_type="symmetricKey")
    url = reverse("enrollments:individual_enrollment_detail", args=["dev.01:a_b-c"])
    assert url == enrollment.get_absolute_url()
    html, data = open_page(admin_client, url)
    assert "dev.01:a_b-c" in html
    data["device_id"] = ["dev.01:a_b-c=1"]
    response = admin_client.post(url, data)
    assert response.status_code == 302 and response["Location"] == url
    assert IndividualEnrollment.objects.get(pk=enrollment.pk).device_id == "dev.01:a_b-c=1"
    key_url = reverse("enrollments:individual_enrollment_key", args=["dev.01:a_b-c", "primary"])
    assert admin_client.get(key_url).content.decode() == enrollment.primary_key
    tab_url = reverse("enrollments:individual_enrollment_detail_tab", args=["dev.01:a_b-c", "iot-hubs"])
    assert admin_client.get(tab_url).status_code == 200
    response = admin_client.post(reverse("enrollments:individual_enrollment_delete", args=["dev.01:a_b-c"]))
    assert response.status_code == 302
    assert not IndividualEnrollment.objects.filter(pk=enrollment.pk).exists()


def test_group_names_are_matched_ignoring_case(admin_client):
    enrollment_group_create(enrollment_group_id="Fleet-A", attestation_type="symmetricKey")
    html, _ = open_page(admin_client, reverse("enrollments:enrollment_group_detail", args=["fleet-a"]))
    assert "Fleet-A" in html


# --- layout: every wizard field a control with the wizard's label --------------------------------


def test_group_page_has_the_wizard_tabs_and_fields_in_edit_mode(admin_client):
    group = rich_group()
    html, data = open_page(admin_client, group.get_absolute_url())
    for tab in ("Registration + provisioning", "IoT hubs", "Device settings", "Registration records"):
        assert re.search(r'role="tab"[^>]*>' + re.escape(tab) + "<", html), tab
    assert 'role="tablist"' in html and html.count('role="tabpanel"') == 4
    for label in (
        "Attestation",
        "Primary key",
        "Secondary key",
        "Group name",
        "Enable this enrollment",
        "Reprovision policy",
        "Target IoT hubs",
        "Allocation policy",
        "Webhook URL",
        "API version",
        "Enable IoT Edge on provisioned devices",
        "Device tags",
        "Desired properties",
    ):
        marker = r'(<span class="required-marker" aria-hidden="true"></span>)?'
        assert re.search(r">\s*" + re.escape(label) + r"\s*" + marker + "</(label|legend)>", html), label
    # attestation and name are read-only; the rest is editable
    assert re.search(r'<select name="attestation"[^>]*disabled', html)
    assert re.search(r'<input[^>]*name="enrollment_group_id"[^>]*disabled', html)
    for name in (
        "provisioning_status",
        "reprovision_policy",
        "iot_hubs",
        "allocation_policy",
        "webhook_url",
        "api_version",
        "iot_edge",
        "initial_twin_tags",
        "initial_twin_desired_properties",
        "etag",
    ):
        assert name in data, name
    assert "attestation" not in data and "enrollment_group_id" not in data
    assert data["etag"] == [group.etag]
    assert re.search(r">\s*Save\s*</button>", html) and re.search(r"data-confirm=[^>]*>\s*Delete\s*</button>", html)
    assert "novalidate" in html


def test_individual_page_has_device_id_editable_and_registration_id_read_only(admin_client):
    enrollment = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey", device_id="d1")
    html, data = open_page(admin_client, enrollment.get_absolute_url())
    assert data["device_id"] == ["d1"]
    assert re.search(r'<input[^>]*name="registration_id"[^>]*disabled', html)
    assert re.search(r">\s*IoT Hub Device ID\s*</label>", html)
    assert 'id="tab-registration-records"' not in html


def test_tab_urls_open_the_page_on_that_tab(admin_client):
    rich_group()
    html, data = open_page(admin_client, reverse("enrollments:enrollment_group_detail_tab", args=["grp-1", "iot-hubs"]))
    assert re.search(r'id="tab-iot-hubs"\s+href="[^"]+"\s+aria-selected="true"', html)
    assert re.search(r'id="panel-iot-hubs" aria-labelledby="tab-iot-hubs">', html)
    assert re.search(r'id="panel-registration" aria-labelledby="tab-registration" hidden', html)
    assert data["_tab"] == ["iot-hubs"]


def test_webhook_code_is_masked_on_display(admin_client):
    group = rich_group()
    html, data = open_page(admin_client, group.get_absolute_url())
    assert "Ab%2Fc%3D%3D" not in html
    assert data["webhook_url"] == ["https://fn.example.net/api/alloc?code=••••&x=a+b&empty=&x=dup#frag"]


# --- secrets ------------------------------------------------------------------------------------


def test_keys_are_never_in_the_page(admin_client):
    group = rich_group()
    individual = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey")
    for enrollment, tabs in ((group, ["iot-hubs", "registration-records"]), (individual, ["device-settings"])):
        name = "enrollment_group" if enrollment is group else "individual_enrollment"
        urls = [enrollment.get_absolute_url()] + [
            reverse(f"enrollments:{name}_detail_tab", args=[str(enrollment), t]) for t in tabs
        ]
        for url in urls:
            html = admin_client.get(url).content.decode()
            assert enrollment.primary_key not in html and enrollment.secondary_key not in html
            assert html.count("••••") >= 2
            assert re.search(r'id="id_primary_key"[^>]*value="••••"', html)
            assert re.search(r">\s*Show\s*</button>", html) and re.search(r">\s*Copy\s*</button>", html)


def test_keys_stay_out_of_the_page_after_an_error_and_after_a_stale_save(admin_client):
    group = rich_group()
    url = group.get_absolute_url()
    _, data = open_page(admin_client, url)
    data["initial_twin_tags"] = ["{not json"]
    html = admin_client.post(url, data).content.decode()
    assert group.primary_key not in html and group.secondary_key not in html


def test_key_endpoint_gives_the_key_to_a_signed_in_user_only_through_its_own_url(admin_client):
    group = enrollment_group_create(enrollment_group_id="g", attestation_type="symmetricKey")
    primary_url = reverse("enrollments:enrollment_group_key", args=["g", "primary"])
    secondary_url = reverse("enrollments:enrollment_group_key", args=["g", "secondary"])
    response = admin_client.get(primary_url + "?format=text")
    assert response.status_code == 200 and response.content.decode() == group.primary_key
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert admin_client.get(secondary_url).content.decode() == group.secondary_key
    anonymous = Client().get(primary_url)  # admin_client is the `client` fixture, signed in
    assert anonymous.status_code == 302 and group.primary_key not in anonymous.content.decode()
    assert admin_client.post(primary_url).status_code == 405


def test_show_returns_the_unmasked_field_without_another_show_button(admin_client):
    enrollment = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey")
    url = reverse("enrollments:individual_enrollment_key", args=["dev-1", "secondary"])
    html = admin_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in html
    assert re.search(r'id="id_secondary_key"[^>]*value="' + re.escape(enrollment.secondary_key) + '"', html)
    live = re.sub(r"<template data-key-masked>.*</template>", "", html, flags=re.S)  # inert until Hide
    assert not re.search(r">\s*Show\s*</button>", live) and re.search(r">\s*Copy\s*</button>", live)
    assert enrollment.primary_key not in html


def test_a_shown_key_has_hide_and_carries_only_its_masked_field_for_it(admin_client):
    enrollment = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey")
    url = reverse("enrollments:individual_enrollment_key", args=["dev-1", "primary"])
    html = admin_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert re.search(r'data-key-hide="key-primary"[^>]*>\s*Hide\s*</button>', html)
    masked = re.search(r"<template data-key-masked>(.*)</template>", html, re.S).group(1)
    assert 'value="••••"' in masked and enrollment.primary_key not in masked
    assert re.search(r'hx-get="[^"]*/keys/primary/"[^>]*>\s*Show\s*</button>', masked) and "Hide" not in masked
    page = admin_client.get(enrollment.get_absolute_url()).content.decode()
    assert not re.search(r">\s*Hide\s*</button>", page)


def test_enrollments_without_symmetric_keys_have_no_key_url(admin_client, vectors):
    individual_enrollment_create(
        registration_id="tpm-1", attestation_type="tpm", endorsement_key=vectors["tpm"]["endorsement_key"]
    )
    assert (
        admin_client.get(reverse("enrollments:individual_enrollment_key", args=["tpm-1", "primary"])).status_code == 404
    )


def test_views_that_take_keys_hide_them_from_error_reports(admin_client):
    group = enrollment_group_create(enrollment_group_id="g", attestation_type="symmetricKey")
    response = admin_client.post(group.get_absolute_url(), {"primary_key": "x"})
    assert set(response.wsgi_request.sensitive_post_parameters) >= {"primary_key", "secondary_key"}


def test_endorsement_key_and_certificate_info_are_shown(admin_client, vectors, ca_certificate_pem):
    from enrollments.attestation.x509 import parse_certificate

    individual_enrollment_create(
        registration_id="tpm-1", attestation_type="tpm", endorsement_key=vectors["tpm"]["endorsement_key"]
    )
    html, data = open_page(admin_client, reverse("enrollments:individual_enrollment_detail", args=["tpm-1"]))
    assert vectors["tpm"]["endorsement_key"] in html
    assert re.search(r"<textarea[^>]*id=\"id_endorsement_key\"[^>]*readonly", html)
    assert "endorsement_key" not in data
    info = parse_certificate(ca_certificate_pem)
    enrollment_group_create(enrollment_group_id="x", attestation_type="x509", signing_certificates={"primary": info})
    html = admin_client.get(reverse("enrollments:enrollment_group_detail", args=["x"])).content.decode()
    for text in (
        info.subject_name,
        info.sha1_thumbprint,
        info.sha256_thumbprint,
        "Valid from (UTC)",
        "Valid until (UTC)",
    ):
        assert text in html
    assert re.search(r">\s*Primary certificate\s*</label>", html)


# --- Save ----------------------------------------------------------------------------------------


def test_saving_only_the_reprovision_policy_leaves_everything_else_exactly_as_it_was(admin_client):
    group = rich_group()
    before = snapshot(group)
    url = group.get_absolute_url()
    _, data = open_page(admin_client, url)
    # A browser sends textareas with CRLF line ends.
    for name in ("initial_twin_tags", "initial_twin_desired_properties"):
        data[name] = [data[name][0].replace("\n", "\r\n")]
    data["reprovision_policy"] = ["never"]
    response = admin_client.post(url, data)
    assert response.status_code == 302
    after = snapshot(group)
    assert after["reprovision"] == (False, False)
    assert after["etag"] != before["etag"]
    for key in ("tags", "desired", "keys", "hubs", "iot_edge", "allocation", "status"):
        assert after[key] == before[key], key
    assert after["allocation"][1] == WEBHOOK


def test_save_sends_only_the_changed_fields(admin_client, monkeypatch):
    group = rich_group()
    url = group.get_absolute_url()
    _, data = open_page(admin_client, url)
    seen = {}

    def spy(**kwargs):
        seen.update(kwargs)
        return enrollment_update(**kwargs)

    monkeypatch.setattr(details_views, "enrollment_update", spy)
    data["reprovision_policy"] = ["reprovisionandresetdata"]
    admin_client.post(url, data)
    assert seen["changes"] == {"update_hub_assignment": True, "migrate_device_data": False}
    assert seen["expected_etag"] == group.etag


def test_a_successful_save_says_so_and_shows_the_new_values(admin_client):
    group = rich_group()
    url = reverse("enrollments:enrollment_group_detail_tab", args=["grp-1", "device-settings"])
    _, data = open_page(admin_client, url)
    data["initial_twin_desired_properties"] = ['{"fan": {"speed": 3}}']
    data.pop("iot_edge")
    response = admin_client.post(url, data, follow=True)
    assert response.redirect_chain[-1][0] == url
    html = response.content.decode()
    assert "Enrollment group “grp-1” was saved." in html
    assert "&quot;speed&quot;: 3" in html
    group.refresh_from_db()
    assert group.initial_twin_desired_properties == {"fan": {"speed": 3}} and group.iot_edge is False
    assert form_data(html)["etag"] == [group.etag]


def test_unchecking_enable_this_enrollment_disables_it(admin_client):
    enrollment = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey")
    url = enrollment.get_absolute_url()
    _, data = open_page(admin_client, url)
    assert data["provisioning_status"] == ["on"]
    del data["provisioning_status"]
    admin_client.post(url, data)
    enrollment.refresh_from_db()
    assert enrollment.provisioning_status == "disabled"
    _, data = open_page(admin_client, url)
    assert "provisioning_status" not in data
    data["provisioning_status"] = ["on"]
    admin_client.post(url, data)
    enrollment.refresh_from_db()
    assert enrollment.provisioning_status == "enabled"


def test_target_hubs_allocation_and_device_id_can_change(admin_client):
    h1, h2 = hub("h1.azure-devices.net"), hub("h2.azure-devices.net")
    enrollment = individual_enrollment_create(
        registration_id="dev-1", attestation_type="symmetricKey", iot_hubs=[h1, h2]
    )
    url = enrollment.get_absolute_url()
    _, data = open_page(admin_client, url)
    data.update(iot_hubs=[str(h2.pk)], allocation_policy=["static"], device_id=["Device One"])
    response = admin_client.post(url, data)
    assert response.status_code == 200  # a space is not allowed in a device ID
    assert "device_id" in form_data(response.content.decode())
    data["device_id"] = ["Device-One"]
    assert admin_client.post(url, data).status_code == 302
    enrollment.refresh_from_db()
    assert [h.pk for h in enrollment.iot_hubs.all()] == [h2.pk]
    assert (enrollment.allocation_policy, enrollment.device_id) == ("static", "Device-One")


def test_untouched_masked_webhook_keeps_its_secret_and_an_edited_url_keeps_the_masked_code(admin_client):
    group = rich_group()
    url = group.get_absolute_url()
    _, data = open_page(admin_client, url)
    data["webhook_url"] = [data["webhook_url"][0].replace("x=dup", "x=other")]
    assert admin_client.post(url, data).status_code == 302
    group.refresh_from_db()
    assert group.webhook_url == WEBHOOK.replace("x=dup", "x=other")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("https://fn.example.net/api/alloc", "https://attacker.example/collect"),
        ("/api/alloc", "/api/alloc2"),
        ("https://fn.example.net/", "https://fn.example.net:8443/"),
    ],
)
def test_a_masked_webhook_secret_is_not_moved_to_another_address(admin_client, old, new):
    group = rich_group()
    url = group.get_absolute_url()
    _, data = open_page(admin_client, url)
    data["webhook_url"] = [data["webhook_url"][0].replace(old, new)]
    response = admin_client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "is not carried over to it: replace •••• with the key for the new address." in html
    assert "Ab%2Fc%3D%3D" not in html
    group.refresh_from_db()
    assert group.webhook_url == WEBHOOK
    # Typing the key for the new address saves it.
    data["webhook_url"] = [data["webhook_url"][0].replace("code=••••", "code=typed-again", 1)]
    assert admin_client.post(url, data).status_code == 302
    group.refresh_from_db()
    assert group.webhook_url.startswith(WEBHOOK.replace(old, new).split("?")[0] + "?code=typed-again")


def test_nothing_changed_saves_nothing(admin_client):
    group = rich_group()
    url = group.get_absolute_url()
    _, data = open_page(admin_client, url)
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert messages_of(response) == ["Nothing to save: no value was changed."]
    assert EnrollmentGroup.objects.get(pk=group.pk).etag == group.etag


def test_a_stale_etag_is_refused_and_the_edits_stay_on_screen(admin_client):
    group = rich_group()
    url = group.get_absolute_url()
    _, data = open_page(admin_client, url)
    # Someone else saves after the page was opened.
    enrollment_update(enrollment=group, expected_etag=group.etag, changes={"initial_twin_tags": {"owner": "other"}})
    theirs = snapshot(group)
    data["initial_twin_desired_properties"] = ['{"mine": true}']
    data["reprovision_policy"] = ["never"]
    response = admin_client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else saved this enrollment group after you opened it, so your changes were not saved." in html
    assert ETAG_MISMATCH.replace("'", "&#x27;") not in html  # one alert, one next step
    assert html.count('role="alert"') == 1
    shown = form_data(html)
    assert shown["initial_twin_desired_properties"] == ['{"mine": true}']
    assert shown["reprovision_policy"] == ["never"]
    assert shown["etag"] == [group.etag]  # still the old one: a second Save is refused too
    assert snapshot(group) == theirs
    # Reloading would post the refused form again: a link opens the current version with a GET.
    assert f'<a href="{url}" class="alert-link" data-details-keep-changes>Open the current version</a>' in html
    current = admin_client.get(url).content.decode()
    assert "owner" in current and "Open the current version" not in current
    assert admin_client.post(url, shown).status_code == 200
    assert snapshot(group) == theirs


def test_two_saves_from_the_same_version_never_both_win(admin_client):
    group = rich_group()
    url = group.get_absolute_url()
    _, first = open_page(admin_client, url)
    second = {k: list(v) for k, v in first.items()}
    first["reprovision_policy"] = ["never"]
    second["initial_twin_tags"] = ['{"second": 1}']
    assert admin_client.post(url, first).status_code == 302
    assert admin_client.post(url, second).status_code == 200
    group.refresh_from_db()
    assert group.reprovision_policy == "never" and group.initial_twin_tags == TAGS


def test_a_validation_error_is_shown_next_to_its_field_and_keeps_every_value(admin_client):
    group = rich_group()
    before = snapshot(group)
    url = group.get_absolute_url()
    _, data = open_page(admin_client, url)
    data["reprovision_policy"] = ["never"]
    data["initial_twin_desired_properties"] = ['{"a": 1,\n "b": }']
    data["api_version"] = ["  "]
    data["initial_twin_tags"] = ['{"kept": "as typed"}']
    response = admin_client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "line 2" in html and "This field is required." in html
    assert re.search(r'id="tab-device-settings"[^>]*aria-invalid="true"', html.replace("\n", " "))
    assert re.search(r'id="tab-iot-hubs"[^>]*aria-invalid="true"', html.replace("\n", " "))
    assert not re.search(r'id="tab-registration"[^>]*aria-invalid', html.replace("\n", " "))
    shown = form_data(html)
    assert shown["initial_twin_desired_properties"] == ['{"a": 1,\n "b": }']
    assert shown["initial_twin_tags"] == ['{"kept": "as typed"}']
    assert shown["reprovision_policy"] == ["never"]
    assert shown["_tab"] == ["iot-hubs"]  # the first tab holding an error is shown
    assert snapshot(group) == before


def test_service_refusals_land_on_their_field(admin_client):
    h1, h2 = hub("h1.azure-devices.net"), hub("h2.azure-devices.net")
    enrollment = individual_enrollment_create(
        registration_id="dev-1", attestation_type="symmetricKey", iot_hubs=[h1], allocation_policy="static"
    )
    url = enrollment.get_absolute_url()
    _, data = open_page(admin_client, url)
    data["iot_hubs"] = [str(h1.pk), str(h2.pk)]
    html = admin_client.post(url, data).content.decode()
    assert "select exactly one target IoT hub" in html
    assert re.search(r'id="tab-iot-hubs"[^>]*aria-invalid="true"', html.replace("\n", " "))


def test_an_enrollment_stored_without_hubs_can_be_saved_without_touching_them(admin_client):
    hub("h1.azure-devices.net")
    enrollment = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey")
    url = enrollment.get_absolute_url()
    _, data = open_page(admin_client, url)
    assert "iot_hubs" not in data
    data["iot_edge"] = ["on"]
    assert admin_client.post(url, data).status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.iot_edge is True and not enrollment.iot_hubs.exists()


def test_choosing_custom_allocation_re_renders_the_form_with_the_webhook_fields(admin_client):
    group = enrollment_group_create(enrollment_group_id="g", attestation_type="symmetricKey")
    url = group.get_absolute_url()
    html, data = open_page(admin_client, url)
    assert 'name="webhook_url"' not in html
    data["allocation_policy"] = ["custom"]
    data["_nav"] = ["refresh"]
    data["initial_twin_tags"] = ['{"typed": 1}']
    response = admin_client.post(url, data, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert re.search(r">\s*Webhook URL\s*</label>", html) and re.search(r">\s*API version\s*</label>", html)
    assert "This field is required." not in html
    assert form_data('<form id="details-form">' + html + "</form>")["initial_twin_tags"] == ['{"typed": 1}']
    assert EnrollmentGroup.objects.get(pk=group.pk).etag == group.etag


# --- Delete and registration records ------------------------------------------------------------


def test_delete_from_the_details_page_goes_back_to_the_list_with_a_message(admin_client):
    enrollment = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey")
    response = admin_client.post(reverse("enrollments:individual_enrollment_delete", args=["dev-1"]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("enrollments:individual_enrollment_list")
    assert "Individual enrollment “dev-1” was deleted." in response.content.decode()
    assert not IndividualEnrollment.objects.filter(pk=enrollment.pk).exists()
    assert admin_client.get(reverse("enrollments:individual_enrollment_delete", args=["dev-1"])).status_code == 405


def test_deleting_a_group_keeps_its_registration_records(admin_client):
    group = enrollment_group_create(enrollment_group_id="grp-1", attestation_type="symmetricKey")
    RegistrationRecordFactory(
        registration_id="dev-a", enrollment_group=group, enrollment_group_name="grp-1", status="assigned"
    )
    response = admin_client.post(reverse("enrollments:enrollment_group_delete", args=["grp-1"]))
    assert response.status_code == 302 and response["Location"] == reverse("enrollments:enrollment_group_list")
    assert not EnrollmentGroup.objects.exists()
    record = RegistrationRecord.objects.get()
    assert record.enrollment_group_name == "grp-1" and record.enrollment_group_id is None


def test_group_registration_records_tab_lists_and_deletes_its_records(admin_client):
    group = enrollment_group_create(enrollment_group_id="grp-1", attestation_type="symmetricKey")
    other = enrollment_group_create(enrollment_group_id="grp-2", attestation_type="symmetricKey")
    mine = RegistrationRecordFactory(
        registration_id="dev-a",
        enrollment_group=group,
        enrollment_group_name="grp-1",
        device_id="dev-a",
        assigned_hub="h1.azure-devices.net",
        status="assigned",
    )
    RegistrationRecordFactory(registration_id="dev-b", enrollment_group=other, enrollment_group_name="grp-2")
    url = reverse("enrollments:enrollment_group_detail_tab", args=["grp-1", "registration-records"])
    html = admin_client.get(url).content.decode()
    panel = html.split('id="panel-registration-records"')[1].split("</table>")[0]
    for column in ("Registration ID", "Device ID", "Status", "Assigned IoT hub", "Last updated (UTC)", "Error"):
        assert f">{column}</th>" in panel
    assert "dev-a" in panel and "dev-b" not in panel and "h1.azure-devices.net" in panel
    records_form = form_data(
        html.replace('class="registration-records"', 'id="records" class="registration-records"'), "records"
    )
    assert records_form["next"] == [url]
    response = admin_client.post(reverse("enrollments:registration_records_delete"), {"pk": [mine.pk], "next": url})
    assert response["Location"] == url
    assert list(RegistrationRecord.objects.values_list("registration_id", flat=True)) == ["dev-b"]


def test_individual_registration_status_shows_its_record(admin_client):
    enrollment = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey")
    html = admin_client.get(enrollment.get_absolute_url()).content.decode()
    assert "This device has not registered yet." in html
    RegistrationRecordFactory(
        registration_id="dev-1",
        individual_enrollment=enrollment,
        device_id="dev-1",
        status="failed",
        error_code=401002,
        error_message="Unauthorized",
    )
    html = admin_client.get(enrollment.get_absolute_url()).content.decode()
    section = html.split('id="registration-status-heading"')[1]
    assert ">Assigned IoT hub</th>" in section and "401002: Unauthorized" in section
    assert re.search(r">\s*Delete registrations\s*</button>", section)


def _selected_option(html: str, name: str) -> tuple[str, str]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    option = re.search(r'<option value="([^"]*)"[^>]*\bselected>([^<]*)<', select)
    return option.group(1), option.group(2).strip()


def test_an_enrollment_without_hubs_and_allocation_policy_says_what_applies(admin_client):
    # As the REST API stores one created without `iotHubs` and `allocationPolicy`.
    h1 = hub("h1.azure-devices.net")
    enrollment = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey")
    assert enrollment.allocation_policy is None and not enrollment.iot_hubs.exists()
    url = enrollment.get_absolute_url()
    html, data = open_page(admin_client, url)
    assert _selected_option(html, "allocation_policy") == ("", "Service default (Evenly weighted distribution)")
    assert "Saved with no hub checked: this enrollment uses every linked IoT hub." in html
    assert not re.search(rf'name="iot_hubs" value="{h1.pk}"[^>]* checked', html)

    # A save that touches neither keeps them: allocation policy NULL, no target hub.
    data["iot_edge"] = ["on"]
    assert admin_client.post(url, data).status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.iot_edge is True and enrollment.allocation_policy is None and not enrollment.iot_hubs.exists()
    html, data = open_page(admin_client, url)
    assert _selected_option(html, "allocation_policy")[0] == ""

    # Choosing the policy the default names stores it, from then on the enrollment's own.
    data["allocation_policy"] = ["hashed"]
    assert admin_client.post(url, data).status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.allocation_policy == "hashed"
    html, _ = open_page(admin_client, url)
    assert _selected_option(html, "allocation_policy") == ("hashed", "Evenly weighted distribution")
    assert "Service default" not in html


def test_the_service_default_option_names_the_services_current_default(admin_client):
    from enrollments.models import ProvisioningService

    service = ProvisioningService.objects.get_current()
    service.allocation_policy = "geoLatency"
    service.save()
    group = enrollment_group_create(enrollment_group_id="g", attestation_type="symmetricKey")
    html, _ = open_page(admin_client, group.get_absolute_url())
    assert _selected_option(html, "allocation_policy") == ("", "Service default (Lowest latency)")


# --- read-only display -------------------------------------------------------------------------------


def test_group_details_show_everything_read_only_with_keys_masked(admin_client):
    group = enrollment_group_create(enrollment_group_id="grp-1", attestation_type="symmetricKey")
    response = admin_client.get(reverse("enrollments:enrollment_group_detail", args=["GRP-1"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "grp-1" in html and "Symmetric key" in html and "••••" in html
    assert group.primary_key not in html and group.secondary_key not in html
    # The details page is in edit mode; the keys are still no form fields (Show/Copy only).
    assert 'name="primary_key"' not in html and 'name="secondary_key"' not in html


def test_group_details_show_certificate_info(admin_client, ca_certificate_pem):
    from enrollments.attestation.x509 import parse_certificate

    info = parse_certificate(ca_certificate_pem)
    enrollment_group_create(enrollment_group_id="x", attestation_type="x509", signing_certificates={"primary": info})
    html = admin_client.get(reverse("enrollments:enrollment_group_detail", args=["x"])).content.decode()
    for text in (info.subject_name, info.sha1_thumbprint, info.sha256_thumbprint, "Valid until (UTC)"):
        assert text in html


def test_individual_details_mask_keys(admin_client):
    enrollment = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey")
    html = admin_client.get(reverse("enrollments:individual_enrollment_detail", args=["dev-1"])).content.decode()
    assert "dev-1" in html and "••••" in html and enrollment.primary_key not in html


def test_details_of_unknown_enrollment_is_404(admin_client):
    assert admin_client.get(reverse("enrollments:enrollment_group_detail", args=["nope"])).status_code == 404
    assert admin_client.get(reverse("enrollments:individual_enrollment_detail", args=["nope"])).status_code == 404


# --- a typed NUL (U+0000) is never a 500 and never lost ----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [
        ("initial_twin_tags", '{"a": "\x00"}'),
        ("initial_twin_desired_properties", '{"a\x00": 1}'),
        ("device_id", "dev\x00"),
        ("webhook_url", "https://example.com/api?code=a\x00b"),
        ("api_version", "2021\x00"),
    ],
)
def test_details_save_with_a_nul_is_a_field_error(admin_client, field, value):
    """The details page's Save path: a NUL is a field error next to its field, never a 500."""
    enrollment = individual_enrollment_create(
        registration_id="dev-1",
        attestation_type="symmetricKey",
        allocation_policy="custom",
        webhook_url="https://example.com/api?code=secret",
        api_version="2021-10-01",
    )
    url = reverse("enrollments:individual_enrollment_detail", args=["dev-1"])
    data = {
        "etag": enrollment.etag,
        "_tab": "registration",
        "provisioning_status": "on",
        "reprovision_policy": enrollment.reprovision_policy,
        "device_id": "",
        "allocation_policy": "custom",
        "webhook_url": "https://example.com/api?code=••••",
        "api_version": "2021-10-01",
        "initial_twin_tags": "{}",
        "initial_twin_desired_properties": "{}",
        field: value,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "invalid-feedback" in html and 'aria-invalid="true"' in html
    enrollment.refresh_from_db()
    assert "\x00" not in json.dumps(
        [enrollment.device_id, enrollment.webhook_url, enrollment.api_version, enrollment.initial_twin_tags]
    )


@pytest.mark.django_db
def test_details_save_of_a_group_with_nul_in_tags(admin_client):
    group = enrollment_group_create(enrollment_group_id="grp-1", attestation_type="symmetricKey")
    url = reverse("enrollments:enrollment_group_detail", args=["grp-1"])
    response = admin_client.post(
        url,
        {
            "etag": group.etag,
            "_tab": "device-settings",
            "provisioning_status": "on",
            "reprovision_policy": group.reprovision_policy,
            "allocation_policy": "hashed",
            "initial_twin_tags": '{"a": "\x00"}',
            "initial_twin_desired_properties": "{}",
        },
    )
    assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    assert IndividualEnrollment.objects.count() == 0 and EnrollmentGroup.objects.get().initial_twin_tags in ({}, None)


def test_webhook_url_endpoint_gives_the_stored_url_to_a_signed_in_user_only(admin_client):
    rich_group("fleet-c")
    url = reverse("enrollments:enrollment_group_webhook_url", args=["fleet-c"])
    response = admin_client.get(url)
    assert response.status_code == 200 and response.content.decode() == WEBHOOK
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "Ab%2Fc" not in anonymous.content.decode()
    assert admin_client.post(url).status_code == 405
    individual_enrollment_create(registration_id="dev-n", attestation_type="symmetricKey")
    assert admin_client.get(reverse("enrollments:individual_enrollment_webhook_url", args=["dev-n"])).status_code == 404


def test_webhook_url_with_a_key_gets_show_and_copy_beside_it(admin_client):
    rich_group("fleet-c")
    html = admin_client.get(reverse("enrollments:enrollment_group_detail_tab", args=["fleet-c", "iot-hubs"])).content
    html = html.decode()
    field = re.search(r'<div[^>]*id="div_id_webhook_url".*?</div>\s*</div>', html, re.S).group(0)
    secret_url = reverse("enrollments:enrollment_group_webhook_url", args=["fleet-c"])
    assert re.search(r'<button[^>]*data-webhook-show="' + re.escape(secret_url) + r'"[^>]*>\s*Show\s*</button>', field)
    assert re.search(r'<button[^>]*data-webhook-copy="' + re.escape(secret_url) + r'"[^>]*>\s*Copy\s*</button>', field)
    assert "Ab%2Fc" not in html


def test_webhook_url_without_a_key_has_no_show(admin_client):
    enrollment_group_create(
        enrollment_group_id="fleet-k",
        attestation_type="symmetricKey",
        allocation_policy="custom",
        webhook_url="https://fn.example.net/api/alloc",
        api_version="2021-10-01",
    )
    html = admin_client.get(reverse("enrollments:enrollment_group_detail_tab", args=["fleet-k", "iot-hubs"])).content
    assert b"data-webhook-show" not in html


# --- the details page's IoT hubs tab -----------------------------------------------------------------


def test_details_unchecking_every_hub_saves_all_linked_hubs(admin_client):
    h1, h2 = hub("h1.azure-devices.net"), hub("h2.azure-devices.net")
    enrollment = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey", iot_hubs=[h1])
    url = enrollment.get_absolute_url()
    _, data = open_page(admin_client, url)
    assert data["iot_hubs"] == [str(h1.pk)]
    del data["iot_hubs"]
    response = admin_client.post(url, data)
    assert response.status_code == 302, one_line(response.content.decode())[:3000]
    enrollment.refresh_from_db()
    assert not enrollment.iot_hubs.exists()
    html = admin_client.get(url).content.decode()
    assert "None checked means all linked IoT hubs" in html and 'name="iot_hubs"' in html
    assert h2.host_name in html


def test_details_static_with_no_hub_is_refused(admin_client):
    h1 = hub("h1.azure-devices.net")
    enrollment = individual_enrollment_create(registration_id="dev-1", attestation_type="symmetricKey", iot_hubs=[h1])
    url = enrollment.get_absolute_url()
    _, data = open_page(admin_client, url)
    del data["iot_hubs"]
    data["allocation_policy"] = ["static"]
    html = one_line(admin_client.post(url, data).content.decode())
    assert "exactly one" in html and re.search(r'id="tab-iot-hubs"[^>]*aria-invalid="true"', html)
    assert list(enrollment.iot_hubs.all()) == [h1]


def test_details_malformed_api_version_is_refused_on_the_iot_hubs_tab(admin_client):
    group = enrollment_group_create(
        enrollment_group_id="g",
        attestation_type="symmetricKey",
        allocation_policy="custom",
        webhook_url="https://fn.example.net/api/a",
        api_version="2021-10-01",
    )
    url = reverse("enrollments:enrollment_group_detail", args=["g"])
    _, data = open_page(admin_client, url)
    data["api_version"] = ["2021-02-30"]
    response = admin_client.post(url, data)
    assert response.status_code == 200
    html = one_line(response.content.decode())
    assert re.search(r'id="tab-iot-hubs"[^>]*aria-invalid="true"', html)
    assert form_data(html)["api_version"] == ["2021-02-30"] and form_data(html)["_tab"] == ["iot-hubs"]
    group.refresh_from_db()
    assert group.api_version == "2021-10-01"
