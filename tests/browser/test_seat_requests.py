"""The `request` policy's queue as a primary owner uses it, in headless Chromium against a
live server (docs/spec/pool-full-policies.md, edge case 423): two people asked for a seat on
a full pool; "Buy 2 seats for these requests" → review → Upgrade → approve both."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from seats.pool_full import REQUEST, PoolFullPolicy, save_policy
from tests.browser.conftest import PHONE, Console
from tests.conftest import NOW
from tests.support import open_seat_requests, snapshot

MakeConsole = Callable[..., Console]


@pytest.mark.date_sensitive  # the purchase is prorated; requests expire
def test_edge_423_the_owner_buys_for_the_pending_requests_then_approves_them(
    make_console: MakeConsole
) -> None:
    console = make_console(1, viewport=PHONE)
    console.add_user("seated@example.com")
    with console.database.transaction() as session:
        save_policy(session, console.org_id, PoolFullPolicy(REQUEST), actor="cli", now=NOW)
    open_seat_requests(console.database, console.org_id, 2)
    page = console.page
    console.sign_in_with_link("primary_owner")

    page.goto(console.url("/console/billing"))
    expect(page.get_by_test_id("seat-policy")).to_contain_text("2 pending")
    page.get_by_role("link", name="Seat requests").first.click()
    page.wait_for_url("**/console/seat-requests")  # the load event: stylesheets applied
    expect(page.get_by_test_id("seat-requests")).to_contain_text("asker0@example.com")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    console.shot("seat-requests")

    page.get_by_test_id("buy-for-requests").click()
    expect(page.get_by_label("New total of seats")).to_have_value("3")
    page.get_by_role("button", name="Review").click()
    page.wait_for_url(re.compile(r"/console/billing/quotes/"))
    page.get_by_role("button", name="Upgrade").click()
    page.wait_for_url(re.compile(r"/console/billing/purchases/"))
    expect(page.get_by_test_id("new-total")).to_have_text("3")

    page.goto(console.url("/console/seat-requests"))
    for person in ("asker0@example.com", "asker1@example.com"):
        page.get_by_role("button", name=f"Approve {person}").click()
        expect(page.get_by_role("status")).to_contain_text(f"{person} has a seat")
    expect(page.get_by_text("No pending requests.")).to_be_visible()
    console.shot("seat-requests-approved")
    state = snapshot(console.database, console.org_id)
    assert (state.total, state.assigned) == (3, 3)
