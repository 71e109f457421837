"""Seat requests of the `request` pool-full policy (docs/spec/pool-full-policies.md): someone
whose SSO sign-in found no free seat is queued for an admin instead of turned away. Every
change takes the org's pool lock first, like the seat decisions it stands next to, so two
admins deciding the same request, or the last seat for two requests, are serialised.
Flushes, never commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from seats import audit, events
from seats.audit import SeatCounts
from seats.errors import SeatRequestClosed, SeatRequestNotFound
from seats.models import SeatRequest
from seats.pool_lock import LockedPool

OPEN, APPROVED, DENIED, EXPIRED = "open", "approved", "denied", "expired"
AUDIT_SUBJECT_MAX = 255  # audit_events.subject


@dataclass(frozen=True)
class Asked:
    request: SeatRequest
    new: bool  # False: the person's open request was found again, nothing was written


def _open_for(session: Session, org_id: str, user_name: str) -> SeatRequest | None:
    return session.scalar(select(SeatRequest).where(
        SeatRequest.org_id == org_id, SeatRequest.user_name_norm == user_name.lower(),
        SeatRequest.status == OPEN,
    ).with_for_update())


def ask(session: Session, pool: LockedPool, *, user_name: str, identity: dict[str, Any],
        seat_type_key: str | None, actor: str, ttl: timedelta, now: datetime) -> Asked:
    """One open request per person: signing in again finds the one already open (no second
    entry, no second event); one that has expired is closed and a fresh one opened."""
    existing = _open_for(session, pool.org_id, user_name)
    if existing is not None and now < existing.expires_at:
        return Asked(existing, new=False)
    if existing is not None:
        existing.status, existing.decided_at = EXPIRED, now
        session.flush()  # the partial unique index allows one open request at a time
    row = SeatRequest(org_id=pool.org_id, user_name=user_name, user_name_norm=user_name.lower(),
                      identity=identity, seat_type_key=seat_type_key, status=OPEN,
                      requested_at=now, expires_at=now + ttl)
    session.add(row)
    session.flush()
    audit.record(session, pool, action="seat.requested", actor=actor,
                 subject=_person(row, None), before=SeatCounts.of(pool), now=now,
                 subject_name=user_name, detail=_detail(row))
    events.emit(session, pool.org_id, events.SEATS_REQUESTED, {
        "request_id": row.id, "seat_type": seat_type_key,
        "requested_at": now.isoformat(), "expires_at": row.expires_at.isoformat(),
        "pending": pending_count(session, pool.org_id, now),
    }, now)
    return Asked(row, new=True)


def _pending(org_id: str, now: datetime) -> Any:
    return (SeatRequest.org_id == org_id, SeatRequest.status == OPEN, SeatRequest.expires_at > now)


def queue(session: Session, org_id: str, now: datetime) -> list[SeatRequest]:
    """Open requests that have not expired, oldest first: the order they are served in."""
    return list(session.scalars(
        select(SeatRequest).where(*_pending(org_id, now))
        .order_by(SeatRequest.requested_at, SeatRequest.id)
    ))


def pending_count(session: Session, org_id: str, now: datetime) -> int:
    return session.scalar(
        select(func.count()).select_from(SeatRequest).where(*_pending(org_id, now))
    ) or 0


def open_request(session: Session, pool: LockedPool, request_id: str,
                 now: datetime) -> SeatRequest:
    """The request to decide on, read under the pool lock; refused unless still open."""
    row = session.scalar(select(SeatRequest).where(
        SeatRequest.id == request_id, SeatRequest.org_id == pool.org_id).with_for_update())
    if row is None:
        raise SeatRequestNotFound(request_id)
    if row.status == OPEN and now >= row.expires_at:
        raise SeatRequestClosed(EXPIRED)
    if row.status != OPEN:
        raise SeatRequestClosed(row.status)
    return row


def close(session: Session, pool: LockedPool, row: SeatRequest, status: str, *, actor: str,
          now: datetime, user_id: str | None = None) -> None:
    """Approved (with the user the approval seated) or denied; audited either way."""
    row.status, row.decided_at, row.decided_by, row.user_id = status, now, actor, user_id
    audit.record(session, pool, action=f"seat-request.{status}", actor=actor,
                 subject=_person(row, user_id), before=SeatCounts.of(pool), now=now,
                 subject_name=row.user_name, detail=_detail(row))


def _person(row: SeatRequest, user_id: str | None) -> str:
    """The audit log's subject is the person, as for a refused sign-in (`userName:`), or the
    user an approval seated, so filtering the log by user finds their requests too."""
    return f"user:{user_id}" if user_id else f"userName:{row.user_name}"[:AUDIT_SUBJECT_MAX]


def _detail(row: SeatRequest) -> str:
    kind = f", seat type {row.seat_type_key}" if row.seat_type_key else ""
    return f"request {row.id}{kind}"
