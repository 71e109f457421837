"""Seat types under concurrency, through real HTTP against `scim-seats serve` (2 gunicorn
workers; on PostgreSQL two servers against one database): docs/spec/seat-types.md, edge
cases 65 and 66. Every seat type decision is taken under the org's pool lock, so the
outcome is exact whatever the interleaving."""
from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

from app.db import Database
from scim import seat_choice
from seats import credentials, seat_types, seating
from seats.seat_types import NewSeatType
from tests.concurrency.conftest import race
from tests.conftest import NOW, OrgRef
from tests.support import PATCH_URN, USER_URN, assert_seat_invariant, snapshot

pytestmark = pytest.mark.date_sensitive  # seat claims need a running term

RACERS = 40
FREE_PREMIUM = 10
JOINERS = 20
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"


def _org_with_premium(database: Database, make_org: Callable[..., OrgRef], *, standard: int,
                      premium: int) -> tuple[OrgRef, str]:
    org = make_org(seats=standard)
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, org.id, NOW)
        seat_types.add_type(session, pool, NewSeatType("premium", "Premium", 60_000,
                                                       seats=premium, rank=10),
                            actor="test", now=NOW)
        return org, credentials.issue_token(session, org.id, "race", NOW)[1]


def _counts(database: Database, org_id: str) -> dict[str, tuple[int, int]]:
    with database.transaction(write=False) as session:
        return {t.key: (t.total, t.assigned) for t in seat_types.list_types(session, org_id)}


def _create_premium(args: tuple[str, str, str, float]) -> tuple[int, str]:
    base, token, user_name, start_at = args
    time.sleep(max(0.0, start_at - time.time()))
    response = requests.post(
        f"{base}/scim/v2/Users",
        json={"schemas": [USER_URN], "userName": user_name,
              "entitlements": [{"value": "premium"}]},
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
        timeout=60,
    )
    return response.status_code, response.json().get("detail", "")


def _join(args: tuple[str, str, str, str, float]) -> int:
    base, token, group_id, user_id, start_at = args
    time.sleep(max(0.0, start_at - time.time()))
    response = requests.patch(
        f"{base}/scim/v2/Groups/{group_id}",
        json={"schemas": [PATCH_URN],
              "Operations": [{"op": "add", "path": "members", "value": [{"value": user_id}]}]},
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
        timeout=60,
    )
    return response.status_code


def _post(base: str, token: str, path: str, body: dict[str, object]) -> str:
    response = requests.post(f"{base}/scim/v2{path}", json=body,
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_edge_65_forty_activations_asking_for_premium_with_ten_free(
    servers: list[str], database: Database, make_org: Callable[..., OrgRef],
) -> None:
    org, token = _org_with_premium(database, make_org, standard=100, premium=FREE_PREMIUM)
    jobs = [(servers[i % len(servers)], token, f"p{i}@example.com") for i in range(RACERS)]
    results = race(_create_premium, jobs)
    statuses = [status for status, _ in results]
    assert statuses.count(201) == FREE_PREMIUM, statuses
    assert statuses.count(403) == RACERS - FREE_PREMIUM, statuses
    assert all(detail.startswith("SEAT_LIMIT_REACHED: all 10 of 10 premium seats")
               for status, detail in results if status == 403)
    assert _counts(database, org.id) == {"premium": (FREE_PREMIUM, FREE_PREMIUM),
                                         "standard": (100, 0)}
    assert len(snapshot(database, org.id).users) == FREE_PREMIUM
    assert_seat_invariant(database, org.id)


def test_edge_66_twenty_concurrent_joins_into_a_full_mapped_type_all_commit_and_wait(
    servers: list[str], database: Database, make_org: Callable[..., OrgRef],
) -> None:
    org, token = _org_with_premium(database, make_org, standard=JOINERS, premium=1)
    base = servers[0]
    _post(base, token, "/Users", {"schemas": [USER_URN], "userName": "holder",
                                  "entitlements": [{"value": "premium"}]})
    joiners = [_post(base, token, "/Users", {"schemas": [USER_URN], "userName": f"j{i}"})
               for i in range(JOINERS)]
    group_id = _post(base, token, "/Groups", {"schemas": [GROUP_URN], "displayName": "Eng"})
    with database.transaction() as session:
        seat_choice.map_group(session, org.id, seat_choice.group_named(session, org.id, "Eng"),
                              "premium", actor="test", now=NOW)
    jobs = [(servers[i % len(servers)], token, group_id, user_id)
            for i, user_id in enumerate(joiners)]
    assert race(_join, jobs) == [204] * JOINERS
    with database.transaction(write=False) as session:
        lines = {line.key: line for line in seat_choice.type_lines(session, org.id)}
    assert (lines["premium"].waiting, lines["premium"].assigned) == (JOINERS, 1)
    assert_seat_invariant(database, org.id)
    with database.transaction() as session:
        seat_choice.add_seats(session, org.id, "premium", JOINERS, actor="test", now=NOW)
    with database.transaction(write=False) as session:
        lines = {line.key: line for line in seat_choice.type_lines(session, org.id)}
    assert (lines["premium"].waiting, lines["premium"].assigned) == (0, JOINERS + 1)
    assert (lines["standard"].assigned, lines["standard"].free) == (0, JOINERS)
    assert_seat_invariant(database, org.id)
