"""Events per seat type (docs/spec/seat-types.md, edge cases 86-87): with several types
`seats.low` / `seats.exhausted` are the levels of the type claimed (or moved into), named in
the payload with its counts besides the org's; the renewal notice counts each type's rule."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from app.db import Database
from seats import events, seat_types, seating
from tests.conftest import NOW, OrgRef
from tests.integration.test_events import outbox
from tests.support import add_premium

pytestmark = pytest.mark.date_sensitive  # claims need a running term


def _claim(database: Database, org_id: str, key: str, now: datetime = NOW) -> None:
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, org_id, now)
        kinds = seat_types.locked_types(session, pool)
        seating.claim_seat(session, pool, kinds, seat_types.by_key_or_refuse(kinds, key),
                           actor="test", subject=None, now=now)


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
    add_premium(database, org.id, 2)
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


def test_edge_87_the_renewal_notice_counts_each_types_renewal(
    make_org: Callable[..., OrgRef], database: Database,
) -> None:
    """`renewal_seats` is what the renewal will buy: premium at its minimum 3 (1 in use) and
    standard at its minimum 4, the contract's (2 in use), not the contract's rule on the
    pool, max(4, 3) = 4."""
    org = make_org(10, term_start=date(2026, 1, 1), minimum_seats=4)  # ends 2027-01-01
    june = datetime(2026, 6, 1, 9, tzinfo=UTC)
    add_premium(database, org.id, 4, now=june, minimum_seats=3)
    for key in ("standard", "standard", "premium"):
        _claim(database, org.id, key, june)
    notice = datetime(2026, 12, 27, 9, tzinfo=UTC)
    with database.transaction() as session:
        assert events.renewal_upcoming(session, org.id, notice)
    kind, payload = outbox(database, org.id)[-1]
    assert (kind, payload["renewal_seats"]) == (events.RENEWAL_UPCOMING, 3 + 4)
