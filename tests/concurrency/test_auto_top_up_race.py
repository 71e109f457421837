"""auto_top_up under racing activations through real HTTP (2 gunicorn workers, and on
PostgreSQL two servers on one database): the purchase is made inside the claim, under the
pool lock, so the cap buys exactly the seats it allows however the requests interleave
(docs/spec/pool-full-policies.md, edge case 404)."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from app.db import Database
from seats import credentials
from seats.models import AuditEvent, Invoice
from seats.pool_full import AUTO_ACTOR, AUTO_TOP_UP, PoolFullPolicy, save_policy
from tests.concurrency.conftest import race
from tests.concurrency.test_last_seat_race import _activate, _create, _parked_users
from tests.conftest import NOW, OrgRef
from tests.support import assert_seat_invariant, snapshot

pytestmark = pytest.mark.date_sensitive  # purchases need a running term and are prorated

RACERS = 40
CAP = 10


def _org_buying_automatically(database: Database, make_org: Callable[..., OrgRef]) -> tuple[OrgRef, str]:
    org = make_org(seats=0)
    with database.transaction() as session:
        save_policy(session, org.id, PoolFullPolicy(AUTO_TOP_UP, CAP), actor="cli", now=NOW)
        token = credentials.issue_token(session, org.id, "race", NOW)[1]
    return org, token


def _assert_bought_exactly_the_cap(database: Database, org: OrgRef, statuses: list[int]) -> None:
    assert statuses.count(200) + statuses.count(201) == CAP, statuses
    assert statuses.count(403) == RACERS - CAP, statuses
    state = snapshot(database, org.id)
    assert state.total == state.assigned == CAP
    with database.transaction(write=False) as session:
        invoices = list(session.scalars(
            select(Invoice).where(Invoice.org_id == org.id).order_by(Invoice.seq)))
        purchases = session.scalars(select(AuditEvent.actor).where(
            AuditEvent.org_id == org.id, AuditEvent.action == "seats.purchased")).all()
        assert [len(invoice.lines) for invoice in invoices] == [1] * CAP
    assert [invoice.seq for invoice in invoices] == list(range(1, CAP + 1))  # gapless
    assert {invoice.issued_by for invoice in invoices} == {AUTO_ACTOR}
    assert purchases == [AUTO_ACTOR] * CAP
    assert [action for action, _ in state.audit].count("seat.refused") == RACERS - CAP
    assert_seat_invariant(database, org.id)


def test_edge_404_forty_patch_activations_with_no_free_seat_buy_exactly_the_cap(
    servers: list[str], database: Database, make_org: Callable[..., OrgRef]
) -> None:
    org, token = _org_buying_automatically(database, make_org)
    ids = _parked_users(servers[0], token, RACERS)
    jobs = [(servers[i % len(servers)], token, user_id) for i, user_id in enumerate(ids)]
    _assert_bought_exactly_the_cap(database, org, race(_activate, jobs))


def test_forty_creations_with_no_free_seat_buy_exactly_the_cap(
    servers: list[str], database: Database, make_org: Callable[..., OrgRef]
) -> None:
    org, token = _org_buying_automatically(database, make_org)
    jobs = [(servers[i % len(servers)], token, f"new{i}@example.com") for i in range(RACERS)]
    _assert_bought_exactly_the_cap(database, org, race(_create, jobs))
