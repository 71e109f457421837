"""Buying and moving seats through the admin API: spec edge cases 22–31, 38, 39 and
reassignment. Every refusal also checks that seats, invoices and the audit log stood still."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.db import Database
from seats import idempotency
from seats.clock import utcnow
from seats.models import Contract, Invoice, OutboxEvent, Quote
from seats.money import round_half_up
from seats.proration import prorate
from tests.conftest import NOW
from tests.support import Admin, assert_problem, snapshot

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py


@dataclass(frozen=True)
class Books:
    total: int
    assigned: int
    invoices: int
    audit: int


def books(database: Database, org_id: str) -> Books:
    state = snapshot(database, org_id)
    with database.transaction(write=False) as session:
        count = session.scalar(select(func.count()).select_from(Invoice).where(Invoice.org_id == org_id))
    return Books(state.total, state.assigned, count or 0, len(state.audit))


def quote(admin: Admin, seats: int) -> dict:
    response = admin.post("/seats/quotes", {"add_seats": seats})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def buy(admin: Admin, quote_id: str, key: str) -> object:
    return admin.post("/seats/purchases", {"quote_id": quote_id}, headers={"Idempotency-Key": key})


def test_get_seats_describes_pool_and_contract(owner: Admin) -> None:
    owner.scim.create("one")
    body = owner.get("/seats").get_json()
    assert {k: body[k] for k in ("total", "assigned", "free")} == {"total": 5, "assigned": 1, "free": 4}
    assert body["currency"] == "USD" and body["unit_price_minor"] == 30_000
    assert body["proration"] == "monthly" and body["auto_renew"] is True
    assert body["renewal_quantity_if_today"] == 1
    assert date.fromisoformat(body["term_end"]) > date.fromisoformat(body["term_start"])


def test_purchase_raises_total_issues_invoice_and_audits(owner: Admin, database: Database) -> None:
    offer = quote(owner, 3)
    assert (offer["seats_before"], offer["seats_after"]) == (5, 8)
    response = buy(owner, offer["id"], "key-1")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["purchase"]["seats_after"] == 8
    invoice = body["invoice"]
    assert invoice["number"] == "INV-000001"
    assert invoice["total_minor"] == offer["amount_minor"]
    assert invoice["lines"][0]["quantity"] == 3
    assert owner.get("/seats").get_json()["total"] == 8
    state = snapshot(database, owner.org_id)
    assert state.audit[-1] == ("seats.purchased", "INV-000001")
    assert [i["number"] for i in owner.get("/invoices").get_json()["invoices"]] == ["INV-000001"]
    assert owner.get("/invoices/INV-000001").get_json() == invoice
    html = owner.get("/invoices/INV-000001.html")
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert "INV-000001" in html.get_data(as_text=True)


def test_quote_amount_follows_the_spec_formula_for_the_org_term(
    make_admin: Callable[..., Admin]
) -> None:
    with time_machine.travel(utcnow(), tick=False):  # one day for the test and the API
        today = utcnow().date()
        start = today - timedelta(days=75)
        admin = make_admin(term_start=start, price_minor=29_999)
        offer = quote(admin, 5)
    expected = round_half_up(5 * 29_999 * prorate("monthly", start, today).share)
    assert offer["amount_minor"] == expected
    assert offer["remaining_months"] == prorate("monthly", start, today).remaining_months


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_edge_22_purchase_by_admin_or_viewer_is_403(
    owner: Admin, database: Database, role: str
) -> None:
    offer = quote(owner, 2)
    before = books(database, owner.org_id)
    assert_problem(buy(owner.as_role(role), offer["id"], "k"), 403, "FORBIDDEN")
    assert books(database, owner.org_id) == before


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (0, "INVALID_ADD_SEATS"),
        (1.5, "INVALID_ADD_SEATS"),
        ("abc", "INVALID_ADD_SEATS"),
        (None, "INVALID_ADD_SEATS"),
        (True, "INVALID_ADD_SEATS"),
        (10_001, "INVALID_ADD_SEATS"),
        (-3, "SEAT_REDUCTION_NOT_ALLOWED"),
    ],
)
def test_edge_23_bad_add_seats_is_400_and_creates_nothing(
    owner: Admin, database: Database, value: object, code: str
) -> None:
    before = books(database, owner.org_id)
    assert_problem(owner.post("/seats/quotes", {"add_seats": value}), 400, code)
    assert books(database, owner.org_id) == before
    with database.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Quote).where(Quote.org_id == owner.org_id)) == 0


def test_edge_24_lowering_the_total_is_refused(owner: Admin, database: Database) -> None:
    before = books(database, owner.org_id)
    assert_problem(owner.put("/seats", {"total": 3}), 400, "SEAT_REDUCTION_NOT_ALLOWED")
    assert_problem(owner.put("/seats", {"total": 9}), 400, "PURCHASE_REQUIRED")
    assert books(database, owner.org_id) == before


def test_edge_25_replay_returns_the_same_response_and_buys_once(owner: Admin, database: Database) -> None:
    offer = quote(owner, 2)
    first = buy(owner, offer["id"], "replay-key")
    before = books(database, owner.org_id)
    second = buy(owner, offer["id"], "replay-key")
    assert second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert books(database, owner.org_id) == before
    assert before.total == 7 and before.invoices == 1


def test_edge_26_same_key_different_body_is_422(owner: Admin, database: Database) -> None:
    first, other = quote(owner, 1), quote(owner, 2)
    assert buy(owner, first["id"], "k-26").status_code == 201
    before = books(database, owner.org_id)
    assert_problem(buy(owner, other["id"], "k-26"), 422, "IDEMPOTENCY_KEY_REUSED")
    assert books(database, owner.org_id) == before


def test_edge_26_same_key_while_the_first_is_in_flight_is_409(owner: Admin, database: Database) -> None:
    # The whole test at the run's NOW, frozen: the claim is held at the very instant the API
    # reads its clock (a claim older than ABANDONED_AFTER may be taken over).
    with time_machine.travel(NOW, tick=False):
        offer = quote(owner, 1)
        body = {"quote_id": offer["id"]}
        with database.transaction() as session:
            idempotency.claim(session, owner.org_id, "busy-key", idempotency.fingerprint(
                "POST", "/admin/v1/seats/purchases", body), NOW)
        before = books(database, owner.org_id)
        assert_problem(buy(owner, offer["id"], "busy-key"), 409, "IDEMPOTENCY_KEY_IN_FLIGHT")
    assert books(database, owner.org_id) == before


def test_edge_27_second_quote_on_the_same_count_is_stale_with_a_fresh_preview(
    owner: Admin, database: Database
) -> None:
    a, b = quote(owner, 2), quote(owner, 4)
    assert buy(owner, a["id"], "owner-a").status_code == 201
    before = books(database, owner.org_id)
    body = assert_problem(buy(owner, b["id"], "owner-b"), 409, "QUOTE_STALE")
    fresh = body["fresh_quote"]
    assert (fresh["seats_before"], fresh["seats_after"], fresh["add_seats"]) == (7, 11, 4)
    assert books(database, owner.org_id) == before


def test_a_used_quote_cannot_buy_again(owner: Admin, database: Database) -> None:
    offer = quote(owner, 1)
    assert buy(owner, offer["id"], "u-1").status_code == 201
    before = books(database, owner.org_id)
    assert_problem(buy(owner, offer["id"], "u-2"), 409, "QUOTE_USED")
    assert books(database, owner.org_id) == before


def test_purchase_needs_an_idempotency_key(owner: Admin, database: Database) -> None:
    offer = quote(owner, 1)
    before = books(database, owner.org_id)
    assert_problem(owner.post("/seats/purchases", {"quote_id": offer["id"]}), 400, "IDEMPOTENCY_KEY_MISSING")
    assert_problem(buy(owner, offer["id"], "x" * 256), 400, "IDEMPOTENCY_KEY_INVALID")
    assert books(database, owner.org_id) == before


def test_unknown_quote_is_404(owner: Admin) -> None:
    assert_problem(buy(owner, "no-such-quote", "k"), 404, "QUOTE_NOT_FOUND")


def test_edge_38_expired_contract_refuses_purchases(make_admin: Callable[..., Admin], database: Database) -> None:
    admin = make_admin(auto_renew=False)
    offer = quote(admin, 1)
    with database.transaction() as session:
        session.get_one(Contract, admin.org_id).term_start = date(2020, 1, 1)
    before = books(database, admin.org_id)
    assert_problem(admin.post("/seats/quotes", {"add_seats": 1}), 403, "NO_ACTIVE_SUBSCRIPTION")
    assert_problem(buy(admin, offer["id"], "late"), 403, "NO_ACTIVE_SUBSCRIPTION")
    assert books(database, admin.org_id) == before


def test_edge_39_a_purchase_failing_after_the_invoice_row_uses_no_number(
    owner: Admin, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    offer = quote(owner, 2)
    before = books(database, owner.org_id)

    def fail(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full after the invoice row")

    with monkeypatch.context() as patch:
        patch.setattr("seats.commerce.audit.record", fail)
        assert owner.post("/seats/purchases", {"quote_id": offer["id"]},
                          headers={"Idempotency-Key": "crash"}).status_code == 500
    assert books(database, owner.org_id) == before
    retried = buy(owner, offer["id"], "crash")  # the key was released: the retry acts
    assert retried.status_code == 201
    assert retried.get_json()["invoice"]["number"] == "INV-000001"


def test_reassignment_moves_a_seat_on_a_full_pool(make_admin: Callable[..., Admin], database: Database) -> None:
    admin = make_admin(seats=1, role="admin")
    a = admin.scim.create("a")
    b = admin.scim.create("b", active=False)
    response = admin.post("/seats/reassignments", {"from_user_id": a["id"], "to_user_id": b["id"]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["seats"] == {"total": 1, "assigned": 1, "free": 0}
    assert admin.scim.get(f"/Users/{a['id']}").get_json()["active"] is False
    assert admin.scim.get(f"/Users/{b['id']}").get_json()["active"] is True
    assert snapshot(database, admin.org_id).audit[-1][0] == "seat.reassigned"


def test_reassignment_refusals_change_nothing(make_admin: Callable[..., Admin], database: Database) -> None:
    admin = make_admin(seats=2, role="admin")
    a, b = admin.scim.create("a"), admin.scim.create("b")
    parked = admin.scim.create("parked", active=False)
    before = snapshot(database, admin.org_id)
    cases = [
        ({"from_user_id": a["id"], "to_user_id": b["id"]}, 409, "REASSIGNMENT_REFUSED"),
        ({"from_user_id": parked["id"], "to_user_id": a["id"]}, 409, "REASSIGNMENT_REFUSED"),
        ({"from_user_id": a["id"], "to_user_id": a["id"]}, 409, "REASSIGNMENT_REFUSED"),
        ({"from_user_id": a["id"], "to_user_id": "nobody"}, 404, "NOT_FOUND"),
        ({"from_user_id": a["id"]}, 400, "INVALID_BODY"),
    ]
    for body, status, code in cases:
        assert_problem(admin.post("/seats/reassignments", body), status, code)
    assert_problem(admin.as_role("viewer").post(
        "/seats/reassignments", {"from_user_id": a["id"], "to_user_id": parked["id"]}), 403, "FORBIDDEN")
    assert snapshot(database, admin.org_id) == before


def test_renewal_preview(make_admin: Callable[..., Admin]) -> None:
    admin = make_admin(seats=10, minimum_seats=3)
    for i in range(4):
        admin.scim.create(f"u{i}")
    body = admin.get("/renewal").get_json()
    assert (body["quantity"], body["amount_minor"], body["currency"]) == (4, 120_000, "USD")
    assert body["lines"] == [{"seat_type": "standard", "name": "Standard", "quantity": 4,
                              "unit_price_minor": 30_000, "amount_minor": 120_000}]


def _event_types(database: Database, org_id: str) -> list[str]:
    with database.transaction(write=False) as session:
        return list(session.scalars(
            select(OutboxEvent.event_type).where(OutboxEvent.org_id == org_id).order_by(OutboxEvent.id)
        ))


def test_a_purchase_emits_purchased_and_invoice_events_and_a_refusal_none(
    owner: Admin, database: Database
) -> None:
    a, b = quote(owner, 1), quote(owner, 1)
    assert buy(owner, a["id"], "ev-1").status_code == 201
    assert _event_types(database, owner.org_id) == ["invoice.issued", "seats.purchased"]
    assert buy(owner, b["id"], "ev-2").status_code == 409  # stale: nothing bought, no event
    assert _event_types(database, owner.org_id) == ["invoice.issued", "seats.purchased"]
    with database.transaction(write=False) as session:
        payload = session.scalars(select(OutboxEvent.payload).where(
            OutboxEvent.org_id == owner.org_id, OutboxEvent.event_type == "seats.purchased")).one()
    assert (payload["seats_added"], payload["total_before"], payload["total_after"]) == (1, 5, 6)
    assert payload["invoice_number"] == "INV-000001"


def test_large_amounts_fit_in_minor_units(make_admin: Callable[..., Admin]) -> None:
    """IDR has 2 minor digits: USD 300-ish a seat is 480,000,000 minor units, and five of them
    for a year pass 2³¹ (PostgreSQL's INTEGER) — money columns are 64-bit."""
    admin = make_admin(currency="IDR", price_minor=480_000_000)
    offer = quote(admin, 5)
    assert offer["amount_minor"] == 5 * 480_000_000 * offer["remaining_months"] // 12
    assert buy(admin, offer["id"], "big").status_code == 201


def test_a_term_that_has_not_started_refuses_quotes_and_activations(
    make_admin: Callable[..., Admin], database: Database
) -> None:
    admin = make_admin(term_start=NOW.date() + timedelta(days=10))
    before = books(database, admin.org_id)
    assert_problem(admin.post("/seats/quotes", {"add_seats": 1}), 403, "NO_ACTIVE_SUBSCRIPTION")
    response = admin.scim.post("/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                          "userName": "early"})
    assert response.status_code == 403
    assert response.get_json()["detail"].startswith("NO_ACTIVE_SUBSCRIPTION:")
    after = books(database, admin.org_id)
    assert (after.total, after.assigned, after.invoices) == (before.total, before.assigned, before.invoices)


def test_reassignment_needs_a_running_term(make_admin: Callable[..., Admin], database: Database) -> None:
    admin = make_admin(seats=1, role="admin", auto_renew=False)
    a = admin.scim.create("a")
    b = admin.scim.create("b", active=False)
    with database.transaction() as session:
        session.get_one(Contract, admin.org_id).term_start = date(2020, 1, 1)
    before = snapshot(database, admin.org_id)
    response = admin.post("/seats/reassignments", {"from_user_id": a["id"], "to_user_id": b["id"]})
    assert_problem(response, 403, "NO_ACTIVE_SUBSCRIPTION")
    assert snapshot(database, admin.org_id) == before
