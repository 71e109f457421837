"""Purchases racing through real HTTP against live servers: one idempotency key from 20
processes buys once; two quotes priced on the same count buy once between them."""
from __future__ import annotations

import time
from collections.abc import Callable

import requests
from sqlalchemy import func, select

from app.db import Database
from app.settings import Settings
from app.signed_tokens import issue_admin_token
from seats.clock import utcnow
from seats.models import Invoice
from tests.concurrency.conftest import race
from tests.conftest import OrgRef
from tests.support import snapshot


def _owner_token(org: OrgRef) -> str:
    return issue_admin_token(Settings.from_env(), slug=org.slug, role="primary_owner",
                             sub="owner@example.com", ttl_seconds=600, now=utcnow())


def _quote(base: str, token: str, seats: int) -> str:
    response = requests.post(f"{base}/admin/v1/seats/quotes", json={"add_seats": seats},
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _confirm(args: tuple[str, str, str, str, float]) -> tuple[int, str]:
    base, token, quote_id, key, start_at = args
    time.sleep(max(0.0, start_at - time.time()))
    response = requests.post(
        f"{base}/admin/v1/seats/purchases", json={"quote_id": quote_id},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key}, timeout=60,
    )
    return response.status_code, response.json().get("code", "")


def _invoices(database: Database, org: OrgRef) -> int:
    with database.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(Invoice).where(Invoice.org_id == org.id)) or 0


def test_twenty_processes_with_one_key_buy_once(
    servers: list[str], database: Database, make_org: Callable[..., OrgRef]
) -> None:
    org = make_org(seats=5)
    token = _owner_token(org)
    quote_id = _quote(servers[0], token, 3)
    jobs = [(servers[i % len(servers)], token, quote_id, "one-key") for i in range(20)]
    outcomes = race(_confirm, jobs, processes=20)
    statuses = [status for status, _ in outcomes]
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}, outcomes  # replays, or "still in flight"
    assert all(code == "IDEMPOTENCY_KEY_IN_FLIGHT" for status, code in outcomes if status == 409)
    assert snapshot(database, org.id).total == 8
    assert _invoices(database, org) == 1


def test_two_quotes_on_the_same_count_buy_once(
    servers: list[str], database: Database, make_org: Callable[..., OrgRef]
) -> None:
    org = make_org(seats=5)
    token = _owner_token(org)
    quotes = [_quote(servers[0], token, 2), _quote(servers[-1], token, 2)]
    jobs = [(servers[i % len(servers)], token, quote_id, f"key-{i}") for i, quote_id in enumerate(quotes)]
    outcomes = sorted(race(_confirm, jobs))
    assert outcomes == [(201, ""), (409, "QUOTE_STALE")]
    assert snapshot(database, org.id).total == 7
    assert _invoices(database, org) == 1
