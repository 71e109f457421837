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
from tests.support import Admin

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
