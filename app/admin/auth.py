"""Admin API authentication: a JWT signed by this server (HS256 with SCIM_SECRET_KEY) or,
when configured, by an external issuer (RS256/ES256 with a public key or JWKS file). The
algorithms are pinned per key, so `none` and algorithm confusion are refused."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any, TypeVar

import jwt
from flask import g, request

from app.admin.problems import Problem
from app.context import current_db, current_settings
from app.settings import Settings
from seats import service
from seats.errors import UnknownOrg

LOCAL_ISSUER = "scim-seats"
LOCAL_AUDIENCE = "scim-seats-admin"
ROLES = ("primary_owner", "admin", "viewer")
EXTERNAL_ALGORITHMS = ["RS256", "ES256"]
REQUIRED_CLAIMS = ["exp", "sub", "org", "role", "iss", "aud"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class AdminIdentity:
    sub: str
    org_id: str
    org_slug: str
    role: str

    @property
    def actor(self) -> str:
        return f"admin:{self.sub}"


def issue_admin_token(settings: Settings, *, slug: str, role: str, sub: str, ttl_seconds: int,
                      now: datetime) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    claims = {
        "iss": LOCAL_ISSUER,
        "aud": LOCAL_AUDIENCE,
        "sub": sub,
        "org": slug,
        "role": role,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_seconds),
    }
    return jwt.encode(claims, settings.secret_key, algorithm="HS256")


@lru_cache(maxsize=8)
def _external_key(key_file: str | None, jwks_file: str | None) -> Any:
    if key_file:
        return Path(key_file).read_text()
    assert jwks_file is not None
    return jwt.PyJWKSet.from_dict(json.loads(Path(jwks_file).read_text()))


def _verify_external(token: str, settings: Settings) -> dict[str, Any]:
    header = jwt.get_unverified_header(token)
    keys = _external_key(settings.admin_jwt_key_file, settings.admin_jwt_jwks_file)
    key = keys
    if isinstance(keys, jwt.PyJWKSet):
        matching = [k for k in keys.keys if k.key_id == header.get("kid")] or keys.keys
        key = matching[0].key
    return jwt.decode(
        token, key, algorithms=EXTERNAL_ALGORITHMS, audience=settings.admin_jwt_audience,
        issuer=settings.admin_jwt_issuer, options={"require": REQUIRED_CLAIMS},
    )


def _external_configured(settings: Settings) -> bool:
    return bool(
        settings.admin_jwt_issuer and (settings.admin_jwt_key_file or settings.admin_jwt_jwks_file)
    )


def verify_admin_token(token: str, settings: Settings) -> dict[str, Any]:
    """The token's claims, or jwt.InvalidTokenError."""
    if jwt.get_unverified_header(token).get("alg") == "HS256":
        return jwt.decode(
            token, settings.secret_key, algorithms=["HS256"], audience=LOCAL_AUDIENCE,
            issuer=LOCAL_ISSUER, options={"require": REQUIRED_CLAIMS},
        )
    if not _external_configured(settings):
        raise jwt.InvalidTokenError("no external issuer is configured")
    return _verify_external(token, settings)


def authenticate_admin() -> None:
    """before_request hook of the admin API: sets g.admin or answers 401."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "UNAUTHENTICATED", "a bearer token is required")
    settings: Settings = current_settings()
    try:
        claims = verify_admin_token(token.strip(), settings)
    except jwt.InvalidTokenError as exc:
        raise Problem(401, "UNAUTHENTICATED", f"the token is not valid: {exc}") from exc
    if claims["role"] not in ROLES:
        raise Problem(403, "FORBIDDEN", f"unknown role {claims['role']!r}")
    try:
        with current_db().transaction(write=False) as session:
            org_id = service.org_by_slug(session, str(claims["org"])).id
    except UnknownOrg as exc:
        raise Problem(401, "UNAUTHENTICATED", "the token names no known organisation") from exc
    g.admin = AdminIdentity(sub=str(claims["sub"]), org_id=org_id, org_slug=str(claims["org"]),
                            role=claims["role"])
    g.org_id = org_id
    g.actor = g.admin.actor


def require_role(*roles: str) -> Callable[[F], F]:
    """Server-side role check; hiding a button in a page is never the only guard."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if g.admin.role not in roles:
                raise Problem(
                    403, "FORBIDDEN",
                    f"this action needs the role {' or '.join(roles)}; you are {g.admin.role}",
                )
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
