"""The billing page per seat type in headless Chromium (docs/spec/seat-types.md, edge case
80): the premium card's pencil → Review → Upgrade buys premium seats, and the page shows it."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from seats import seat_types
from tests.browser.conftest import Console
from tests.support import add_premium


@pytest.mark.date_sensitive  # the billing page prices the rest of the term
def test_edge_80_buying_premium_seats_from_the_premium_card(
    make_console: Callable[..., Console],
) -> None:
    console = make_console(3)
    add_premium(console.database, console.org_id, 1)
    page = console.page
    console.sign_in_with_link("primary_owner")
    expect(page.get_by_test_id("seats-total-premium")).to_have_text("1")
    expect(page.get_by_test_id("unit-price-premium")).to_have_text("USD 600.00")
    console.shot("01-cards")
    page.get_by_role("link", name="Change the number of Premium seats").click()
    page.get_by_label("New total of Premium seats").fill("4")
    page.get_by_role("button", name="Review").click()
    page.wait_for_url(re.compile(r"/console/billing/quotes/"))
    expect(page.get_by_role("heading", name="Add 3 Premium seats")).to_be_visible()
    expect(page.get_by_test_id("new-total-premium")).to_contain_text("1 → 4")
    console.shot("02-review")
    page.get_by_role("button", name="Upgrade").click()
    page.wait_for_url(re.compile(r"/console/billing/purchases/"))
    page.goto(console.url("/console/billing"))
    expect(page.get_by_test_id("seats-total-premium")).to_have_text("4")
    expect(page.get_by_test_id("seats-total-standard")).to_have_text("3")
    expect(page.get_by_test_id("seats-total")).to_have_text("7")
    with console.database.transaction(write=False) as session:
        assert {t.key: t.total for t in seat_types.list_types(session, console.org_id)} == {
            "premium": 4, "standard": 3}
