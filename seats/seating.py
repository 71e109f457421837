"""Use cases of the seat domain over a Session. They flush, never commit: the caller owns
the transaction, so a seat claim and the write that needs it stand or fall together."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from seats import audit, events, money, renewal
from seats.pool_lock import lock as lock_pool_row
from seats.audit import SeatCounts
from seats.errors import InvalidContract, NoActiveSubscription, OrgAlreadyExists, UnknownOrg
from seats.models import PRORATION_POLICIES, Contract, Org, ScimToken, SeatPool
from seats.terms import term_end

TOKEN_PREFIX = "scs_"


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
    session.add(
        Contract(
            org_id=org.id,
            currency=contract.currency,
            unit_price_minor=contract.unit_price_minor,
            term_start=contract.term_start,
            minimum_seats=contract.minimum_seats,
            auto_renew=contract.auto_renew,
            proration=contract.proration,
        )
    )
    session.add(SeatPool(org_id=org.id, total=contract.seats, assigned=0))
    session.flush()
    return org


def org_by_slug(session: Session, slug: str) -> Org:
    org = session.scalar(select(Org).where(Org.slug == slug))
    if org is None:
        raise UnknownOrg(slug)
    return org


def seat_counts(session: Session, org_id: str) -> SeatCounts:
    row = session.execute(
        select(SeatPool.total, SeatPool.assigned).where(SeatPool.org_id == org_id)
    ).one()
    return SeatCounts(total=row.total, assigned=row.assigned)


def lock_pool(session: Session, org_id: str, now: datetime) -> SeatPool:
    """Take the org's one seat lock (row lock on PostgreSQL; SQLite writers are already
    serialised by BEGIN IMMEDIATE). Every seat-changing write calls this first, so it is
    also where a term that has ended rolls over, before anything else is decided."""
    pool = lock_pool_row(session, org_id)
    renewal.roll_over_if_due(session, pool, now)
    return pool


def renew_if_due(session: Session, org_id: str, now: datetime) -> int:
    """For idle orgs (`scim-seats renew-due`): the number of terms renewed, usually 0 or 1."""
    return renewal.roll_over_if_due(session, lock_pool_row(session, org_id), now)


def ensure_active_term(session: Session, org_id: str, subject: str | None, now: datetime) -> None:
    """Activations need a running term: not before it starts, not after a term that does not
    renew has ended (an auto-renewing one has been rolled over by lock_pool already)."""
    contract = session.get_one(Contract, org_id)
    end = term_end(contract.term_start)
    if now.date() < contract.term_start or (not contract.auto_renew and now.date() >= end):
        raise NoActiveSubscription(term_end=end, subject=subject)


def claim_seat(
    session: Session, pool: SeatPool, *, actor: str, subject: str | None, now: datetime
) -> None:
    """The one function through which any user becomes seated. `pool` must be locked."""
    ensure_active_term(session, pool.org_id, subject, now)
    before = SeatCounts.of(pool)
    pool.assign(subject)
    audit.record(session, pool, action="seat.claimed", actor=actor, subject=subject, before=before, now=now)
    events.after_claim(session, pool, now)


def release_seat(
    session: Session, pool: SeatPool, *, actor: str, subject: str | None, now: datetime
) -> None:
    """Frees the seat of a user being deactivated or deleted. Never refuses."""
    before = SeatCounts.of(pool)
    pool.release()
    audit.record(session, pool, action="seat.released", actor=actor, subject=subject, before=before, now=now)


def reassign_seat(session: Session, pool: SeatPool, *, actor: str, source: str, target: str,
                  now: datetime) -> None:
    """Audits a seat moving between two users; `assigned` is unchanged, so it never needs a
    free seat, but it is an activation: it needs a running term. The caller flips both users
    in the same transaction, under the pool lock."""
    ensure_active_term(session, pool.org_id, target, now)
    audit.record(session, pool, action="seat.reassigned", actor=actor, subject=target,
                 before=SeatCounts.of(pool), now=now, detail=f"from {source}")


def record_refusal(
    session: Session, org_id: str, *, actor: str, subject: str | None, reason: str, now: datetime
) -> None:
    """Audits a refused activation. Runs in its own transaction after the refused one rolled
    back, so the refusal leaves a trace and nothing of the refused request. It takes the pool
    lock like every other audited seat decision (so the org's audit ids commit in order), and
    with it a renewal that fell due, so the counts recorded are the real ones."""
    pool = lock_pool(session, org_id, now)  # a due renewal commits here, with the refusal
    before = SeatCounts.of(pool)
    audit.record(
        session, pool, action="seat.refused", actor=actor, subject=subject, before=before,
        now=now, detail=reason,
    )
    events.after_refusal(session, org_id, now)


def secret_digest(secret: str) -> str:
    """SHA-256 is right for the high-entropy secrets minted here (tokens, client secrets);
    slow hashes are for passwords people choose."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, org_id: str, name: str, now: datetime) -> tuple[ScimToken, str]:
    """Returns the stored token and its secret; the secret is never retrievable again."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ScimToken(org_id=org_id, name=name, secret_sha256=secret_digest(secret), created_at=now)
    session.add(token)
    session.flush()
    return token, secret


def token_by_secret(session: Session, secret: str) -> ScimToken | None:
    """The live (unrevoked) token with this secret, or None."""
    return session.scalar(
        select(ScimToken).where(
            ScimToken.secret_sha256 == secret_digest(secret), ScimToken.revoked_at.is_(None)
        )
    )


LAST_USED_RESOLUTION = timedelta(minutes=1)


def list_tokens(session: Session, org_id: str) -> list[ScimToken]:
    """Revoked tokens included: admins need to see what was cut off, and when."""
    return list(session.scalars(
        select(ScimToken).where(ScimToken.org_id == org_id)
        .order_by(ScimToken.created_at, ScimToken.id)
    ))


def revoke_token(session: Session, org_id: str, token_id: str, now: datetime) -> bool:
    """False when the org has no such token (another org's counts as none). Revoking twice
    keeps the first time, so the record says when access really ended."""
    token = session.scalar(
        select(ScimToken).where(ScimToken.org_id == org_id, ScimToken.id == token_id)
    )
    if token is None:
        return False
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
    return True


def touch_due(token: ScimToken, now: datetime) -> bool:
    """Lets the caller skip the write transaction on most requests."""
    return token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION


def touch_token(session: Session, token_id: str, now: datetime) -> None:
    """Conditional, so concurrent requests with one token write it at most once a minute."""
    session.execute(
        update(ScimToken)
        .where(
            ScimToken.id == token_id,
            or_(ScimToken.last_used_at.is_(None),
                ScimToken.last_used_at < now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
