"""Term roll-over on real databases: edge cases 34–37, lazy roll-over at the first seat
operation after the end, and `renew-due` for idle orgs."""
from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from app.db import Database
from scim import users
from seats import seating
from seats.errors import NoSeatAvailable
from seats.models import Contract, Invoice, SeatPool
from seats.terms import term_end
from tests.clock import scim_seats_command
from tests.conftest import NOW, OrgRef
from tests.support import snapshot

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py


START = date(2025, 1, 1)
END = term_end(START)
AT_END = datetime.combine(END, datetime.min.time(), tzinfo=UTC)


def _seed(database: Database, org: OrgRef, active: int, inactive: int = 0) -> list[str]:
    ctx = users.WriteContext(org_id=org.id, actor="test", now=AT_END - timedelta(days=30))
    with database.transaction() as session:
        return [
            users.create_user(session, {"userName": f"u{i}", "active": i < active}, ctx).id
            for i in range(active + inactive)
        ]


def _contract_and_pool(database: Database, org: OrgRef) -> tuple[Contract, SeatPool]:
    with database.transaction(write=False) as session:
        return session.get_one(Contract, org.id), session.get_one(SeatPool, org.id)


def _renewal_invoices(database: Database, org: OrgRef) -> list[Invoice]:
    with database.transaction(write=False) as session:
        return list(session.scalars(
            select(Invoice).where(Invoice.org_id == org.id, Invoice.kind == "renewal")
        ))


def test_edge_34_renews_with_the_seats_in_use(make_org: Callable[..., OrgRef], database: Database) -> None:
    org = make_org(seats=105, term_start=START, price_minor=30_000)
    _seed(database, org, active=98, inactive=3)
    with database.transaction() as session:
        assert seating.renew_if_due(session, org.id, AT_END) == 1
    contract, pool = _contract_and_pool(database, org)
    assert contract.term_start == END
    assert (pool.total, pool.assigned) == (98, 98)
    (invoice,) = _renewal_invoices(database, org)
    assert invoice.total_minor == 98 * 30_000
    assert snapshot(database, org.id).audit[-1][0] == "term.renewed"


def test_edge_35_renews_at_least_the_minimum(make_org: Callable[..., OrgRef], database: Database) -> None:
    org = make_org(seats=30, term_start=START, minimum_seats=20)
    _seed(database, org, active=12)
    with database.transaction() as session:
        seating.renew_if_due(session, org.id, AT_END + timedelta(hours=3))
    _, pool = _contract_and_pool(database, org)
    assert (pool.total, pool.free) == (20, 8)


def test_edge_36_a_user_deactivated_a_minute_before_the_end_is_not_counted(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    org = make_org(seats=5, term_start=START)
    first, *_ = _seed(database, org, active=3)
    ctx = users.WriteContext(org_id=org.id, actor="idp", now=AT_END - timedelta(minutes=1))
    with database.transaction() as session:
        users.patch_user(session, first, {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        }, ctx)
    with database.transaction() as session:
        seating.renew_if_due(session, org.id, AT_END)
    assert _contract_and_pool(database, org)[1].total == 2


def test_lazy_roll_over_at_the_first_seat_operation_after_the_end(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    org = make_org(seats=4, term_start=START)
    _seed(database, org, active=4)
    ctx = users.WriteContext(org_id=org.id, actor="idp", now=AT_END + timedelta(days=2))
    with pytest.raises(NoSeatAvailable), database.transaction() as session:
        users.create_user(session, {"userName": "newcomer"}, ctx)  # new term: 0 free
    # The refusal rolled the renewal back too; the next seat operation renews again, once.
    with database.transaction() as session:
        users.create_user(session, {"userName": "parked", "active": False}, ctx)
    contract, pool = _contract_and_pool(database, org)
    assert contract.term_start == END and pool.total == 4
    assert len(_renewal_invoices(database, org)) == 1


def test_an_org_idle_for_three_terms_renews_each_term_once(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    org = make_org(seats=3, term_start=date(2023, 1, 1), minimum_seats=2)
    with database.transaction() as session:  # terms ended 2024-01-01, 2025-01-01, 2026-01-01
        assert seating.renew_if_due(session, org.id, AT_END) == 3
    with database.transaction() as session:
        assert seating.renew_if_due(session, org.id, AT_END) == 0
    contract, pool = _contract_and_pool(database, org)
    assert contract.term_start == END and pool.total == 2
    assert [i.seq for i in sorted(_renewal_invoices(database, org), key=lambda i: i.seq)] == [1, 2, 3]


def test_a_contract_without_auto_renew_is_never_renewed(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    org = make_org(seats=3, term_start=START, auto_renew=False)
    with database.transaction() as session:
        assert seating.renew_if_due(session, org.id, AT_END) == 0
    assert _contract_and_pool(database, org)[0].term_start == START


def _until_someone_waits_for_a_lock(database: Database) -> None:
    """PostgreSQL says when a backend waits for a row lock; SQLite's writers queue on a file
    lock nothing reports, so there a pause lets the waiter reach it."""
    if database.engine.dialect.name != "postgresql":
        time.sleep(0.5)
        return
    waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                   "AND datname = current_database()")
    for _ in range(200):
        with database.engine.connect() as connection:
            if connection.scalar(waiting):
                return
        time.sleep(0.05)
    raise AssertionError("the second transaction never waited for the seat lock")


def test_a_transaction_that_waited_for_the_seat_lock_sees_the_renewal_committed_before(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    """The pool lock reads the contract in the same statement: after waiting for a holder
    that renewed, the waiter must see the new term (on PostgreSQL the contract row is
    locked with the pool's so that READ COMMITTED re-reads it), or the term renews twice."""
    org = make_org(seats=3, term_start=START, minimum_seats=1)
    at = AT_END + timedelta(hours=1)
    renewed_by_waiter: list[int] = []

    def wait_and_renew() -> None:
        with database.transaction() as session:
            renewed_by_waiter.append(seating.renew_if_due(session, org.id, at))

    waiter = threading.Thread(target=wait_and_renew)
    with database.transaction() as session:
        assert seating.renew_if_due(session, org.id, at) == 1
        waiter.start()
        _until_someone_waits_for_a_lock(database)
    waiter.join(timeout=60)
    assert renewed_by_waiter == [0]
    assert len(_renewal_invoices(database, org)) == 1
    assert _contract_and_pool(database, org)[0].term_start == END


def _renew_due(database_url: str) -> subprocess.Popen[str]:
    env = {"SCIM_DATABASE_URL": database_url, "SCIM_DEV": "1", "PATH": ""}
    return subprocess.Popen([*scim_seats_command(), "renew-due"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_edge_37_renew_due_run_twice_at_once_renews_once(
    make_org: Callable[..., OrgRef], database: Database, database_url: str
) -> None:
    org = make_org(seats=7, term_start=date(2020, 6, 1), minimum_seats=1)
    runs = [_renew_due(database_url) for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    invoices = _renewal_invoices(database, org)
    contract, _ = _contract_and_pool(database, org)
    terms_due = 0
    start = date(2020, 6, 1)
    while term_end(start) <= NOW.date():
        start, terms_due = term_end(start), terms_due + 1
    assert contract.term_start == start
    assert len(invoices) == terms_due
    assert len({invoice.seq for invoice in invoices}) == terms_due
