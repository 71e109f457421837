"""Bearer-token authentication of SCIM clients: the token names the org, and every query
afterwards is scoped to it. The token is read in the transaction the request's handler then
uses, on every request: nothing is cached, so a revoked SCIM token or OAuth client is refused
by the next request on every worker and every instance."""
from __future__ import annotations

from collections.abc import Collection

from flask import g, request
from sqlalchemy.orm import Session

from app import oauth
from app.context import current_db
from app.scim_api.request import close_request_transaction, open_read_transaction
from scim.errors import ScimError
from seats import credentials
from seats.clock import utcnow

_TOUCH = "scim_token_to_touch"


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate_scim_client(reads: Collection[str]) -> None:
    """before_request hook: sets g.org_id and g.actor, or answers 401. For the endpoints in
    `reads` the token is read in the read transaction their handler then uses, opened here;
    every other endpoint reads it in a short transaction of its own, since a write begins
    only once its body is in (request_transaction) and Bulk has one per operation."""
    token = _bearer_token()
    if token is None:
        raise ScimError(401, "a bearer token is required (Authorization: Bearer <token>)")
    if request.endpoint in reads:
        _identify(open_read_transaction(), token)
        return
    with current_db().transaction(write=False) as session:
        _identify(session, token)


def _identify(session: Session, token: str) -> None:
    """Sets g.org_id, g.actor and g.actor_name (the credential's name, for the audit entries
    of the request's writes: app.scim_api.request.request_transaction)."""
    if oauth.looks_like_jwt(token):
        holder = oauth.access_token_holder(session, token)
        if holder is None:
            raise ScimError(401, "the bearer token is not valid")
        g.org_id = holder.org_id
        g.actor = f"oauth-client:{holder.client_id}"
        g.actor_name = holder.name
        return
    stored = credentials.token_by_secret(session, token)
    if stored is None:
        raise ScimError(401, "the bearer token is not valid")
    g.org_id = stored.org_id
    g.actor = f"scim-token:{stored.id}"
    g.actor_name = stored.name
    setattr(g, _TOUCH, stored)


def finish_request(exc: BaseException | None) -> None:
    """teardown_request: the request's transaction is closed first (rolled back if its
    handler never took it), then the token's last use is recorded, so that the write never
    waits for the request's own lock on SQLite."""
    close_request_transaction(exc)
    stored = g.pop(_TOUCH, None)
    if stored is not None:
        _record_use(stored)


def _record_use(token: credentials.LiveToken) -> None:
    """Admins see when a token was last used, to the minute. Checked before writing, and
    written in its own short transaction, so that SCIM reads do not all become writes."""
    now = utcnow()
    if credentials.touch_due(token, now):
        with current_db().transaction() as session:
            credentials.touch_token(session, token.id, now)
