"""Seat types over SCIM (docs/spec/seat-types.md): which type a user holds, moves both ways,
refusals that name the type, group writes that never fail but make users wait, and waiting
users moved oldest first when a seat of their type frees up. Every test ends on the per-type
invariant (tests.support.assert_seat_invariant checks it)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from app.db import Database
from scim import seat_choice
from scim.tables import GroupRow, UserRow
from scim.users import WriteContext, reassign_seat
from seats import seat_types, seating
from seats.models import AuditEvent
from seats.seat_types import NewSeatType
from tests.conftest import NOW
from tests.support import (
    Scim,
    add_premium,
    assert_scim_error,
    assert_seat_invariant,
    patch_body,
    snapshot,
    user_body,
)

pytestmark = pytest.mark.date_sensitive  # seat claims need a running term

GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ACTOR = "test:operator"


def two_types(make_scim: Callable[..., Scim], database: Database, *, standard: int,
              premium: int) -> Scim:
    scim = make_scim(seats=standard)
    add_premium(database, scim.org_id, premium, actor=ACTOR)
    return scim


def counts(database: Database, org_id: str) -> dict[str, tuple[int, int]]:
    with database.transaction(write=False) as session:
        return {t.key: (t.total, t.assigned) for t in seat_types.list_types(session, org_id)}


def held(database: Database, user_id: str) -> tuple[str | None, str | None]:
    """(type held, type waited for) of one user, by key."""
    with database.transaction(write=False) as session:
        row = session.get_one(UserRow, user_id)
        return row.seat_type_key, row.waiting_seat_type_key


def asking(key: str, attribute: str = "entitlements") -> dict[str, Any]:
    return {attribute: [{"value": key}]}


def group(scim: Scim, name: str, *member_ids: str) -> str:
    response = scim.post("/Groups", {"schemas": [GROUP_URN], "displayName": name,
                                     "members": [{"value": m} for m in member_ids]})
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def add_members(scim: Scim, group_id: str, *member_ids: str) -> None:
    response = scim.patch(f"/Groups/{group_id}", patch_body(
        {"op": "add", "path": "members", "value": [{"value": m} for m in member_ids]}))
    assert response.status_code == 204, response.get_json()


def remove_member(scim: Scim, group_id: str, member_id: str) -> None:
    response = scim.patch(f"/Groups/{group_id}", patch_body(
        {"op": "remove", "path": f'members[value eq "{member_id}"]'}))
    assert response.status_code == 204, response.get_json()


def map_group(database: Database, org_id: str, group_id: str, key: str | None) -> None:
    with database.transaction() as session:
        row = session.get_one(GroupRow, group_id)
        seat_choice.map_group(session, org_id, row, key, actor=ACTOR, now=NOW)


def add_seats(database: Database, org_id: str, key: str, seats: int) -> None:
    with database.transaction() as session:
        seat_choice.add_seats(session, org_id, key, seats, actor=ACTOR, now=NOW)


def deactivate(scim: Scim, user_id: str) -> None:
    response = scim.patch(f"/Users/{user_id}", patch_body(
        {"op": "replace", "path": "active", "value": False}))
    assert response.status_code == 200, response.get_json()


def audit_details(database: Database, org_id: str, action: str) -> list[str | None]:
    with database.transaction(write=False) as session:
        return list(session.scalars(select(AuditEvent.detail).where(
            AuditEvent.org_id == org_id, AuditEvent.action == action).order_by(AuditEvent.id)))


# --- which type a user holds ---------------------------------------------------------------


@pytest.mark.parametrize("attribute", ["entitlements", "roles"])
def test_edge_46_a_user_asking_for_a_type_holds_it(
    make_scim: Callable[..., Scim], database: Database, attribute: str,
) -> None:
    scim = two_types(make_scim, database, standard=3, premium=2)
    ada = scim.create("ada", **asking("PREMIUM", attribute))  # keys match in any case
    bob = scim.create("bob", **asking("no-such-type", attribute))
    assert held(database, ada["id"]) == ("premium", None)
    assert held(database, bob["id"]) == ("standard", None)
    assert counts(database, scim.org_id) == {"premium": (2, 1), "standard": (3, 1)}
    assert audit_details(database, scim.org_id, "seat.claimed") == [
        "seat type premium", "seat type standard"]
    assert_seat_invariant(database, scim.org_id)


def test_edge_47_asking_for_a_full_type_is_403_naming_it_and_changes_nothing(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    scim = two_types(make_scim, database, standard=3, premium=1)
    scim.create("ada", **asking("premium"))
    before = snapshot(database, scim.org_id)
    response = scim.post("/Users", user_body("bob", **asking("premium")))
    detail = assert_scim_error(response, 403)["detail"]
    assert detail.startswith("SEAT_LIMIT_REACHED: all 1 of 1 premium seats are assigned.")
    after = snapshot(database, scim.org_id)
    assert (after.users, after.total, after.assigned) == (
        before.users, before.total, before.assigned)
    assert [a for a, _ in after.audit[len(before.audit):]] == ["seat.refused"]
    assert counts(database, scim.org_id) == {"premium": (1, 1), "standard": (3, 0)}
    assert_seat_invariant(database, scim.org_id)


def test_edge_48_an_org_with_one_type_words_refusals_as_before(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    scim = make_scim(seats=1)
    scim.create("ada", **asking("standard"))
    response = scim.post("/Users", user_body("bob"))
    assert assert_scim_error(response, 403)["detail"].startswith(
        "SEAT_LIMIT_REACHED: all 1 of 1 seats are assigned.")
    assert audit_details(database, scim.org_id, "seat.claimed") == [None]


# --- moves on user writes ------------------------------------------------------------------


def test_edge_49_patching_the_type_moves_the_seat_both_ways(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    scim = two_types(make_scim, database, standard=1, premium=1)
    ada = scim.create("ada")
    response = scim.patch(f"/Users/{ada['id']}", patch_body(
        {"op": "add", "path": "roles", "value": [{"value": "premium"}]}))
    assert response.status_code == 200, response.get_json()
    assert held(database, ada["id"]) == ("premium", None)
    assert counts(database, scim.org_id) == {"premium": (1, 1), "standard": (1, 0)}
    response = scim.patch(f"/Users/{ada['id']}", patch_body({"op": "remove", "path": "roles"}))
    assert response.status_code == 200, response.get_json()
    assert held(database, ada["id"]) == ("standard", None)
    assert audit_details(database, scim.org_id, "seat.moved") == [
        "from standard to premium", "from premium to standard"]
    assert_seat_invariant(database, scim.org_id)


def test_edge_50_patching_to_a_full_type_is_403_and_no_operation_applies(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    scim = two_types(make_scim, database, standard=2, premium=1)
    scim.create("ada", **asking("premium"))
    bob = scim.create("bob")
    before = snapshot(database, scim.org_id)
    response = scim.patch(f"/Users/{bob['id']}", patch_body(
        {"op": "replace", "path": "displayName", "value": "Bob"},
        {"op": "add", "path": "entitlements", "value": [{"value": "premium"}]}))
    assert "premium" in assert_scim_error(response, 403)["detail"]
    assert snapshot(database, scim.org_id).users == before.users
    assert held(database, bob["id"]) == ("standard", None)
    assert_seat_invariant(database, scim.org_id)


def test_edge_51_a_type_removed_from_the_request_falls_back_and_waits_when_full(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    """PUT without the entitlement: the default type is full, so the user keeps premium and
    waits for standard (never a failure); freeing a standard seat moves the user."""
    scim = two_types(make_scim, database, standard=1, premium=1)
    ada = scim.create("ada", **asking("premium"))
    bob = scim.create("bob")
    response = scim.put(f"/Users/{ada['id']}", user_body("ada"))
    assert response.status_code == 200, response.get_json()
    assert held(database, ada["id"]) == ("premium", "standard")
    deactivate(scim, bob["id"])
    assert held(database, ada["id"]) == ("standard", None)
    assert counts(database, scim.org_id) == {"premium": (1, 0), "standard": (1, 1)}
    assert_seat_invariant(database, scim.org_id)


def test_edge_52_a_profile_write_repeating_a_full_type_waits_instead_of_failing(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    """A user whose role named premium before premium had a free seat: Okta re-sends the
    whole profile with the same role; that PUT succeeds and the user waits."""
    scim = make_scim(seats=2)
    ada = scim.create("ada", **asking("premium", "roles"))
    scim.create("bob", **asking("premium", "roles"))
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, scim.org_id, NOW)
        seat_types.add_type(session, pool, NewSeatType("premium", "Premium", 1, seats=1,
                                                       rank=1), actor=ACTOR, now=NOW)
    response = scim.put(f"/Users/{ada['id']}", user_body("ada", title="CTO",
                                                         **asking("premium", "roles")))
    assert response.status_code == 200, response.get_json()
    assert held(database, ada["id"]) == ("premium", None)  # a free premium seat: moved
    bob_id = next(u["id"] for u in scim.get("/Users").get_json()["Resources"]
                  if u["userName"] == "bob")
    response = scim.put(f"/Users/{bob_id}", user_body("bob", **asking("premium", "roles")))
    assert response.status_code == 200, response.get_json()
    assert held(database, bob_id) == ("standard", "premium")
    assert_seat_invariant(database, scim.org_id)


# --- group mappings and waiting ------------------------------------------------------------


def test_edge_53_joining_a_mapped_group_moves_the_user_and_leaving_moves_back(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    scim = two_types(make_scim, database, standard=2, premium=1)
    ada = scim.create("ada")
    engineers = group(scim, "Engineers")
    map_group(database, scim.org_id, engineers, "premium")
    add_members(scim, engineers, ada["id"])
    assert held(database, ada["id"]) == ("premium", None)
    remove_member(scim, engineers, ada["id"])
    assert held(database, ada["id"]) == ("standard", None)
    assert_seat_invariant(database, scim.org_id)


def test_edge_54_joining_a_full_mapped_type_commits_and_waits_oldest_first(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    scim = two_types(make_scim, database, standard=5, premium=1)
    holder = scim.create("holder", **asking("premium"))
    first, second = scim.create("first"), scim.create("second")
    engineers = group(scim, "Engineers")
    map_group(database, scim.org_id, engineers, "premium")
    add_members(scim, engineers, first["id"])
    add_members(scim, engineers, second["id"])
    assert held(database, first["id"]) == ("standard", "premium")
    assert held(database, second["id"]) == ("standard", "premium")
    deactivate(scim, holder["id"])  # frees a premium seat: the oldest waiter takes it
    assert held(database, first["id"]) == ("premium", None)
    assert held(database, second["id"]) == ("standard", "premium")
    add_seats(database, scim.org_id, "premium", 1)
    assert held(database, second["id"]) == ("premium", None)
    assert counts(database, scim.org_id) == {"premium": (2, 2), "standard": (5, 0)}
    assert_seat_invariant(database, scim.org_id)


def test_edge_55_nested_groups_count_and_the_highest_ranked_mapping_wins(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    scim = two_types(make_scim, database, standard=3, premium=3)
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, scim.org_id, NOW)
        seat_types.add_type(session, pool, NewSeatType("basic", "Basic", 100, seats=3, rank=-5),
                            actor=ACTOR, now=NOW)
    ada = scim.create("ada")
    team = group(scim, "Team", ada["id"])
    everyone = group(scim, "Everyone")
    map_group(database, scim.org_id, team, "basic")
    assert held(database, ada["id"]) == ("basic", None)
    map_group(database, scim.org_id, everyone, "premium")
    add_members(scim, everyone, team)  # ada reaches Everyone through Team
    assert held(database, ada["id"]) == ("premium", None)
    response = scim.patch(f"/Users/{ada['id']}", patch_body(
        {"op": "add", "path": "roles", "value": [{"value": "basic"}]}))
    assert response.status_code == 200  # asking beats any mapping
    assert held(database, ada["id"]) == ("basic", None)
    response = scim.patch(f"/Users/{ada['id']}", patch_body({"op": "remove", "path": "roles"}))
    assert response.status_code == 200  # no longer asked for: the mapping decides again
    assert held(database, ada["id"]) == ("premium", None)
    assert_seat_invariant(database, scim.org_id)


def test_edge_56_deactivating_or_deleting_a_waiting_user_ends_the_wait(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    scim = two_types(make_scim, database, standard=3, premium=0)
    ada, bob = scim.create("ada"), scim.create("bob")
    engineers = group(scim, "Engineers", ada["id"], bob["id"])
    map_group(database, scim.org_id, engineers, "premium")
    assert held(database, ada["id"]) == ("standard", "premium")
    deactivate(scim, ada["id"])
    assert held(database, ada["id"]) == (None, None)
    assert scim.delete(f"/Users/{bob['id']}").status_code == 204
    assert counts(database, scim.org_id) == {"premium": (0, 0), "standard": (3, 0)}
    add_seats(database, scim.org_id, "premium", 1)  # nobody left waiting: nobody moves
    assert counts(database, scim.org_id) == {"premium": (1, 0), "standard": (3, 0)}
    assert_seat_invariant(database, scim.org_id)


def test_edge_57_a_mapping_deleted_or_a_group_deleted_sends_users_back_to_the_default(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    scim = two_types(make_scim, database, standard=3, premium=3)
    ada, bob = scim.create("ada"), scim.create("bob")
    engineers = group(scim, "Engineers", ada["id"])
    leads = group(scim, "Leads", bob["id"])
    map_group(database, scim.org_id, engineers, "premium")
    map_group(database, scim.org_id, leads, "premium")
    assert counts(database, scim.org_id)["premium"] == (3, 2)
    map_group(database, scim.org_id, engineers, None)
    assert held(database, ada["id"]) == ("standard", None)
    assert scim.delete(f"/Groups/{leads}").status_code == 204
    assert held(database, bob["id"]) == ("standard", None)
    assert counts(database, scim.org_id) == {"premium": (3, 0), "standard": (3, 2)}
    assert_seat_invariant(database, scim.org_id)


def test_edge_58_a_reassigned_seat_keeps_its_type_until_the_target_can_move(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    scim = two_types(make_scim, database, standard=1, premium=1)
    ada = scim.create("ada", **asking("premium"))
    scim.create("cy")  # standard is full
    bob = scim.create("bob", active=False)
    with database.transaction() as session:
        reassign_seat(session, ada["id"], bob["id"],
                      WriteContext(org_id=scim.org_id, actor=ACTOR, now=NOW))
    assert held(database, bob["id"]) == ("premium", "standard")
    assert held(database, ada["id"]) == (None, None)
    assert_seat_invariant(database, scim.org_id)
