"""Bearer-token authentication of SCIM clients: the token names the org, and every query
afterwards is scoped to it."""
from __future__ import annotations

from flask import g, request

from app import oauth
from app.context import current_db
from scim.errors import ScimError
from seats import credentials
from seats.clock import utcnow


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate_scim_client() -> None:
    """before_request hook: sets g.org_id and g.actor, or answers 401."""
    token = _bearer_token()
    if token is None:
        raise ScimError(401, "a bearer token is required (Authorization: Bearer <token>)")
    if oauth.looks_like_jwt(token):
        holder = oauth.access_token_holder(token)
        if holder is None:
            raise ScimError(401, "the bearer token is not valid")
        g.org_id = holder.org_id
        g.actor = f"oauth-client:{holder.client_id}"
        return
    with current_db().transaction(write=False) as session:
        stored = credentials.token_by_secret(session, token)
    if stored is None:
        raise ScimError(401, "the bearer token is not valid")
    g.org_id = stored.org_id
    g.actor = f"scim-token:{stored.id}"
    _record_use(stored)


def _record_use(token: credentials.LiveToken) -> None:
    """Admins see when a token was last used, to the minute. Checked before writing, and
    written in its own short transaction, so that SCIM reads do not all become writes."""
    now = utcnow()
    if credentials.touch_due(token, now):
        with current_db().transaction() as session:
            credentials.touch_token(session, token.id, now)
