"""The seat type model: what the database itself refuses, and what the domain keeps true
when types are added (docs/spec/seat-types.md, edge cases 43-45)."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.db import Database
from scim import users
from scim.tables import UserRow
from seats import seat_types, seating
from seats.errors import InvalidSeatType
from seats.models import AuditEvent, SeatPool, SeatType
from seats.seat_types import NewSeatType
from tests.conftest import NOW, OrgRef
from tests.support import assert_seat_type_invariant


def _types(database: Database, org_id: str) -> list[tuple[str, int, int, bool]]:
    with database.transaction(write=False) as session:
        return [(t.key, t.total, t.assigned, t.is_default)
                for t in seat_types.list_types(session, org_id)]


def _add(database: Database, org_id: str, new: NewSeatType) -> None:
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, org_id, NOW)
        seat_types.add_type(session, pool, new, actor="operator", now=NOW)


def test_edge_43_a_new_org_has_one_standard_default_type_holding_its_seats(
    make_org: Callable[..., OrgRef], database: Database,
) -> None:
    org = make_org(7)
    assert _types(database, org.id) == [("standard", 7, 0, True)]
    assert_seat_type_invariant(database, org.id)


def test_edge_44_the_database_refuses_oversold_types_a_second_default_and_idle_holders(
    make_org: Callable[..., OrgRef], database: Database,
) -> None:
    org = make_org(2)
    ctx = users.WriteContext(org_id=org.id, actor="test", now=NOW)
    with database.transaction() as session:
        parked = users.create_user(session, {"userName": "parked", "active": False}, ctx).id
    for column in ("seat_type_key", "waiting_seat_type_key"):
        with pytest.raises(IntegrityError):
            with database.transaction() as session:
                session.execute(update(UserRow).where(UserRow.id == parked)
                                .values({column: "standard"}))
    with pytest.raises(IntegrityError):
        with database.transaction() as session:
            session.execute(update(SeatType).where(SeatType.org_id == org.id).values(assigned=3))
    with pytest.raises(IntegrityError):
        with database.transaction() as session:
            session.add(SeatType(org_id=org.id, key="premium", name="Premium",
                                 unit_price_minor=0, total=0, assigned=0, minimum_seats=0,
                                 rank=1, is_default=True))
    with pytest.raises(IntegrityError):
        with database.transaction() as session:
            session.execute(update(SeatType).where(SeatType.org_id == org.id).values(assigned=-1))
    assert _types(database, org.id) == [("standard", 2, 0, True)]


def test_edge_45_adding_types_raises_the_pool_and_a_new_default_takes_over(
    make_org: Callable[..., OrgRef], database: Database,
) -> None:
    org = make_org(3)
    _add(database, org.id, NewSeatType("premium", "Premium", 60_000, seats=2, rank=10))
    _add(database, org.id, NewSeatType("basic", "Basic", 1_000, seats=4, rank=-1,
                                       is_default=True))
    assert _types(database, org.id) == [
        ("premium", 2, 0, False), ("standard", 3, 0, False), ("basic", 4, 0, True)]
    with database.transaction(write=False) as session:
        assert session.get_one(SeatPool, org.id).total == 9
        added = session.scalars(select(AuditEvent.subject).where(
            AuditEvent.org_id == org.id, AuditEvent.action == "seat_type.added"
        ).order_by(AuditEvent.id)).all()
    assert added == ["premium", "basic"]
    assert_seat_type_invariant(database, org.id)


@pytest.mark.parametrize("new", [
    NewSeatType("standard", "Again", 0),
    NewSeatType("Premium", "Upper case", 0),
    NewSeatType("pre mium", "Space", 0),
    NewSeatType("premium", " ", 0),
    NewSeatType("premium", "Premium", -1),
    NewSeatType("premium", "Premium", 0, seats=-1),
])
def test_a_seat_type_that_makes_no_sense_is_refused_and_nothing_changes(
    make_org: Callable[..., OrgRef], database: Database, new: NewSeatType,
) -> None:
    org = make_org(1)
    with pytest.raises(InvalidSeatType):
        _add(database, org.id, new)
    assert _types(database, org.id) == [("standard", 1, 0, True)]
