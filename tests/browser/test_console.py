"""The console flows a person follows, in headless Chromium against a live server. Each
test checks what the page says and what the database holds afterwards."""
from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from datetime import date
from fractions import Fraction
from math import floor

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from seats.clock import utcnow
from seats.models import Invoice, SeatPool
from tests.browser.conftest import PHONE, Console
from tests.clock import scim_seats_command

MakeConsole = Callable[..., Console]


def _months_ago(today: date, months: int) -> date:
    """The first day of the month `months` before today's."""
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _spec_amount_minor(seats: int, price_minor: int, term_start: date, today: date) -> int:
    """The spec's monthly proration, written out: k whole months since the anchor S,
    r = 12 − k, amount = round_half_up(n·P·r/12)."""
    k = (today.year - term_start.year) * 12 + today.month - term_start.month
    if today.day < term_start.day:
        k -= 1
    return floor(Fraction(seats * price_minor * (12 - k), 12) + Fraction(1, 2))


def _usd(amount_minor: int) -> str:
    return f"USD {amount_minor / 100:,.2f}"


def _state(console: Console) -> tuple[int, int]:
    """(seats total, invoices) of the console's org, read from the database."""
    with console.database.transaction(write=False) as session:
        total = session.get_one(SeatPool, console.org_id).total
        invoices = session.scalar(
            select(func.count()).select_from(Invoice).where(Invoice.org_id == console.org_id))
    return total, invoices or 0


def _cli_link(console: Console, role: str) -> str:
    env = {**os.environ, "SCIM_DATABASE_URL": console.settings.database_url,
           "SCIM_BASE_URL": console.base}
    out = subprocess.run([*scim_seats_command(), "console-link", console.slug, "--role", role],
                         env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def _review(console: Console, new_total: int) -> None:
    page = console.page
    page.goto(console.url("/console/billing"))
    page.get_by_role("link", name="Change the number of seats").click()
    page.get_by_label("New total of seats").fill(str(new_total))
    page.get_by_role("button", name="Review").click()
    page.wait_for_url(re.compile(r"/console/billing/quotes/"))


@pytest.mark.date_sensitive  # the billing page prices the rest of the term
def test_upgrade_flow_from_console_link_to_invoice(make_console: MakeConsole) -> None:
    today = utcnow().date()  # the server prices by its own clock: read it as late as possible
    term_start = _months_ago(today, 2)
    console = make_console(5, price_minor=29_999, term_start=term_start)
    console.add_user("ada@example.com")
    page = console.page

    link = _cli_link(console, "primary_owner")
    page.goto(link)
    console.shot("01-link")
    page.get_by_role("button", name=f"Sign in to {console.slug}").click()
    page.wait_for_url(re.compile(r"/console/billing$"))
    expect(page.get_by_test_id("seats-total")).to_have_text("5")
    expect(page.get_by_test_id("seats-assigned")).to_have_text("1")
    expect(page.get_by_test_id("seats-free")).to_have_text("4")
    expect(page.get_by_test_id("unit-price")).to_have_text("USD 299.99")
    expect(page.get_by_test_id("term-start")).to_have_text(term_start.isoformat())
    expect(page.get_by_test_id("renewal-quantity")).to_have_text("1")
    console.shot("02-billing")

    page.get_by_role("link", name="Change the number of seats").click()
    expect(page.get_by_label("New total of seats")).to_have_value("5")
    console.shot("03-edit")
    page.get_by_label("New total of seats").fill("8")
    page.get_by_role("button", name="Review").click()
    page.wait_for_url(re.compile(r"/console/billing/quotes/"))

    expected = _spec_amount_minor(3, 29_999, term_start, today)
    expect(page.get_by_test_id("increase")).to_have_text("+3")
    expect(page.get_by_test_id("new-total")).to_have_text("8")
    expect(page.get_by_test_id("unit-price")).to_contain_text("USD 299.99")
    expect(page.get_by_test_id("period")).to_contain_text("10 of 12 months")
    expect(page.get_by_test_id("amount")).to_have_text(_usd(expected))
    console.shot("04-review")

    page.get_by_role("button", name="Upgrade").click()
    page.wait_for_url(re.compile(r"/console/billing/purchases/"))
    expect(page.get_by_test_id("new-total")).to_have_text("8")
    expect(page.get_by_test_id("invoice-amount")).to_have_text(_usd(expected))
    console.shot("05-upgraded")

    page.get_by_test_id("invoice-link").click()
    expect(page.get_by_role("heading", name="Invoice INV-000001")).to_be_visible()
    expect(page.get_by_test_id("total")).to_have_text(_usd(expected))
    console.shot("06-invoice")

    page.goto(console.url("/console/billing"))
    expect(page.get_by_test_id("seats-total")).to_have_text("8")
    expect(page.get_by_role("link", name="INV-000001")).to_be_visible()
    assert _state(console) == (8, 1)


def test_double_click_and_reload_buy_once(make_console: MakeConsole) -> None:
    console = make_console(5)
    page = console.page
    console.sign_in_with_link("primary_owner")
    _review(console, 7)
    form = {name: page.locator(f"input[name={name}]").first.input_value()
            for name in ("csrf_token", "quote_id", "idempotency_key")}

    page.get_by_role("button", name="Upgrade").dblclick()
    page.wait_for_url(re.compile(r"/console/billing/purchases/"))
    outcome_url = page.url
    expect(page.get_by_test_id("new-total")).to_have_text("7")
    page.reload()
    expect(page.get_by_test_id("new-total")).to_have_text("7")

    # The same form posted again (a retry without the page's script): the stored outcome.
    replay = page.request.post(console.url("/console/billing/seats/upgrade"), form=form)
    assert replay.ok and replay.url == outcome_url

    # Back to the review page: it offers no second purchase of the same quote.
    page.go_back()
    page.reload()
    expect(page.get_by_role("alert")).to_contain_text("can no longer be used")
    expect(page.get_by_role("button", name="Upgrade")).to_have_count(0)
    console.shot("review-after-purchase")
    assert _state(console) == (7, 1)


def test_the_total_cannot_go_below_the_current_one(make_console: MakeConsole) -> None:
    console = make_console(5)
    page = console.page
    console.sign_in_with_link("primary_owner")
    page.get_by_role("link", name="Change the number of seats").click()
    field = page.get_by_label("New total of seats")
    expect(field).to_have_attribute("aria-describedby", re.compile("total-hint"))
    expect(page.locator("#total-hint")).to_contain_text("cannot go below the current 5")

    field.fill("3")
    page.get_by_role("button", name="Review").click()  # the browser's own check stops it
    assert field.evaluate("input => input.validity.rangeUnderflow")
    assert "/quotes/" not in page.url

    page.locator("form.seat-form").evaluate("form => { form.noValidate = true; }")
    page.get_by_role("button", name="Review").click()  # the server's check
    expect(page.locator("#total-error")).to_contain_text("Seats cannot be removed during a term")
    expect(page.get_by_label("New total of seats")).to_have_attribute("aria-invalid", "true")
    console.shot("below-total-refused")
    assert _state(console) == (5, 0)


def test_a_viewer_sees_billing_but_cannot_upgrade(make_console: MakeConsole) -> None:
    console = make_console(5)
    page = console.page
    page.goto(console.url("/console/login"))
    console.shot("login")
    page.get_by_label("Admin token").fill(console.admin_token("viewer"))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/console/billing$"))
    expect(page.get_by_test_id("role")).to_have_text("viewer")
    expect(page.get_by_test_id("edit-seats")).to_have_count(0)
    expect(page.get_by_text("Only the primary owner can add seats.")).to_be_visible()
    console.shot("viewer-billing")

    page.goto(console.url("/console/billing?edit=seats"))
    expect(page.get_by_label("New total of seats")).to_have_count(0)

    csrf = page.locator("input[name=csrf_token]").first.input_value()
    priced = page.request.post(console.url("/console/billing/seats"),
                               form={"csrf_token": csrf, "total": "9"})
    assert priced.status == 403
    bought = page.request.post(console.url("/console/billing/seats/upgrade"),
                               form={"csrf_token": csrf, "quote_id": "x" * 36,
                                     "idempotency_key": "k" * 32})
    assert bought.status == 403

    page.goto(console.url("/console/users"))
    expect(page.get_by_role("link", name=re.compile("Reassign seat"))).to_have_count(0)
    page.goto(console.url("/console/tokens"))
    expect(page.get_by_role("button", name="Create token")).to_have_count(0)
    assert _state(console) == (5, 0)


def test_scim_token_create_copy_and_revoke(make_console: MakeConsole) -> None:
    console = make_console(5)
    page = console.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    console.sign_in_with_link("admin")
    page.get_by_role("link", name="SCIM tokens").click()
    page.get_by_label("Name").fill("okta")
    page.get_by_role("button", name="Create token").click()

    secret = page.get_by_test_id("new-token").input_value()
    assert secret.startswith("scs_")
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    console.shot("token-created")
    console.scim_token = secret
    assert console.scim("GET", "/Users").status_code == 200

    page.goto(console.url("/console/tokens"))  # shown once: not on the next visit
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    row = page.get_by_role("row", name=re.compile("okta"))
    expect(row).to_contain_text("Active")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke okta").click()
    expect(page.get_by_role("status")).to_contain_text("revoked")
    expect(page.get_by_role("row", name=re.compile("okta"))).to_contain_text("Revoked")
    console.shot("token-revoked")
    assert console.scim("GET", "/Users").status_code == 401


def test_reassign_a_seat_on_a_full_pool(make_console: MakeConsole) -> None:
    console = make_console(2)
    page = console.page
    ada = console.add_user("ada@example.com")
    console.add_user("bob@example.com")
    cleo = console.add_user("cleo@example.com", active=False)
    refused = console.scim("POST", "/Users", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "dan@example.com"})
    assert refused.status_code == 403

    console.sign_in_with_link("admin")
    expect(page.get_by_test_id("usage-alert")).to_contain_text("All 2 seats are assigned")
    page.get_by_role("link", name="Usage").click()
    expect(page.get_by_test_id("usage-alert")).to_contain_text(
        "1 provisioning request was refused in the last 7 days")
    expect(page.get_by_test_id("usage-chart")).to_be_visible()
    console.shot("usage-full")

    page.get_by_role("link", name="Users").click()
    page.get_by_label("Seat").select_option("held")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("users").locator("tbody tr")).to_have_count(2)
    console.shot("users")
    page.get_by_role("link", name="Reassign seat of ada@example.com").click()
    page.get_by_label("cleo@example.com").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Move the seat from ada@example.com to cleo@example.com?")).to_be_visible()
    console.shot("reassign-confirm")
    page.get_by_role("button", name="Reassign seat").click()
    page.wait_for_url(re.compile(r"/console/users$"))
    expect(page.get_by_role("status")).to_contain_text(
        "The seat of ada@example.com now belongs to cleo@example.com")

    assert console.scim("GET", f"/Users/{ada}").json()["active"] is False
    assert console.scim("GET", f"/Users/{cleo}").json()["active"] is True
    with console.database.transaction(write=False) as session:
        pool = session.get_one(SeatPool, console.org_id)
        assert (pool.total, pool.assigned) == (2, 2)

    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Event type").select_option("seat.reassigned")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("audit").locator("tbody tr")).to_have_count(1)
    console.shot("audit-reassigned")


def test_every_page_fits_a_phone_and_labels_its_fields(make_console: MakeConsole) -> None:
    console = make_console(5, viewport=PHONE)
    console.add_user("ada@example.com")
    page = console.page
    console.sign_in_with_link("primary_owner")
    pages = {"billing": "/console/billing?edit=seats", "usage": "/console/usage",
             "users": "/console/users", "tokens": "/console/tokens", "audit": "/console/audit"}
    for name, path in pages.items():
        page.goto(console.url(path))
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        unlabelled = page.evaluate("""() => [...document.querySelectorAll(
            'input:not([type=hidden]), select, textarea')].filter(
            e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)""")
        assert unlabelled == [], (name, unlabelled)
        console.shot(f"phone-{name}")
    _review(console, 6)
    console.shot("phone-review")
