"""What an activation does when it finds no free seat of its type: the org's policy, chosen
by its primary owner (docs/spec/pool-full-policies.md).

`auto_top_up` buys the missing seat inside the claim (`seats.seating.claim_seat` calls
`buy_missing_seat` under the pool lock), so the purchase, its invoice and the claim commit or
roll back together, and racing activations buy exactly the seats the cap allows: the count of
this term's automatic purchases is read under the same lock that serialises them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from seats import audit, events, invoices, money
from seats.audit import SeatCounts
from seats.errors import InvalidSeatPolicy
from seats.models import POOL_FULL_POLICIES, Contract, Invoice, SeatPolicy, SeatType
from seats.pool_lock import LockedPool, lock_pool
from seats.proration import prorate, span_text

REFUSE, AUTO_TOP_UP, REQUEST = POOL_FULL_POLICIES
AUTO_ACTOR = "auto-top-up"
"""The actor of automatic purchases, in the audit log and on their invoices (`issued_by`)."""
MAX_AUTO_SEATS = 100_000


@dataclass(frozen=True)
class PoolFullPolicy:
    policy: str = REFUSE
    max_auto_seats: int = 0

    def validate(self) -> None:
        if self.policy not in POOL_FULL_POLICIES:
            raise InvalidSeatPolicy("policy must be one of " + ", ".join(POOL_FULL_POLICIES))
        if not 0 <= self.max_auto_seats <= MAX_AUTO_SEATS:
            raise InvalidSeatPolicy(f"max_auto_seats must be from 0 to {MAX_AUTO_SEATS}")
        if self.policy == AUTO_TOP_UP and self.max_auto_seats < 1:
            raise InvalidSeatPolicy("auto_top_up needs max_auto_seats of at least 1")

    def describe(self) -> str:
        if self.policy == AUTO_TOP_UP:
            return f"{AUTO_TOP_UP} (at most {self.max_auto_seats} seats per term)"
        return self.policy


def policy_of(session: Session, org_id: str) -> PoolFullPolicy:
    row = session.get(SeatPolicy, org_id)
    if row is None:
        return PoolFullPolicy()
    return PoolFullPolicy(row.policy, row.max_auto_seats)


def save_policy(session: Session, org_id: str, wanted: PoolFullPolicy, *, actor: str,
                now: datetime) -> PoolFullPolicy:
    """Audited like the alert settings (before → after); a save that changes nothing writes
    no entry. Under the pool lock, so a claim reads either the old policy or the new one."""
    wanted.validate()
    lock_pool(session, org_id)
    before = policy_of(session, org_id)
    if wanted == before:
        return before
    row = session.get(SeatPolicy, org_id)
    if row is None:
        row = SeatPolicy(org_id=org_id, updated_at=now)
        session.add(row)
    row.policy, row.max_auto_seats, row.updated_at = wanted.policy, wanted.max_auto_seats, now
    session.flush()
    audit.record_change(session, org_id, action="seat-policy.changed", actor=actor, subject=None,
                        now=now, detail=f"{before.describe()} → {wanted.describe()}")
    return wanted


def _term_started_at(contract: Contract) -> datetime:
    return datetime.combine(contract.term_start, time(), tzinfo=UTC)


def auto_seats_this_term(session: Session, org_id: str) -> int:
    """Counted from the invoices (one per automatic seat), so the count can never disagree
    with what was billed; a renewal moves the term start and so starts the count afresh."""
    contract = session.get_one(Contract, org_id)
    return session.scalar(
        select(func.count()).select_from(Invoice).where(
            Invoice.org_id == org_id, Invoice.issued_by == AUTO_ACTOR,
            Invoice.issued_at >= _term_started_at(contract),
        )
    ) or 0


def buy_missing_seat(session: Session, pool: LockedPool, seat_type: SeatType, *, named: bool,
                     now: datetime) -> None:
    """Buys one seat of `seat_type` when the policy is auto_top_up and the term's cap allows;
    otherwise buys nothing, and the claim that follows refuses as it always did. The caller
    holds the pool lock and has checked that the term is running."""
    policy = policy_of(session, pool.org_id)
    if policy.policy != AUTO_TOP_UP:
        return
    already = auto_seats_this_term(session, pool.org_id)
    if already >= policy.max_auto_seats:
        return
    contract = pool.contract
    invoice = _invoice_one_seat(session, contract, seat_type, now)
    before = SeatCounts.of(pool)
    seat_type.total += 1
    pool.total += 1
    audit.record(session, pool, action="seats.purchased", actor=AUTO_ACTOR, subject=invoice.number,
                 before=before, now=now,
                 detail=f"automatic: 1 {seat_type.key + ' ' if named else ''}seat, "
                        f"{already + 1} of {policy.max_auto_seats} this term")
    events.emit(session, pool.org_id, events.SEATS_PURCHASED, {
        "seats_added": 1, "total_before": before.total, "total_after": pool.total,
        "invoice_id": invoice.id, "invoice_number": invoice.number,
        "purchased_by": AUTO_ACTOR, "automatic": True, "seat_type": seat_type.key,
        "auto_seats_this_term": already + 1, "max_auto_seats": policy.max_auto_seats,
    }, now)


def _invoice_one_seat(session: Session, contract: Contract, seat_type: SeatType,
                      now: datetime) -> Invoice:
    """One invoice of one line per automatic seat: each purchase is billed the moment it is
    made, as a top-up is, and a refused or rolled-back claim leaves no invoice behind."""
    share = prorate(contract.proration, contract.term_start, now.date())
    span = span_text(share.remaining_months, share.remaining_days, share.days_in_period)
    line = invoices.Line(
        description=f"1 additional {seat_type.name} seat (automatic top-up), "
                    f"{share.period_start} to {share.period_end} ({span})",
        quantity=1,
        unit_price_minor=seat_type.unit_price_minor,
        period_start=share.period_start,
        period_end=share.period_end,
        months=share.remaining_months,
        days=share.remaining_days,
        days_in_period=share.days_in_period,
        amount_minor=money.round_half_up(seat_type.unit_price_minor * share.share),
    )
    return invoices.issue(session, contract.org_id, kind="seat_purchase",
                          currency=contract.currency, lines=[line], issued_by=AUTO_ACTOR, now=now)
