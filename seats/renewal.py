"""Term roll-over. An auto-renewing contract starts its next term at the end date with
max(minimum seats, seats in use at that moment) and is invoiced for the year at once. It runs
under the pool lock at the first seat-affecting operation at or after the end (so the count
is exact) and from `scim-seats renew-due` for idle orgs; a second run finds nothing due."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from seats import audit, events, invoices, seat_types
from seats.audit import SeatCounts
from seats.models import Contract
from seats.pool_lock import LockedPool
from seats.terms import TERM_MONTHS, term_end

RENEWAL_ACTOR = "system:renewal"


def due_org_ids(session: Session, now: datetime) -> list[str]:
    """Orgs whose auto-renewing term has ended. A term lasts at least 365 days, which makes
    a cheap indexed pre-filter; the exact end date is then checked per contract."""
    candidates = session.scalars(
        select(Contract).where(
            Contract.auto_renew.is_(True),
            Contract.term_start <= now.date() - timedelta(days=365),
        )
    )
    return [c.org_id for c in candidates if now.date() >= term_end(c.term_start)]


def roll_over_if_due(session: Session, pool: LockedPool, now: datetime) -> int:
    """Renews every term that has ended (an org idle for years renews once per term, each
    at the same count). Returns how many terms were renewed."""
    contract = pool.contract
    renewed = 0
    while contract.auto_renew and now.date() >= term_end(contract.term_start):
        _renew_once(session, pool, contract, now)
        renewed += 1
    return renewed


def _renew_once(session: Session, pool: LockedPool, contract: Contract, now: datetime) -> None:
    before = SeatCounts.of(pool)
    start = term_end(contract.term_start)
    types = seat_types.locked_types(session, pool)
    renewed = seat_types.renewed_quantities(types, contract, pool)
    contract.term_start = start
    for seat_type, quantity in renewed:
        seat_type.total = quantity
    pool.total = sum(quantity for _, quantity in renewed)
    invoice = invoices.issue(
        session,
        pool.org_id,
        kind="renewal",
        currency=contract.currency,
        lines=[
            invoices.Line(
                description=f"Renewal: {quantity} {kind}seats, {start} to {term_end(start)}",
                quantity=quantity,
                unit_price_minor=seat_type.unit_price_minor,
                period_start=start,
                period_end=term_end(start),
                months=TERM_MONTHS,
                amount_minor=seat_types.renewal_amount_minor(seat_type, quantity),
            )
            for seat_type, quantity in renewed
            for kind in [f"{seat_type.key} " if types.several else ""]
        ],
        issued_by=RENEWAL_ACTOR,
        now=now,
    )
    audit.record(
        session, pool, action="term.renewed", actor=RENEWAL_ACTOR, subject=invoice.number,
        before=before, now=now, detail=f"term {start} to {term_end(start)}",
    )
    if pool.total > 0 and pool.free == 0:  # renewed at exactly the seats in use
        events.emit(session, pool.org_id, events.SEATS_EXHAUSTED, events.counts(pool), now)
