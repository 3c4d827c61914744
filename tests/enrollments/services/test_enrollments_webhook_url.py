"""Webhook URL: its query string kept byte for byte, its `code=` secret masked on display."""

import pytest
from django.db import connection
from django.template import Context, Template

from enrollments.models import EnrollmentGroup, IndividualEnrollment
from enrollments.services.enrollments import enrollment_group_create, enrollment_update, individual_enrollment_create
from enrollments.templatetags.portal_tags import mask_secret, mask_webhook_secret

# Percent-escapes in both cases, `+`, an empty value, a repeated name, `;`, `=` inside a value, a fragment.
WEBHOOK = (
    "https://my-func.azurewebsites.net/api/Allocate?code=Zm9v%2Fb%3D%3dAR%2bxyz==&clientId=default"
    "&x=a+b&empty=&x=dup&semi=a;b&eq=a=b#frag"
)


@pytest.mark.django_db
def test_webhook_query_string_is_kept_byte_for_byte_through_the_service_and_database():
    group = enrollment_group_create(
        enrollment_group_id="custom",
        attestation_type="symmetricKey",
        allocation_policy="custom",
        webhook_url=WEBHOOK,
        api_version="2021-10-01",
    )
    assert EnrollmentGroup.objects.get(pk=group.pk).webhook_url == WEBHOOK
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT webhook_url FROM {EnrollmentGroup._meta.db_table} WHERE id = %s", [group.pk])
        assert cursor.fetchone()[0] == WEBHOOK


@pytest.mark.django_db
def test_webhook_url_survives_an_update_of_another_field_and_is_stored_as_given():
    enrollment = individual_enrollment_create(
        registration_id="custom",
        attestation_type="symmetricKey",
        allocation_policy="custom",
        webhook_url=WEBHOOK,
        api_version="2021-10-01",
    )
    enrollment_update(enrollment=enrollment, expected_etag=None, changes={"iot_edge": True})
    assert IndividualEnrollment.objects.get(pk=enrollment.pk).webhook_url == WEBHOOK
    other = WEBHOOK.replace("clientId=default", "clientId=other")
    enrollment_update(enrollment=enrollment, expected_etag=None, changes={"webhook_url": other})
    assert IndividualEnrollment.objects.get(pk=enrollment.pk).webhook_url == other


@pytest.mark.parametrize(
    "url, shown",
    [
        (WEBHOOK, WEBHOOK.replace("Zm9v%2Fb%3D%3dAR%2bxyz==", "••••")),
        ("https://h/api?code=abc", "https://h/api?code=••••"),
        ("https://h/api?a=1&code=abc&b=2", "https://h/api?a=1&code=••••&b=2"),
        ("https://h/api?Code=abc", "https://h/api?Code=••••"),
        ("https://h/api?code=a&code=b", "https://h/api?code=••••&code=••••"),
        ("https://h/api?code=", "https://h/api?code="),
        ("https://h/api?code", "https://h/api?code"),
        ("https://h/api?mycode=abc&codex=1", "https://h/api?mycode=abc&codex=1"),
        ("https://h/api?a=1#code=abc", "https://h/api?a=1#code=abc"),
        ("https://h/code=abc", "https://h/code=abc"),
        ("https://h/api", "https://h/api"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_webhook_secret_masks_only_the_code_value(url, shown):
    assert mask_webhook_secret(url) == shown


def test_mask_secret():
    assert mask_secret("c2VjcmV0LWtleS1ieXRlcy0xMjM0NTY=") == "••••"
    assert mask_secret("") == ""
    assert mask_secret(None) == ""


def test_filters_load_in_templates_and_stay_autoescaped():
    rendered = Template("{% load portal_tags %}{{ url|mask_webhook_secret }} {{ key|mask_secret }}").render(
        Context({"url": "https://h/api?code=abc&a=<b>", "key": "k"})
    )
    assert rendered == "https://h/api?code=••••&amp;a=&lt;b&gt; ••••"
