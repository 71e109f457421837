"""Helpers for the admin API tests beyond the `Admin` client of tests/support.py: hand-made
admin JWTs (to test what the server refuses) and reads that must succeed."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt

from app.signed_tokens import LOCAL_AUDIENCE, LOCAL_ISSUER
from seats.clock import utcnow
from tests.support import Admin


def local_claims(slug: str, role: str = "admin", **overrides: Any) -> dict[str, Any]:
    """The claims `issue_admin_token` would sign, with any of them replaced; a value of
    None drops the claim."""
    now = utcnow()
    claims = {"iss": LOCAL_ISSUER, "aud": LOCAL_AUDIENCE, "sub": "tester@example.com",
              "org": slug, "role": role, "iat": now, "exp": now + timedelta(minutes=5)}
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def signed(claims: dict[str, Any], key: Any, algorithm: str = "HS256", **headers: Any) -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers or None)


def read(admin: Admin, path: str, **params: Any) -> dict[str, Any]:
    """The body of a read that must succeed."""
    response = admin.get(path, **params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def token_ids(admin: Admin) -> set[str]:
    return {token["id"] for token in read(admin, "/scim-tokens")["tokens"]}
