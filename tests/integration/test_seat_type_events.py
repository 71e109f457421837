"""`seats.low` / `seats.exhausted` per seat type (docs/spec/seat-types.md, edge case 86):
with several types the levels are those of the type claimed (or moved into), and the
payload names it and gives its counts besides the org's."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from app.db import Database
from seats import events, seat_types, seating
from seats.seat_types import NewSeatType
from tests.conftest import NOW, OrgRef
from tests.integration.test_events import outbox

pytestmark = pytest.mark.date_sensitive  # claims need a running term


def _claim(database: Database, org_id: str, key: str) -> None:
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, org_id, NOW)
        kinds = seat_types.locked_types(session, pool)
        seating.claim_seat(session, pool, kinds, seat_types.by_key_or_refuse(kinds, key),
                           actor="test", subject=None, now=NOW)


def _move(database: Database, org_id: str, source: str, target: str) -> None:
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, org_id, NOW)
        kinds = seat_types.locked_types(session, pool)
        seating.move_seat(session, pool, kinds, seat_types.by_key_or_refuse(kinds, source),
                          seat_types.by_key_or_refuse(kinds, target), actor="test",
                          subject=None, now=NOW)


def test_edge_86_premium_running_out_is_told_with_its_type_while_standard_has_plenty(
    make_org: Callable[..., OrgRef], database: Database,
) -> None:
    org = make_org(10)
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, org.id, NOW)
        seat_types.add_type(session, pool, NewSeatType("premium", "Premium", 60_000, seats=2,
                                                       rank=10), actor="test", now=NOW)
    _claim(database, org.id, "standard")
    _claim(database, org.id, "premium")  # 1 of 2 premium: under 90 %
    assert outbox(database, org.id) == []
    _move(database, org.id, "standard", "premium")  # 2 of 2 premium, by a move
    premium = {"total": 12, "assigned": 2, "free": 10, "seat_type": "premium",
               "seat_type_total": 2, "seat_type_assigned": 2, "seat_type_free": 0,
               "org_id": org.id, "org_slug": org.slug}
    assert outbox(database, org.id) == [
        (events.SEATS_LOW, {**premium, "threshold_percent": 90}),
        (events.SEATS_EXHAUSTED, premium),
    ]
    for _ in range(8):  # standard: 8 of 10, under its threshold
        _claim(database, org.id, "standard")
    assert len(outbox(database, org.id)) == 2
