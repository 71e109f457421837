"""Seat types in the admin API (docs/spec/seat-types.md, edge case 64): GET /admin/v1/seats
has a `types` list whose sums are the totals, GET /admin/v1/users each user's type and wait."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from app.db import Database
from seats import seat_types, seating
from seats.seat_types import NewSeatType
from tests.api.admin_support import read
from tests.api.test_seat_types_api import add_members, asking, group, map_group
from tests.conftest import NOW
from tests.support import Admin, assert_seat_invariant

pytestmark = pytest.mark.date_sensitive  # seat claims need a running term


def test_edge_64_the_admin_api_shows_types_and_waiting_users(
    make_admin: Callable[..., Admin], database: Database,
) -> None:
    owner = make_admin(seats=3)
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, owner.scim.org_id, NOW)
        seat_types.add_type(session, pool, NewSeatType("premium", "Premium", 60_000, seats=1,
                                                       rank=10), actor="test", now=NOW)
    ada = owner.scim.create("ada", **asking("premium"))
    bob = owner.scim.create("bob")
    engineers = group(owner.scim, "Engineers")
    map_group(database, owner.scim.org_id, engineers, "premium")
    add_members(owner.scim, engineers, bob["id"])
    seats = read(owner, "/seats")
    assert (seats["total"], seats["assigned"], seats["free"]) == (4, 2, 2)
    assert seats["types"] == [
        {"key": "premium", "name": "Premium", "total": 1, "assigned": 1, "free": 0,
         "waiting": 1, "unit_price_minor": 60_000},
        {"key": "standard", "name": "Standard", "total": 3, "assigned": 1, "free": 2,
         "waiting": 0, "unit_price_minor": 30_000},
    ]
    listed = {u["id"]: (u["seat_type"], u["waiting_seat_type"])
              for u in read(owner, "/users")["users"]}
    assert listed == {ada["id"]: ("premium", None), bob["id"]: ("standard", "premium")}


def test_edge_81_users_filtered_by_seat_type_and_waiting(
    make_admin: Callable[..., Admin], database: Database,
) -> None:
    owner = make_admin(seats=3)
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, owner.scim.org_id, NOW)
        seat_types.add_type(session, pool, NewSeatType("premium", "Premium", 60_000, seats=1,
                                                       rank=10), actor="test", now=NOW)
    ada = owner.scim.create("ada", **asking("premium"))
    bob = owner.scim.create("bob")
    engineers = group(owner.scim, "Engineers")
    map_group(database, owner.scim.org_id, engineers, "premium")
    add_members(owner.scim, engineers, bob["id"])

    def names(**query: str) -> list[str]:
        return [u["userName"] for u in read(owner, "/users", **query)["users"]]

    assert names(seat_type="premium") == ["ada"]
    assert names(seat_type="standard") == ["bob"]
    assert names(waiting="true") == ["bob"] and names(waiting="false") == ["ada"]
    assert names(seat_type="gold") == []
    assert owner.get("/users", waiting="maybe").status_code == 400
    assert {u["id"] for u in read(owner, "/users")["users"]} == {ada["id"], bob["id"]}


def test_edge_70_a_purchase_adds_default_seats_and_moves_users_waiting_for_them(
    make_admin: Callable[..., Admin], database: Database,
) -> None:
    """Until purchases are per type, a purchase adds seats of the default type; users waiting
    for it move in the purchase's transaction."""
    owner = make_admin(seats=1)
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, owner.scim.org_id, NOW)
        seat_types.add_type(session, pool, NewSeatType("premium", "Premium", 60_000, seats=1,
                                                       rank=10), actor="test", now=NOW)
    owner.scim.create("holder")
    ada = owner.scim.create("ada", **asking("premium"))
    dropped = owner.scim.put(f"/Users/{ada['id']}", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada"})
    assert dropped.status_code == 200
    assert read(owner, "/seats")["types"][1]["waiting"] == 1  # standard is full: ada waits
    offer = owner.post("/seats/quotes", {"add_seats": 1}).get_json()
    bought = owner.post("/seats/purchases", {"quote_id": offer["id"]},
                        headers={"Idempotency-Key": "seat-types-70"})
    assert bought.status_code == 201, bought.get_json()
    types = {t["key"]: t for t in read(owner, "/seats")["types"]}
    assert (types["standard"]["total"], types["standard"]["assigned"],
            types["standard"]["waiting"]) == (2, 2, 0)
    assert (types["premium"]["assigned"], types["premium"]["free"]) == (0, 1)
    assert_seat_invariant(database, owner.scim.org_id)
