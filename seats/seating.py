"""Seat decisions over a Session. They flush, never commit: the caller owns the transaction,
so a seat claim and the write that needs it stand or fall together."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from seats import audit, events, pool_full, renewal, seat_types
from seats.audit import SeatCounts
from seats.errors import NoActiveSubscription
from seats.models import Contract, SeatPool, SeatType
from seats.pool_lock import LockedPool, lock_pool
from seats.seat_types import SeatTypes
from seats.terms import term_end


def seat_counts(session: Session, org_id: str) -> SeatCounts:
    row = session.execute(
        select(SeatPool.total, SeatPool.assigned).where(SeatPool.org_id == org_id)
    ).one()
    return SeatCounts(total=row.total, assigned=row.assigned)


def lock_and_renew(session: Session, org_id: str, now: datetime) -> LockedPool:
    """Takes the org's seat lock, then rolls over a term that has ended, so the decision that
    follows is made in the term it falls in. Every seat decision starts here. The name says
    both because the second may issue a renewal invoice: a reader of a call site should not
    have to guess that a lock bills."""
    pool = lock_pool(session, org_id)
    renewal.roll_over_if_due(session, pool, now)
    return pool


def renew_if_due(session: Session, org_id: str, now: datetime) -> int:
    """For idle orgs (`scim-seats renew-due`): the number of terms renewed, usually 0 or 1."""
    return renewal.roll_over_if_due(session, lock_pool(session, org_id), now)


def term_running(contract: Contract, now: datetime) -> bool:
    """Not before the term starts, not after a term that does not renew has ended (an
    auto-renewing one has been rolled over by lock_and_renew already)."""
    end = term_end(contract.term_start)
    return contract.term_start <= now.date() and (contract.auto_renew or now.date() < end)


def ensure_active_term(contract: Contract, subject: str | None, now: datetime,
                       subject_name: str | None = None) -> None:
    """Activations need a running term. Under the pool lock, `pool.contract` is the one
    `lock_pool` read with it."""
    if not term_running(contract, now):
        end = term_end(contract.term_start)
        raise NoActiveSubscription(term_end=end, subject=subject, subject_name=subject_name)


def _type_detail(types: SeatTypes, seat_type: SeatType) -> str | None:
    """Audit entries name the type only when the org sells several."""
    return f"seat type {seat_type.key}" if types.several else None


def claim_seat(
    session: Session, pool: LockedPool, types: SeatTypes, seat_type: SeatType, *, actor: str,
    subject: str | None, now: datetime, subject_name: str | None = None,
    waiting: events.WaitingCount | None = None,
) -> None:
    """The one function through which any user becomes seated, in a seat of `seat_type`.
    `subject_name` (the userName) goes into the audit entry, and into the refusal should
    there be one; `waiting` counts a type's waiting users for the seat events. A full type
    first asks the org's pool-full policy, which may buy the seat here, in this transaction
    (seats.pool_full); otherwise the claim is refused."""
    ensure_active_term(pool.contract, subject, now, subject_name)
    if seat_type.free <= 0:
        pool_full.buy_missing_seat(session, pool, seat_type, named=types.several, now=now)
    before = SeatCounts.of(pool)
    seat_types.take(pool, seat_type, subject, named=types.several, subject_name=subject_name)
    audit.record(session, pool, action="seat.claimed", actor=actor, subject=subject,
                 before=before, now=now, detail=_type_detail(types, seat_type),
                 subject_name=subject_name)
    events.after_claim(session, pool, now, seat_type if types.several else None, waiting)


def release_seat(
    session: Session, pool: LockedPool, types: SeatTypes, seat_type: SeatType, *, actor: str,
    subject: str | None, now: datetime, subject_name: str | None = None,
) -> None:
    """Frees the seat of a user being deactivated or deleted. Never refuses."""
    before = SeatCounts.of(pool)
    seat_types.give_back(pool, seat_type)
    audit.record(session, pool, action="seat.released", actor=actor, subject=subject,
                 before=before, now=now, detail=_type_detail(types, seat_type),
                 subject_name=subject_name)


def move_seat(
    session: Session, pool: LockedPool, types: SeatTypes, source: SeatType, target: SeatType,
    *, actor: str, subject: str | None, now: datetime, subject_name: str | None = None,
    waiting: events.WaitingCount | None = None,
) -> None:
    """A seated user changes type: a seat of `target` is claimed (refused when full) and the
    one of `source` freed, in one step; the pool's counts do not change."""
    ensure_active_term(pool.contract, subject, now, subject_name)
    before = SeatCounts.of(pool)
    seat_types.take(pool, target, subject, named=True, subject_name=subject_name)
    seat_types.give_back(pool, source)
    audit.record(session, pool, action="seat.moved", actor=actor, subject=subject,
                 before=before, now=now, detail=f"from {source.key} to {target.key}",
                 subject_name=subject_name)
    events.after_claim(session, pool, now, target, waiting)  # the pool's counts stay


def reassign_seat(session: Session, pool: LockedPool, *, actor: str, source: str, target: str,
                  now: datetime, source_name: str | None = None,
                  target_name: str | None = None) -> None:
    """Audits a seat moving between two users; `assigned` is unchanged, so it never needs a
    free seat, but it is an activation: it needs a running term. The caller flips both users
    in the same transaction. The detail names the source as people know it."""
    ensure_active_term(pool.contract, target, now, target_name)
    audit.record(session, pool, action="seat.reassigned", actor=actor, subject=target,
                 before=SeatCounts.of(pool), now=now, subject_name=target_name,
                 detail=f"from {source_name or source}")


def record_refusal(
    session: Session, org_id: str, *, actor: str, subject: str | None, reason: str, now: datetime,
    subject_name: str | None = None,
) -> None:
    """Audits a refused activation. Runs in its own transaction after the refused one rolled
    back, so the refusal leaves a trace and nothing of the refused request. It takes the pool
    lock like every other audited seat decision (so the org's audit ids commit in order), and
    with it a renewal that fell due, so the counts recorded are the real ones."""
    pool = lock_and_renew(session, org_id, now)  # a due renewal commits here, with the refusal
    before = SeatCounts.of(pool)
    audit.record(
        session, pool, action="seat.refused", actor=actor, subject=subject, before=before,
        now=now, detail=reason, subject_name=subject_name,
    )
    events.after_refusal(session, org_id, now)
