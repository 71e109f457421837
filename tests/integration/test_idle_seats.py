"""The idle-seat report on crafted histories, on both databases, with `now` passed through
the SCIM and SSO use cases: docs/spec/forecast-and-idle.md, edge cases 320-326."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from app.db import Database
from app.read_models import Position, UsersByCreation, UsersByName, idle_seat_page
from scim import signin, users
from scim.tables import UserRow
from tests.conftest import MID_TERM_START, NOW, OrgRef
from tests.support import user_body

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py


def day(days: int) -> datetime:
    return NOW + timedelta(days=days)


class Directory:
    """SCIM and SSO writes of one org at chosen instants."""

    def __init__(self, database: Database, org_id: str) -> None:
        self.database, self.org_id = database, org_id

    def ctx(self, days: int) -> users.WriteContext:
        return users.WriteContext(org_id=self.org_id, actor="test", now=day(days))

    def create(self, name: str, days: int = 0) -> str:
        with self.database.transaction() as session:
            return users.create_user(session, user_body(name), self.ctx(days)).id

    def patch(self, user_id: str, value: dict[str, object], days: int) -> None:
        body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": value}]}
        with self.database.transaction() as session:
            users.patch_user(session, user_id, body, self.ctx(days))

    def sign_in(self, name: str, days: int) -> None:
        with self.database.transaction() as session:
            signin.sign_in(session, signin.Identity(email=name, preferred_username=None),
                           self.ctx(days))

    def idle(self, days: int, now_days: int = 100) -> list[str]:
        with self.database.transaction(write=False) as session:
            page = idle_seat_page(session, self.org_id, UsersByName(1, 50),
                                  idle_since=day(now_days) - timedelta(days=days))
            return [user.user_name for user in page.rows]

    def row(self, user_id: str) -> tuple[datetime, datetime | None, int]:
        with self.database.transaction(write=False) as session:
            user = session.get_one(UserRow, user_id)
            return user.last_modified_at, user.last_sign_in_at, user.version


@pytest.fixture
def directory(make_org: Callable[..., OrgRef], database: Database) -> Directory:
    """At day 100: ada untouched since day 0, bob changed on day 20, cy signed in on day
    50, dee deactivated on day 1, eve signed in on day 5, fay changed on day 10 exactly."""
    org = make_org(10, term_start=MID_TERM_START)
    found = Directory(database, org.id)
    ids = {name: found.create(f"{name}@example.com") for name in
           ("ada", "bob", "cy", "dee", "eve", "fay")}
    found.patch(ids["bob"], {"displayName": "Bob"}, 20)
    found.sign_in("cy@example.com", 50)
    found.patch(ids["dee"], {"active": False}, 1)
    found.sign_in("eve@example.com", 5)
    found.patch(ids["fay"], {"displayName": "Fay"}, 10)
    return found


def test_idle_seats_are_active_users_with_neither_a_change_nor_a_sign_in_since(
    directory: Directory
) -> None:
    assert directory.idle(90) == ["ada@example.com", "eve@example.com", "fay@example.com"]


def test_a_shorter_period_lists_more_and_a_longer_one_fewer(directory: Directory) -> None:
    assert directory.idle(30) == ["ada@example.com", "bob@example.com", "cy@example.com",
                                  "eve@example.com", "fay@example.com"]
    assert directory.idle(99) == ["ada@example.com"]
    assert directory.idle(101) == []


def test_a_sign_in_is_recorded_without_changing_the_scim_resource(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    found = Directory(database, make_org(5, term_start=MID_TERM_START).id)
    user_id = found.create("gus@example.com")
    before = found.row(user_id)
    found.sign_in("gus@example.com", 3)
    assert found.row(user_id) == (before[0], day(3), before[2])  # lastModified and ETag kept


def test_a_user_created_by_sso_has_signed_in_then(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    found = Directory(database, make_org(5, term_start=MID_TERM_START).id)
    found.sign_in("hal@example.com", 2)
    assert found.idle(99) == []  # idle since day 1: signed in after
    assert found.idle(98) == ["hal@example.com"]  # since day 2: idle exactly that long


def test_other_orgs_and_deleted_users_are_never_listed(
    directory: Directory, make_org: Callable[..., OrgRef], database: Database
) -> None:
    other = Directory(database, make_org(5, term_start=MID_TERM_START).id)
    other.create("ida@example.com")
    with database.transaction() as session:
        ada = session.query(UserRow).filter_by(org_id=directory.org_id,
                                               user_name="ada@example.com").one().id
        users.delete_user(session, ada, directory.ctx(60))
    assert directory.idle(90) == ["eve@example.com", "fay@example.com"]
    assert other.idle(90) == ["ida@example.com"]


def test_pages_in_creation_order_resume_after_their_last_row(directory: Directory) -> None:
    names, after = [], None
    with directory.database.transaction(write=False) as session:
        while True:
            page = idle_seat_page(session, directory.org_id,
                                  UsersByCreation(after=after, size=1), idle_since=day(10))
            names += [user.user_name for user in page.rows]
            if not page.more:
                break
            after = Position.of(page.rows[-1])
    assert sorted(names) == ["ada@example.com", "eve@example.com", "fay@example.com"]
    assert len(names) == 3
