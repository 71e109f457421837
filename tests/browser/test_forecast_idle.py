"""The Usage page's forecast and the Idle seats page in headless Chromium on a phone: they
fit the screen, label their fields, and the Usage page links to the report."""
from __future__ import annotations

from collections.abc import Callable

from tests.browser.conftest import PHONE, Console

MakeConsole = Callable[..., Console]


def test_the_forecast_and_idle_seats_fit_a_phone(make_console: MakeConsole) -> None:
    console = make_console(5, viewport=PHONE)
    console.add_user("ada@example.com")
    page = console.page
    console.sign_in_with_link("viewer")
    page.goto(console.url("/console/usage"))
    assert page.get_by_test_id("trend-30").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    console.shot("phone-usage-forecast")
    page.get_by_test_id("idle-link").click()
    page.wait_for_url("**/console/usage/idle*")  # the load event: stylesheets applied
    assert page.get_by_test_id("idp-note").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.get_by_label("Idle for at least (days)").input_value() == "90"
    console.shot("phone-idle-seats")
