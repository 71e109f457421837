"""Who is signed in to the console. Flask's session cookie (signed with SCIM_SECRET_KEY,
HttpOnly, SameSite=Lax) holds the admin's sub, org slug, role and an expiry; every request
checks the expiry and that the org still exists, exactly as the admin API does per token."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import session

from app.db import Database
from app.roles import ROLES, AdminIdentity
from seats import orgs
from seats.errors import UnknownOrg

SESSION_KEY = "console_admin"
MAX_SESSION = timedelta(hours=8)
"""A console session never outlives the credential that opened it, nor this."""


def sign_in(claims: Mapping[str, Any], now: datetime, *, bounded_by_exp: bool) -> None:
    """`claims` are verified token claims (sub, org, role, exp). An admin token's session
    ends with the token (`bounded_by_exp`); a one-time link only opens a session, so its
    own short expiry does not bound it. The session is cleared first, so nothing from
    before sign-in (a planted CSRF token, say) carries over."""
    expires = int((now + MAX_SESSION).timestamp())
    if bounded_by_exp:
        expires = min(expires, int(claims["exp"]))
    session.clear()
    session[SESSION_KEY] = {"sub": str(claims["sub"]), "org": str(claims["org"]),
                            "role": str(claims["role"]), "exp": expires}


def sign_out() -> None:
    session.clear()


def forget() -> None:
    """Drops a stale identity but keeps the rest (the CSRF token of a sign-in form open in
    another tab, say)."""
    session.pop(SESSION_KEY, None)


def current(database: Database, now: datetime) -> AdminIdentity | None:
    """The signed-in admin, or None when nobody is, the session expired or the org is gone."""
    stored = session.get(SESSION_KEY)
    if not isinstance(stored, dict) or stored.get("role") not in ROLES:
        return None
    if int(stored.get("exp", 0)) <= now.timestamp():
        return None
    try:
        with database.transaction(write=False) as db_session:
            org_id = orgs.org_by_slug(db_session, stored["org"]).id
    except UnknownOrg:
        return None
    return AdminIdentity(sub=stored["sub"], org_id=org_id, org_slug=stored["org"],
                         role=stored["role"])
