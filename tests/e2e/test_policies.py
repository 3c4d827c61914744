"""Shared access policies page in a real browser: Show/Hide, Copy, Regenerate with the confirm dialog."""

from django.conf import settings
from playwright.sync_api import Page, expect

from enrollments.models import SharedAccessPolicy
from enrollments.sas import public_host_name


def test_show_copy_and_regenerate_the_owner_key(signed_in_page: Page):
    page = signed_in_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=page.base)
    page.get_by_role("link", name="Shared access policies").click()
    expect(page.get_by_role("heading", name="Shared access policies")).to_be_visible()
    owner = SharedAccessPolicy.objects.get(name="provisioningserviceowner")
    host = public_host_name(settings.DPS_PUBLIC_URL)
    card = page.get_by_role("region", name="provisioningserviceowner")
    primary = card.get_by_label("Primary connection string")
    expect(primary).to_have_value(f"HostName={host};SharedAccessKeyName=provisioningserviceowner;SharedAccessKey=••••")

    card.get_by_role("button", name="Show").first.click()
    expect(primary).to_have_value(
        f"HostName={host};SharedAccessKeyName=provisioningserviceowner;SharedAccessKey={owner.primary_key}"
    )
    # `Hide` returns to the masked value; the focus stays on the field's button.
    hide = card.locator(f"#cs-{owner.pk}-primary").get_by_role("button", name="Hide")
    expect(hide).to_be_focused()
    hide.click()
    expect(primary).to_have_value(f"HostName={host};SharedAccessKeyName=provisioningserviceowner;SharedAccessKey=••••")
    expect(card.locator(f"#cs-{owner.pk}-primary").get_by_role("button", name="Show")).to_be_focused()
    assert owner.primary_key not in page.content()

    # `Copy` says so, on the button and to screen readers, then gets its name back.
    secondary = card.locator(f"#cs-{owner.pk}-secondary")
    secondary.get_by_role("button", name="Copy").click()
    expect(secondary.get_by_role("button", name="Copied", exact=True)).to_be_visible()
    expect(page.locator("#portal-live")).to_have_text("Copied to the clipboard")
    expect(page.locator("#portal-live")).to_have_attribute("aria-live", "polite")
    expect(secondary.get_by_role("button", name="Copy", exact=True)).to_be_visible(timeout=5_000)
    assert page.evaluate("navigator.clipboard.readText()").endswith(f"SharedAccessKey={owner.secondary_key}")

    card.get_by_role("button", name="Regenerate primary key").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Regenerate the primary key")
    dialog.get_by_role("button", name="Yes").click()
    expect(page.get_by_role("alert")).to_contain_text("primary key of “provisioningserviceowner” was regenerated")
    old_primary = owner.primary_key
    owner.refresh_from_db()
    assert owner.primary_key != old_primary
    expect(
        page.get_by_role("region", name="provisioningserviceowner").get_by_label("Primary connection string")
    ).to_have_value(f"HostName={host};SharedAccessKeyName=provisioningserviceowner;SharedAccessKey=••••")
    assert owner.primary_key not in page.content()
