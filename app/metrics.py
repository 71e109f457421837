"""Prometheus metrics at GET /metrics (text exposition format).

It lists every org's slug and seat counts, so outside development (SCIM_DEV=1) a scrape needs
`Authorization: Bearer $SCIM_METRICS_TOKEN`, and /metrics answers 404 when no token is set.

Two kinds of numbers:
- Read from the database at scrape time, exact whatever the number of processes and hosts:
  seats per org and seat type (`scim_seats_purchased`, `_assigned`, `_free`, labels `org` =
  slug and `seat_type` = key; `sum by (org)` is the org's pool) and the webhook outbox backlog.
- Counted by the process that did the work: SCIM requests by method and status, their
  latency, seat refusals by reason and usage events by type (refusals and events are counted
  when their transaction commits, whatever code path wrote them). Under gunicorn each worker
  counts its own; `scim-seats serve` sets PROMETHEUS_MULTIPROC_DIR to a fresh directory so
  that /metrics sums all workers (prometheus_client multiprocess mode). Set that variable to
  an empty directory yourself when running gunicorn another way; without it, each scrape
  sees one worker's counts.
"""
from __future__ import annotations

import hmac
import os
import re
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.context import app_db, app_settings
from app.db import Database
from app.settings import Settings
from seats import audit
from seats.events import REFUSED_ACTION
from seats.models import Org, OutboxEvent, SeatType

SCIM_PREFIX = "/scim/v2"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_PENDING_KEY = "metrics_pending"
_REASON = re.compile(r"^([A-Z][A-Z_]+):")

SCIM_REQUESTS = Counter(
    "scim_seats_scim_requests", "SCIM requests answered, by method and status.", ["method", "status"]
)
SCIM_LATENCY = Histogram(
    "scim_seats_scim_request_duration_seconds", "Time to answer a SCIM request.", ["method"]
)
REFUSALS = Counter(
    "scim_seats_refusals", "Seat refusals (audited seat.refused), by reason code.", ["reason"]
)
EVENTS = Counter("scim_seats_events", "Usage events written to the outbox, by type.", ["type"])


class SeatsCollector(Collector):
    """Reads seat counts and the outbox backlog at scrape time, in one read transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def collect(self) -> Iterator[Metric]:
        with self._db.transaction(write=False) as session:
            types = session.execute(
                select(Org.slug, SeatType.key, SeatType.total, SeatType.assigned)
                .join(SeatType, SeatType.org_id == Org.id)
                .order_by(Org.slug, SeatType.key)
            ).all()
            pending, retrying = session.execute(
                select(func.count(), func.count().filter(OutboxEvent.attempts > 0)).where(
                    OutboxEvent.delivered_at.is_(None)
                )
            ).one()
        # One sample per seat type: `sum by (org)` gives the org's pool, which is their sum.
        labels = ["org", "seat_type"]
        purchased = GaugeMetricFamily(
            "scim_seats_purchased", "Seats bought for the current term (total).", labels=labels
        )
        assigned = GaugeMetricFamily(
            "scim_seats_assigned", "Seats held by active users.", labels=labels
        )
        free = GaugeMetricFamily("scim_seats_free", "Seats not assigned.", labels=labels)
        for slug, key, total, used in types:
            purchased.add_metric([slug, key], total)
            assigned.add_metric([slug, key], used)
            free.add_metric([slug, key], total - used)
        yield from (purchased, assigned, free)
        yield GaugeMetricFamily(
            "scim_seats_outbox_pending", "Usage events not yet delivered.", value=pending
        )
        yield GaugeMetricFamily(
            "scim_seats_outbox_retrying", "Undelivered events whose last POST failed.",
            value=retrying,
        )


def _refusal_reason(detail: str | None) -> str:
    match = _REASON.match(detail or "")
    return match.group(1) if match else "OTHER"


def _collect_written(session: Session, _context: Any) -> None:
    """after_flush: remember events written; counted only if committed."""
    pending = session.info.setdefault(_PENDING_KEY, [])
    for obj in session.new:
        if isinstance(obj, OutboxEvent):
            pending.append((EVENTS, obj.event_type))


def _count_committed(session: Session) -> None:
    """Refusals are audit entries, which are written as Core inserts (seats.audit)."""
    for counter, label in session.info.pop(_PENDING_KEY, []):
        counter.labels(label).inc()
    for entry in audit.take_written(session):
        if entry.action == REFUSED_ACTION:
            REFUSALS.labels(_refusal_reason(entry.detail)).inc()


def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
    audit.take_written(session)


_SESSION_HOOKS = (
    ("after_flush", _collect_written),
    ("after_commit", _count_committed),
    ("after_rollback", _forget_rolled_back),
)


def _watch_sessions() -> None:
    """Session-class hooks see every write, whichever path (SCIM, bulk, SSO, admin) made it."""
    for name, hook in _SESSION_HOOKS:
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    if request.path.startswith(SCIM_PREFIX):
        SCIM_REQUESTS.labels(request.method, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            SCIM_LATENCY.labels(request.method).observe(time.perf_counter() - started)
    return response


def _process_metrics() -> bytes:
    if MULTIPROC_ENV not in os.environ:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)


def _authorize_scrape(settings: Settings) -> None:
    """Metrics name every org and its seat counts: outside development a scrape needs
    `Authorization: Bearer $SCIM_METRICS_TOKEN`, and without that setting /metrics is off."""
    if settings.metrics_token is None:
        if settings.dev_mode:
            return
        abort(404)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), settings.metrics_token):
        abort(401)


def register(app: Flask) -> None:
    """Adds GET /metrics and the request hooks to the app."""
    database_metrics = CollectorRegistry()
    database_metrics.register(SeatsCollector(app_db(app)))

    def scrape() -> Response:
        _authorize_scrape(app_settings(app))
        body = _process_metrics() + generate_latest(database_metrics)
        return Response(body, content_type=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "metrics", scrape, methods=["GET"])
    app.before_request(_start_timer)
    app.after_request(_observe)
    _watch_sessions()
