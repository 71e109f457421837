"""Delivers the outbox to each org's webhook after the transactions that wrote it, at least
once, without holding a lock or a transaction open during slow HTTP.

How one run goes:
1. Claim: one short write transaction picks due events oldest first (PostgreSQL:
   `FOR UPDATE OF outbox_events SKIP LOCKED`, so concurrent deliverers take disjoint rows;
   SQLite serialises write transactions anyway) and leases them by moving `next_attempt_at`
   to now + LEASE. A deliverer that dies mid-batch loses nothing: its events are due again
   when the lease runs out.
2. Send each event as a JSON POST, outside any transaction, signed with HMAC-SHA256 over
   `f"{timestamp}.{body}"` with the org's webhook secret:
   `X-Scim-Seats-Signature: t=<unix seconds>,v1=<hex>` and `X-Scim-Seats-Event: <type>`.
   The timestamp is the run's `now`; a run lasts at most BATCH_SIZE sends of at most
   HTTP_TIMEOUT each, so receivers should accept timestamps up to 5 minutes old.
3. Settle each event in its own short transaction: a 2xx sets `delivered_at`; anything else
   (non-2xx, redirect, timeout, refused connection) sets `last_error` and retries after
   30 s · 2^(attempts-1), at most 6 h apart, with no final give-up (the table has no
   dead-letter state; a fixed endpoint then receives the backlog). `attempts` counts POSTs.

At least once means receivers may see an event twice (a crash between send and settle, or a
lease that ran out during a very slow send): the envelope's `id` is the key to dedupe on.
Order is not guaranteed across retries; `created_at` says when the cause happened.

Orgs without a webhook URL and secret: their events are settled without sending
(`delivered_at` set, `attempts` 0, `last_error` "not sent: ..."), so they stay visible in the
outbox and the console but a webhook configured later does not receive months of old events.

Only public addresses receive events (no SSRF into the deployment's own network). Before each
send the URL's host is resolved (`socket.getaddrinfo`, so decimal and hex IPv4 forms such as
`2130706433` or `0x7f000001` resolve like the resolver reads them) and every address must be
global: not loopback, private, link-local, multicast, reserved, unspecified or shared (CGNAT),
IPv4 or IPv6 (an IPv4-mapped IPv6 address is judged as its IPv4 address). The POST then
connects to the checked address itself (the URL's host still goes in the Host header, the TLS
SNI and the certificate check), so a DNS answer that changes after the check (DNS rebinding)
is not used. A refused target is settled like an org without a webhook: `delivered_at` set,
`attempts` unchanged (nothing was POSTed), `last_error` "refused: <host> resolves to a
non-public address", counted as not sent. Retrying would refuse again (a URL pointing inside
is a configuration error, not an outage), and a target fixed later does not receive the
backlog. A host that does not resolve at all is an ordinary failure and is retried.
`SCIM_WEBHOOK_ALLOW_PRIVATE=1` (Settings.webhook_allow_private) turns the check off, for
local development and tests whose receiver listens on 127.0.0.1.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import select, update

from app.db import Database
from seats import events
from seats.clock import utcnow
from seats.models import AlertSettings, OutboxEvent

log = logging.getLogger(__name__)

BATCH_SIZE = 20
HTTP_TIMEOUT = (3.05, 10.0)  # connect, read (seconds)
LEASE = timedelta(minutes=5)  # > BATCH_SIZE x the worst-case send
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=6)
MAX_ERROR_CHARS = 500
NOTICE_SWEEP_EVERY = timedelta(minutes=10)
SIGNATURE_HEADER = "X-Scim-Seats-Signature"
EVENT_HEADER = "X-Scim-Seats-Event"
NOT_SENT = "not sent: the org has no webhook URL and secret"
ALLOW_PRIVATE_ENV = "SCIM_WEBHOOK_ALLOW_PRIVATE"
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

HttpPost = Callable[[str, bytes, Mapping[str, str]], int]
"""(url, body, headers) -> HTTP status; raises requests.RequestException or OSError."""


class RefusedTarget(Exception):
    """The webhook's host resolves to an address events must not be sent to."""


def is_public(address: IpAddress) -> bool:
    """Whether an address is one on the public internet (ipaddress's is_global, which
    still counts multicast as global, so that is excluded too)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        embedded = [address.sixtofour, address.teredo[1] if address.teredo else None]
        if address in NAT64:  # 64:ff9b::/96 carries an IPv4 address in its last 32 bits
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if any(v4 is not None and not is_public(v4) for v4 in embedded):
            return False
    return address.is_global and not (
        address.is_multicast or address.is_private or address.is_loopback
        or address.is_link_local or address.is_reserved or address.is_unspecified
    )


def allow_private_from_env() -> bool:
    """As Settings.from_env reads SCIM_WEBHOOK_ALLOW_PRIVATE (without needing the rest of
    the configuration, e.g. the secret key, which delivery does not use)."""
    return os.environ.get(ALLOW_PRIVATE_ENV, "") in ("1", "true", "yes")


def resolve_target(url: str, allow_private: bool) -> IpAddress:
    """The address to connect to for `url`: the first the resolver gives, after checking
    that every one of them is public (unless `allow_private`). Raises RefusedTarget, or
    OSError (socket.gaierror) when the host does not resolve."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise OSError(f"{host} resolves to no address")
    if not allow_private and not all(is_public(address) for address in addresses):
        raise RefusedTarget(f"refused: {host} resolves to a non-public address")
    return addresses[0]


class _PinnedTls(HTTPAdapter):
    """TLS to an address while SNI and the certificate check use the URL's host name."""

    def __init__(self, server_hostname: str) -> None:
        self._server_hostname = server_hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["server_hostname"] = self._server_hostname
        kwargs["assert_hostname"] = self._server_hostname
        super().init_poolmanager(*args, **kwargs)


def post_json(url: str, body: bytes, headers: Mapping[str, str],
              address: IpAddress | None = None) -> int:
    """Redirects are not followed: a signed event goes only where the org said. With
    `address` the connection goes to that address (checked by resolve_target), not to
    whatever the host name resolves to by then; Host, SNI and certificate still name the
    URL's host."""
    if address is None:
        response = requests.post(
            url, data=body, headers=dict(headers), timeout=HTTP_TIMEOUT, allow_redirects=False
        )
        return response.status_code
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    host_header = parts.netloc.rpartition("@")[2]  # the URL holds no credentials (alerts API)
    with requests.Session() as session:
        if parts.scheme == "https":
            session.mount("https://", _PinnedTls(host))
        response = session.post(
            pinned, data=body, headers={**headers, "Host": host_header},
            timeout=HTTP_TIMEOUT, allow_redirects=False,
        )
        return response.status_code


@dataclass(frozen=True)
class _Claimed:
    id: int
    event_type: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int
    url: str
    secret: str


@dataclass
class DeliveryReport:
    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    not_sent: int = 0

    def add(self, other: DeliveryReport) -> None:
        self.claimed += other.claimed
        self.delivered += other.delivered
        self.failed += other.failed
        self.not_sent += other.not_sent


def retry_delay(attempts: int) -> timedelta:
    """Delay after the `attempts`-th failed POST: 30 s, 1 min, 2 min, ... capped at 6 h.
    The exponent is bounded because timedelta overflows long before `attempts` would."""
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 20), MAX_RETRY)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _claim(db: Database, now: datetime, batch_size: int) -> tuple[list[_Claimed], int]:
    """Leases up to `batch_size` due events; settles those with nowhere to go."""
    query = (
        select(OutboxEvent, AlertSettings.webhook_url, AlertSettings.webhook_secret)
        .outerjoin(AlertSettings, AlertSettings.org_id == OutboxEvent.org_id)
        .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.next_attempt_at <= now)
        .order_by(OutboxEvent.id)
        .limit(batch_size)
        .with_for_update(of=OutboxEvent, skip_locked=True)
    )
    claimed: list[_Claimed] = []
    not_sent = 0
    with db.transaction() as session:
        for event, url, secret in session.execute(query).all():
            if not url or not secret:
                event.delivered_at = now
                event.last_error = NOT_SENT
                not_sent += 1
                continue
            event.next_attempt_at = now + LEASE
            claimed.append(
                _Claimed(event.id, event.event_type, dict(event.payload), event.created_at,
                         event.attempts, url, secret)
            )
    return claimed, not_sent


def _request(event: _Claimed, now: datetime) -> tuple[bytes, dict[str, str]]:
    envelope = {
        "id": event.id,
        "type": event.event_type,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }
    body = json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "scim-seats-webhooks/1",
        SIGNATURE_HEADER: f"t={timestamp},v1={signature(event.secret, timestamp, body)}",
        EVENT_HEADER: event.event_type,
    }
    return body, headers


def _send(event: _Claimed, now: datetime, http_post: HttpPost | None,
          allow_private: bool) -> str | None:
    """The error to record, or None when the receiver took the event. Raises RefusedTarget
    when the URL's host is not public: nothing is sent then. The default sender connects to
    the address just checked; an injected `http_post` (tests) gets the URL."""
    body, headers = _request(event, now)
    try:
        address = resolve_target(event.url, allow_private)
        if http_post is None:
            status = post_json(event.url, body, headers, address)
        else:
            status = http_post(event.url, body, headers)
    except (requests.RequestException, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
    return None if 200 <= status < 300 else f"HTTP {status}"


def _settle_refused(db: Database, event: _Claimed, now: datetime, error: str) -> None:
    """Settled unsent, like an org without a webhook: no POST was made, none will be."""
    with db.transaction() as session:
        session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event.id, OutboxEvent.delivered_at.is_(None))
            .values(delivered_at=now, last_error=error[:MAX_ERROR_CHARS])
        )


def _settle(db: Database, event: _Claimed, now: datetime, error: str | None) -> None:
    """A success keeps `last_error`, so a late delivery still shows why it was late."""
    changes: dict[str, Any] = {"attempts": OutboxEvent.attempts + 1}
    if error is None:
        changes["delivered_at"] = now
    else:
        changes["next_attempt_at"] = now + retry_delay(event.attempts + 1)
        changes["last_error"] = error
    with db.transaction() as session:
        session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event.id, OutboxEvent.delivered_at.is_(None))
            .values(**changes)
        )


def deliver_due(
    db: Database, now: datetime, http_post: HttpPost | None = None,
    batch_size: int = BATCH_SIZE, *, allow_private: bool | None = None,
) -> DeliveryReport:
    """One batch: claim, send, settle. `claimed` below `batch_size` means nothing more is due.
    `allow_private` None: as SCIM_WEBHOOK_ALLOW_PRIVATE says (default: public targets only)."""
    if allow_private is None:
        allow_private = allow_private_from_env()
    batch, not_sent = _claim(db, now, batch_size)
    report = DeliveryReport(claimed=len(batch) + not_sent, not_sent=not_sent)
    for event in batch:
        try:
            error = _send(event, now, http_post, allow_private)
        except RefusedTarget as exc:
            _settle_refused(db, event, now, str(exc))
            report.not_sent += 1
            log.warning("webhook event %s (%s) not sent: %s", event.id, event.event_type, exc)
            continue
        _settle(db, event, now, error)
        if error is None:
            report.delivered += 1
        else:
            report.failed += 1
            log.warning("webhook event %s (%s) not delivered: %s", event.id, event.event_type, error)
    return report


def drain(db: Database, now: datetime, http_post: HttpPost | None = None, *,
          allow_private: bool | None = None) -> DeliveryReport:
    """Every event due at `now`; it ends because each claimed event is settled or leased
    past `now`."""
    total = DeliveryReport()
    while True:
        report = deliver_due(db, now, http_post, allow_private=allow_private)
        total.add(report)
        if report.claimed < BATCH_SIZE:
            return total


def sweep_notices(db: Database, now: datetime,
                  forecast_days: int = events.DEFAULT_FORECAST_ALERT_DAYS) -> int:
    """Notices no request triggers: renewal reminders, refusal digests that no later
    refusal came to send, and exhaustion forecasts within `forecast_days`. One short
    transaction per org, so no lock is held across orgs."""
    with db.transaction(write=False) as session:
        renewals = events.renewal_candidates(session, now)
        digests = events.digest_candidates(session, now)
        forecasts = events.forecast_candidates(session, now)
    emitted = 0
    for org_id in renewals:
        with db.transaction() as session:
            emitted += events.renewal_upcoming(session, org_id, now)
    for org_id in digests:
        with db.transaction() as session:
            emitted += events.refusal_digest_due(session, org_id, now)
    for org_id in forecasts:
        with db.transaction() as session:
            emitted += events.forecast_warning(session, org_id, now, forecast_days)
    return emitted


def run_forever(db: Database, interval: float, clock: Callable[[], datetime] = utcnow, *,
                allow_private: bool | None = None,
                forecast_days: int = events.DEFAULT_FORECAST_ALERT_DAYS) -> None:
    """The `deliver-events` loop: notices every NOTICE_SWEEP_EVERY, deliveries every
    `interval` seconds, until the process is stopped (leases make any stop safe)."""
    last_sweep: datetime | None = None
    while True:
        now = clock()
        if last_sweep is None or now - last_sweep >= NOTICE_SWEEP_EVERY:
            sweep_notices(db, now, forecast_days)
            last_sweep = now
        report = drain(db, now, allow_private=allow_private)
        if report.claimed:
            log.info("webhooks: %s delivered, %s failed, %s not sent",
                     report.delivered, report.failed, report.not_sent)
        time.sleep(interval)
