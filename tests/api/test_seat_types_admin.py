"""Seat types in the admin API (docs/spec/seat-types.md, edge case 64): GET /admin/v1/seats
has a `types` list whose sums are the totals, GET /admin/v1/users each user's type and wait."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from app.db import Database
from seats import events
from seats.models import OutboxEvent
from tests.api.admin_support import read
from tests.api.test_seat_types_api import add_members, asking, group, map_group
from tests.support import (
    Admin,
    add_premium,
    assert_problem,
    assert_seat_invariant,
    patch_body,
    snapshot,
)

pytestmark = pytest.mark.date_sensitive  # seat claims need a running term


def test_edge_64_the_admin_api_shows_types_and_waiting_users(
    make_admin: Callable[..., Admin], database: Database,
) -> None:
    owner = make_admin(seats=3)
    add_premium(database, owner.scim.org_id, 1)
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
    add_premium(database, owner.scim.org_id, 1)
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
    add_premium(database, owner.scim.org_id, 1)
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


def test_edge_82_mappings_through_the_admin_api_move_users_in_the_same_transaction(
    make_admin: Callable[..., Admin], database: Database,
) -> None:
    owner = make_admin(seats=3)
    add_premium(database, owner.scim.org_id, 1)
    ada, bob = owner.scim.create("ada"), owner.scim.create("bob")
    engineers = group(owner.scim, "Engineers", ada["id"], bob["id"])
    assert read(owner, "/seat-types/premium/mappings") == {"mappings": []}
    made = owner.put(f"/seat-types/premium/mappings/{engineers}", {})
    assert made.status_code == 200, made.get_json()
    assert made.get_json() == {"group_id": engineers, "group_name": "Engineers",
                               "seat_type": "premium", "members": 2}
    premium = {t["key"]: t for t in read(owner, "/seats")["types"]}["premium"]
    assert (premium["assigned"], premium["waiting"]) == (1, 1)  # one seat: one moved, one waits
    assert read(owner, "/seat-types/premium/mappings")["mappings"] == [made.get_json()]
    gone = owner.delete(f"/seat-types/premium/mappings/{engineers}")
    assert gone.status_code == 204
    types = {t["key"]: t for t in read(owner, "/seats")["types"]}
    assert (types["premium"]["assigned"], types["premium"]["waiting"],
            types["standard"]["assigned"]) == (0, 0, 2)
    assert_seat_invariant(database, owner.scim.org_id)


def test_edge_83_mapping_refusals_change_nothing(
    make_admin: Callable[..., Admin], database: Database,
) -> None:
    owner = make_admin(seats=3)
    add_premium(database, owner.scim.org_id, 1)
    engineers = group(owner.scim, "Engineers", owner.scim.create("ada")["id"])
    before = snapshot(database, owner.scim.org_id)

    assert_problem(owner.put(f"/seat-types/gold/mappings/{engineers}", {}), 404,
                   "SEAT_TYPE_NOT_FOUND")
    assert_problem(owner.put("/seat-types/premium/mappings/no-such-group", {}), 404,
                   "GROUP_NOT_FOUND")
    assert_problem(owner.get("/seat-types/gold/mappings"), 404, "SEAT_TYPE_NOT_FOUND")
    assert_problem(owner.delete(f"/seat-types/premium/mappings/{engineers}"), 404,
                   "MAPPING_NOT_FOUND")
    viewer = owner.as_role("viewer")
    assert_problem(viewer.put(f"/seat-types/premium/mappings/{engineers}", {}), 403,
                   "FORBIDDEN")
    assert snapshot(database, owner.scim.org_id) == before


def test_edge_88_seats_exhausted_counts_the_users_still_waiting_for_the_type(
    make_admin: Callable[..., Admin], database: Database,
) -> None:
    """Premium's one seat freed goes to the oldest waiter; premium is full again and the
    event says one user still waits for it."""
    owner = make_admin(seats=5)
    add_premium(database, owner.scim.org_id, 1)
    ada = owner.scim.create("ada", **asking("premium"))
    bob, cyd = owner.scim.create("bob"), owner.scim.create("cyd")
    engineers = group(owner.scim, "Engineers")
    map_group(database, owner.scim.org_id, engineers, "premium")
    add_members(owner.scim, engineers, bob["id"])
    add_members(owner.scim, engineers, cyd["id"])  # both wait, bob first
    deactivated = owner.scim.patch(f"/Users/{ada['id']}", patch_body(
        {"op": "replace", "path": "active", "value": False}))
    assert deactivated.status_code == 200
    with database.transaction(write=False) as session:
        told = [(e.payload["seat_type"], e.payload["seat_type_waiting"])
                for e in session.scalars(select(OutboxEvent).where(
                    OutboxEvent.org_id == owner.scim.org_id,
                    OutboxEvent.event_type == events.SEATS_EXHAUSTED).order_by(OutboxEvent.id))]
    assert told == [("premium", 0), ("premium", 1)]  # ada's claim, then bob's move
    listed = {u["userName"]: (u["seat_type"], u["waiting_seat_type"])
              for u in read(owner, "/users")["users"]}
    assert listed["bob"] == ("premium", None) and listed["cyd"] == ("standard", "premium")
    assert_seat_invariant(database, owner.scim.org_id)
