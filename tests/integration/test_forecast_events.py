"""The forecast read from the audit log and its `seats.forecast` event, on both databases,
with `now` passed explicitly: docs/spec/forecast-and-idle.md, edge cases 311-316.

Seat changes are made on days after the org's creation (`NOW`), so the org's age is the
observed span and each projection is exact."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app import delivery
from app.db import Database
from seats import events, forecast, seat_types, seating
from seats.models import OutboxEvent
from tests.conftest import MID_TERM_START, NOW, OrgRef

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py


def day(days: float) -> Any:
    return NOW + timedelta(days=days)


def claim(database: Database, org_id: str, days: float, count: int = 1) -> None:
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, org_id, day(days))
        kinds = seat_types.locked_types(session, pool)
        for _ in range(count):
            seating.claim_seat(session, pool, kinds, kinds.default, actor="test", subject=None,
                               now=day(days))


def release(database: Database, org_id: str, days: float) -> None:
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, org_id, day(days))
        kinds = seat_types.locked_types(session, pool)
        seating.release_seat(session, pool, kinds, kinds.default, actor="test", subject=None,
                             now=day(days))


def next_midnight(days: float) -> float:
    """The first instant of the UTC day after `day(days)`, in days from NOW."""
    midnight = (day(days) + timedelta(days=1)).replace(hour=0, minute=0, second=0)
    return (midnight - NOW) / timedelta(days=1)


def later_the_same_day(days: float) -> float:
    """Halfway from `day(days)` to the UTC midnight after it: at 23:50 that is 23:55."""
    return (days + next_midnight(days)) / 2


def forecast_events(database: Database, org_id: str) -> list[dict[str, Any]]:
    with database.transaction(write=False) as session:
        return list(session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.org_id == org_id,
                                              OutboxEvent.event_type == events.SEATS_FORECAST)
            .order_by(OutboxEvent.id)))


def warn(database: Database, org_id: str, days: float, within_days: int) -> bool:
    with database.transaction() as session:
        return events.forecast_warning(session, org_id, day(days), within_days)


@pytest.fixture
def growing(make_org: Callable[..., OrgRef], database: Database) -> OrgRef:
    """10 seats, one claimed on each of the first five days: at day 5 the rate is one a day
    and the five free seats last until day 10."""
    org = make_org(10, term_start=MID_TERM_START)
    for days in range(1, 6):
        claim(database, org.id, days - 0.5)
    return org


def test_the_history_counts_claims_and_releases_only_up_to_now(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    org = make_org(10, term_start=MID_TERM_START)
    claim(database, org.id, 1)
    claim(database, org.id, 2, count=2)
    release(database, org.id, 3)
    with database.transaction() as session:
        seating.record_refusal(session, org.id, actor="test", subject=None,
                               reason="SEAT_LIMIT_REACHED: test", now=day(3))
    claim(database, org.id, 11)  # after the `now` asked about
    with database.transaction(write=False) as session:
        projection = forecast.of_org(session, org.id, day(10))
    assert [(t.observed, t.net_claims) for t in projection.trends] == [
        (timedelta(days=10), 2)] * 2
    # The pool as it is (3 held, the claim of day 11 included): 7 free seats at 2 claims per
    # 10 days last 35 days.
    assert projection.runs_out_on == day(45).date()


def test_the_event_fires_once_the_projection_is_within_the_days_and_once_a_day(
    growing: OrgRef, database: Database
) -> None:
    assert not warn(database, growing.id, 5, within_days=4)
    assert warn(database, growing.id, 5, within_days=5)
    assert not warn(database, growing.id, later_the_same_day(5), within_days=5)  # told already
    (payload,) = forecast_events(database, growing.id)
    assert payload | {"org_id": None, "org_slug": None} == {
        "total": 10, "assigned": 5, "free": 5, "runs_out_on": day(10).date().isoformat(),
        "days_left": 5, "within_days": 5, "net_claims_30d": 5, "net_claims_90d": 5,
        "runs_out_on_30d": day(10).date().isoformat(),
        "runs_out_on_90d": day(10).date().isoformat(), "org_id": None, "org_slug": None}
    # The next UTC day it is told again: 5 claims in 5 days and some hours, so 5 free seats
    # last as long again, within 7 days.
    assert warn(database, growing.id, next_midnight(5), within_days=7)
    assert len(forecast_events(database, growing.id)) == 2


def test_no_event_when_seats_are_released_as_fast_as_claimed(
    growing: OrgRef, database: Database
) -> None:
    for days in (5.1, 5.2, 5.3, 5.4, 5.5):
        release(database, growing.id, days)
    assert not warn(database, growing.id, 6, within_days=365)
    assert forecast_events(database, growing.id) == []


def test_a_full_pool_gets_no_forecast_event_since_seats_exhausted_told_it(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    org = make_org(2, term_start=MID_TERM_START)
    claim(database, org.id, 1, count=2)
    with database.transaction(write=False) as session:
        assert org.id not in events.forecast_candidates(session, day(2))
        assert forecast.of_org(session, org.id, day(2)).runs_out_on == day(2).date()
    assert not warn(database, org.id, 2, within_days=30)


def test_candidates_are_orgs_whose_seats_changed_within_90_days(
    growing: OrgRef, make_org: Callable[..., OrgRef], database: Database
) -> None:
    quiet = make_org(10, term_start=MID_TERM_START)
    with database.transaction(write=False) as session:
        assert growing.id in events.forecast_candidates(session, day(5))
        assert growing.id not in events.forecast_candidates(session, day(94.5))
        assert quiet.id not in events.forecast_candidates(session, day(5))


def test_an_org_told_today_is_no_candidate_until_the_next_utc_day(
    growing: OrgRef, database: Database
) -> None:
    """The sweep leaves it out instead of taking its seat lock to find it was told."""
    assert warn(database, growing.id, 5, within_days=5)
    with database.transaction(write=False) as session:
        assert growing.id not in events.forecast_candidates(session, day(later_the_same_day(5)))
        assert growing.id in events.forecast_candidates(session, day(next_midnight(5)))


def test_the_sweep_emits_the_forecast_with_the_configured_days(
    growing: OrgRef, database: Database
) -> None:
    delivery.sweep_notices(database, day(5), forecast_days=4)
    assert forecast_events(database, growing.id) == []
    delivery.sweep_notices(database, day(5), forecast_days=5)
    delivery.sweep_notices(database, day(later_the_same_day(5)), forecast_days=5)
    assert [p["days_left"] for p in forecast_events(database, growing.id)] == [5]
