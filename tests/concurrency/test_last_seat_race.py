"""Several OS processes race through real HTTP against `scim-seats serve` (2 gunicorn
workers, and on PostgreSQL also two separate servers) for the last seats. The seat rule
lives in the database transaction, so the outcome is exact whatever the interleaving."""
from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

from app.db import Database
from seats import credentials
from tests.concurrency.conftest import race
from tests.conftest import NOW, OrgRef
from tests.support import PATCH_URN, USER_URN, assert_seat_invariant, snapshot

RACERS = 40
FREE_SEATS = 10
ROUNDS = 5


def _token(database: Database, org: OrgRef) -> str:
    with database.transaction() as session:
        return credentials.issue_token(session, org.id, "race", NOW)[1]


def _activate(args: tuple[str, str, str, float]) -> int:
    base, token, user_id, start_at = args
    time.sleep(max(0.0, start_at - time.time()))
    response = requests.patch(
        f"{base}/scim/v2/Users/{user_id}",
        json={"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "active", "value": True}]},
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
        timeout=60,
    )
    return response.status_code


def _create(args: tuple[str, str, str, float]) -> int:
    base, token, user_name, start_at = args
    time.sleep(max(0.0, start_at - time.time()))
    response = requests.post(
        f"{base}/scim/v2/Users",
        json={"schemas": [USER_URN], "userName": user_name},
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
        timeout=60,
    )
    return response.status_code


def _parked_users(base: str, token: str, count: int) -> list[str]:
    ids = []
    for i in range(count):
        response = requests.post(
            f"{base}/scim/v2/Users",
            json={"schemas": [USER_URN], "userName": f"racer{i}", "active": False},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def _assert_exact(database: Database, org: OrgRef, statuses: list[int], already_held: int) -> None:
    assert statuses.count(200) + statuses.count(201) == FREE_SEATS, statuses
    assert statuses.count(403) == RACERS - FREE_SEATS, statuses
    state = snapshot(database, org.id)
    assert state.assigned == state.total == already_held + FREE_SEATS
    assert_seat_invariant(database, org.id)
    refusals = [action for action, _ in state.audit if action == "seat.refused"]
    assert len(refusals) == RACERS - FREE_SEATS


@pytest.mark.parametrize("round_no", range(ROUNDS))
def test_patch_activations_race_for_the_last_seats(
    round_no: int, servers: list[str], database: Database, make_org: Callable[..., OrgRef]
) -> None:
    org = make_org(seats=FREE_SEATS + 2)
    token = _token(database, org)
    base = servers[0]
    for name in ("holder-a", "holder-b"):  # two seats already held: 10 free
        requests.post(f"{base}/scim/v2/Users", json={"schemas": [USER_URN], "userName": name},
                      headers={"Authorization": f"Bearer {token}"}, timeout=30).raise_for_status()
    ids = _parked_users(base, token, RACERS)
    jobs = [(servers[i % len(servers)], token, user_id) for i, user_id in enumerate(ids)]
    _assert_exact(database, org, race(_activate, jobs), already_held=2)


@pytest.mark.parametrize("round_no", range(ROUNDS))
def test_post_creations_race_for_the_last_seats(
    round_no: int, servers: list[str], database: Database, make_org: Callable[..., OrgRef]
) -> None:
    org = make_org(seats=FREE_SEATS)
    token = _token(database, org)
    jobs = [(servers[i % len(servers)], token, f"new{i}@example.com") for i in range(RACERS)]
    statuses = race(_create, jobs)
    _assert_exact(database, org, statuses, already_held=0)
    assert len(snapshot(database, org.id).users) == FREE_SEATS


def test_edge_02_two_concurrent_activations_with_one_free_seat(
    servers: list[str], database: Database, make_org: Callable[..., OrgRef]
) -> None:
    org = make_org(seats=1)
    token = _token(database, org)
    base = servers[0]
    ids = []
    for name in ("first", "second"):
        response = requests.post(f"{base}/scim/v2/Users", json={"schemas": [USER_URN], "userName": name, "active": False},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=30)
        ids.append(response.json()["id"])
    jobs = [(servers[i % len(servers)], token, user_id) for i, user_id in enumerate(ids)]
    assert sorted(race(_activate, jobs)) == [200, 403]
    assert snapshot(database, org.id).assigned == 1
    assert_seat_invariant(database, org.id)
