"""What the admin API and the console both show about an org's seats, read once here: the
admin API serialises these, the console renders them, so the two cannot drift apart."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from scim.seat_choice import TypeLine, type_lines
from seats.models import Contract, SeatPool
from seats.terms import term_end


@dataclass(frozen=True)
class RenewalPreview:
    """What the next renewal would buy and cost if the term ended today."""

    date: date
    auto_renew: bool
    quantity: int
    unit_price_minor: int
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class SeatCard:
    """Counts, term and contract in one read, with the renewal they imply."""

    total: int
    assigned: int
    free: int
    term_start: date
    term_end: date
    currency: str
    unit_price_minor: int
    proration: str
    auto_renew: bool
    minimum_seats: int
    renewal: RenewalPreview
    types: list[TypeLine]


def seat_card(session: Session, org_id: str) -> SeatCard:
    pool = session.get_one(SeatPool, org_id)
    contract = session.get_one(Contract, org_id)
    ends = term_end(contract.term_start)
    renewal = RenewalPreview(
        date=ends, auto_renew=contract.auto_renew,
        quantity=contract.renewal_quantity(pool.assigned),
        unit_price_minor=contract.unit_price_minor,
        amount_minor=contract.renewal_amount_minor(pool.assigned), currency=contract.currency,
    )
    return SeatCard(
        total=pool.total, assigned=pool.assigned, free=pool.free,
        term_start=contract.term_start, term_end=ends, currency=contract.currency,
        unit_price_minor=contract.unit_price_minor, proration=contract.proration,
        auto_renew=contract.auto_renew, minimum_seats=contract.minimum_seats, renewal=renewal,
        types=type_lines(session, org_id),
    )
