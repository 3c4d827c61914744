"""Bulk delete on Manage enrollments through the confirm dialog (ui-contract.md § Delete)."""

import pytest
from playwright.sync_api import Page, expect

from enrollments.services.enrollments import enrollment_group_create, individual_enrollment_create

pytestmark = pytest.mark.django_db(transaction=True)


def _row(page: Page, name: str):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))


def test_bulk_delete_two_individual_enrollments(signed_in_page: Page):
    page = signed_in_page
    for rid in ("dev-a", "dev-b", "dev-c"):
        individual_enrollment_create(registration_id=rid, attestation_type="symmetricKey")
    page.goto(page.base + "/portal/")
    page.get_by_role("link", name="Manage enrollments").click()
    page.get_by_role("tab", name="Individual enrollments").click()
    expect(page.get_by_role("tab", name="Individual enrollments")).to_have_attribute("aria-selected", "true")
    delete = page.get_by_role("button", name="Delete", exact=True)
    expect(delete).to_be_disabled()
    page.get_by_role("checkbox", name="Select dev-a").check()
    page.get_by_role("checkbox", name="Select dev-c").check()
    delete.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Yes").click()
    expect(page.get_by_text("Deleted 2 individual enrollments: dev-a, dev-c.")).to_be_visible()
    expect(_row(page, "dev-a")).to_have_count(0)
    expect(_row(page, "dev-c")).to_have_count(0)
    expect(_row(page, "dev-b")).to_have_count(1)


def test_delete_selected_group_no_keeps_it_yes_deletes_it(signed_in_page: Page):
    page = signed_in_page
    enrollment_group_create(enrollment_group_id="fleet-1", attestation_type="symmetricKey")
    enrollment_group_create(enrollment_group_id="fleet-2", attestation_type="symmetricKey")
    page.goto(page.base + "/portal/enrollment-groups/")
    page.get_by_role("checkbox", name="Select fleet-1").check()
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="No").click()
    expect(dialog).to_be_hidden()
    page.reload()
    expect(_row(page, "fleet-1")).to_have_count(1)

    page.get_by_role("checkbox", name="Select fleet-1").check()
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Yes").click()
    expect(page.get_by_text("Deleted 1 enrollment group: fleet-1.")).to_be_visible()
    expect(_row(page, "fleet-1")).to_have_count(0)
    expect(_row(page, "fleet-2")).to_have_count(1)


def test_select_all_checks_every_row(signed_in_page: Page):
    page = signed_in_page
    for rid in ("s-1", "s-2"):
        individual_enrollment_create(registration_id=rid, attestation_type="symmetricKey")
    page.goto(page.base + "/portal/individual-enrollments/")
    page.get_by_role("checkbox", name="Select all individual enrollments").check()
    expect(page.get_by_role("checkbox", name="Select s-1")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Select s-2")).to_be_checked()
    expect(page.get_by_role("button", name="Delete", exact=True)).to_be_enabled()
