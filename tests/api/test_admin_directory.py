"""The admin view of the org's users: seat state, keyset pages, cursor and parameter checks,
and isolation between orgs."""
from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update

from app.db import Database
from scim.tables import UserRow
from tests.api.admin_support import read
from tests.conftest import NOW
from tests.support import Admin, assert_problem


def _every_page(admin: Admin, **params: Any) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        body = read(admin, "/users", **params, **({"cursor": cursor} if cursor else {}))
        pages.append(body["users"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def _cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_users_carry_their_seat_state(owner: Admin) -> None:
    alice = owner.scim.create("alice", displayName="Alice")
    bob = owner.scim.create("bob", active=False)
    users = read(owner, "/users")["users"]
    assert users == [
        {"id": alice["id"], "userName": "alice", "displayName": "Alice", "active": True,
         "seat": "held", "seat_type": "standard", "waiting_seat_type": None},
        {"id": bob["id"], "userName": "bob", "displayName": None, "active": False,
         "seat": "none", "seat_type": None, "waiting_seat_type": None},
    ]


def test_seat_filter(owner: Admin) -> None:
    owner.scim.create("held1")
    owner.scim.create("parked", active=False)
    owner.scim.create("held2")
    def names(seat: str) -> list[str]:
        return [u["userName"] for u in read(owner, "/users", seat=seat)["users"]]

    assert names("held") == ["held1", "held2"]
    assert names("free") == ["parked"]


def test_pages_cover_every_user_once_in_creation_order(owner: Admin) -> None:
    ids = [owner.scim.create(f"user{i}", active=i % 2 == 0)["id"] for i in range(5)]
    pages = _every_page(owner, limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [u["id"] for page in pages for u in page] == ids
    held = _every_page(owner, limit=2, seat="held")
    assert [u["id"] for page in held for u in page] == ids[::2]


def test_users_created_in_the_same_instant_are_paged_by_id(owner: Admin,
                                                           database: Database) -> None:
    for i in range(5):
        owner.scim.create(f"twin{i}", active=False)
    with database.transaction() as session:
        session.execute(
            update(UserRow).where(UserRow.org_id == owner.org_id).values(created_at=NOW))
    pages = _every_page(owner, limit=2)
    ids = [u["id"] for page in pages for u in page]
    assert ids == sorted(ids) and len(ids) == 5


def test_default_page_is_50_and_500_is_allowed(owner: Admin) -> None:
    for i in range(51):
        owner.scim.create(f"u{i:02d}", active=False)
    first = read(owner, "/users")
    assert len(first["users"]) == 50 and first["next_cursor"]
    rest = read(owner, "/users", cursor=first["next_cursor"])
    assert [u["userName"] for u in rest["users"]] == ["u50"] and rest["next_cursor"] is None
    assert len(read(owner, "/users", limit=500)["users"]) == 51


@pytest.mark.parametrize("params", [
    {"seat": "maybe"}, {"seat": ""}, {"limit": "0"}, {"limit": "501"}, {"limit": "ten"},
    {"limit": "2.5"},
])
def test_bad_parameters_are_400(owner: Admin, params: dict[str, str]) -> None:
    problem = assert_problem(owner.get("/users", **params), 400, "INVALID_QUERY")
    assert set(problem["errors"]) == set(params)


@pytest.mark.parametrize("cursor", [
    "", "not a cursor!", "%%%", _cursor({}), _cursor([1, 2]), _cursor(["yesterday", "x"]),
    _cursor(["2026-03-01T12:00:00", "x"]),  # no zone: not one we issued
    _cursor(["2026-03-01T12:00:00+00:00", 7]), _cursor(["2026-03-01T12:00:00+00:00"]),
])
def test_bad_cursor_is_400_invalid_cursor(owner: Admin, cursor: str) -> None:
    assert_problem(owner.get("/users", cursor=cursor), 400, "INVALID_CURSOR")


def test_viewer_reads_users(owner: Admin) -> None:
    owner.scim.create("seen")
    assert [u["userName"] for u in read(owner.as_role("viewer"), "/users")["users"]] == ["seen"]


def test_an_org_never_sees_another_orgs_users(make_admin: Callable[..., Admin]) -> None:
    org_a, org_b = make_admin(role="admin"), make_admin(role="admin")
    org_a.scim.create("a-user")
    for i in range(3):
        org_b.scim.create(f"b-user{i}")
    b_page = read(org_b, "/users", limit=1)
    assert [u["userName"] for u in read(org_a, "/users")["users"]] == ["a-user"]
    # B's cursor only says where to start: A still sees only A's users.
    after_b = read(org_a, "/users", cursor=b_page["next_cursor"])["users"]
    assert all(u["userName"] == "a-user" for u in after_b)
