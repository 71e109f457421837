"""Bulk requests racing each other, and single requests, for the last seats through real HTTP
(2 gunicorn workers; on PostgreSQL two servers). Each bulk operation is seat-checked in its
own transaction, so the total stays exact whatever the interleaving (spec edge 17, invariant 3)."""
from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

from app.db import Database
from seats import credentials
from tests.concurrency.conftest import race
from tests.conftest import NOW, OrgRef
from tests.support import USER_URN, assert_seat_invariant, snapshot

BULK_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
FREE_SEATS = 10
BULKS = 4
PER_BULK = 10
SINGLES = 8


def _token(database: Database, org: OrgRef) -> str:
    with database.transaction() as session:
        return credentials.issue_token(session, org.id, "bulk-race", NOW)[1]


def _post(base: str, token: str, path: str, body: dict[str, object]) -> requests.Response:
    return requests.post(
        f"{base}/scim/v2{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
        timeout=120,
    )


def _bulk(base: str, token: str, batch: int) -> list[int]:
    operations = [
        {"method": "POST", "path": "/Users", "bulkId": f"u{i}",
         "data": {"schemas": [USER_URN], "userName": f"bulk{batch}-{i}@example.com"}}
        for i in range(PER_BULK)
    ]
    response = _post(base, token, "/Bulk", {"schemas": [BULK_URN], "Operations": operations})
    response.raise_for_status()
    return [int(result["status"]) for result in response.json()["Operations"]]


def _single(base: str, token: str, number: int) -> list[int]:
    body = {"schemas": [USER_URN], "userName": f"single{number}@example.com"}
    return [_post(base, token, "/Users", body).status_code]


def _provision(args: tuple[str, str, int, bool, float]) -> list[int]:
    """One bulk request or one single POST, started at `start_at`; the statuses it got."""
    base, token, number, is_bulk, start_at = args
    time.sleep(max(0.0, start_at - time.time()))
    return (_bulk if is_bulk else _single)(base, token, number)


@pytest.mark.parametrize("round_no", range(3))
def test_concurrent_bulks_and_single_posts_share_the_last_seats_exactly(
    round_no: int, servers: list[str], database: Database, make_org: Callable[..., OrgRef]
) -> None:
    org = make_org(seats=FREE_SEATS)
    token = _token(database, org)
    jobs = [(servers[i % len(servers)], token, i, i < BULKS) for i in range(BULKS + SINGLES)]
    statuses = [status for result in race(_provision, jobs) for status in result]

    attempts = BULKS * PER_BULK + SINGLES
    assert sorted(set(statuses)) == [201, 403], statuses
    assert statuses.count(201) == FREE_SEATS
    assert statuses.count(403) == attempts - FREE_SEATS
    state = snapshot(database, org.id)
    assert len(state.users) == state.assigned == state.total == FREE_SEATS
    assert_seat_invariant(database, org.id)
    assert sum(action == "seat.refused" for action, _ in state.audit) == attempts - FREE_SEATS
