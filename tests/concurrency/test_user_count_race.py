"""Creates and deletes racing through real HTTP (2 gunicorn workers; on PostgreSQL two
servers): the org's kept user count (scim.user_counts) still equals its users, including
when two requests delete the same user and the first of an org's users are created at once
(both upserts of its count row must count)."""
from __future__ import annotations

import time
from collections.abc import Callable

import requests
from sqlalchemy import select

from app.db import Database
from scim.tables import UserRow
from scim.user_counts import count
from seats import credentials
from tests.api.test_user_counts import _real
from tests.concurrency.conftest import race
from tests.conftest import NOW, OrgRef
from tests.support import USER_URN

BULK_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
STANDING = 6  # users there before the race, each deleted twice in it
SINGLES = 8
BULKS = 2
PER_BULK = 4
FIRSTS = 4  # creates in an org that has no user yet, so no count row


def _request(args: tuple[str, str, str, str, object, float]) -> list[int]:
    """One request, sent at `start_at`; the statuses it got (one per bulk operation)."""
    base, token, method, path, body, start_at = args
    time.sleep(max(0.0, start_at - time.time()))
    response = requests.request(
        method, f"{base}/scim/v2{path}", json=body, timeout=120,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )
    if path == "/Bulk":
        response.raise_for_status()
        return [int(result["status"]) for result in response.json()["Operations"]]
    return [response.status_code]


def _user(name: str) -> dict[str, object]:
    return {"schemas": [USER_URN], "userName": name}


def _jobs(servers: list[str], token: str, standing: list[str],
          fresh_token: str) -> list[tuple[object, ...]]:
    jobs: list[tuple[str, str, str, object]] = [
        (token, "POST", "/Users", _user(f"single{n}@example.com")) for n in range(SINGLES)]
    jobs += [(token, "DELETE", f"/Users/{user_id}", None) for user_id in standing * 2]
    jobs += [(token, "POST", "/Bulk", {"schemas": [BULK_URN], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": f"u{n}",
         "data": _user(f"bulk{b}-{n}@example.com")} for n in range(PER_BULK)]})
        for b in range(BULKS)]
    jobs += [(fresh_token, "POST", "/Users", _user(f"first{n}@example.com"))
             for n in range(FIRSTS)]
    return [(servers[i % len(servers)], *job) for i, job in enumerate(jobs)]


def _token(database: Database, org: OrgRef) -> str:
    with database.transaction() as session:
        return credentials.issue_token(session, org.id, "count-race", NOW)[1]


def _kept(database: Database, org_id: str) -> int:
    with database.transaction(write=False) as session:
        return count(session, org_id)


def test_racing_creates_and_deletes_keep_the_user_count_exact(
    servers: list[str], database: Database, make_org: Callable[..., OrgRef]
) -> None:
    org, fresh = make_org(seats=50), make_org(seats=50)
    token, fresh_token = _token(database, org), _token(database, fresh)
    for n in range(STANDING):
        created = _request((servers[0], token, "POST", "/Users",
                            _user(f"standing{n}@example.com"), 0.0))
        assert created == [201]
    with database.transaction(write=False) as session:
        standing = [row.id for row in session.execute(
            select(UserRow.id).where(UserRow.org_id == org.id))]

    jobs = _jobs(servers, token, standing, fresh_token)
    statuses = [status for result in race(_request, jobs) for status in result]

    assert statuses.count(201) == SINGLES + BULKS * PER_BULK + FIRSTS
    assert statuses.count(204) == STANDING and statuses.count(404) == STANDING
    assert _kept(database, org.id) == _real(database, org.id) == SINGLES + BULKS * PER_BULK
    assert _kept(database, fresh.id) == _real(database, fresh.id) == FIRSTS
