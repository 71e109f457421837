"""SSO sign-in over HTTP: `POST /sso/v1/orgs/<slug>/signin` with an OIDC ID token.

The token is verified outside any transaction (a JWKS fetch must never hold the write lock);
then one transaction signs the user in or creates them just in time with a seat. Errors
read as OAuth-style JSON: `{"error": ..., "error_description": ...}`."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

import jwt
from flask import Blueprint, Response, render_template, request

from app import json_input
from app.context import current_db, current_settings
from app.oauth import OAuthError
from app.printed_invoices import long_date
from app.settings import SettingsError
from scim import signin
from scim.errors import ScimError
from scim.text import UnstorableText
from scim.users import WriteContext
from seats import seat_requests, seating, sso_providers
from seats.clock import utcnow
from seats.errors import NoSeatAvailable, SeatsError
from seats.models import SsoConfig

bp = Blueprint("sso", __name__, url_prefix="/sso/v1")

ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
LEEWAY_SECONDS = 60
JWKS_TIMEOUT_SECONDS = 5
JWKS_CACHE_SECONDS = 300
AUDIT_TEXT_MAX = 255


class SsoError(OAuthError):
    """A refused sign-in, answered like an OAuth error (RFC 6749 §5.2) but by this blueprint's
    handler: no `WWW-Authenticate: Basic` challenge, which belongs to the token endpoint."""


class InvalidSsoSettings(SettingsError):
    """An operator's SSO settings that could never verify a token."""


def _json(body: dict[str, Any], status: int = 200) -> Response:
    """`no-store`: a sign-in answer is about one person at one moment."""
    return Response(
        json.dumps(body), status=status, content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


@bp.errorhandler(SsoError)
def _error_response(exc: SsoError) -> Response:
    return _json({"error": exc.error, "error_description": exc.description}, exc.status)


# --- the keys -------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    """One client per URL and process, so the fetched key set is reused for a few minutes.
    Keys are not cached beyond the set's lifespan: a key the IdP withdrew stops working."""
    return jwt.PyJWKClient(url, lifespan=JWKS_CACHE_SECONDS, timeout=JWKS_TIMEOUT_SECONDS)


def _select_key(keys: list[jwt.PyJWK], kid: Any) -> jwt.PyJWK:
    """By `kid`; a token without one is accepted only when the set has a single key."""
    signing = [key for key in keys if key.public_key_use in ("sig", None)]
    if kid is None and len(signing) == 1:
        return signing[0]
    if kid is None:
        raise jwt.InvalidTokenError("the token names no key (kid) and the key set has several")
    for key in signing:
        if key.key_id == kid:
            return key
    raise jwt.InvalidTokenError(f"no signing key with kid {kid!r}")


def _signing_key(config: SsoConfig, kid: Any) -> jwt.PyJWK:
    if config.jwks_url is None:
        return _select_key(jwt.PyJWKSet.from_dict(config.jwks or {}).keys, kid)
    client = _jwks_client(config.jwks_url)
    if kid is None:
        return _select_key(client.get_jwk_set().keys, kid)
    return client.get_signing_key(kid)  # refetches once for an unknown kid (key rotation)


def verify_id_token(token: str, config: SsoConfig) -> dict[str, Any]:
    """The token's claims, or jwt.PyJWTError. The key decides the algorithm (its `alg`, or
    RS256 / ES256 / ES384 from its type), and only asymmetric ones are allowed, so `none`
    and HS256-with-the-public-key (algorithm confusion) never verify."""
    header = jwt.get_unverified_header(token)
    if header.get("alg") not in ALGORITHMS:
        raise jwt.InvalidAlgorithmError(f"the algorithm {header.get('alg')!r} is not allowed")
    key = _signing_key(config, header.get("kid"))
    if key.algorithm_name not in ALGORITHMS:
        raise jwt.InvalidKeyError(f"the key's algorithm {key.algorithm_name} is not allowed")
    return jwt.decode(
        token, key, algorithms=[key.algorithm_name], audience=config.audience,
        issuer=config.issuer, leeway=LEEWAY_SECONDS, options={"require": REQUIRED_CLAIMS},
    )


# --- configuration (used by `scim-seats configure-sso`) -----------------------------------


def _load_jwks_file(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidSsoSettings(f"{path} is not a readable JSON file: {exc}") from exc
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise InvalidSsoSettings(f'{path} is not a JWK set: expected {{"keys": [...]}}')
    if any(isinstance(key, dict) and ("d" in key or key.get("kty") == "oct") for key in keys):
        raise InvalidSsoSettings(
            f"{path} holds private or symmetric key material; give only the IdP's public keys"
        )
    try:
        usable = jwt.PyJWKSet.from_dict(document).keys
    except jwt.PyJWTError as exc:
        raise InvalidSsoSettings(
            f"{path} holds no usable public key (each needs its kty and public parameters)"
        ) from exc
    if not any(key.algorithm_name in ALGORITHMS for key in usable):
        raise InvalidSsoSettings(f"{path} has no key for {', '.join(ALGORITHMS)}")
    return document


def validate_key_source(jwks_file: str | None, jwks_url: str | None) -> dict[str, Any] | None:
    """The JWK set to store (None when keys are fetched from the URL). Checked here, so a
    broken setting fails at the operator's prompt, not at every user's sign-in."""
    if (jwks_file is None) == (jwks_url is None):
        raise InvalidSsoSettings("give exactly one of --jwks-file or --jwks-url")
    if jwks_file is not None:
        return _load_jwks_file(jwks_file)
    if urlparse(jwks_url).scheme not in ("http", "https"):
        raise InvalidSsoSettings(f"the JWKS URL must be http(s): {jwks_url}")
    return None


# --- the sign-in ------------------------------------------------------------------------------


def _id_token() -> str:
    try:
        body = json_input.loads(request.get_data())
    except (json_input.BadJson, UnstorableText):
        body = None
    token = body.get("id_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise SsoError(400, "invalid_request", 'send a JSON body {"id_token": "..."}')
    return token


def _provider(slug: str) -> SsoConfig:
    with current_db().transaction(write=False) as session:
        config = sso_providers.provider_by_slug(session, slug)
    if config is None:
        raise SsoError(404, "not_found", "no SSO sign-in is configured for this organisation")
    return config


def _text_claim(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _identity(claims: dict[str, Any]) -> signin.Identity:
    """An email the IdP marks unverified is not trusted to match or name an account."""
    unverified = claims.get("email_verified") in (False, "false")
    email = None if unverified else _text_claim(claims, "email")
    preferred_username = _text_claim(claims, "preferred_username")
    if email is None and preferred_username is None:
        raise jwt.InvalidTokenError("the token has neither a verified email nor a preferred_username")
    return signin.Identity(
        email=email,
        preferred_username=preferred_username,
        given_name=_text_claim(claims, "given_name"),
        family_name=_text_claim(claims, "family_name"),
    )


def _verified_identity(token: str, config: SsoConfig) -> signin.Identity:
    try:
        return _identity(verify_id_token(token, config))
    except jwt.PyJWKClientConnectionError as exc:
        raise SsoError(503, "temporarily_unavailable", "the IdP's keys cannot be fetched") from exc
    except jwt.PyJWTError as exc:
        raise SsoError(401, "invalid_token", str(exc) or type(exc).__name__) from exc


def _sign_in_once_more_after_conflict(
    identity: signin.Identity, ctx: WriteContext
) -> signin.SignedIn:
    """Two first sign-ins of one new user race: the unique userName index lets one create
    the user; the other rolls back and, in a fresh transaction, signs in as that user."""
    try:
        with current_db().transaction() as session:
            return signin.sign_in(session, identity, ctx)
    except ScimError as exc:
        if exc.scim_type != "uniqueness":
            raise
    with current_db().transaction() as session:
        return signin.sign_in(session, identity, ctx)


def _after_refusal(identity: signin.Identity, ctx: WriteContext,
                   refusal: SeatsError) -> dict[str, Any] | None:
    """In one transaction of its own, after the refused one rolled back: under the `request`
    policy a sign-in refused for want of a seat becomes the person's seat request (its
    answer is returned); otherwise the refusal leaves its trace and None is returned."""
    ttl = timedelta(hours=current_settings().seat_request_ttl_hours)
    with current_db().transaction() as session:
        if isinstance(refusal, NoSeatAvailable):
            asked = signin.request_seat(session, identity, refusal, ctx, ttl)
            if asked is not None:
                return _requested(asked)
        seating.record_refusal(
            session, ctx.org_id, actor=ctx.actor,
            subject=f"userName:{identity.user_name}"[:AUDIT_TEXT_MAX],
            reason=signin.refusal_description(refusal), now=utcnow(),
            subject_name=identity.user_name,
        )
        return None


def _requested(asked: seat_requests.Asked) -> dict[str, Any]:
    return {
        "status": "seat_requested", "seat": "requested", "request_id": asked.request.id,
        "userName": asked.request.user_name, "seat_type": asked.request.seat_type_key,
        "requested_at": asked.request.requested_at.isoformat(),
        "expires_at": asked.request.expires_at.isoformat(),
        "message": "All seats are in use; your administrator has been asked for a seat "
                   "for you. Sign in again once they approve.",
    }


def _admit(identity: signin.Identity,
           ctx: WriteContext) -> signin.SignedIn | dict[str, Any]:
    """Signed in, or (under the `request` policy, with no free seat) the seat request."""
    try:
        return _sign_in_once_more_after_conflict(identity, ctx)
    except SeatsError as exc:
        requested = _after_refusal(identity, ctx, exc)
        if requested is not None:
            return requested
        raise SsoError(403, "access_denied", signin.refusal_description(exc)) from exc
    except signin.SignInRefused as exc:
        raise SsoError(403, "access_denied", str(exc)) from exc


def _signed_in(result: signin.SignedIn) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "signed_in", "user_id": result.user_id, "userName": result.user_name,
        "seat": "held",
    }
    if result.created:
        body["created"] = True
    return body


@bp.post("/orgs/<slug>/signin")
def sign_in(slug: str) -> Response:
    token = _id_token()
    config = _provider(slug)
    identity = _verified_identity(token, config)
    ctx = WriteContext(
        org_id=config.org_id, actor=f"sso:{config.issuer}"[:AUDIT_TEXT_MAX], now=utcnow()
    )
    outcome = _admit(identity, ctx)
    if isinstance(outcome, signin.SignedIn):
        return _json(_signed_in(outcome))
    return _seat_requested(outcome)


def _seat_requested(body: dict[str, Any]) -> Response:
    """202 (RFC 9110 §15.3.3: accepted, not yet acted on): nobody is signed in, and the
    request waits for an admin. A browser gets the page that says so; other callers JSON."""
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) != "text/html":
        return _json(body, 202)
    page = render_template(
        "seat_requested.html", user_name=body["userName"], seat_type=body["seat_type"],
        requested_on=_written_out(body["requested_at"]),
        expires_on=_written_out(body["expires_at"]))
    return Response(page, status=202, content_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


def _written_out(instant: str) -> str:
    """The invoices' unambiguous date, with the time: a request lapses to the minute."""
    moment = datetime.fromisoformat(instant)
    return f"{long_date(moment.date())}, {moment:%H:%M} UTC"
