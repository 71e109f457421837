"""Admin tokens: a JWT signed by this server (HS256 with SCIM_SECRET_KEY) or, when
configured, by an external issuer (RS256/ES256 with a public key or JWKS file). The
algorithms are pinned per key, so `none` and algorithm confusion are refused. The admin API
takes them as bearer tokens, the console as a way to sign in."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt

from app.roles import ROLES
from app.settings import Settings

LOCAL_ISSUER = "scim-seats"
LOCAL_AUDIENCE = "scim-seats-admin"
EXTERNAL_ALGORITHMS = ["RS256", "ES256"]
REQUIRED_CLAIMS = ["exp", "sub", "org", "role", "iss", "aud"]


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
