"""One-time console sign-in links, printed by `scim-seats console-link` and `scim-seats demo`.

A link carries a short-lived JWT signed with SCIM_SECRET_KEY. Its audience is not the admin
API's, so a link never works as an API token, nor an API token as a link. Single use needs
state; rather than a table of its own (and a migration), a redeemed link's `jti` is claimed
as an idempotency key of its org: "act at most once per key" is exactly what that table
guarantees, on both databases and with any number of processes."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import jwt
from sqlalchemy.orm import Session

from app.roles import ROLES
from app.settings import Settings
from app.signed_tokens import LOCAL_ISSUER
from seats import idempotency
from seats.errors import IdempotencyConflict
from seats.models import IdempotencyKey

LINK_PATH = "/console/login/link"
LINK_AUDIENCE = "scim-seats-console-link"
DEFAULT_TTL = timedelta(minutes=15)
_USED_PREFIX = "console-link:"
_REQUIRED = ["exp", "sub", "org", "role", "iss", "aud", "jti"]
USED = "this sign-in link has already been used; ask for a new one"


class LinkRefused(Exception):
    """The link is forged, expired, for an unknown role or already used."""


def issue_link(settings: Settings, *, slug: str, role: str, sub: str, ttl: timedelta,
               now: datetime) -> str:
    """The URL to open. The token rides in the query string, which the access log omits."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    claims = {"iss": LOCAL_ISSUER, "aud": LINK_AUDIENCE, "sub": sub, "org": slug, "role": role,
              "iat": now, "exp": now + ttl, "jti": secrets.token_urlsafe(16)}
    token = jwt.encode(claims, settings.secret_key, algorithm="HS256")
    return f"{settings.base_url}{LINK_PATH}?{urlencode({'token': token})}"


def read_link(token: str, settings: Settings) -> dict[str, Any]:
    """The link's claims if it is genuine and unexpired; whether it was used is for `redeem`."""
    try:
        claims = jwt.decode(token, settings.secret_key, algorithms=["HS256"],
                            audience=LINK_AUDIENCE, issuer=LOCAL_ISSUER,
                            options={"require": _REQUIRED})
    except jwt.InvalidTokenError as exc:
        raise LinkRefused(f"this sign-in link is not valid ({exc}); ask for a new one") from exc
    if claims["role"] not in ROLES:
        raise LinkRefused(f"this sign-in link names an unknown role {claims['role']!r}")
    return claims


def _used_key(claims: dict[str, Any]) -> str:
    return _USED_PREFIX + str(claims["jti"])


def check_unused(session: Session, org_id: str, claims: dict[str, Any]) -> None:
    """Lets the confirmation page say at once that a link was used; `redeem` decides."""
    if session.get(IdempotencyKey, (org_id, _used_key(claims))) is not None:
        raise LinkRefused(USED)


def redeem(session: Session, org_id: str, claims: dict[str, Any], now: datetime) -> None:
    """Marks the link used in the caller's transaction; a second redemption is refused."""
    key = _used_key(claims)
    fingerprint = idempotency.fingerprint("REDEEM", LINK_PATH, claims["jti"])
    try:
        if idempotency.claim(session, org_id, key, fingerprint, now) is not None:
            raise LinkRefused(USED)
    except IdempotencyConflict as exc:
        raise LinkRefused(USED) from exc
    idempotency.finish(session, org_id, key,
                       idempotency.StoredResponse(200, {"signed_in": claims["sub"]}), now)
