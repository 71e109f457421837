"""Organisations and their contract: created once, with their seat pool, and found by slug.
Flushes, never commits: the caller owns the transaction."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from seats import money, seat_types
from seats.errors import InvalidContract, OrgAlreadyExists, UnknownOrg
from seats.models import PRORATION_POLICIES, Contract, Org, SeatPool


@dataclass(frozen=True)
class NewContract:
    seats: int
    unit_price_minor: int
    currency: str
    term_start: date
    minimum_seats: int = 0
    auto_renew: bool = True
    proration: str = "monthly"

    def validate(self) -> None:
        if self.seats < 0:
            raise InvalidContract("seats must be zero or more")
        if self.unit_price_minor < 0:
            raise InvalidContract("the price must be zero or more")
        if self.minimum_seats < 0:
            raise InvalidContract("the minimum seats must be zero or more")
        money.exponent(self.currency)
        if self.proration not in PRORATION_POLICIES:
            raise InvalidContract(f"proration must be one of {', '.join(PRORATION_POLICIES)}")


def create_org(session: Session, slug: str, contract: NewContract, now: datetime) -> Org:
    contract.validate()
    if session.scalar(select(Org.id).where(Org.slug == slug)) is not None:
        raise OrgAlreadyExists(slug)
    org = Org(slug=slug, created_at=now)
    session.add(org)
    session.flush()
    terms = Contract(
        org_id=org.id,
        currency=contract.currency,
        unit_price_minor=contract.unit_price_minor,
        term_start=contract.term_start,
        minimum_seats=contract.minimum_seats,
        auto_renew=contract.auto_renew,
        proration=contract.proration,
    )
    session.add(terms)
    session.add(SeatPool(org_id=org.id, total=contract.seats, assigned=0))
    seat_types.create_first(session, org.id, terms, contract.seats)
    session.flush()
    return org


def org_by_slug(session: Session, slug: str) -> Org:
    org = session.scalar(select(Org).where(Org.slug == slug))
    if org is None:
        raise UnknownOrg(slug)
    return org
