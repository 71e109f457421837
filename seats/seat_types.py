"""Seat types: the kinds of seat an org sells (standard, premium, ...), each with its own
price, total, minimum and rank. The pool row stays the org's one seat lock and holds the sum
of its types' totals and assigned seats, so a type's count changes only together with the
pool's, under that lock (docs/spec/seat-types.md). Flushes, never commits."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from seats import audit
from seats.audit import SeatCounts
from seats.errors import InvalidSeatType, NoSeatAvailable, UnknownSeatType
from seats.models import Contract, SeatPool, SeatType
from seats.pool_lock import LockedPool

DEFAULT_KEY = "standard"
_KEY = re.compile(r"[a-z][a-z0-9_-]{0,63}")
"""Keys are what IdPs send as `roles`/`entitlements` values: stable, lower-case, no spaces."""


@dataclass(frozen=True)
class NewSeatType:
    key: str
    name: str
    unit_price_minor: int
    seats: int = 0
    rank: int = 0
    minimum_seats: int = 0
    is_default: bool = False

    def validate(self) -> None:
        if not _KEY.fullmatch(self.key):
            raise InvalidSeatType(
                "a seat type key is 1 to 64 lower-case letters, digits, '-' or '_', "
                "starting with a letter"
            )
        if not self.name.strip() or len(self.name) > 255:
            raise InvalidSeatType("a seat type needs a name of 1 to 255 characters")
        if self.unit_price_minor < 0 or self.seats < 0 or self.minimum_seats < 0:
            raise InvalidSeatType("price, seats and minimum must be zero or more")


class SeatTypes:
    """An org's seat types as read under its pool lock, highest rank first."""

    def __init__(self, rows: Iterable[SeatType]) -> None:
        self.rows = sorted(rows, key=lambda t: (-t.rank, t.key))
        self._by_id = {t.id: t for t in self.rows}
        self._by_key = {t.key: t for t in self.rows}

    def by_id(self, type_id: str) -> SeatType:
        return self._by_id[type_id]

    def by_key(self, key: str) -> SeatType | None:
        return self._by_key.get(key)

    @property
    def default(self) -> SeatType:
        return next(t for t in self.rows if t.is_default)

    @property
    def several(self) -> bool:
        """With one type the type is never named: every message reads as before types."""
        return len(self.rows) > 1


def _query(org_id: str) -> Select[SeatType]:
    return select(SeatType).where(SeatType.org_id == org_id).order_by(
        SeatType.rank.desc(), SeatType.key
    )


_LOCKED_TYPES = select(SeatType).where(SeatType.org_id == bindparam("org_id")).execution_options(
    populate_existing=True
)
"""Built once, like the pool lock it follows: every seat decision reads the types."""


def locked_types(session: Session, pool: LockedPool) -> SeatTypes:
    """Read after the pool lock, fresh from the database: every writer of these rows holds
    that lock, so what is read here stays true until the transaction ends. SeatTypes puts
    them in rank order itself."""
    return SeatTypes(session.scalars(_LOCKED_TYPES, {"org_id": pool.org_id}))


def list_types(session: Session, org_id: str) -> list[SeatType]:
    """For reads (admin API, CLI): no lock, highest rank first."""
    return list(session.scalars(_query(org_id)))


def count_types(session: Session, org_id: str) -> int:
    return session.scalar(
        select(func.count()).select_from(SeatType).where(SeatType.org_id == org_id)
    ) or 0


def create_first(session: Session, org_id: str, contract: Contract, seats: int) -> SeatType:
    """A new org's only type, its default, priced by the contract."""
    row = SeatType(
        org_id=org_id, key=DEFAULT_KEY, name="Standard",
        unit_price_minor=contract.unit_price_minor, total=seats, assigned=0,
        minimum_seats=contract.minimum_seats, rank=0, is_default=True,
    )
    session.add(row)
    return row


def add_type(session: Session, pool: LockedPool, new: NewSeatType, *, actor: str,
             now: datetime) -> SeatType:
    """A contract change made by the operator: the new type's seats raise the pool's total
    like the contract's first seats did. A new default takes over from the old one."""
    new.validate()
    types = locked_types(session, pool)
    if types.by_key(new.key) is not None:
        raise InvalidSeatType(f"seat type {new.key!r} already exists in this organisation")
    if new.is_default:
        types.default.is_default = False
        session.flush()  # the partial unique index allows one default at a time
    before = SeatCounts.of(pool)
    row = SeatType(
        org_id=pool.org_id, key=new.key, name=new.name, unit_price_minor=new.unit_price_minor,
        total=new.seats, assigned=0, minimum_seats=new.minimum_seats, rank=new.rank,
        is_default=new.is_default,
    )
    session.add(row)
    pool.total += new.seats
    audit.record(session, pool, action="seat_type.added", actor=actor, subject=new.key,
                 before=before, now=now, detail=f"{new.seats} seats, rank {new.rank}")
    session.flush()
    return row


def add_seats(session: Session, pool: LockedPool, key: str, seats: int, *, actor: str,
              now: datetime) -> SeatType:
    """Raises one type's total (and the pool's with it); the caller moves waiting users."""
    if seats < 1:
        raise InvalidSeatType("seats added must be a whole number of at least 1")
    seat_type = by_key_or_refuse(locked_types(session, pool), key)
    before = SeatCounts.of(pool)
    seat_type.total += seats
    pool.total += seats
    audit.record(session, pool, action="seats.added", actor=actor, subject=key,
                 before=before, now=now, detail=f"{seats} {key} seats")
    return seat_type


def by_key_or_refuse(types: SeatTypes, key: str) -> SeatType:
    seat_type = types.by_key(key)
    if seat_type is None:
        raise UnknownSeatType(key)
    return seat_type


def take(pool: SeatPool, seat_type: SeatType, subject: str | None, *, named: bool,
         subject_name: str | None = None) -> None:
    """One seat of the type and of the pool; refused when the type is full. `named`: the
    refusal names the type (the org sells several)."""
    if seat_type.assigned >= seat_type.total:
        raise NoSeatAvailable(total=seat_type.total, assigned=seat_type.assigned,
                              subject=subject, seat_type=seat_type.key if named else None,
                              subject_name=subject_name)
    pool.assign(subject, subject_name)
    seat_type.assigned += 1


def give_back(pool: SeatPool, seat_type: SeatType) -> None:
    if seat_type.assigned <= 0:
        raise AssertionError("release without a held seat: the seat type counter is corrupt")
    pool.release()
    seat_type.assigned -= 1


def renewed_quantities(types: SeatTypes, contract: Contract,
                       pool: SeatPool) -> list[tuple[SeatType, int]]:
    """Each type renews at its seats in use, never below its minimum. With one type that is
    the contract's rule on the pool, exactly as before types."""
    if not types.several:
        return [(types.default, contract.renewal_quantity(pool.assigned))]
    return [(t, max(t.minimum_seats, t.assigned)) for t in types.rows]


def renewal_amount_minor(seat_type: SeatType, quantity: int) -> int:
    """A renewal is a whole year of every renewed seat at its type's price: no proration."""
    return quantity * seat_type.unit_price_minor
