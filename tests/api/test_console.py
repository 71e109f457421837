"""The console through Flask's test client, on both databases: sign-in, single-use links,
CSRF and the server-side role checks. Every refused request is checked for what it must not
have changed. The flows as a person clicks them are in tests/browser/."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.console import chart
from app.console.links import LINK_PATH, issue_link
from app.db import Database
from scim.tables import UserRow
from seats.clock import utcnow
from seats.models import Invoice, Quote, ScimToken, SeatPool
from tests.support import Admin

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY = "k" * 32


@dataclass
class Console:
    """A browser's view of the console: one cookie jar, signed in as one role of one org."""

    client: FlaskClient
    admin: Admin

    @property
    def database(self) -> Database:
        return self.client.application.extensions["db"]

    def csrf(self) -> str:
        found = CSRF_FIELD.search(self.client.get("/console/login").get_data(as_text=True))
        assert found, "no CSRF field on the sign-in page"
        return found.group(1)

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True) -> Any:
        form = {**(data or {}), **({"csrf_token": self.csrf()} if csrf else {})}
        return self.client.post(f"/console{path}", data=form)

    def quote(self, new_total: int) -> str:
        """A quote priced by the owner's flow; its id."""
        response = self.post("/billing/seats", {"total": str(new_total)})
        assert response.status_code == 303, response.get_data(as_text=True)
        return response.headers["Location"].rsplit("/", 1)[1]

    def state(self) -> tuple[int, int, int]:
        """(seats total, invoices, unused quotes) of the org."""
        org_id = self.admin.org_id
        with self.database.transaction(write=False) as session:
            total = session.get_one(SeatPool, org_id).total
            invoices = session.scalar(select(func.count()).select_from(Invoice)
                                      .where(Invoice.org_id == org_id))
            unused = session.scalar(select(func.count()).select_from(Quote)
                                    .where(Quote.org_id == org_id, Quote.used_at.is_(None)))
        return total, invoices or 0, unused or 0


def _sign_in(client: FlaskClient, token: str) -> Any:
    page = client.get("/console/login").get_data(as_text=True)
    return client.post("/console/login", data={"token": token,
                                               "csrf_token": CSRF_FIELD.search(page).group(1)})


@pytest.fixture
def make_console(app: Flask, make_admin: Callable[..., Admin]) -> Callable[..., Console]:
    def make(role: str = "primary_owner", seats: int = 5, admin: Admin | None = None) -> Console:
        admin = admin.as_role(role) if admin else make_admin(seats, role=role)
        client = app.test_client()
        assert _sign_in(client, admin.token).status_code == 303
        return Console(client=client, admin=admin)

    return make


def test_pages_need_a_signed_in_admin(app: Flask) -> None:
    response = app.test_client().get("/console/users?seat=held")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/login?next=/console/users?seat%3Dheld"


def test_token_sign_in_sets_a_hardened_session_cookie_and_sign_out_clears_it(
        app: Flask, owner: Admin) -> None:
    client = app.test_client()
    response = _sign_in(client, owner.token)
    assert response.status_code == 303 and response.headers["Location"] == "/console/billing"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/console/billing")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]

    token = CSRF_FIELD.search(page.get_data(as_text=True)).group(1)
    assert client.post("/console/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/console/billing").status_code == 302


@pytest.mark.parametrize("token", ["not-a-jwt", "eyJhbGciOiJub25lIn0.e30."])
def test_a_bad_token_opens_no_session(app: Flask, token: str) -> None:
    client = app.test_client()
    response = _sign_in(client, token)
    assert response.status_code == 400
    assert "This token is not valid" in response.get_data(as_text=True)
    assert client.get("/console/billing").status_code == 302


def test_an_expired_session_is_signed_out(make_console: Callable[..., Console]) -> None:
    console = make_console("viewer")
    with console.client.session_transaction() as session:
        session["console_admin"] = {**session["console_admin"],
                                    "exp": int(utcnow().timestamp()) - 1}
    assert console.client.get("/console/billing").status_code == 302


def test_a_console_link_signs_in_once(app: Flask, owner: Admin) -> None:
    settings = app.extensions["settings"]
    url = issue_link(settings, slug=owner.scim.org_slug, role="admin", sub="ops@example.com",
                     ttl=timedelta(minutes=15), now=utcnow())
    token = url.split("token=", 1)[1]
    client = app.test_client()
    page = client.get(f"{LINK_PATH}?token={token}")
    assert page.status_code == 200
    assert "as <strong>ops@example.com</strong> (admin)" in page.get_data(as_text=True)
    assert client.get("/console/billing").status_code == 302  # opening the link is not enough

    csrf = CSRF_FIELD.search(page.get_data(as_text=True)).group(1)
    first = client.post(LINK_PATH, data={"token": token, "csrf_token": csrf})
    assert first.status_code == 303
    assert client.get("/console/billing").status_code == 200

    again = app.test_client()
    csrf = CSRF_FIELD.search(again.get("/console/login").get_data(as_text=True)).group(1)
    second = again.post(LINK_PATH, data={"token": token, "csrf_token": csrf})
    assert second.status_code == 400
    assert "already been used" in second.get_data(as_text=True)
    assert again.get("/console/billing").status_code == 302
    assert "already been used" in again.get(f"{LINK_PATH}?token={token}").get_data(as_text=True)

    api = app.test_client().get("/admin/v1/seats", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401  # a link is not an admin API token


def test_an_admin_token_is_not_a_console_link(app: Flask, owner: Admin) -> None:
    client = app.test_client()
    page = client.get(f"{LINK_PATH}?token={owner.token}")
    assert page.status_code == 400
    assert client.get("/console/billing").status_code == 302


def test_expired_links_are_refused(app: Flask, owner: Admin) -> None:
    url = issue_link(app.extensions["settings"], slug=owner.scim.org_slug, role="primary_owner",
                     sub="o@example.com", ttl=timedelta(seconds=1),
                     now=utcnow() - timedelta(minutes=1))
    parts = urlsplit(url)
    assert app.test_client().get(f"{parts.path}?{parts.query}").status_code == 400


def test_the_owner_buys_once_per_key(make_console: Callable[..., Console]) -> None:
    console = make_console("primary_owner")
    quote_id = console.quote(8)
    form = {"quote_id": quote_id, "idempotency_key": KEY}
    first = console.post("/billing/seats/upgrade", form)
    replay = console.post("/billing/seats/upgrade", form)
    assert first.status_code == replay.status_code == 303
    assert first.headers["Location"] == replay.headers["Location"] == f"/console/billing/purchases/{KEY}"
    outcome = console.client.get(first.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="new-total">8<' in outcome and "INV-000001" in outcome
    assert console.state() == (8, 1, 0)

    other = console.post("/billing/seats/upgrade", {"quote_id": console.quote(9),
                                                    "idempotency_key": KEY})
    assert other.status_code == 422  # the same key with another quote
    assert console.state() == (8, 1, 1)


def test_a_stale_quote_buys_nothing_and_says_so(make_console: Callable[..., Console]) -> None:
    console = make_console("primary_owner")
    stale, fresh = console.quote(7), console.quote(6)
    console.post("/billing/seats/upgrade", {"quote_id": fresh, "idempotency_key": "a" * 32})
    response = console.post("/billing/seats/upgrade", {"quote_id": stale, "idempotency_key": KEY})
    page = console.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The seats were not added" in page and "the organisation now has 6" in page
    assert console.state() == (6, 1, 1)


@pytest.mark.parametrize(("stale", "explained"), [(True, True), (False, False)])
def test_only_an_unusable_quote_is_explained_as_changed_since_the_review(
    make_console: Callable[..., Console], stale: bool, explained: bool
) -> None:
    """The console stores what its page needs of a refusal: the sentence, and whether the
    quote became unusable (here stale) rather than never existed."""
    console = make_console("primary_owner")
    quote = console.quote(7) if stale else "no-such-quote"
    console.post("/billing/seats/upgrade", {"quote_id": console.quote(6), "idempotency_key": "a" * 32})
    response = console.post("/billing/seats/upgrade", {"quote_id": quote, "idempotency_key": KEY})
    page = console.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The seats were not added" in page
    assert ("changed since the review" in page) is explained


@pytest.mark.parametrize(("total", "message"), [
    ("3", "Seats cannot be removed during a term: enter 5 or more."),
    ("5", "That is the current total."),
    ("10006", "At most 10,000 seats can be added at once"),
    ("many", "Not a valid integer value."),
])
def test_a_total_that_cannot_be_priced_is_explained(make_console: Callable[..., Console],
                                                    total: str, message: str) -> None:
    console = make_console("primary_owner")
    response = console.post("/billing/seats", {"total": total})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert console.state() == (5, 0, 0)


@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_only_the_primary_owner_prices_or_buys(make_console: Callable[..., Console],
                                               role: str) -> None:
    owner = make_console("primary_owner")
    quote_id = owner.quote(9)
    other = make_console(role, admin=owner.admin)
    assert other.post("/billing/seats", {"total": "9"}).status_code == 403
    assert other.client.get(f"/console/billing/quotes/{quote_id}").status_code == 403
    response = other.post("/billing/seats/upgrade", {"quote_id": quote_id, "idempotency_key": KEY})
    assert response.status_code == 403
    assert "This needs the role primary_owner" in response.get_data(as_text=True)
    assert owner.state() == (5, 0, 1)
    billing = other.client.get("/console/billing?edit=seats").get_data(as_text=True)
    assert 'name="total"' not in billing and "edit-seats" not in billing


def _token_count(console: Console) -> int:
    with console.database.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(ScimToken).where(
            ScimToken.org_id == console.admin.org_id, ScimToken.revoked_at.is_(None))) or 0


def _active(console: Console, user_id: str) -> bool:
    with console.database.transaction(write=False) as session:
        return session.get_one(UserRow, user_id).active


def test_an_admin_manages_tokens_and_reassigns_seats(make_console: Callable[..., Console]) -> None:
    console = make_console("admin", seats=1)
    ada = console.admin.scim.create("ada@example.com")["id"]
    bob = console.admin.scim.create("bob@example.com", active=False)["id"]

    created = console.post("/tokens", {"name": "okta"})
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    assert "scs_" in created.get_data(as_text=True)
    with console.database.transaction(write=False) as session:
        token_id = session.scalar(select(ScimToken.id).where(
            ScimToken.org_id == console.admin.org_id, ScimToken.name == "okta"))
    assert console.post(f"/tokens/{token_id}/revoke").status_code == 303
    assert _token_count(console) == 1  # the fixture's own token

    confirm = console.client.get(f"/console/users/{ada}/reassign?to={bob}")
    assert "Move the seat from <strong>ada@example.com</strong>" in confirm.get_data(as_text=True)
    moved = console.post(f"/users/{ada}/reassign", {"to_user_id": bob})
    assert moved.status_code == 303
    assert (_active(console, ada), _active(console, bob)) == (False, True)


def test_a_viewer_can_read_everything_but_change_nothing(
        make_console: Callable[..., Console]) -> None:
    console = make_console("viewer", seats=1)
    ada = console.admin.scim.create("ada@example.com")["id"]
    bob = console.admin.scim.create("bob@example.com", active=False)["id"]
    for page in ("billing", "usage", "users", "tokens", "audit"):
        body = console.client.get(f"/console/{page}")
        assert body.status_code == 200, page
        assert "Reassign seat" not in body.get_data(as_text=True)
    assert console.post("/tokens", {"name": "okta"}).status_code == 403
    assert console.client.get(f"/console/users/{ada}/reassign").status_code == 403
    assert console.post(f"/users/{ada}/reassign", {"to_user_id": bob}).status_code == 403
    assert _token_count(console) == 1
    assert (_active(console, ada), _active(console, bob)) == (True, False)


def test_posts_without_a_csrf_token_change_nothing(make_console: Callable[..., Console]) -> None:
    console = make_console("primary_owner", seats=1)
    ada = console.admin.scim.create("ada@example.com")["id"]
    bob = console.admin.scim.create("bob@example.com", active=False)["id"]
    quote_id = console.quote(3)
    refused = [
        console.post("/billing/seats", {"total": "4"}, csrf=False),
        console.post("/billing/seats/upgrade", {"quote_id": quote_id, "idempotency_key": KEY},
                     csrf=False),
        console.post("/tokens", {"name": "okta"}, csrf=False),
        console.post(f"/users/{ada}/reassign", {"to_user_id": bob}, csrf=False),
        console.post("/billing/seats/upgrade", {"quote_id": quote_id, "idempotency_key": KEY,
                                                "csrf_token": "forged"}, csrf=False),
    ]
    assert [r.status_code for r in refused] == [400] * len(refused)
    assert "The form expired" in refused[0].get_data(as_text=True)
    assert console.state() == (1, 0, 1)
    assert _token_count(console) == 1
    assert (_active(console, ada), _active(console, bob)) == (True, False)
    assert console.client.get(f"/console/billing/purchases/{KEY}").status_code == 404


def test_the_apis_need_no_csrf_token(owner: Admin) -> None:
    """CSRF is the console's: bearer-token APIs are not affected by it."""
    assert owner.post("/seats/quotes", {"add_seats": 1}).status_code == 201


def test_the_usage_page_warns_when_the_pool_is_full(make_console: Callable[..., Console]) -> None:
    console = make_console("viewer", seats=1)
    console.admin.scim.create("ada@example.com")
    assert console.admin.scim.post("/Users", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "bob@example.com"}).status_code == 403
    page = console.client.get("/console/usage").get_data(as_text=True)
    assert "All 1 seats are assigned." in page
    assert "1 provisioning request was refused in the last 7 days." in page
    assert 'role="img"' in page and "<title id=\"chart-title\">" in page


def test_daily_samples_hold_each_days_last_counts() -> None:
    day = date(2026, 3, 1)
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    samples = chart.daily_samples((5, 1), [(at, 5, 2), (at + timedelta(hours=1), 8, 2)],
                                  day, day + timedelta(days=2))
    assert [(s.day.day, s.total, s.assigned) for s in samples] == [(1, 5, 1), (2, 8, 2), (3, 8, 2)]


@pytest.mark.parametrize(("peak", "y_max", "step"), [(0, 1, 1), (5, 6, 2), (8, 10, 2),
                                                     (100, 150, 50), (4, 5, 1)])
def test_the_chart_scale_has_headroom_and_few_round_ticks(peak: int, y_max: int,
                                                          step: int) -> None:
    samples = [chart.Sample(date(2026, 3, 1), peak, 0)]
    built = chart.build(samples, 90)
    assert (built.y_max, built.y_step) == (y_max, step)
    assert len(built.y_ticks) <= 6
