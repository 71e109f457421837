"""What the admin API and the console both show about an org, read once here: its seats, its
users, its invoices and its audit log. The admin API serialises these, the console renders
them and both export them (app.exports), so they cannot drift apart; each front end keeps
only its own way of paging (its query parameters)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, tuple_
from sqlalchemy.orm import Session, selectinload

from scim.seat_choice import TypeLine, type_lines
from scim.tables import UserRow
from seats import seat_types
from seats.models import AuditEvent, Contract, Invoice, SeatPool
from seats.terms import term_end

Row = TypeVar("Row")


@dataclass(frozen=True)
class RenewalLine:
    """One seat type's renewal: its seats in use at term end, never below its minimum."""

    seat_type: str
    name: str
    quantity: int
    unit_price_minor: int
    amount_minor: int


@dataclass(frozen=True)
class RenewalPreview:
    """What the next renewal would buy and cost if the term ended today: the sums of its
    lines, one per seat type, as the renewal invoice will bill them."""

    date: date
    auto_renew: bool
    quantity: int
    unit_price_minor: int
    amount_minor: int
    currency: str
    lines: list[RenewalLine]


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
    return SeatCard(
        total=pool.total, assigned=pool.assigned, free=pool.free,
        term_start=contract.term_start, term_end=ends, currency=contract.currency,
        unit_price_minor=contract.unit_price_minor, proration=contract.proration,
        auto_renew=contract.auto_renew, minimum_seats=contract.minimum_seats,
        renewal=_renewal(session, contract, pool, ends), types=type_lines(session, org_id),
    )


def _renewal(session: Session, contract: Contract, pool: SeatPool, ends: date) -> RenewalPreview:
    """The rule seats.renewal applies at term end (seat_types.renewed_quantities), read
    without the lock: a preview, not a decision."""
    types = seat_types.SeatTypes(seat_types.list_types(session, pool.org_id))
    lines = [
        RenewalLine(seat_type=t.key, name=t.name, quantity=quantity,
                    unit_price_minor=t.unit_price_minor,
                    amount_minor=seat_types.renewal_amount_minor(t, quantity))
        for t, quantity in seat_types.renewed_quantities(types, contract, pool)
    ]
    return RenewalPreview(
        date=ends, auto_renew=contract.auto_renew,
        quantity=sum(line.quantity for line in lines),
        unit_price_minor=contract.unit_price_minor,
        amount_minor=sum(line.amount_minor for line in lines), currency=contract.currency,
        lines=lines,
    )


@dataclass(frozen=True)
class Page(Generic[Row]):
    """One page of rows, and whether another follows (read as one row more than the page)."""

    rows: list[Row]
    more: bool


class Paging(Protocol[Row]):
    """A front end's way through a list: its order, where it resumes, and its page size."""

    @property
    def size(self) -> int: ...

    def arrange(self, stmt: Select[Row]) -> Select[Row]: ...


def _page(session: Session, stmt: Select[Row], paging: Paging[Row]) -> Page[Row]:
    rows = list(session.scalars(paging.arrange(stmt).limit(paging.size + 1)))
    return Page(rows[: paging.size], len(rows) > paging.size)


@dataclass(frozen=True)
class Position:
    """Where a page sorted by (created_at, id) ended: the sort key of its last row."""

    created_at: datetime
    id: str

    @classmethod
    def of(cls, user: UserRow) -> Position:
        return cls(user.created_at, user.id)


@dataclass(frozen=True)
class UsersByCreation:
    """Keyset order (created_at, id) walks the (org_id, created_at, id) index, so page 1000
    costs what page 1 does and users created meanwhile are neither skipped nor repeated."""

    after: Position | None
    size: int

    def arrange(self, stmt: Select[UserRow]) -> Select[UserRow]:
        stmt = stmt.order_by(UserRow.created_at, UserRow.id)
        if self.after is None:
            return stmt
        return stmt.where(
            tuple_(UserRow.created_at, UserRow.id) > (self.after.created_at, self.after.id))


@dataclass(frozen=True)
class UsersByName:
    """Numbered pages in user name order, for people to scan; the lower-cased user name is
    unique per org, so the order is total."""

    number: int
    size: int

    def arrange(self, stmt: Select[UserRow]) -> Select[UserRow]:
        return stmt.order_by(UserRow.user_name_norm).offset((self.number - 1) * self.size)


def user_page(session: Session, org_id: str, paging: Paging[UserRow], *,
              holds_seat: bool | None = None, name_contains: str = "",
              seat_type: str = "", waiting: bool | None = None) -> Page[UserRow]:
    """A seat is held exactly by an active user (spec, "Words"), so seat state is read from
    `active` and needs no join; the type held and the type waited for are the user's own
    columns too. The search matches the lower-cased user name the directory keeps for its
    case-insensitive uniqueness."""
    stmt = select(UserRow).where(UserRow.org_id == org_id)
    if holds_seat is not None:
        stmt = stmt.where(UserRow.active.is_(holds_seat))
    if seat_type:
        stmt = stmt.where(UserRow.seat_type_key == seat_type)
    if waiting is not None:
        column = UserRow.waiting_seat_type_key
        stmt = stmt.where(column.is_not(None) if waiting else column.is_(None))
    if name_contains:
        stmt = stmt.where(UserRow.user_name_norm.contains(name_contains.lower(), autoescape=True))
    return _page(session, stmt, paging)


DEFAULT_IDLE_DAYS = 90
MAX_IDLE_DAYS = 3650


def idle_seat_page(session: Session, org_id: str, paging: Paging[UserRow], *,
                   idle_since: datetime) -> Page[UserRow]:
    """Seats held by users with no SCIM change and no SSO sign-in after `idle_since`: the
    IdP may have forgotten them, so an admin reviews them there. The filter is the
    (org_id, active, last_modified_at, last_sign_in_at) index."""
    stmt = select(UserRow).where(
        UserRow.org_id == org_id, UserRow.active.is_(True),
        UserRow.last_modified_at <= idle_since,
        UserRow.last_sign_in_at.is_(None) | (UserRow.last_sign_in_at <= idle_since),
    )
    return _page(session, stmt, paging)


@dataclass(frozen=True)
class AuditOldestFirst:
    """Entries with an id greater than `after`: ids are unique and increasing, so `after` is
    an exact resume point where timestamps could tie, and a client can tail the log."""

    after: int
    size: int

    def arrange(self, stmt: Select[AuditEvent]) -> Select[AuditEvent]:
        return stmt.where(AuditEvent.id > self.after).order_by(AuditEvent.id)


@dataclass(frozen=True)
class AuditNewestFirst:
    """Entries with an id less than `before` (all of them without it), newest first: entries
    written meanwhile neither shift nor repeat a page."""

    before: int | None
    size: int

    def arrange(self, stmt: Select[AuditEvent]) -> Select[AuditEvent]:
        stmt = stmt.order_by(AuditEvent.id.desc())
        return stmt if self.before is None else stmt.where(AuditEvent.id < self.before)


MAX_AUDIT_ID = 2_147_483_647
"""The largest value of an Integer column (audit_events.id): PostgreSQL refuses a bigger one,
so each front end refuses it as input before it reaches a query."""


USER_SUBJECTS = ("user:", "userName:")
"""How entries name a user: `user:<id>`, or `userName:<name>` for an SSO sign-in refused
before the user existed."""


def _about_user(user: str) -> ColumnElement[bool]:
    """Entries about one user, given as its id or its userName. userNames match in any
    letter case (RFC 7643 §4.1.1: caseExact false), against the name the entry kept, so a
    user renamed or deleted since is still found by the name it had then."""
    named = and_(func.lower(AuditEvent.subject_name) == user.lower(),
                 or_(*(AuditEvent.subject.startswith(prefix) for prefix in USER_SUBJECTS)))
    return or_(AuditEvent.subject == f"user:{user}", named)


def audit_entries(org_id: str, *, action: str = "", user: str = "") -> Select[AuditEvent]:
    """The one query of the audit log, with its filters; the page and the export both
    arrange it."""
    stmt = select(AuditEvent).where(AuditEvent.org_id == org_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if user:
        stmt = stmt.where(_about_user(user))
    return stmt


def audit_page(session: Session, org_id: str, paging: Paging[AuditEvent], *,
               action: str = "", user: str = "") -> Page[AuditEvent]:
    """Paged by id, which walks the (org_id, id) index: cost does not grow with the log."""
    return _page(session, audit_entries(org_id, action=action, user=user), paging)


@dataclass(frozen=True)
class InvoicesByNumber:
    """Invoices numbered after `after_seq`, in number order: numbers are gapless and never
    reused, so the number is an exact resume point."""

    after_seq: int
    size: int

    def arrange(self, stmt: Select[Invoice]) -> Select[Invoice]:
        return stmt.where(Invoice.seq > self.after_seq).order_by(Invoice.seq)


def invoice_page(session: Session, org_id: str, paging: Paging[Invoice]) -> Page[Invoice]:
    """With their lines, in one more query per page (not one per invoice)."""
    stmt = select(Invoice).where(Invoice.org_id == org_id).options(selectinload(Invoice.lines))
    return _page(session, stmt, paging)
