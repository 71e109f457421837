"""OAuth 2.0 client credentials grant (RFC 6749 §4.4) at `POST /oauth/token`, for IdPs such
as Microsoft Entra ID that exchange a client id and secret for short-lived tokens instead of
holding a static one. The access token is a JWT signed by this server (HS256 with
SCIM_SECRET_KEY) that /scim/v2 accepts beside the static `scs_` tokens. Errors read as
RFC 6749 §5.2 JSON: `{"error": ..., "error_description": ...}`."""
from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

import jwt
from flask import Blueprint, Response, request
from sqlalchemy.orm import Session

from app.context import current_db, current_settings
from app.settings import Settings
from scim.text import UnstorableText, check_text
from seats.clock import utcnow
from seats.credentials import authenticate_client, live_client

bp = Blueprint("oauth", __name__, url_prefix="/oauth")

ISSUER = "scim-seats"
AUDIENCE = "scim-seats-scim"
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "org", "iat", "exp", "jti"]
LEEWAY_SECONDS = 30
GRANT_TYPE = "client_credentials"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def _invalid_request(description: str) -> OAuthError:
    return OAuthError(400, "invalid_request", description)


def _invalid_client(description: str) -> OAuthError:
    return OAuthError(401, "invalid_client", description)


@dataclass(frozen=True)
class Credentials:
    client_id: str
    secret: str


@dataclass(frozen=True)
class AccessTokenHolder:
    client_id: str
    org_id: str
    name: str


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
          ) -> Response:
    """`no-store` on answers and errors alike (RFC 6749 §5.1): they carry credentials."""
    return Response(json.dumps(body), status=status, content_type="application/json",
                    headers={**NO_STORE, **(headers or {})})


@bp.errorhandler(OAuthError)
def _error_response(exc: OAuthError) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="scim-seats"'} if exc.status == 401 else None
    return _json({"error": exc.error, "error_description": exc.description}, exc.status, headers)


# --- the request ----------------------------------------------------------------------------


def _form() -> dict[str, str]:
    """The body's parameters, each at most once, an empty one counting as absent (RFC 6749
    §3.2). The query string is never read: credentials do not belong in URLs and logs."""
    if request.mimetype != FORM_MEDIA_TYPE:
        raise _invalid_request(f"send the body as {FORM_MEDIA_TYPE}")
    params: dict[str, str] = {}
    for key, values in request.form.lists():
        if len(values) > 1:
            raise _invalid_request(f"the parameter {key} is repeated")
        if values[0]:
            params[key] = values[0]
    return params


def _check_grant_type(form: dict[str, str]) -> None:
    grant_type = form.get("grant_type")
    if grant_type is None:
        raise _invalid_request("grant_type is required")
    if grant_type != GRANT_TYPE:
        raise OAuthError(400, "unsupported_grant_type", f"only {GRANT_TYPE} is supported")


def _basic_credentials() -> Credentials | None:
    """RFC 6749 §2.3.1: the id and secret are form-urlencoded before the Basic encoding, so
    they are decoded after it."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise _invalid_client("authenticate with HTTP Basic or client_id and client_secret")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except ValueError as exc:
        raise _invalid_request("the Basic credentials are not base64 of id:secret") from exc
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise _invalid_request("the Basic credentials are not base64 of id:secret")
    return Credentials(unquote_plus(client_id), unquote_plus(secret))


def _client_credentials(form: dict[str, str]) -> Credentials:
    """One authentication method per request (RFC 6749 §2.3): two could disagree."""
    basic = _basic_credentials()
    posted = "client_id" in form or "client_secret" in form
    if basic is not None and posted:
        raise _invalid_request("authenticate with HTTP Basic or client_id and client_secret, "
                               "not both")
    if basic is not None:
        return basic
    if "client_id" in form and "client_secret" in form:
        return Credentials(form["client_id"], form["client_secret"])
    raise _invalid_client("client authentication is required")


def _storable(credentials: Credentials) -> Credentials:
    """Checked as every client text is (scim.text) before they are looked up: a `%00`,
    form-encoded or inside Basic credentials, is a NUL that PostgreSQL refuses to compare."""
    try:
        check_text(credentials.client_id)
        check_text(credentials.secret)
    except UnstorableText as exc:
        raise _invalid_request(f"the client credentials: {exc}") from exc
    return credentials


# --- the access token -----------------------------------------------------------------------


def issue_access_token(settings: Settings, *, client_id: str, org_id: str, now: datetime
                       ) -> str:
    """`jti` makes each token distinct in logs and audits; nothing needs to look it up."""
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": client_id,
        "org": org_id,
        "iat": now,
        "exp": now + timedelta(seconds=settings.oauth_token_ttl_seconds),
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


def looks_like_jwt(token: str) -> bool:
    """Static `scs_` tokens are URL-safe base64 and never contain a dot; a JWS has two."""
    return token.count(".") == 2


def access_token_holder(session: Session, token: str) -> AccessTokenHolder | None:
    """Who holds this access token, or None when it is forged, expired, meant for another
    audience (an admin token) or its client was revoked since it was issued. The algorithm
    is pinned, so `none` and key-confusion tokens fail; the leeway absorbs clock skew
    between app servers. The client row is read on every request, in the request's
    transaction, so that revocation cuts off tokens already issued, not only new ones."""
    settings: Settings = current_settings()
    try:
        claims = jwt.decode(
            token, settings.secret_key, algorithms=[ALGORITHM], audience=AUDIENCE,
            issuer=ISSUER, leeway=LEEWAY_SECONDS, options={"require": REQUIRED_CLAIMS},
        )
    except jwt.InvalidTokenError:
        return None
    client_id, org_id = str(claims["sub"]), str(claims["org"])
    client = live_client(session, client_id)
    if client is None or client.org_id != org_id:
        return None
    return AccessTokenHolder(client_id=client_id, org_id=org_id, name=client.name)


# --- the endpoint ---------------------------------------------------------------------------


@bp.post("/token")
def token() -> Response:
    """The request is checked in full before the database is touched, and the token is
    signed only after the transaction that marked the client used has committed."""
    form = _form()
    _check_grant_type(form)
    credentials = _storable(_client_credentials(form))
    now = utcnow()
    with current_db().transaction() as session:
        client = authenticate_client(session, credentials.client_id, credentials.secret, now)
    if client is None:
        raise _invalid_client("the client credentials are not valid")
    settings: Settings = current_settings()
    access_token = issue_access_token(settings, client_id=client.id, org_id=client.org_id,
                                      now=now)
    return _json({"access_token": access_token, "token_type": "Bearer",
                  "expires_in": settings.oauth_token_ttl_seconds})
