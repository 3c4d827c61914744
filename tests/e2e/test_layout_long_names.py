"""Long names (a 128-character registration ID) keep the layout: sidebar and main side by side,
names wrap inside their cells, the page never scrolls sideways."""

import pytest
from playwright.sync_api import Page, expect

from enrollments.services.enrollments import enrollment_group_create, individual_enrollment_create

pytestmark = pytest.mark.django_db(transaction=True)

LONG_ID = "a" * 128


def assert_no_horizontal_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def test_list_with_a_128_character_registration_id_keeps_sidebar_and_table_side_by_side(signed_in_page: Page):
    page = signed_in_page
    page.set_viewport_size({"width": 1300, "height": 900})
    individual_enrollment_create(registration_id=LONG_ID, attestation_type="symmetricKey")
    page.goto(page.base + "/portal/individual-enrollments/")
    link = page.get_by_role("link", name=LONG_ID, exact=True)
    expect(link).to_be_visible()

    sidebar = page.get_by_role("navigation", name="Service navigation").bounding_box()
    table = page.get_by_role("table").bounding_box()
    heading = page.get_by_role("heading", name="Manage enrollments").bounding_box()
    assert heading["y"] < 200, "the main column fell below the sidebar"
    assert table["x"] >= sidebar["x"] + sidebar["width"] - 1
    assert table["y"] < 900, "the table starts below the first screen"
    assert table["x"] + table["width"] <= 1300
    # The ID wraps inside its cell, and the last column stays on screen.
    assert link.bounding_box()["height"] > 30
    expect(page.get_by_role("columnheader", name="Created (UTC)")).to_be_in_viewport()
    assert_no_horizontal_scroll(page)


def test_success_message_with_a_long_name_wraps(signed_in_page: Page):
    page = signed_in_page
    page.set_viewport_size({"width": 1300, "height": 900})
    individual_enrollment_create(registration_id=LONG_ID, attestation_type="symmetricKey")
    page.goto(page.base + "/portal/individual-enrollments/")
    page.get_by_role("checkbox", name=f"Select {LONG_ID}").check()
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("button", name="Yes").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(LONG_ID)
    box = alert.bounding_box()
    assert box["x"] + box["width"] <= 1300
    assert_no_horizontal_scroll(page)


@pytest.mark.parametrize("kind", ["individual-enrollments", "enrollment-groups"])
def test_details_page_of_a_128_character_name_does_not_scroll_sideways(signed_in_page: Page, kind):
    page = signed_in_page
    page.set_viewport_size({"width": 1300, "height": 900})
    if kind == "enrollment-groups":
        enrollment_group_create(enrollment_group_id=LONG_ID, attestation_type="symmetricKey")
    else:
        individual_enrollment_create(registration_id=LONG_ID, attestation_type="symmetricKey")
    page.goto(f"{page.base}/portal/{kind}/{LONG_ID}/details/")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(LONG_ID)
    box = heading.bounding_box()
    assert box["x"] + box["width"] <= 1300
    assert_no_horizontal_scroll(page)
