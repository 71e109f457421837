"""Admin API authentication: the bearer token is an admin token (app.signed_tokens) for a
known organisation."""
from __future__ import annotations

import jwt
from flask import g, request

from app.admin.problems import Problem
from app.context import current_db, current_settings
from app.roles import ROLES, AdminIdentity
from app.signed_tokens import verify_admin_token
from seats import orgs
from seats.errors import UnknownOrg


def authenticate_admin() -> None:
    """before_request hook of the admin API: sets g.admin or answers 401."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "UNAUTHENTICATED", "a bearer token is required")
    settings = current_settings()
    try:
        claims = verify_admin_token(token.strip(), settings)
    except jwt.InvalidTokenError as exc:
        raise Problem(401, "UNAUTHENTICATED", f"the token is not valid: {exc}") from exc
    if claims["role"] not in ROLES:
        raise Problem(403, "FORBIDDEN", f"unknown role {claims['role']!r}")
    try:
        with current_db().transaction(write=False) as session:
            org_id = orgs.org_by_slug(session, str(claims["org"])).id
    except UnknownOrg as exc:
        raise Problem(401, "UNAUTHENTICATED", "the token names no known organisation") from exc
    g.admin = AdminIdentity(sub=str(claims["sub"]), org_id=org_id, org_slug=str(claims["org"]),
                            role=claims["role"])
    g.org_id = org_id
    g.actor = g.admin.actor
