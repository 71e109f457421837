"""The pool-full policy (docs/spec/pool-full-policies.md): chosen by the primary owner through
the admin API and audited; `auto_top_up` buys the missing seat inside the claim on every
activation path (POST, PUT, PATCH, Bulk, SSO), within its cap per term, and refuses past it."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.db import Database
from seats import seat_types
from seats.models import AuditEvent, Contract, Invoice, OutboxEvent
from seats.money import round_half_up
from seats.proration import prorate
from tests.api.test_bulk import bulk_body, post_user
from tests.conftest import NOW
from tests.support import (
    Admin,
    add_premium,
    assert_problem,
    assert_scim_error,
    assert_seat_invariant,
    patch_body,
    snapshot,
    user_body,
)

pytestmark = pytest.mark.date_sensitive  # claims and prorated prices depend on the term


def auto_top_up(admin: Admin, cap: int) -> dict[str, Any]:
    response = admin.put("/seats/policy", {"policy": "auto_top_up", "max_auto_seats": cap})
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


def auto_invoices(database: Database, org_id: str) -> list[Invoice]:
    with database.transaction(write=False) as session:
        rows = session.scalars(select(Invoice).where(
            Invoice.org_id == org_id, Invoice.issued_by == "auto-top-up").order_by(Invoice.seq))
        return list(rows)


def audit_rows(database: Database, org_id: str) -> list[AuditEvent]:
    with database.transaction(write=False) as session:
        return list(session.scalars(
            select(AuditEvent).where(AuditEvent.org_id == org_id).order_by(AuditEvent.id)))


def full_admin(make_admin: Callable[..., Admin], seats: int = 1) -> Admin:
    """An org whose every seat is held."""
    admin = make_admin(seats)
    for i in range(seats):
        admin.scim.create(f"holder{i}")
    return admin


def test_the_default_policy_is_refuse(owner: Admin) -> None:
    body = owner.get("/seats/policy").get_json()
    assert body == {"policy": "refuse", "max_auto_seats": 0, "auto_seats_this_term": 0}


def test_owner_chooses_the_policy_and_the_change_is_audited(owner: Admin,
                                                            database: Database) -> None:
    assert auto_top_up(owner, 10) == {"policy": "auto_top_up", "max_auto_seats": 10,
                                      "auto_seats_this_term": 0}
    assert owner.get("/seats/policy").get_json()["policy"] == "auto_top_up"
    entry = audit_rows(database, owner.org_id)[-1]
    assert (entry.action, entry.actor, entry.actor_name) == (
        "seat-policy.changed", "admin:owner@example.com", "owner@example.com")
    assert entry.detail == "refuse → auto_top_up (at most 10 seats per term)"
    before = len(audit_rows(database, owner.org_id))
    auto_top_up(owner, 10)  # the same policy again changes nothing
    assert len(audit_rows(database, owner.org_id)) == before


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_only_the_primary_owner_chooses(owner: Admin, role: str, database: Database) -> None:
    other = owner.as_role(role)
    assert other.get("/seats/policy").status_code == 200
    before = snapshot(database, owner.org_id)
    response = other.put("/seats/policy", {"policy": "auto_top_up", "max_auto_seats": 5})
    assert_problem(response, 403, "FORBIDDEN")
    assert snapshot(database, owner.org_id) == before


@pytest.mark.parametrize("body", [
    {},
    {"policy": "buy_everything"},
    {"policy": "auto_top_up"},
    {"policy": "auto_top_up", "max_auto_seats": 0},
    {"policy": "auto_top_up", "max_auto_seats": -1},
    {"policy": "auto_top_up", "max_auto_seats": "10"},
    {"policy": "auto_top_up", "max_auto_seats": 2.5},
    {"policy": "auto_top_up", "max_auto_seats": 100_001},
    {"policy": "refuse", "max_auto_seats": None},
])
def test_a_bad_policy_is_refused_and_changes_nothing(owner: Admin, database: Database,
                                                     body: dict[str, Any]) -> None:
    before = snapshot(database, owner.org_id)
    assert_problem(owner.put("/seats/policy", body), 400, "INVALID_SEAT_POLICY")
    assert snapshot(database, owner.org_id) == before
    assert owner.get("/seats/policy").get_json()["policy"] == "refuse"


def test_refuse_buys_nothing(make_admin: Callable[..., Admin], database: Database) -> None:
    admin = full_admin(make_admin)
    assert_scim_error(admin.scim.post("/Users", user_body("late")), 403)
    assert auto_invoices(database, admin.org_id) == []
    assert snapshot(database, admin.org_id).total == 1


def test_auto_top_up_buys_one_prorated_seat_invoices_it_and_claims_it(
    make_admin: Callable[..., Admin], database: Database
) -> None:
    admin = full_admin(make_admin)
    auto_top_up(admin, 2)
    response = admin.scim.post("/Users", user_body("late"))
    assert response.status_code == 201, response.get_json()
    state = snapshot(database, admin.org_id)
    assert (state.total, state.assigned) == (2, 2)
    [invoice] = auto_invoices(database, admin.org_id)
    with database.transaction(write=False) as session:
        contract = session.get_one(Contract, admin.org_id)
        share = prorate(contract.proration, contract.term_start, invoice.issued_at.date())
    document = admin.get(f"/invoices/{invoice.number}").get_json()
    [line] = document["lines"]
    assert line["quantity"] == 1 and line["unit_price_minor"] == 30_000
    assert document["total_minor"] == round_half_up(30_000 * share.share)
    assert "automatic top-up" in line["description"]
    assert state.audit[-2:] == [("seats.purchased", invoice.number), ("seat.claimed", "user:" + response.get_json()["id"])]
    purchase = audit_rows(database, admin.org_id)[-2]
    assert (purchase.actor, purchase.total_before, purchase.total_after) == ("auto-top-up", 1, 2)
    assert purchase.detail == "automatic: 1 seat, 1 of 2 this term"
    assert admin.get("/seats/policy").get_json()["auto_seats_this_term"] == 1
    with database.transaction(write=False) as session:
        event = session.scalars(select(OutboxEvent).where(
            OutboxEvent.org_id == admin.org_id, OutboxEvent.event_type == "seats.purchased")).one()
    assert event.payload["automatic"] is True and event.payload["purchased_by"] == "auto-top-up"
    assert (event.payload["seats_added"], event.payload["invoice_number"]) == (1, invoice.number)
    assert_seat_invariant(database, admin.org_id)


def test_past_the_cap_the_claim_is_refused_as_today(make_admin: Callable[..., Admin],
                                                    database: Database) -> None:
    admin = full_admin(make_admin)
    auto_top_up(admin, 2)
    admin.scim.create("first")
    admin.scim.create("second")
    before = snapshot(database, admin.org_id)
    response = admin.scim.post("/Users", user_body("third"))
    assert_scim_error(response, 403)
    after = snapshot(database, admin.org_id)
    assert (after.total, after.users) == (before.total, before.users) == (3, before.users)
    assert after.audit[-1][0] == "seat.refused"
    assert [i.seq for i in auto_invoices(database, admin.org_id)] == [1, 2]


def test_a_free_seat_is_used_before_anything_is_bought(make_admin: Callable[..., Admin],
                                                       database: Database) -> None:
    admin = make_admin(2)
    auto_top_up(admin, 5)
    admin.scim.create("one")
    admin.scim.create("two")
    assert auto_invoices(database, admin.org_id) == []
    admin.scim.create("three")
    assert len(auto_invoices(database, admin.org_id)) == 1


def test_patch_put_and_bulk_activations_buy_too(make_admin: Callable[..., Admin],
                                                database: Database) -> None:
    admin = full_admin(make_admin)
    auto_top_up(admin, 3)
    parked = [admin.scim.create(f"parked{i}", active=False)["id"] for i in range(2)]
    patched = admin.scim.patch(f"/Users/{parked[0]}",
                               patch_body({"op": "replace", "path": "active", "value": True}))
    assert patched.status_code == 200, patched.get_json()
    put = admin.scim.put(f"/Users/{parked[1]}", user_body("parked1", active=True))
    assert put.status_code == 200, put.get_json()
    bulk = admin.scim.post("/Bulk", bulk_body(post_user("a", "via-bulk"), post_user("b", "over")))
    assert [op["status"] for op in bulk.get_json()["Operations"]] == ["201", "403"]
    state = snapshot(database, admin.org_id)
    assert (state.total, state.assigned) == (4, 4)
    assert len(auto_invoices(database, admin.org_id)) == 3
    assert_seat_invariant(database, admin.org_id)


def test_a_type_that_is_full_buys_a_seat_of_that_type_at_its_price(
    make_admin: Callable[..., Admin], database: Database
) -> None:
    admin = make_admin(3)
    add_premium(database, admin.org_id, 0, actor="test:operator")
    auto_top_up(admin, 1)
    admin.scim.create("ada", entitlements=[{"value": "premium"}])
    with database.transaction(write=False) as session:
        counts = {t.key: (t.total, t.assigned) for t in seat_types.list_types(session, admin.org_id)}
    assert counts == {"premium": (1, 1), "standard": (3, 0)}
    [invoice] = auto_invoices(database, admin.org_id)
    line = admin.get(f"/invoices/{invoice.number}").get_json()["lines"][0]
    assert line["unit_price_minor"] == 60_000 and "Premium" in line["description"]
    assert audit_rows(database, admin.org_id)[-2].detail == "automatic: 1 premium seat, 1 of 1 this term"
    assert_seat_invariant(database, admin.org_id)


def test_the_cap_counts_per_term(make_admin: Callable[..., Admin], database: Database) -> None:
    """Seats bought in the previous term do not count against this one's cap."""
    term_start = NOW.date() - timedelta(days=5)
    admin = make_admin(1, term_start=term_start)
    admin.scim.create("holder")
    auto_top_up(admin, 1)
    with database.transaction() as session:
        earlier = datetime.combine(term_start - timedelta(days=1), datetime.min.time(),
                                   tzinfo=NOW.tzinfo)
        session.add(Invoice(org_id=admin.org_id, seq=1, kind="seat_purchase", issued_at=earlier,
                            currency="USD", total_minor=0, issued_by="auto-top-up"))
    assert admin.get("/seats/policy").get_json()["auto_seats_this_term"] == 0
    assert admin.scim.post("/Users", user_body("late")).status_code == 201
    assert admin.get("/seats/policy").get_json()["auto_seats_this_term"] == 1
    assert date.fromisoformat(admin.get("/seats").get_json()["term_start"]) == term_start
