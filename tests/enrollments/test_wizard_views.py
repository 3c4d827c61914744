"""Views of the add-enrollment wizards and the read-only details pages."""

import pytest
from django.urls import reverse

from enrollments.models import WizardDraft
from enrollments.services.enrollments import enrollment_group_create, individual_enrollment_create

pytestmark = pytest.mark.django_db


def test_group_details_show_everything_read_only_with_keys_masked(admin_client):
    group = enrollment_group_create(enrollment_group_id="grp-1", attestation_type="symmetricKey")
    response = admin_client.get(reverse("enrollments:enrollment_group_detail", args=["GRP-1"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "grp-1" in html and "Symmetric key" in html and "••••" in html
    assert group.primary_key not in html and group.secondary_key not in html
    assert "<input" not in html.split('id="main"')[1]


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


def test_details_and_wizard_need_sign_in(client):
    for url in (
        reverse("enrollments:enrollment_group_detail", args=["x"]),
        reverse("enrollments:enrollment_group_add"),
        reverse("enrollments:individual_enrollment_add"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_add_opens_a_new_draft_on_the_first_tab(admin_client):
    response = admin_client.get(reverse("enrollments:enrollment_group_add"))
    draft = WizardDraft.objects.get()
    assert response["Location"] == reverse("enrollments:enrollment_group_add_tab", args=[draft.pk, "registration"])
