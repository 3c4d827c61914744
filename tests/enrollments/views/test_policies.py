"""Shared access policies: the portal page (views), its services and `manage.py connection_string`."""

import re
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from enrollments.models import SharedAccessPolicy
from enrollments.services.policies import (
    shared_access_policy_create,
    shared_access_policy_delete,
    shared_access_policy_regenerate_key,
)

pytestmark = pytest.mark.django_db

LIST = reverse("enrollments:shared_access_policy_list")


def cs_url(policy, slot="primary"):
    return reverse("enrollments:shared_access_policy_connection_string", args=[policy.pk, slot])


def test_page_needs_sign_in(client):
    assert client.get(LIST).status_code == 302
    owner = SharedAccessPolicy.objects.ensure_owner()
    assert client.get(cs_url(owner)).status_code == 302


def test_page_creates_the_owner_and_never_renders_a_key(admin_client):
    response = admin_client.get(LIST)
    assert response.status_code == 200
    owner = SharedAccessPolicy.objects.get(name="provisioningserviceowner")
    html = response.content.decode()
    assert "provisioningserviceowner" in html
    assert "SharedAccessKey=••••" in html
    assert owner.primary_key not in html and owner.secondary_key not in html
    assert 'aria-current="page"' in html and "Shared access policies" in html


def test_show_returns_the_full_string_uncached_and_copy_plain_text(admin_client, settings):
    settings.DPS_PUBLIC_URL = "https://dps.example.com"
    owner = SharedAccessPolicy.objects.ensure_owner()
    expected = (
        f"HostName=dps.example.com;SharedAccessKeyName=provisioningserviceowner;SharedAccessKey={owner.secondary_key}"
    )
    shown = admin_client.get(cs_url(owner, "secondary"), headers={"HX-Request": "true"})
    assert shown.status_code == 200
    assert "<html" not in shown.content.decode()
    assert f'value="{expected}"' in shown.content.decode()
    assert "no-store" in shown.headers["Cache-Control"] or "max-age=0" in shown.headers["Cache-Control"]
    copied = admin_client.get(cs_url(owner, "secondary") + "?format=text")
    assert copied.content.decode() == expected
    assert copied.headers["Content-Type"].startswith("text/plain")
    assert admin_client.get(cs_url(owner, "tertiary")).status_code == 404


def test_shown_string_has_hide_which_returns_the_masked_field_without_the_key(admin_client):
    owner = SharedAccessPolicy.objects.ensure_owner()
    shown = admin_client.get(cs_url(owner), headers={"HX-Request": "true"}).content.decode()
    assert re.search(r">\s*Hide\s*</button>", shown) and not re.search(r">\s*Show\s*</button>", shown)
    assert f'hx-get="{cs_url(owner)}?view=masked"' in shown
    hidden = admin_client.get(cs_url(owner) + "?view=masked", headers={"HX-Request": "true"})
    html = hidden.content.decode()
    assert hidden.status_code == 200 and "<html" not in html
    assert "SharedAccessKey=••••" in html and owner.primary_key not in html
    assert re.search(r">\s*Show\s*</button>", html) and re.search(r">\s*Copy\s*</button>", html)
    assert not re.search(r">\s*Hide\s*</button>", html)


def test_the_list_page_shows_show_not_hide(admin_client):
    html = admin_client.get(LIST).content.decode()
    assert re.search(r">\s*Show\s*</button>", html) and not re.search(r">\s*Hide\s*</button>", html)
    assert not re.search(r"autofocus>\s*Show", html)


def test_regenerate_replaces_only_the_chosen_key(admin_client):
    owner = SharedAccessPolicy.objects.ensure_owner()
    old_primary, old_secondary = owner.primary_key, owner.secondary_key
    url = reverse("enrollments:shared_access_policy_regenerate", args=[owner.pk])
    response = admin_client.post(url, {"key": "primary"}, follow=True)
    owner.refresh_from_db()
    assert owner.primary_key != old_primary and owner.secondary_key == old_secondary
    assert "primary key of “provisioningserviceowner” was regenerated" in response.content.decode()
    admin_client.post(url, {"key": "bogus"})
    owner.refresh_from_db()
    assert owner.secondary_key == old_secondary
    assert admin_client.get(url).status_code == 405


def test_add_policy_with_rights_and_errors_next_to_fields(admin_client):
    url = reverse("enrollments:shared_access_policy_add")
    bad = admin_client.post(url, {"name": "bad name!"})
    assert bad.status_code == 200
    html = bad.content.decode()
    assert "This field is required." in html  # no permission chosen
    assert "Policy name may contain only letters" in html
    good = admin_client.post(url, {"name": "reader", "rights": ["EnrollmentRead", "RegistrationStatusRead"]})
    assert good.status_code == 302
    assert SharedAccessPolicy.objects.get(name="reader").rights == ["EnrollmentRead", "RegistrationStatusRead"]
    dup = admin_client.post(url, {"name": "READER", "rights": ["EnrollmentRead"]})
    assert "already exists" in dup.content.decode()


def test_delete_policy_but_never_the_owner(admin_client):
    owner = SharedAccessPolicy.objects.ensure_owner()
    other = shared_access_policy_create(name="ci", rights=["EnrollmentWrite"])
    admin_client.post(reverse("enrollments:shared_access_policy_delete", args=[other.pk]))
    assert not SharedAccessPolicy.objects.filter(name="ci").exists()
    response = admin_client.post(reverse("enrollments:shared_access_policy_delete", args=[owner.pk]), follow=True)
    assert SharedAccessPolicy.objects.filter(pk=owner.pk).exists()
    assert "cannot be deleted" in response.content.decode()


def test_services_validate_rights_and_slots():
    with pytest.raises(ValidationError) as err:
        shared_access_policy_create(name="p", rights=[])
    assert "rights" in err.value.message_dict
    with pytest.raises(ValidationError):
        shared_access_policy_create(name="p", rights=["Everything"])
    policy = shared_access_policy_create(name="p", rights=["ServiceConfig"])
    with pytest.raises(ValueError):
        shared_access_policy_regenerate_key(policy=policy, slot="third")
    with pytest.raises(ValidationError):
        shared_access_policy_delete(policy=SharedAccessPolicy.objects.ensure_owner())


def test_connection_string_command_keeps_http_scheme(settings):
    settings.DPS_PUBLIC_URL = "http://127.0.0.1:8000"
    out = StringIO()
    call_command("connection_string", stdout=out)
    owner = SharedAccessPolicy.objects.get(name="provisioningserviceowner")
    assert out.getvalue().strip() == (
        f"HostName=http://127.0.0.1:8000;SharedAccessKeyName=provisioningserviceowner;SharedAccessKey={owner.primary_key}"
    )


def test_connection_string_command_for_a_named_policy_over_https(settings):
    settings.DPS_PUBLIC_URL = "https://dps.example.com/"
    policy = shared_access_policy_create(name="reader", rights=["EnrollmentRead"])
    out = StringIO()
    call_command("connection_string", "--policy", "reader", "--secondary", stdout=out)
    assert out.getvalue().strip() == (
        f"HostName=dps.example.com;SharedAccessKeyName=reader;SharedAccessKey={policy.secondary_key}"
    )
    with pytest.raises(CommandError, match="No shared access policy named"):
        call_command("connection_string", "--policy", "nobody", stdout=StringIO())
