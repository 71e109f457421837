"""Webhook delivery of the outbox against a real local HTTP receiver that checks the HMAC
signature: success, retries with backoff, crashes, orgs without a webhook and two deliverers
racing (SKIP LOCKED on PostgreSQL, serialised writers on SQLite). Private targets are
allowed here (the receiver is on 127.0.0.1), as SCIM_WEBHOOK_ALLOW_PRIVATE=1 allows them."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app import delivery
from app.cli import main
from app.db import Database
from seats import events
from seats.models import AlertSettings, OutboxEvent
from seats.terms import add_months, term_end
from tests.conftest import MID_TERM_START, NOW, OrgRef

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py


SECRET = "whsec-test-0123456789abcdef"


@pytest.fixture(autouse=True)
def allow_private_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receiver listens on 127.0.0.1, which delivery refuses by default (SSRF): these
    tests, like local development, deliver with SCIM_WEBHOOK_ALLOW_PRIVATE=1. The refusal is
    tested in tests/integration/test_webhook_targets.py."""
    monkeypatch.setenv("SCIM_WEBHOOK_ALLOW_PRIVATE", "1")


@dataclass
class Receiver:
    """What the webhook endpoint saw; `statuses` are answered in turn, then 200."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> list[int]:
        return [body["id"] for body in self.received]


def _verify(headers: Any, body: bytes) -> None:
    fields = dict(part.split("=", 1) for part in headers["X-Scim-Seats-Signature"].split(","))
    expected = hmac.new(SECRET.encode(), fields["t"].encode() + b"." + body, hashlib.sha256)
    assert hmac.compare_digest(fields["v1"], expected.hexdigest())


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(state.delay)
            with state.lock:
                status = state.statuses.pop(0) if state.statuses else 200
                if status == 200:
                    _verify(self.headers, body)
                    document = json.loads(body)
                    assert self.headers["X-Scim-Seats-Event"] == document["type"]
                    state.received.append(document)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/seats"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def configure_webhook(database: Database, org_id: str, url: str | None) -> None:
    with database.transaction() as session:
        settings = events.alert_settings_for_update(session, org_id)
        settings.webhook_url = url
        settings.webhook_secret = SECRET if url else None


def emit(database: Database, org_id: str, count: int = 1, now: datetime = NOW) -> list[int]:
    with database.transaction() as session:
        emitted = [
            events.emit(session, org_id, events.SEATS_LOW, {"assigned": i, "total": 10}, now)
            for i in range(count)
        ]
        session.flush()
        return [event.id for event in emitted]


def rows(database: Database, ids: list[int]) -> list[OutboxEvent]:
    with database.transaction(write=False) as session:
        return list(
            session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(ids)).order_by(OutboxEvent.id))
        )


@pytest.fixture
def hooked_org(make_org: Callable[..., OrgRef], database: Database,
               receiver: Receiver) -> OrgRef:
    org = make_org(10, term_start=MID_TERM_START)  # no renewal notice joins the events
    configure_webhook(database, org.id, receiver.url)
    return org


def test_a_due_event_is_posted_signed_and_marked_delivered(
    hooked_org: OrgRef, database: Database, receiver: Receiver
) -> None:
    [event_id] = emit(database, hooked_org.id)
    delivery.drain(database, NOW)

    assert receiver.received == [{
        "id": event_id,
        "type": "seats.low",
        "created_at": NOW.isoformat(),
        "data": {"assigned": 0, "total": 10, "org_id": hooked_org.id, "org_slug": hooked_org.slug},
    }]
    [row] = rows(database, [event_id])
    assert (row.delivered_at, row.attempts, row.last_error) == (NOW, 1, None)


def test_a_failing_endpoint_is_retried_with_backoff_until_delivered(
    hooked_org: OrgRef, database: Database, receiver: Receiver
) -> None:
    [event_id] = emit(database, hooked_org.id)
    receiver.statuses = [500, 503]

    delivery.drain(database, NOW)
    [row] = rows(database, [event_id])
    assert (row.attempts, row.delivered_at, row.last_error) == (1, None, "HTTP 500")
    assert row.next_attempt_at == NOW + timedelta(seconds=30)

    delivery.drain(database, NOW + timedelta(seconds=29))
    assert rows(database, [event_id])[0].attempts == 1  # not due yet

    second = NOW + timedelta(seconds=30)
    delivery.drain(database, second)
    [row] = rows(database, [event_id])
    assert (row.attempts, row.last_error) == (2, "HTTP 503")
    assert row.next_attempt_at == second + timedelta(seconds=60)

    third = second + timedelta(seconds=60)
    delivery.drain(database, third)
    [row] = rows(database, [event_id])
    assert (row.attempts, row.delivered_at) == (3, third)
    assert receiver.ids() == [event_id]


def test_backoff_doubles_and_is_capped_at_six_hours() -> None:
    assert [delivery.retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert delivery.retry_delay(10) == timedelta(seconds=15_360)
    assert delivery.retry_delay(11) == timedelta(hours=6)
    assert delivery.retry_delay(10_000) == timedelta(hours=6)


def test_an_unreachable_endpoint_is_an_error_without_the_secret(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    org = make_org(10)
    configure_webhook(database, org.id, "http://127.0.0.1:9/closed")  # discard port: refused
    [event_id] = emit(database, org.id)
    delivery.drain(database, NOW)
    [row] = rows(database, [event_id])
    assert row.attempts == 1 and row.delivered_at is None
    assert row.last_error.startswith("ConnectionError: ")
    assert SECRET not in row.last_error


def test_a_deliverer_that_dies_mid_batch_loses_nothing(
    hooked_org: OrgRef, database: Database, receiver: Receiver
) -> None:
    [event_id] = emit(database, hooked_org.id)

    class Crash(Exception):
        pass

    def crash(url: str, body: bytes, headers: Any) -> int:
        raise Crash

    with pytest.raises(Crash):
        delivery.drain(database, NOW, http_post=crash)
    delivery.drain(database, NOW + delivery.LEASE - timedelta(seconds=1))
    assert receiver.received == []  # still leased to the dead deliverer

    delivery.drain(database, NOW + delivery.LEASE)
    assert receiver.ids() == [event_id]


def test_events_of_an_org_without_a_webhook_are_settled_unsent(
    make_org: Callable[..., OrgRef], database: Database, receiver: Receiver
) -> None:
    org = make_org(10)
    [event_id] = emit(database, org.id)
    delivery.drain(database, NOW)
    [row] = rows(database, [event_id])
    assert (row.delivered_at, row.attempts, row.last_error) == (NOW, 0, delivery.NOT_SENT)

    configure_webhook(database, org.id, receiver.url)
    delivery.drain(database, NOW + timedelta(days=1))
    assert receiver.received == []  # no backlog of old events for a new webhook


def test_two_deliverers_at_once_deliver_each_event_once(
    hooked_org: OrgRef, database: Database, receiver: Receiver
) -> None:
    ids = emit(database, hooked_org.id, count=30)
    receiver.delay = 0.01
    errors: list[BaseException] = []

    def deliverer() -> None:
        try:
            while delivery.deliver_due(database, NOW, batch_size=4).claimed:
                pass
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(receiver.ids()) == ids
    assert {(row.attempts, row.delivered_at) for row in rows(database, ids)} == {(1, NOW)}


def test_the_notice_sweep_emits_renewal_reminders_once(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    start = add_months(NOW.date() + timedelta(days=19), -12)  # 18 or 19 days left: month ends clamp
    days_left = (term_end(start) - NOW.date()).days
    assert days_left in (18, 19)
    org = make_org(5, term_start=start)
    delivery.sweep_notices(database, NOW)
    delivery.sweep_notices(database, NOW + timedelta(hours=1))
    with database.transaction(write=False) as session:
        notices = session.scalars(
            select(OutboxEvent.payload).where(
                OutboxEvent.org_id == org.id, OutboxEvent.event_type == events.RENEWAL_UPCOMING
            )
        ).all()
    assert [(p["days_before"], p["days_left"]) for p in notices] == [(30, days_left)]


def test_deliver_events_once_from_the_command_line(
    hooked_org: OrgRef, database: Database, database_url: str, receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [event_id] = emit(database, hooked_org.id, now=NOW)
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["deliver-events", "--once"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert " delivered, " in result.output
    assert receiver.ids() == [event_id]
    with database.transaction(write=False) as session:
        assert session.get_one(AlertSettings, hooked_org.id).webhook_secret == SECRET
