"""Bearer-token authentication of SCIM clients: the token names the org, and every query
afterwards is scoped to it."""
from __future__ import annotations

from flask import current_app, g, request

from scim.errors import ScimError
from seats import service


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
    with current_app.extensions["db"].transaction(write=False) as session:
        stored = service.token_by_secret(session, token)
    if stored is None:
        raise ScimError(401, "the bearer token is not valid")
    g.org_id = stored.org_id
    g.actor = f"scim-token:{stored.id}"
