"""SSO sign-in: the identity of an ID token the caller has already verified is matched to a
SCIM user, or a user is created just in time (JIT) with a seat. A user deactivated through
SCIM stays deactivated: that is the IdP administrator's decision, never the sign-in's."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scim import users
from scim.schemas import USER_SCHEMA
from scim.tables import UserRow, UserValueRow
from seats import pool_full, seat_requests, seating
from seats.errors import NoActiveSubscription, NoSeatAvailable, SeatsError


@dataclass(frozen=True)
class Identity:
    """Who the ID token says signs in. At least one of `email` and `preferred_username` is
    set; `email` only when the IdP did not mark it unverified."""

    email: str | None
    preferred_username: str | None
    given_name: str | None = None
    family_name: str | None = None

    @property
    def user_name(self) -> str:
        """The userName a JIT user gets: the email when known, as SCIM clients usually send."""
        name = self.email or self.preferred_username
        if name is None:
            raise ValueError("an identity needs an email or a preferred_username")
        return name


@dataclass(frozen=True)
class SignedIn:
    user_id: str
    user_name: str
    created: bool


class SignInRefused(Exception):
    """The identity matches an account that may not sign in. Not a seat decision, so it
    leaves no seat audit entry."""


def _by_user_name(session: Session, org_id: str, name: str) -> UserRow | None:
    return session.scalar(
        select(UserRow).where(UserRow.org_id == org_id, UserRow.user_name_norm == name.lower())
    )


def _by_email_value(session: Session, org_id: str, email: str) -> UserRow | None:
    """Emails are not unique across users: several matches are refused rather than guessed."""
    holders = select(UserValueRow.user_id).where(
        UserValueRow.org_id == org_id,
        UserValueRow.attribute == "emails",
        UserValueRow.value_norm == email.lower(),
    )
    rows = session.scalars(
        select(UserRow).where(UserRow.org_id == org_id, UserRow.id.in_(holders)).limit(2)
    ).all()
    if len(rows) > 1:
        raise SignInRefused(
            "several accounts of this organisation use this email address. Ask the "
            "organisation's administrator to make it unique."
        )
    return rows[0] if rows else None


def find_user(session: Session, org_id: str, identity: Identity) -> UserRow | None:
    """userName (unique per org) is tried first, then the email values; case-insensitive."""
    for name in (identity.preferred_username, identity.email):
        if name is not None and (row := _by_user_name(session, org_id, name)) is not None:
            return row
    if identity.email is None:
        return None
    return _by_email_value(session, org_id, identity.email)


def _jit_document(identity: Identity) -> dict[str, Any]:
    document: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "userName": identity.user_name,
        "active": True,
    }
    if identity.email is not None:
        document["emails"] = [{"value": identity.email, "primary": True}]
    name = {
        key: value
        for key, value in (("givenName", identity.given_name), ("familyName", identity.family_name))
        if value
    }
    if name:
        document["name"] = name
    return document


def sign_in(session: Session, identity: Identity, ctx: users.WriteContext) -> SignedIn:
    """Existing users sign in without the pool lock, so they never queue behind seat
    decisions; only a JIT creation takes it (in `create_user`), and a refused seat raises
    the seat error so that the caller's transaction rolls the attempt back."""
    row = find_user(session, ctx.org_id, identity)
    if row is None:
        row = users.create_user(session, _jit_document(identity), ctx)
        row.last_sign_in_at = ctx.now
        return SignedIn(user_id=row.id, user_name=row.user_name, created=True)
    if not row.active:
        raise SignInRefused(
            "this account is deactivated. Ask the organisation's administrator to "
            "re-activate it."
        )
    row.last_sign_in_at = ctx.now  # the idle-seat report's evidence of use
    return SignedIn(user_id=row.id, user_name=row.user_name, created=False)


def refusal_description(exc: SeatsError) -> str:
    """How a seat refusal reads to the person signing in: what happened and who can fix it."""
    if isinstance(exc, NoSeatAvailable):
        return (
            f"All {exc.total} seats of this organisation are in use. "
            "Ask the organisation's owner to add seats."
        )
    if isinstance(exc, NoActiveSubscription):
        return (
            f"This organisation's subscription ended on {exc.term_end}. "
            "Ask the organisation's owner to renew it."
        )
    return str(exc)


def request_seat(session: Session, identity: Identity, refusal: NoSeatAvailable,
                 ctx: users.WriteContext, ttl: timedelta) -> seat_requests.Asked | None:
    """Under the `request` policy, a sign-in refused for want of a seat becomes (or finds)
    the person's seat request; None under any other policy, and the refusal stands. Runs in
    a transaction of its own after the refused one rolled back, like a refusal's audit. The
    policy is read before the seat lock: under any other policy the caller's refusal trace
    takes the lock once, and a policy changed meanwhile only opens a request the admin can
    still deny."""
    if pool_full.policy_of(session, ctx.org_id).policy != pool_full.REQUEST:
        return None
    pool = seating.lock_and_renew(session, ctx.org_id, ctx.now)
    return seat_requests.ask(session, pool, user_name=identity.user_name,
                             identity=asdict(identity), seat_type_key=refusal.seat_type,
                             actor=ctx.actor, ttl=ttl, now=ctx.now)


def approve_request(session: Session, request_id: str, ctx: users.WriteContext) -> SignedIn:
    """The approval seats the person now, through the one seat claim (a refusal if no seat is
    free, unless the policy buys one), so the next sign-in simply finds an active user. A
    person the IdP provisioned meanwhile is left as the IdP made them."""
    pool = seating.lock_and_renew(session, ctx.org_id, ctx.now)
    request = seat_requests.open_request(session, pool, request_id, ctx.now)
    identity = Identity(**request.identity)
    row = find_user(session, ctx.org_id, identity)
    created = row is None
    if row is None:
        row = users.create_user(session, _jit_document(identity), ctx)
    seat_requests.close(session, pool, request, seat_requests.APPROVED, actor=ctx.actor,
                        now=ctx.now, user_id=row.id)
    return SignedIn(user_id=row.id, user_name=row.user_name, created=created)


def deny_request(session: Session, request_id: str, ctx: users.WriteContext) -> None:
    pool = seating.lock_and_renew(session, ctx.org_id, ctx.now)
    request = seat_requests.open_request(session, pool, request_id, ctx.now)
    seat_requests.close(session, pool, request, seat_requests.DENIED, actor=ctx.actor,
                        now=ctx.now)
