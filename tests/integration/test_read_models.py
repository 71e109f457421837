"""The user page and the audit page both front ends render: each paging walks every row
once, in its order, with the filters applied in SQL, on every real database."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.db import Database
from app.read_models import (
    AuditNewestFirst,
    AuditOldestFirst,
    Page,
    Position,
    UsersByCreation,
    UsersByName,
    audit_page,
    user_page,
)
from scim.tables import UserRow
from seats.models import AuditEvent
from tests.conftest import NOW, OrgRef
from tests.support import FILTER_T0 as T0
from tests.support import user_row

NAMES = ["erin", "Dave", "carol_1", "bob", "alice", "carolx1"]
INACTIVE = {"bob", "carolx1"}


def _seed_users(database: Database, org_id: str) -> None:
    """Two users share a creation instant, so the keyset needs its id tie-break."""
    with database.transaction() as session:
        session.add_all(
            user_row(org_id, {"userName": name, "active": name not in INACTIVE},
                     created=T0 + timedelta(seconds=min(number, 3)))
            for number, name in enumerate(NAMES))


def _names(page: Page[UserRow]) -> list[str]:
    return [user.user_name for user in page.rows]


def test_users_by_creation_walk_every_user_once_in_creation_order(
    database: Database, org: OrgRef
) -> None:
    _seed_users(database, org.id)
    seen: list[UserRow] = []
    after: Position | None = None
    with database.transaction(write=False) as session:
        while True:
            page = user_page(session, org.id, UsersByCreation(after, size=2))
            seen += page.rows
            if not page.more:
                break
            after = Position.of(page.rows[-1])
    assert [user.user_name for user in seen] == [
        user.user_name for user in sorted(seen, key=lambda user: (user.created_at, user.id))]
    assert sorted(user.user_name for user in seen) == sorted(NAMES)


def test_users_by_name_number_their_pages_and_filter_seat_and_name(
    database: Database, org: OrgRef
) -> None:
    _seed_users(database, org.id)
    with database.transaction(write=False) as session:
        first = user_page(session, org.id, UsersByName(1, size=4))
        last = user_page(session, org.id, UsersByName(2, size=4))
        holding = user_page(session, org.id, UsersByName(1, size=10), holds_seat=True)
        without = user_page(session, org.id, UsersByName(1, size=10), holds_seat=False)
        # "_" is a LIKE wildcard: the search matches it literally, in any letter case.
        searched = user_page(session, org.id, UsersByName(1, size=10), name_contains="CAROL_")
    assert (_names(first), first.more) == (["alice", "bob", "carol_1", "carolx1"], True)
    assert (_names(last), last.more) == (["Dave", "erin"], False)
    assert _names(holding) == ["alice", "carol_1", "Dave", "erin"]
    assert _names(without) == ["bob", "carolx1"]
    assert _names(searched) == ["carol_1"]


def _seed_audit(database: Database, org_id: str) -> list[int]:
    """Five entries, alternating two actions; the ids of the org's entries, ascending."""
    with database.transaction() as session:
        session.add_all(
            AuditEvent(org_id=org_id, at=NOW, actor="test", action=f"seat.{kind}",
                       total_before=5, total_after=5, assigned_before=0, assigned_after=0)
            for kind in ["claimed", "released"] * 2 + ["claimed"])
    with database.transaction(write=False) as session:
        return list(session.scalars(select(AuditEvent.id).where(AuditEvent.org_id == org_id)
                                    .order_by(AuditEvent.id)))


def test_audit_pages_oldest_first_after_an_id_and_newest_first_before_one(
    database: Database, org: OrgRef
) -> None:
    ids = _seed_audit(database, org.id)
    with database.transaction(write=False) as session:
        tail = audit_page(session, org.id, AuditOldestFirst(after=ids[-3], size=10))
        nothing_new = audit_page(session, org.id, AuditOldestFirst(after=ids[-1], size=10))
        newest = audit_page(session, org.id, AuditNewestFirst(before=None, size=2))
        older = audit_page(session, org.id, AuditNewestFirst(before=newest.rows[-1].id, size=2))
        claims = audit_page(session, org.id, AuditOldestFirst(after=0, size=10),
                            action="seat.claimed")
    assert [entry.id for entry in tail.rows] == ids[-2:]
    assert (nothing_new.rows, nothing_new.more) == ([], False)
    assert ([entry.id for entry in newest.rows], newest.more) == (ids[:-3:-1], True)
    assert [entry.id for entry in older.rows] == ids[-3:-5:-1]
    assert [entry.action for entry in claims.rows] == ["seat.claimed"] * 3
