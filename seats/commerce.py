"""Buying seats: a priced quote, then its confirmation. The confirmation raises `total`,
issues the invoice and writes the audit entry in one transaction, and only if the pool
still has the seats the quote was priced on, so two owners never buy on the same count."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from seats import audit, events, invoices, money, seat_types, seating
from seats.audit import SeatCounts
from seats.errors import (
    InvalidTopUp,
    QuoteNotFound,
    QuoteProblem,
    QuoteUnusable,
    SeatReductionNotAllowed,
)
from seats.models import Contract, Invoice, Quote
from seats.pool_lock import LockedPool
from seats.proration import months_elapsed, prorate, span_text
from seats.terms import add_months

QUOTE_LIFETIME = timedelta(minutes=30)


def parse_add_seats(raw: object, maximum: int) -> int:
    """Only a whole number from 1 to `maximum`; a negative number is a reduction."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise InvalidTopUp("add_seats must be a whole number of seats")
    if isinstance(raw, str):
        try:
            raw = int(raw.strip())
        except ValueError:
            raise InvalidTopUp("add_seats must be a whole number of seats") from None
    if isinstance(raw, float):
        if not raw.is_integer():
            raise InvalidTopUp("add_seats must be a whole number of seats")
        raw = int(raw)
    if raw < 0:
        raise SeatReductionNotAllowed()
    if not 1 <= raw <= maximum:
        raise InvalidTopUp(f"add_seats must be from 1 to {maximum}")
    return raw


def _active_contract(session: Session, org_id: str, now: datetime) -> Contract:
    seating.ensure_active_term(session, org_id, None, now)
    return session.get_one(Contract, org_id)


def _valid_until(contract: Contract, now: datetime) -> datetime:
    """A quote dies after 30 minutes or at the next monthly boundary, whichever is first:
    after a boundary the price is different."""
    boundary = add_months(contract.term_start, months_elapsed(contract.term_start, now.date()) + 1)
    return min(now + QUOTE_LIFETIME, datetime.combine(boundary, time(), tzinfo=UTC))


def preview_top_up(
    session: Session, org_id: str, add_seats: int, *, actor: str, now: datetime
) -> Quote:
    pool = seating.lock_and_renew(session, org_id, now)
    contract = _active_contract(session, org_id, now)
    share = prorate(contract.proration, contract.term_start, now.date())
    quote = Quote(
        org_id=org_id,
        add_seats=add_seats,
        seats_before=pool.total,
        seats_after=pool.total + add_seats,
        unit_price_minor=contract.unit_price_minor,
        amount_minor=money.round_half_up(add_seats * contract.unit_price_minor * share.share),
        currency=contract.currency,
        proration=contract.proration,
        term_start=contract.term_start,
        term_end=share.period_end,
        period_start=share.period_start,
        remaining_months=share.remaining_months,
        remaining_days=share.remaining_days,
        days_in_period=share.days_in_period,
        created_at=now,
        created_by=actor,
        valid_until=_valid_until(contract, now),
    )
    session.add(quote)
    session.flush()
    return quote


def _usable_quote(session: Session, org_id: str, quote_id: str, pool: LockedPool,
                  now: datetime) -> Quote:
    quote = session.scalar(
        select(Quote).where(Quote.id == quote_id, Quote.org_id == org_id).with_for_update()
    )
    if quote is None:
        raise QuoteNotFound(quote_id)
    if quote.used_at is not None:
        raise QuoteUnusable(QuoteProblem.USED, "this quote has already been used to buy seats")
    if now >= quote.valid_until:
        raise QuoteUnusable(QuoteProblem.EXPIRED, "this quote has expired; here is a fresh one")
    if pool.total != quote.seats_before:
        raise QuoteUnusable(
            QuoteProblem.STALE,
            f"the quote was priced on {quote.seats_before} seats but the organisation now has "
            f"{pool.total}; here is a fresh one",
        )
    return quote


def quote_seats(session: Session, org_id: str, quote_id: str) -> int:
    """How many seats a quote was for, to price a fresh one after it became unusable."""
    quote = session.scalar(select(Quote).where(Quote.id == quote_id, Quote.org_id == org_id))
    if quote is None:
        raise QuoteNotFound(quote_id)
    return quote.add_seats


@dataclass(frozen=True)
class Purchase:
    quote: Quote
    invoice: Invoice
    seats_before: int
    seats_after: int


def _line_text(quote: Quote) -> str:
    span = span_text(quote.remaining_months, quote.remaining_days, quote.days_in_period)
    return f"{quote.add_seats} additional seats, {quote.period_start} to {quote.term_end} ({span})"


def confirm_top_up(session: Session, org_id: str, quote_id: str, *, actor: str,
                   now: datetime) -> Purchase:
    pool = seating.lock_and_renew(session, org_id, now)
    _active_contract(session, org_id, now)
    quote = _usable_quote(session, org_id, quote_id, pool, now)
    before = SeatCounts.of(pool)
    pool.total += quote.add_seats
    seat_types.locked_types(session, pool).default.total += quote.add_seats  # per type: later
    quote.used_at = now
    invoice = invoices.issue(
        session,
        org_id,
        kind="seat_purchase",
        currency=quote.currency,
        lines=[
            invoices.Line(
                description=_line_text(quote),
                quantity=quote.add_seats,
                unit_price_minor=quote.unit_price_minor,
                period_start=quote.period_start,
                period_end=quote.term_end,
                months=quote.remaining_months,
                days=quote.remaining_days,
                days_in_period=quote.days_in_period,
                amount_minor=quote.amount_minor,
            )
        ],
        issued_by=actor,
        now=now,
        quote_id=quote.id,
    )
    audit.record(session, pool, action="seats.purchased", actor=actor, subject=invoice.number,
                 before=before, now=now, detail=f"quote {quote.id}")
    events.emit(session, org_id, events.SEATS_PURCHASED, {
        "seats_added": quote.add_seats, "total_before": before.total, "total_after": pool.total,
        "invoice_id": invoice.id, "invoice_number": invoice.number,
        # The actor's kind only ("admin"): after the colon is a subject, often an e-mail.
        "purchased_by": actor.partition(":")[0],
    }, now)
    return Purchase(quote=quote, invoice=invoice, seats_before=before.total, seats_after=pool.total)
