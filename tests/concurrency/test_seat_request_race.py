"""Seat-request approvals racing through real HTTP against live servers (on PostgreSQL two
servers on one database): an approval seats the person through the one seat claim under the
pool lock, so two admins approving two requests for the last seat seat exactly one person,
and two approving the same request approve it once (docs/spec/pool-full-policies.md, edge
cases 419 and 420)."""
from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests
from sqlalchemy import select

from app.db import Database
from app.settings import Settings
from app.signed_tokens import issue_admin_token
from seats.models import OutboxEvent, SeatRequest
from seats.pool_full import REQUEST, PoolFullPolicy, save_policy
from seats.sso_providers import configure_provider
from tests.api.test_sso import Idp
from tests.concurrency.conftest import race
from tests.conftest import NOW, OrgRef
from tests.support import (
    CREDENTIAL_TTL_SECONDS,
    assert_seat_invariant,
    open_seat_requests,
    snapshot,
)

pytestmark = pytest.mark.date_sensitive  # requests expire; claims need a running term


def _admin_token(org: OrgRef, sub: str) -> str:
    return issue_admin_token(Settings.from_env(), slug=org.slug, role="admin", sub=sub,
                             ttl_seconds=CREDENTIAL_TTL_SECONDS, now=NOW)


def _org_asking(database: Database, make_org: Callable[..., OrgRef], seats: int) -> OrgRef:
    org = make_org(seats=seats)
    with database.transaction() as session:
        save_policy(session, org.id, PoolFullPolicy(REQUEST), actor="cli", now=NOW)
    return org


def _approve(args: tuple[str, str, str, float]) -> tuple[int, str]:
    base, token, request_id, start_at = args
    time.sleep(max(0.0, start_at - time.time()))
    response = requests.post(f"{base}/admin/v1/seat-requests/{request_id}/approve",
                             headers={"Authorization": f"Bearer {token}"}, timeout=60)
    return response.status_code, response.json().get("code", "")


def _statuses(database: Database, org: OrgRef) -> list[str]:
    with database.transaction(write=False) as session:
        return sorted(session.scalars(select(SeatRequest.status)
                                      .where(SeatRequest.org_id == org.id)))


def test_edge_419_two_admins_approving_the_last_seat_for_two_requests_seat_one(
    servers: list[str], database: Database, make_org: Callable[..., OrgRef]
) -> None:
    org = _org_asking(database, make_org, seats=1)
    ids = open_seat_requests(database, org.id, 2)
    jobs = [(servers[i % len(servers)], _admin_token(org, f"admin{i}@example.com"), request_id)
            for i, request_id in enumerate(ids)]
    assert sorted(race(_approve, jobs)) == [(200, ""), (409, "SEAT_LIMIT_REACHED")]
    state = snapshot(database, org.id)
    assert (state.total, state.assigned, len(state.users)) == (1, 1, 1)
    assert _statuses(database, org) == ["approved", "open"]
    assert_seat_invariant(database, org.id)


def test_edge_420_two_admins_approving_one_request_approve_it_once(
    servers: list[str], database: Database, make_org: Callable[..., OrgRef]
) -> None:
    org = _org_asking(database, make_org, seats=3)
    [request_id] = open_seat_requests(database, org.id, 1)
    jobs = [(servers[i % len(servers)], _admin_token(org, f"admin{i}@example.com"), request_id)
            for i in range(2)]
    assert sorted(race(_approve, jobs)) == [(200, ""), (409, "SEAT_REQUEST_CLOSED")]
    state = snapshot(database, org.id)
    assert (state.assigned, len(state.users)) == (1, 1)
    assert _statuses(database, org) == ["approved"]
    assert_seat_invariant(database, org.id)


def _sign_in(args: tuple[str, str, str, float]) -> tuple[int, str]:
    base, slug, token, start_at = args
    time.sleep(max(0.0, start_at - time.time()))
    response = requests.post(f"{base}/sso/v1/orgs/{slug}/signin", json={"id_token": token},
                             timeout=60)
    return response.status_code, response.json().get("request_id", "")


def test_edge_412_racing_sign_ins_of_one_person_open_one_request(
    servers: list[str], database: Database, make_org: Callable[..., OrgRef]
) -> None:
    """Eight sign-ins of the same new person at once, on every server: one request, one
    event; each answer names it (the partial unique index is only the backstop)."""
    org = _org_asking(database, make_org, seats=0)
    idp = Idp()
    with database.transaction() as session:
        configure_provider(session, org.id, issuer=idp.issuer, audience=idp.audience,
                           jwks=idp.jwks(), jwks_url=None)
    tokens = [idp.token(email="racer@example.com") for _ in range(8)]
    jobs = [(servers[i % len(servers)], org.slug, token) for i, token in enumerate(tokens)]
    outcomes = race(_sign_in, jobs)
    assert {status for status, _ in outcomes} == {202}, outcomes
    assert len({request_id for _, request_id in outcomes}) == 1
    assert _statuses(database, org) == ["open"]
    with database.transaction(write=False) as session:
        events = session.scalars(select(OutboxEvent.id).where(
            OutboxEvent.org_id == org.id, OutboxEvent.event_type == "seats.requested")).all()
    assert len(events) == 1
    assert snapshot(database, org.id).users == []
