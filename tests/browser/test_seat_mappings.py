"""The seat types page in headless Chromium (docs/spec/seat-types.md, edge case 84): map a
group from the page, read the preview, confirm, and remove the mapping again."""
from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import expect

from seats import seat_types
from tests.browser.conftest import Console
from tests.support import add_premium


def test_edge_84_map_a_group_after_its_preview_then_remove_it(
    make_console: Callable[..., Console],
) -> None:
    console = make_console(3)
    add_premium(console.database, console.org_id, 2)
    members = [{"value": console.add_user(name)} for name in ("ada", "bob")]
    created = console.scim("POST", "/Groups", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Engineers", "members": members})
    assert created.status_code == 201, created.text
    page = console.page
    console.sign_in_with_link("primary_owner")
    page.get_by_role("link", name="Seat types").click()
    page.get_by_label("Group", exact=True).select_option(label="Engineers")
    page.get_by_label("Seat type", exact=True).select_option(label="Premium")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url(re.compile(r"/console/seat-types/preview"))
    expect(page.get_by_test_id("moving")).to_contain_text("2 users would change seat type")
    expect(page.get_by_test_id("suffice")).to_have_text("There are enough seats.")
    console.shot("01-preview")
    page.get_by_role("button", name="Map the group").click()
    page.wait_for_url(re.compile(r"/console/seat-types$"))
    expect(page.get_by_test_id("mappings")).to_contain_text("Engineers")
    page.get_by_role("link", name="Users").click()
    expect(page.get_by_text("Holds a Premium seat")).to_have_count(2)
    page.get_by_role("link", name="Seat types").click()
    page.get_by_role("link", name="Remove the mapping of Engineers").click()
    page.get_by_role("button", name="Remove the mapping").click()
    expect(page.get_by_text("No group is mapped")).to_be_visible()
    with console.database.transaction(write=False) as session:
        held = {t.key: t.assigned for t in seat_types.list_types(session, console.org_id)}
    assert held == {"premium": 0, "standard": 2}
