"""`scim-seats purge`: idempotency keys unused for longer than their retention are deleted,
younger ones kept (docs/spec/service-protection.md, 113-115). The domain function is given
`now`; the command runs with the clock frozen one retention and a bit after the keys."""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.db import Database
from seats import idempotency
from seats.models import IdempotencyKey
from tests.conftest import NOW, OrgRef

pytestmark = pytest.mark.date_sensitive  # retention counted in hours across any date
DAY = timedelta(hours=24)
T0 = datetime(2001, 2, 28, 23, 30, tzinfo=UTC)
"""Before every other test's keys, so that the count below is this test's alone."""
REPORT = re.compile(r"purged (\d+) idempotency key\(s\) unused for \d+ h or more\n")
DONE = idempotency.StoredResponse(201, {"purchase": "p"})


def _claim(database: Database, org: OrgRef, at: datetime, *,
           finished_at: datetime | None = None) -> str:
    key = uuid.uuid4().hex
    with database.transaction() as session:
        assert idempotency.claim(session, org.id, key, "f" * 64, at) is None
        if finished_at is not None:
            idempotency.finish(session, org.id, key, DONE, finished_at)
    return key


def _kept(database: Database, org: OrgRef) -> set[str]:
    with database.transaction(write=False) as session:
        return set(session.scalars(select(IdempotencyKey.key)
                                   .where(IdempotencyKey.org_id == org.id)))


def test_purge_deletes_keys_unused_for_the_retention_and_counts_them(
        database: Database, org: OrgRef) -> None:
    """113: the age is the last use, so a response stored late is kept its full day;
    114: an abandoned in-flight key goes too."""
    old = _claim(database, org, T0, finished_at=T0 + timedelta(minutes=1))
    abandoned = _claim(database, org, T0)
    answered_late = _claim(database, org, T0, finished_at=T0 + timedelta(hours=2))
    young = _claim(database, org, T0 + timedelta(hours=3))
    with database.transaction() as session:
        purged = idempotency.purge(session, T0 + DAY + timedelta(hours=1), DAY)
    assert purged == 2
    assert _kept(database, org) == {answered_late, young}
    assert {old, abandoned}.isdisjoint(_kept(database, org))
    with database.transaction() as session:  # at exactly one retention a key is still kept
        assert idempotency.purge(session, T0 + timedelta(hours=2) + DAY, DAY) == 0
    with database.transaction() as session:
        assert idempotency.purge(session, T0 + timedelta(hours=3) + DAY * 2, DAY) == 2
    assert _kept(database, org) == set()


def test_a_purged_key_is_claimed_anew(database: Database, org: OrgRef) -> None:
    """115: after its retention a retry with the same key is a new request, not a replay."""
    key = _claim(database, org, T0, finished_at=T0)
    with database.transaction() as session:
        idempotency.purge(session, T0 + DAY * 2, DAY)
    with database.transaction() as session:
        assert idempotency.claim(session, org.id, key, "f" * 64, T0 + DAY * 2) is None




def test_the_command_reports_how_many_it_purged(run, database: Database, org: OrgRef,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """113, through `scim-seats purge` with SCIM_IDEMPOTENCY_RETENTION_HOURS."""
    stale = _claim(database, org, NOW, finished_at=NOW)
    fresh = _claim(database, org, NOW + timedelta(hours=30), finished_at=NOW + timedelta(hours=30))
    with time_machine.travel(NOW + DAY + timedelta(minutes=1), tick=False):
        result = run("purge")
    assert result.exit_code == 0, result.output
    # other tests' keys share the database: the count is at least this test's one
    assert REPORT.fullmatch(result.output) and int(REPORT.fullmatch(result.output)[1]) >= 1
    assert "unused for 24 h" in result.output
    assert stale not in _kept(database, org) and fresh in _kept(database, org)
    monkeypatch.setenv("SCIM_IDEMPOTENCY_RETENTION_HOURS", "48")
    with time_machine.travel(NOW + timedelta(hours=30 + 47), tick=False):
        assert "unused for 48 h" in run("purge").output
    assert fresh in _kept(database, org)
    with time_machine.travel(NOW + timedelta(hours=30 + 49), tick=False):
        assert REPORT.fullmatch(run("purge").output)
    assert fresh not in _kept(database, org)
