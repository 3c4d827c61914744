"""Views of the add-enrollment wizards and the read-only details pages."""

import base64
import json
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollments.models import EnrollmentGroup, WizardDraft
from enrollments.services.enrollments import enrollment_group_create
from tests.factories import LinkedIotHubFactory

pytestmark = pytest.mark.django_db


def test_details_and_wizard_need_sign_in(client):
    for url in (
        reverse("enrollments:enrollment_group_detail", args=["x"]),
        reverse("enrollments:enrollment_group_add"),
        reverse("enrollments:individual_enrollment_add"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("prefix", ["enrollment_group", "individual_enrollment"])
@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}])
def test_opening_a_wizard_writes_nothing(admin_client, prefix, headers):
    for _ in range(3):  # e.g. a cross-site <img src=…/add/> loaded again and again
        response = admin_client.get(reverse(f"enrollments:{prefix}_add"), headers=headers)
        assert response.status_code == 200
    assert not WizardDraft.objects.exists()
    html = response.content.decode()
    assert 'aria-selected="true" aria-controls="wizard-tabpanel"' in html  # the first tab, shown at once
    # Its tabs and buttons post to the not-yet-stored wizard's URLs.
    assert f'hx-post="{reverse(f"enrollments:{prefix}_add_new_tab", args=["iot-hubs"])}"' in html
    for tab in ("registration", "iot-hubs", "device-settings", "review"):  # plain links (no JavaScript)
        assert admin_client.get(reverse(f"enrollments:{prefix}_add_new_tab", args=[tab])).status_code == 200
    assert not WizardDraft.objects.exists()


def test_the_first_post_stores_the_draft_and_moves_to_its_url(admin_client):
    new_url = reverse("enrollments:enrollment_group_add_new_tab", args=["iot-hubs"])
    payload = {"_tab": "registration", "_nav": "tab", "_fields": "enrollment_group_id", "enrollment_group_id": "typed"}
    response = admin_client.post(new_url, payload, headers={"HX-Request": "true"})
    draft = WizardDraft.objects.get()
    assert response.status_code == 200
    assert response["HX-Push-Url"] == reverse("enrollments:enrollment_group_add_tab", args=[draft.pk, "iot-hubs"])
    # A reload of the draft's URL shows what was typed.
    html = admin_client.get(reverse("enrollments:enrollment_group_add_tab", args=[draft.pk, "registration"]))
    assert 'value="typed"' in html.content.decode()
    # Without htmx: POST/redirect/GET to the stored draft's tab.
    response = admin_client.post(new_url, payload)
    second = WizardDraft.objects.exclude(pk=draft.pk).get()
    assert response["Location"] == reverse("enrollments:enrollment_group_add_tab", args=[second.pk, "iot-hubs"])


def test_a_first_post_that_re_renders_its_own_tab_still_moves_to_the_draft_url(admin_client):
    url = reverse("enrollments:individual_enrollment_add_new_tab", args=["registration"])
    payload = {"_tab": "registration", "_nav": "refresh", "_fields": "attestation", "attestation": "tpm"}
    response = admin_client.post(url, payload, headers={"HX-Request": "true"})
    draft = WizardDraft.objects.get()
    assert response["HX-Push-Url"] == reverse(
        "enrollments:individual_enrollment_add_tab", args=[draft.pk, "registration"]
    )


def test_untouched_drafts_expire_when_a_draft_is_stored(admin_client, settings):
    settings.DPS_WIZARD_DRAFT_LIFETIME = 3600
    old = start(admin_client)
    recent = start(admin_client)
    WizardDraft.objects.filter(pk=old.pk).update(last_updated_date_time_utc=timezone.now() - timedelta(seconds=3601))
    WizardDraft.objects.filter(pk=recent.pk).update(last_updated_date_time_utc=timezone.now() - timedelta(seconds=3500))
    admin_client.get(reverse("enrollments:enrollment_group_add"))  # opening writes (and deletes) nothing
    assert WizardDraft.objects.filter(pk=old.pk).exists()
    newest = start(admin_client)
    assert set(WizardDraft.objects.values_list("pk", flat=True)) == {recent.pk, newest.pk}


# --- the enrollment-group wizard ------------------------------------------------------------

HX = {"HX-Request": "true"}


def start(client, kind="group") -> WizardDraft:
    """Open a wizard (which stores nothing), then click its first tab: that first post stores the draft."""
    prefix = "enrollment_group" if kind == "group" else "individual_enrollment"
    client.get(reverse(f"enrollments:{prefix}_add"))
    client.post(reverse(f"enrollments:{prefix}_add_new_tab", args=["registration"]), {"_nav": "tab"}, headers=HX)
    return WizardDraft.objects.order_by("-created_date_time_utc").first()


def tab_url(draft, tab):
    name = (
        "enrollments:enrollment_group_add_tab" if draft.kind == "group" else "enrollments:individual_enrollment_add_tab"
    )
    return reverse(name, args=[draft.pk, tab])


def shown_fields(client, draft, tab) -> str:
    html = client.get(tab_url(draft, tab), headers=HX).content.decode()
    return re.search(r'name="_fields" value="([^"]*)"', html).group(1)


def post_tab(client, draft, from_tab, to_tab, data, nav="tab", files=None, htmx=True):
    payload = {"_tab": from_tab, "_nav": nav, "_fields": shown_fields(client, draft, from_tab), **data, **(files or {})}
    return client.post(tab_url(draft, to_tab), payload, headers=HX if htmx else {})


REGISTRATION = {
    "attestation": "symmetricKey",
    "auto_generate_keys": "on",
    "enrollment_group_id": "grp-wizard",
    "provisioning_status": "on",
    "reprovision_policy": "reprovisionandresetdata",
}


def hub(host):
    return LinkedIotHubFactory(host_name=host, shared_access_key_name="o")


def test_htmx_request_gets_the_panel_only(admin_client):
    draft = start(admin_client)
    response = admin_client.get(tab_url(draft, "iot-hubs"), headers=HX)
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert "enrollments/htmx/wizard_panel.html" in [t.name for t in response.templates]


def test_full_page_and_history_restore_get_the_whole_page(admin_client):
    draft = start(admin_client)
    for headers in ({}, {**HX, "HX-History-Restore-Request": "true"}):
        html = admin_client.get(tab_url(draft, "device-settings"), headers=headers).content.decode()
        assert "<html" in html
        assert re.search(r'aria-selected="true"[^>]*>\s*Device settings|id="tab-device-settings"', html)


def test_each_tab_is_a_url_and_marks_itself_selected(admin_client):
    draft = start(admin_client)
    for tab, label in [("registration", "Registration + provisioning"), ("review", "Review + create")]:
        html = admin_client.get(tab_url(draft, tab)).content.decode()
        selected = re.search(
            r'<a class="nav-link active" role="tab"[^>]*aria-selected="true"[^>]*>([^<]+)<', html, re.S
        )
        assert selected.group(1) == label


def test_unknown_tab_and_foreign_or_missing_drafts_are_404(admin_client, django_user_model):
    draft = start(admin_client)
    assert admin_client.get(tab_url(draft, "nope")).status_code == 404
    other = django_user_model.objects.create_user("other", password="pw-other-123")
    foreign = WizardDraft.objects.create(kind="group", owner=other, data={})
    assert admin_client.get(tab_url(foreign, "registration")).status_code == 404
    assert admin_client.post(tab_url(foreign, "review"), {"_tab": "review", "_nav": "create"}).status_code == 404
    wrong_kind = reverse("enrollments:individual_enrollment_add_tab", args=[draft.pk, "registration"])
    assert admin_client.get(wrong_kind).status_code == 404


def test_add_always_opens_a_new_empty_draft_with_defaults(admin_client):
    a, b = hub("a.azure-devices.net"), hub("b.azure-devices.net")
    first = start(admin_client)
    post_tab(admin_client, first, "registration", "iot-hubs", {**REGISTRATION, "enrollment_group_id": "typed"})
    second = start(admin_client)
    assert second.pk != first.pk
    html = admin_client.get(tab_url(second, "registration")).content.decode()
    assert "typed" not in html
    hubs_html = admin_client.get(tab_url(second, "iot-hubs")).content.decode()
    assert hubs_html.count("checked") >= 2 and f'value="{a.pk}"' in hubs_html and f'value="{b.pk}"' in hubs_html
    assert '<option value="hashed" selected>Evenly weighted distribution</option>' in hubs_html


def test_tab_post_keeps_invalid_values_and_marks_the_tab(admin_client):
    draft = start(admin_client)
    response = post_tab(
        admin_client, draft, "device-settings", "registration", {"initial_twin_desired_properties": '{"a": '}
    )
    assert response.status_code == 200
    assert response["HX-Push-Url"] == tab_url(draft, "registration")
    assert re.search(r'id="tab-device-settings"[^>]*aria-invalid="true"', response.content.decode(), re.S)
    html = admin_client.get(tab_url(draft, "device-settings")).content.decode()
    assert "{&quot;a&quot;: </textarea>" in html
    assert "Not valid JSON" in html


def test_next_with_an_invalid_tab_stays_there_with_errors(admin_client):
    draft = start(admin_client)
    response = post_tab(
        admin_client, draft, "registration", "iot-hubs", {**REGISTRATION, "enrollment_group_id": ""}, "next"
    )
    assert response.status_code == 200 and "HX-Push-Url" not in response
    html = response.content.decode()
    assert 'name="_tab" value="registration"' in html and "This field is required." in html


def test_untouched_tab_shows_no_errors_yet(admin_client):
    draft = start(admin_client)
    html = admin_client.get(tab_url(draft, "registration")).content.decode()
    assert "This field is required." not in html and 'aria-invalid="true"' not in html


def test_switching_attestation_removes_the_other_fields_and_keeps_typed_keys(admin_client):
    draft = start(admin_client)
    key = base64.b64encode(b"k" * 32).decode()
    manual = {**REGISTRATION, "primary_key": key, "secondary_key": key}
    del manual["auto_generate_keys"]
    for _ in range(2):  # unchecking the box shows the key fields; then the keys are typed
        post_tab(admin_client, draft, "registration", "registration", manual, "refresh")
    html = admin_client.get(tab_url(draft, "registration"), headers=HX).content.decode()
    assert 'name="primary_key"' in html
    response = post_tab(
        admin_client,
        draft,
        "registration",
        "registration",
        {**manual, "attestation": "x509SigningCertificates"},
        "refresh",
    )
    html = response.content.decode()
    assert 'name="primary_key"' not in html and 'name="primary_certificate"' in html
    assert "This field is required." not in html  # a refresh is no submit
    post_tab(admin_client, draft, "registration", "registration", {**manual, "attestation": "symmetricKey"}, "refresh")
    html = admin_client.get(tab_url(draft, "registration")).content.decode()
    assert f'value="{key}"' in html


def test_tpm_disables_next_and_create(admin_client):
    draft = start(admin_client)
    html = post_tab(
        admin_client, draft, "registration", "registration", {**REGISTRATION, "attestation": "tpm"}, "refresh"
    ).content.decode()
    assert "Enrollment groups do not support TPM attestation." in html
    assert re.search(r'value="next"[^>]*disabled', html)
    review = admin_client.get(tab_url(draft, "review")).content.decode()
    assert re.search(r'value="create"[^>]*disabled', review)
    response = admin_client.post(tab_url(draft, "review"), {"_tab": "review", "_nav": "create"}, headers=HX)
    assert response.status_code == 200 and not EnrollmentGroup.objects.exists()


def test_certificate_upload_is_parsed_and_kept_without_private_keys(admin_client, vectors_dir, vectors):
    draft = start(admin_client)
    data = {**REGISTRATION, "attestation": "x509SigningCertificates"}
    post_tab(admin_client, draft, "registration", "registration", {**REGISTRATION, **data}, "refresh")
    with open(vectors_dir / "intermediate-ca.pem", "rb") as pem:
        html = post_tab(
            admin_client, draft, "registration", "registration", data, "refresh", {"primary_certificate": pem}
        ).content.decode()
    thumb = vectors["certificates"]["intermediate-ca.pem"]["sha1Thumbprint"]
    assert thumb in html and "Current:" in html
    with open(vectors_dir / "private-key.pem", "rb") as key:
        html = post_tab(
            admin_client, draft, "registration", "registration", data, "refresh", {"secondary_certificate": key}
        ).content.decode()
    assert "private key" in html
    draft.refresh_from_db()
    assert draft.data["certificates"]["primary"]["sha1_thumbprint"] == thumb
    assert "secondary" not in draft.data["certificates"]
    assert "PRIVATE KEY" not in json.dumps(draft.data)
    assert thumb in admin_client.get(tab_url(draft, "registration")).content.decode()


def test_create_writes_the_group_and_redirects_to_the_list(admin_client):
    hub("a.azure-devices.net")
    b = hub("b.azure-devices.net")
    draft = start(admin_client)
    post_tab(admin_client, draft, "registration", "iot-hubs", REGISTRATION, "next")
    post_tab(
        admin_client, draft, "iot-hubs", "device-settings", {"iot_hubs": [str(b.pk)], "allocation_policy": "static"}
    )
    post_tab(
        admin_client,
        draft,
        "device-settings",
        "review",
        {"iot_edge": "on", "initial_twin_tags": '{"site": "lab"}', "initial_twin_desired_properties": ""},
    )
    response = admin_client.post(tab_url(draft, "review"), {"_tab": "review", "_nav": "create"}, headers=HX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("enrollments:enrollment_group_list")
    group = EnrollmentGroup.objects.get()
    assert group.enrollment_group_id == "grp-wizard" and group.attestation_type == "symmetricKey"
    assert (group.update_hub_assignment, group.migrate_device_data) == (True, False)
    assert list(group.iot_hubs.all()) == [b] and group.allocation_policy == "static"
    assert group.iot_edge and group.initial_twin_tags == {"site": "lab"} and group.initial_twin_desired_properties == {}
    assert not WizardDraft.objects.filter(pk=draft.pk).exists()
    html = admin_client.get(reverse("enrollments:enrollment_group_list")).content.decode()
    assert "Enrollment group “grp-wizard” was created." in html


def test_create_with_missing_values_goes_to_the_tab_with_errors(admin_client):
    draft = start(admin_client)
    response = admin_client.post(tab_url(draft, "review"), {"_tab": "review", "_nav": "create"}, headers=HX)
    assert response["HX-Push-Url"] == tab_url(draft, "registration")
    html = response.content.decode()
    assert "This field is required." in html and "Fix the fields marked" in html
    assert re.search(r'id="tab-registration"[^>]*aria-invalid="true"', html, re.S)


def test_service_errors_go_back_to_the_tab_holding_the_field(admin_client, ca_certificate_pem):
    from enrollments.attestation.x509 import parse_certificate

    info = parse_certificate(ca_certificate_pem)
    enrollment_group_create(
        enrollment_group_id="first", attestation_type="x509", signing_certificates={"primary": info}
    )
    draft = start(admin_client)
    draft.data["values"]["registration"].update(
        {"attestation": ["x509SigningCertificates"], "enrollment_group_id": ["second"]}
    )
    draft.data["certificates"]["primary"] = info.as_dict()
    draft.save()
    response = admin_client.post(tab_url(draft, "review"), {"_tab": "review", "_nav": "create"}, headers=HX)
    assert response["HX-Push-Url"] == tab_url(draft, "registration")
    html = response.content.decode()
    assert "already used by enrollment group “first”" in html
    assert re.search(r'id="tab-registration"[^>]*aria-invalid="true"', html, re.S)
    assert EnrollmentGroup.objects.count() == 1


def test_review_shows_values_as_text_with_keys_masked(admin_client):
    draft = start(admin_client)
    key = base64.b64encode(b"s" * 32).decode()
    manual = {**REGISTRATION, "primary_key": key, "secondary_key": key}
    del manual["auto_generate_keys"]
    for _ in range(2):  # unchecking the box shows the key fields; then the keys are typed
        post_tab(admin_client, draft, "registration", "registration", manual, "refresh")
    html = admin_client.get(tab_url(draft, "review")).content.decode()
    assert key not in html and "••••" in html and "grp-wizard" in html
    panel = html.split('id="wizard-tabpanel"')[1].split("</form>")[0]
    assert "<input" not in panel.split('class="d-flex gap-2 mt-4')[0]
    assert "Re-provision device and reset to initial config" in panel


def test_non_htmx_posts_redirect_to_the_tab_shown(admin_client):
    draft = start(admin_client)
    response = post_tab(admin_client, draft, "registration", "iot-hubs", REGISTRATION, "next", htmx=False)
    assert response.status_code == 302 and response["Location"] == tab_url(draft, "iot-hubs")
    response = admin_client.post(tab_url(draft, "review"), {"_tab": "review", "_nav": "create"})
    assert response.status_code == 302 and response["Location"] == reverse("enrollments:enrollment_group_list")


def test_link_a_new_hub_round_trip_checks_the_new_hub(admin_client):
    draft = start(admin_client)
    html = admin_client.get(tab_url(draft, "iot-hubs")).content.decode()
    assert "Link a new IoT hub" in html
    response = post_tab(admin_client, draft, "iot-hubs", "iot-hubs", {"allocation_policy": "geoLatency"}, "link-hub")
    target = reverse("enrollments:linked_iot_hub_add") + "?" + urlencode({"next": tab_url(draft, "iot-hubs")})
    assert response["HX-Redirect"] == target
    new = hub("new.azure-devices.net")
    response = admin_client.get(tab_url(draft, "iot-hubs") + "?linked_hub=new.azure-devices.net")
    assert response.status_code == 302
    html = admin_client.get(tab_url(draft, "iot-hubs")).content.decode()
    assert re.search(rf'value="{new.pk}"\s+id="id_iot_hubs_\d+" checked', html)
    assert '<option value="geoLatency" selected>' in html


def test_a_refusal_without_a_field_stays_on_review(admin_client, settings):
    settings.DPS_MAX_SYMMETRIC_KEY_GROUPS = 0
    draft = start(admin_client)
    post_tab(admin_client, draft, "registration", "review", REGISTRATION)
    response = admin_client.post(tab_url(draft, "review"), {"_tab": "review", "_nav": "create"}, headers=HX)
    html = response.content.decode()
    assert "the most allowed (quota 0)" in html and 'name="_tab" value="review"' in html
    assert re.search(r'id="tab-review"[^>]*aria-invalid="true"', html, re.S)
    assert not EnrollmentGroup.objects.exists()


def test_secondary_certificate_can_be_removed(admin_client, vectors_dir):
    draft = start(admin_client)
    data = {**REGISTRATION, "attestation": "x509SigningCertificates"}
    post_tab(admin_client, draft, "registration", "registration", data, "refresh")
    with open(vectors_dir / "intermediate-ca-2.pem", "rb") as pem:
        html = post_tab(
            admin_client, draft, "registration", "registration", data, "refresh", {"secondary_certificate": pem}
        ).content.decode()
    assert "Remove the secondary certificate" in html and "Example Intermediate CA 2" in html
    html = post_tab(
        admin_client, draft, "registration", "registration", {**data, "remove_secondary_certificate": "on"}, "refresh"
    ).content.decode()
    assert "Example Intermediate CA 2" not in html and "Remove the secondary certificate" not in html
    draft.refresh_from_db()
    assert draft.data["certificates"] == {}


def test_values_no_user_can_type_never_break_a_page(admin_client):
    draft = start(admin_client)
    draft.data["values"]["registration"].update({"attestation": ["x509CaReferences"], "ca_primary": ["x"]})
    draft.data["values"]["iot-hubs"]["iot_hubs"] = ["999999", "x"]
    draft.save()
    assert admin_client.get(tab_url(draft, "review")).status_code == 200
    assert admin_client.get(tab_url(draft, "iot-hubs")).status_code == 200
    response = admin_client.post(tab_url(draft, "review"), {"_tab": "review", "_nav": "create"}, headers=HX)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


GONE = "This wizard was already completed or has expired: start a new one with {add}."


@pytest.mark.parametrize(
    "kind, add, list_name",
    [
        ("group", "Add enrollment group", "enrollments:enrollment_group_list"),
        ("individual", "Add individual enrollment", "enrollments:individual_enrollment_list"),
    ],
)
def test_a_draft_that_is_gone_leads_to_the_list_with_a_note_not_a_404(admin_client, kind, add, list_name):
    draft = start(admin_client, kind)
    WizardDraft.objects.filter(pk=draft.pk).delete()  # created (Create deletes it) or expired
    list_url = reverse(list_name)
    response = admin_client.get(tab_url(draft, "review"))
    assert response.status_code == 302 and response["Location"] == list_url
    html = admin_client.get(list_url).content.decode()
    assert GONE.format(add=add) in html
    response = admin_client.get(tab_url(draft, "registration"), headers=HX)
    assert response.status_code == 200 and response["HX-Redirect"] == list_url
    response = admin_client.get(tab_url(draft, "iot-hubs"), headers={**HX, "HX-History-Restore-Request": "true"})
    assert response.status_code == 302 and response["Location"] == list_url
    # A click on a tab or Create of a page left open posts to the gone draft: the same way out.
    response = admin_client.post(tab_url(draft, "review"), {"_tab": "review", "_nav": "create"}, headers=HX)
    assert response["HX-Redirect"] == list_url


def test_browser_back_after_create_goes_to_the_list(admin_client):
    draft = start(admin_client)
    post_tab(admin_client, draft, "registration", "review", REGISTRATION)
    admin_client.post(tab_url(draft, "review"), {"_tab": "review", "_nav": "create"}, headers=HX)
    assert EnrollmentGroup.objects.filter(enrollment_group_id="grp-wizard").exists()
    response = admin_client.get(tab_url(draft, "review"), follow=True)
    assert response.redirect_chain == [(reverse("enrollments:enrollment_group_list"), 302)]
    assert GONE.format(add="Add enrollment group") in response.content.decode()


def test_a_gone_draft_url_still_needs_sign_in(client):
    import uuid

    url = reverse("enrollments:enrollment_group_add_tab", args=[uuid.uuid4(), "registration"])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- a typed NUL (U+0000) is never a 500 and never lost ----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kind, tab, field, value",
    [
        ("group", "registration", "enrollment_group_id", "grp\x00"),
        ("individual", "registration", "registration_id", "dev\x00ice"),
        ("individual", "registration", "device_id", "dev\x00"),
        ("group", "iot-hubs", "webhook_url", "https://example.com/api?code=a\x00b"),
        ("group", "iot-hubs", "api_version", "2021-10-01\x00"),
        ("group", "device-settings", "initial_twin_tags", '{"a": "\x00"}'),
        ("group", "device-settings", "initial_twin_desired_properties", '{"\x00": 1}'),
    ],
)
def test_a_posted_nul_gives_a_field_error_and_is_kept(admin_client, kind, tab, field, value):
    LinkedIotHubFactory(host_name="hub-1.azure-devices.net", shared_access_key_name="o")
    draft = start(admin_client, kind)
    data = {"allocation_policy": "custom"} if tab == "iot-hubs" else {}
    payload = {"_tab": tab, "_nav": "next", "_fields": ",".join([field, *data]), field: value, **data}
    response = admin_client.post(tab_url(draft, "review"), payload, headers=HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "invalid-feedback" in html and 'aria-invalid="true"' in html
    draft.refresh_from_db()
    assert draft.data["values"][tab][field] == [value]  # exactly as typed
    again = admin_client.get(tab_url(draft, tab)).content.decode()  # a reload shows it again
    assert value.replace('"', "&quot;") in again


@pytest.mark.django_db
def test_create_with_a_nul_is_refused_on_its_tab(admin_client):
    draft = start(admin_client)
    admin_client.post(
        tab_url(draft, "review"),
        {"_tab": "registration", "_nav": "tab", "_fields": "enrollment_group_id", "enrollment_group_id": "g\x00"},
        headers=HX,
    )
    response = admin_client.post(tab_url(draft, "review"), {"_tab": "review", "_nav": "create"}, headers=HX)
    assert response.status_code == 200 and "HX-Redirect" not in response
    assert 'name="_tab" value="registration"' in response.content.decode()
    assert not EnrollmentGroup.objects.exists()
