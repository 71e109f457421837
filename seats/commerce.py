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
from seats.models import Contract, Invoice, Quote, QuoteLine, SeatType
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


@dataclass(frozen=True)
class SeatLine:
    """Seats of one type asked for; `seat_type` None is the org's default type."""

    add_seats: int
    seat_type: str | None = None


def parse_lines(raw: list[tuple[object, str | None]], maximum: int) -> list[SeatLine]:
    """Each line's `add_seats` as `parse_add_seats` reads it, and together no more than
    `maximum`: the per-purchase limit is on the purchase, whatever its lines."""
    lines = [SeatLine(parse_add_seats(seats, maximum), seat_type) for seats, seat_type in raw]
    added = sum(line.add_seats for line in lines)
    if added > maximum:
        raise InvalidTopUp(f"the lines add {added} seats; at most {maximum} per purchase")
    return lines


def _active_contract(session: Session, org_id: str, now: datetime) -> Contract:
    contract = session.get_one(Contract, org_id)
    seating.ensure_active_term(contract, None, now)
    return contract


def _valid_until(contract: Contract, now: datetime) -> datetime:
    """A quote dies after 30 minutes or at the next monthly boundary, whichever is first:
    after a boundary the price is different."""
    boundary = add_months(contract.term_start, months_elapsed(contract.term_start, now.date()) + 1)
    return min(now + QUOTE_LIFETIME, datetime.combine(boundary, time(), tzinfo=UTC))


def _priced_types(types: seat_types.SeatTypes,
                  asked: list[SeatLine]) -> list[tuple[SeatType, int]]:
    """Each line's type, highest rank first as invoices list them; a type asked for twice
    or unknown to the org is refused before anything is priced."""
    chosen: dict[str, int] = {}
    for line in asked:
        key = line.seat_type if line.seat_type is not None else types.default.key
        if types.by_key(key) is None:
            raise InvalidTopUp(f"no seat type {key!r} in this organisation")
        if key in chosen:
            raise InvalidTopUp(f"seat type {key!r} is asked for twice; give each type once")
        chosen[key] = line.add_seats
    return [(t, chosen[t.key]) for t in types.rows if t.key in chosen]


def preview_top_up(
    session: Session, org_id: str, add_seats: int, *, actor: str, now: datetime,
    seat_type: str | None = None,
) -> Quote:
    """One line: `add_seats` of `seat_type` (the default type when None)."""
    return preview_lines(session, org_id, [SeatLine(add_seats, seat_type)], actor=actor, now=now)


def preview_lines(session: Session, org_id: str, asked: list[SeatLine], *, actor: str,
                  now: datetime) -> Quote:
    """One quote, one line per type, each prorated by the contract's policy at its type's
    price and rounded once (seats/money.py), as the invoice will bill it."""
    if not asked:
        raise InvalidTopUp("a quote needs at least one line")
    pool = seating.lock_and_renew(session, org_id, now)
    contract = _active_contract(session, org_id, now)
    priced = _priced_types(seat_types.locked_types(session, pool), asked)
    share = prorate(contract.proration, contract.term_start, now.date())
    lines = [
        QuoteLine(
            org_id=org_id, seat_type_key=seat_type.key, add_seats=seats,
            type_seats_before=seat_type.total, unit_price_minor=seat_type.unit_price_minor,
            amount_minor=money.round_half_up(seats * seat_type.unit_price_minor * share.share),
        )
        for seat_type, seats in priced
    ]
    add_seats = sum(line.add_seats for line in lines)
    quote = Quote(
        org_id=org_id,
        add_seats=add_seats,
        seats_before=pool.total,
        seats_after=pool.total + add_seats,
        # A single-line quote's price, as before types; a quote of several lines has one per line.
        unit_price_minor=lines[0].unit_price_minor,
        amount_minor=sum(line.amount_minor for line in lines),
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
        lines=lines,
    )
    session.add(quote)
    session.flush()
    return quote


def _usable_quote(session: Session, org_id: str, quote_id: str,
                  types: seat_types.SeatTypes, now: datetime) -> Quote:
    quote = session.scalar(
        select(Quote).where(Quote.id == quote_id, Quote.org_id == org_id).with_for_update()
    )
    if quote is None:
        raise QuoteNotFound(quote_id)
    if quote.used_at is not None:
        raise QuoteUnusable(QuoteProblem.USED, "this quote has already been used to buy seats")
    if now >= quote.valid_until:
        raise QuoteUnusable(QuoteProblem.EXPIRED, "this quote has expired; here is a fresh one")
    _refuse_stale_lines(quote, types)
    return quote


def _refuse_stale_lines(quote: Quote, types: seat_types.SeatTypes) -> None:
    """Per line: each type must still have the total its line was priced on. A purchase of
    another type leaves the line as good as it was. With one type the refusal reads as
    before types, on the organisation's seats."""
    for line in quote.lines:
        seat_type = types.by_key(line.seat_type_key)
        now_total = None if seat_type is None else seat_type.total
        if now_total == line.type_seats_before:
            continue
        what = f"{line.seat_type_key} seats" if types.several else "seats"
        raise QuoteUnusable(
            QuoteProblem.STALE,
            f"the quote was priced on {line.type_seats_before} {what} but the organisation "
            f"now has {now_total or 0}; here is a fresh one",
        )


def quote_request(session: Session, org_id: str, quote_id: str) -> list[SeatLine]:
    """What a quote asked for, line by line, to price a fresh one after it became unusable."""
    quote = session.scalar(select(Quote).where(Quote.id == quote_id, Quote.org_id == org_id))
    if quote is None:
        raise QuoteNotFound(quote_id)
    return [SeatLine(line.add_seats, line.seat_type_key) for line in quote.lines]


@dataclass(frozen=True)
class Purchase:
    quote: Quote
    invoice: Invoice
    seats_before: int
    seats_after: int


def _line_text(quote: Quote, line: QuoteLine, type_name: str | None) -> str:
    """`type_name` only when the org sells several types: one type reads as before."""
    span = span_text(quote.remaining_months, quote.remaining_days, quote.days_in_period)
    seats = f"{type_name} seats" if type_name else "seats"
    return (f"{line.add_seats} additional {seats}, {quote.period_start} to {quote.term_end} "
            f"({span})")


def _invoice_line(quote: Quote, line: QuoteLine, type_name: str | None) -> invoices.Line:
    return invoices.Line(
        description=_line_text(quote, line, type_name),
        quantity=line.add_seats,
        unit_price_minor=line.unit_price_minor,
        period_start=quote.period_start,
        period_end=quote.term_end,
        months=quote.remaining_months,
        days=quote.remaining_days,
        days_in_period=quote.days_in_period,
        amount_minor=line.amount_minor,
    )


def confirm_top_up(session: Session, org_id: str, quote_id: str, *, actor: str,
                   now: datetime) -> Purchase:
    pool = seating.lock_and_renew(session, org_id, now)
    _active_contract(session, org_id, now)
    types = seat_types.locked_types(session, pool)
    quote = _usable_quote(session, org_id, quote_id, types, now)
    before = SeatCounts.of(pool)
    billed = []
    for line in quote.lines:
        seat_type = seat_types.by_key_or_refuse(types, line.seat_type_key)
        seat_type.total += line.add_seats
        billed.append(_invoice_line(quote, line, seat_type.name if types.several else None))
    pool.total += quote.add_seats
    quote.used_at = now
    invoice = invoices.issue(session, org_id, kind="seat_purchase", currency=quote.currency,
                             lines=billed, issued_by=actor, now=now, quote_id=quote.id)
    audit.record(session, pool, action="seats.purchased", actor=actor, subject=invoice.number,
                 before=before, now=now, detail=f"quote {quote.id}")
    events.emit(session, org_id, events.SEATS_PURCHASED, {
        "seats_added": quote.add_seats, "total_before": before.total, "total_after": pool.total,
        "invoice_id": invoice.id, "invoice_number": invoice.number,
        # The actor's kind only ("admin"): after the colon is a subject, often an e-mail.
        "purchased_by": actor.partition(":")[0],
    }, now)
    return Purchase(quote=quote, invoice=invoice, seats_before=before.total, seats_after=pool.total)
