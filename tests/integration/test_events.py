"""Usage events are written in the transaction of their cause (spec/seats.md, "Watching
usage"), on real databases, with `now` driven explicitly through the seats functions."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.db import Database
from app.factory import create_app
from app.settings import Settings
from seats import credentials, events, seat_types, seating
from seats.models import AlertSettings, AuditEvent, OutboxEvent
from tests.conftest import MID_TERM_START, NOW, OrgRef
from tests.support import Scim, assert_scim_error, user_body

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py


@pytest.fixture(scope="module")
def app(database_url: str, database: Database) -> Iterator[Flask]:
    application = create_app(Settings(database_url=database_url))
    yield application
    application.extensions["db"].dispose()


@pytest.fixture
def scim_for(app: Flask, database: Database) -> Callable[[OrgRef], Scim]:
    def make(org: OrgRef) -> Scim:
        with database.transaction() as session:
            _, secret = credentials.issue_token(session, org.id, "test", NOW)
        return Scim(client=app.test_client(), token=secret, org_id=org.id, org_slug=org.slug)

    return make


def outbox(database: Database, org_id: str) -> list[tuple[str, dict[str, Any]]]:
    with database.transaction(write=False) as session:
        rows = session.scalars(
            select(OutboxEvent).where(OutboxEvent.org_id == org_id).order_by(OutboxEvent.id)
        )
        return [(row.event_type, row.payload) for row in rows]


def types(database: Database, org_id: str) -> list[str]:
    return [event_type for event_type, _ in outbox(database, org_id)]


def claim(database: Database, org_id: str, now: datetime = NOW) -> None:
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, org_id, now)
        kinds = seat_types.locked_types(session, pool)
        seating.claim_seat(session, pool, kinds, kinds.default, actor="test", subject=None, now=now)


def release(database: Database, org_id: str, now: datetime = NOW) -> None:
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, org_id, now)
        kinds = seat_types.locked_types(session, pool)
        seating.release_seat(session, pool, kinds, kinds.default, actor="test", subject=None, now=now)


def refuse(database: Database, org_id: str, now: datetime) -> None:
    with database.transaction() as session:
        seating.record_refusal(session, org_id, actor="test", subject=None,
                               reason="SEAT_LIMIT_REACHED: test", now=now)


def set_threshold(database: Database, org_id: str, percent: int) -> None:
    with database.transaction() as session:
        events.alert_settings_for_update(session, org_id).threshold_percent = percent


def test_refused_scim_activation_writes_the_refusal_audit_and_one_event(
    make_org: Callable[..., OrgRef], scim_for: Callable[[OrgRef], Scim], database: Database
) -> None:
    org = make_org(1)
    scim = scim_for(org)
    scim.create("seated")
    assert types(database, org.id) == [events.SEATS_LOW, events.SEATS_EXHAUSTED]

    assert_scim_error(scim.post("/Users", user_body("late")), 403)
    assert_scim_error(scim.post("/Users", user_body("later")), 403)

    with database.transaction(write=False) as session:
        refusals = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.org_id == org.id, AuditEvent.action == "seat.refused"
            )
        ).all()
    assert len(refusals) == 2
    rejected = [p for t, p in outbox(database, org.id) if t == events.PROVISIONING_REJECTED]
    assert rejected == [{
        "total": 1, "assigned": 1, "free": 0, "digest": False, "refusals": 1, "since": None,
        "org_id": org.id, "org_slug": org.slug,
    }]


def test_a_rolled_back_transaction_leaves_no_event(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    org = make_org(1)
    with pytest.raises(RuntimeError), database.transaction() as session:
        pool = seating.lock_and_renew(session, org.id, NOW)
        kinds = seat_types.locked_types(session, pool)
        seating.claim_seat(session, pool, kinds, kinds.default, actor="test", subject=None,
                           now=NOW)
        session.flush()
        assert session.scalar(select(OutboxEvent.id).where(OutboxEvent.org_id == org.id))
        raise RuntimeError("the write that needed the seat failed")
    assert outbox(database, org.id) == []


def test_seats_low_fires_once_at_the_threshold_crossing_and_exhausted_at_full(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    org = make_org(10)
    for _ in range(8):
        claim(database, org.id)
    assert outbox(database, org.id) == []

    claim(database, org.id)  # 9 of 10 = 90 %
    assert outbox(database, org.id) == [(events.SEATS_LOW, {
        "total": 10, "assigned": 9, "free": 1, "threshold_percent": 90,
        "org_id": org.id, "org_slug": org.slug,
    })]
    claim(database, org.id)
    assert types(database, org.id) == [events.SEATS_LOW, events.SEATS_EXHAUSTED]

    release(database, org.id)
    claim(database, org.id)  # 9 -> 10: full again, but never went below the threshold
    assert types(database, org.id) == [events.SEATS_LOW] + [events.SEATS_EXHAUSTED] * 2

    release(database, org.id)
    release(database, org.id)
    claim(database, org.id)  # 8 -> 9: a new crossing
    assert types(database, org.id)[-1] == events.SEATS_LOW
    assert len(outbox(database, org.id)) == 4


def test_the_org_threshold_replaces_the_default(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    org = make_org(4)
    set_threshold(database, org.id, 50)
    claim(database, org.id)
    assert outbox(database, org.id) == []
    claim(database, org.id)
    assert outbox(database, org.id)[0][1]["threshold_percent"] == 50
    assert types(database, org.id) == [events.SEATS_LOW]


def test_refusals_are_told_first_then_at_most_one_digest_a_day(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    org = make_org(0, term_start=MID_TERM_START)  # refusals over two days, all in one term
    refuse(database, org.id, NOW)
    refuse(database, org.id, NOW + timedelta(hours=1))
    refuse(database, org.id, NOW + timedelta(hours=23, minutes=59))
    assert len(outbox(database, org.id)) == 1

    refuse(database, org.id, NOW + timedelta(hours=24))
    refuse(database, org.id, NOW + timedelta(hours=30))
    later = NOW + timedelta(hours=48, seconds=1)
    refuse(database, org.id, later)

    payloads = [p for _, p in outbox(database, org.id)]
    assert types(database, org.id) == [events.PROVISIONING_REJECTED] * 3
    assert [(p["digest"], p["refusals"], p["since"]) for p in payloads] == [
        (False, 1, None),
        (True, 3, NOW.isoformat()),
        (True, 2, (NOW + timedelta(hours=24)).isoformat()),
    ]
    with database.transaction(write=False) as session:
        assert session.get_one(AlertSettings, org.id).last_refusal_event_at == later


def test_a_digest_no_later_refusal_sends_is_emitted_by_the_sweep_once(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    org = make_org(0, term_start=MID_TERM_START)  # refusals over two days, all in one term
    refuse(database, org.id, NOW)
    refuse(database, org.id, NOW + timedelta(hours=2))
    day_later = NOW + timedelta(hours=24)
    with database.transaction(write=False) as session:
        assert org.id not in events.digest_candidates(session, NOW + timedelta(hours=23))
        assert org.id in events.digest_candidates(session, day_later)
    for expected in (True, False):
        with database.transaction() as session:
            assert events.refusal_digest_due(session, org.id, day_later) is expected
    assert outbox(database, org.id)[-1][1]["refusals"] == 1
    with database.transaction(write=False) as session:
        assert org.id not in events.digest_candidates(session, day_later + timedelta(days=2))


def renewal_notices(database: Database, org: OrgRef, today: date) -> list[int]:
    now = datetime(today.year, today.month, today.day, 9, tzinfo=NOW.tzinfo)
    with database.transaction() as session:
        events.renewal_upcoming(session, org.id, now)
    return [p["days_before"] for t, p in outbox(database, org.id) if t == events.RENEWAL_UPCOMING]


def test_renewal_notices_30_14_and_5_days_before_the_term_end_each_once(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    org = make_org(10, term_start=date(2026, 1, 1), minimum_seats=4)  # ends 2027-01-01
    claim(database, org.id, datetime(2026, 6, 1, 9, tzinfo=NOW.tzinfo))
    assert renewal_notices(database, org, date(2026, 12, 1)) == []
    assert renewal_notices(database, org, date(2026, 12, 2)) == [30]
    assert renewal_notices(database, org, date(2026, 12, 2)) == [30]
    assert renewal_notices(database, org, date(2026, 12, 17)) == [30]
    assert renewal_notices(database, org, date(2026, 12, 18)) == [30, 14]
    assert renewal_notices(database, org, date(2026, 12, 27)) == [30, 14, 5]
    assert renewal_notices(database, org, date(2026, 12, 31)) == [30, 14, 5]
    payload = outbox(database, org.id)[-1][1]
    assert payload["term_end"] == "2027-01-01"
    assert payload["days_left"] == 5
    assert payload["auto_renew"] is True
    assert payload["renewal_seats"] == 4  # max(minimum 4, assigned 1)


def test_a_missed_renewal_notice_is_superseded_not_sent_late(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    org = make_org(3, term_start=date(2026, 1, 1), auto_renew=False)
    assert renewal_notices(database, org, date(2026, 12, 20)) == [14]
    assert outbox(database, org.id)[-1][1]["renewal_seats"] is None
    with database.transaction(write=False) as session:
        assert org.id in events.renewal_candidates(session, datetime(2026, 12, 20, tzinfo=NOW.tzinfo))
        assert org.id not in events.renewal_candidates(session, datetime(2026, 11, 15, tzinfo=NOW.tzinfo))
