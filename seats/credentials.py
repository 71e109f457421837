"""An org's machine credentials: SCIM bearer tokens, sent on every request, and OAuth 2.0
client-credentials clients (RFC 6749 §4.4), whose secret is exchanged for short-lived access
tokens instead. Only the SHA-256 of a secret is kept: every secret is 256 random bits, so a
fast hash loses nothing and a database dump yields no usable credential. Each kind carries a
prefix so that secret scanners and operators can tell what leaked."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from seats import audit
from seats.errors import SeatsError
from seats.models import OAuthClientRow, ScimToken

TOKEN_PREFIX = "scs_"
CLIENT_ID_PREFIX = "scc_"
CLIENT_SECRET_PREFIX = "sccs_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


class UnknownClient(SeatsError):
    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        super().__init__(f"no OAuth client with id {client_id!r}")


def secret_digest(secret: str) -> str:
    """SHA-256 is right for the high-entropy secrets minted here (tokens, client secrets);
    slow hashes are for passwords people choose."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _audit(session: Session, org_id: str, action: str, actor: str | None, kind: str,
           credential: ScimToken | OAuthClientRow, now: datetime) -> None:
    """Who issued or revoked which credential, named as admins named it. Every front end
    passes its actor; only fixtures that set up a credential pass none."""
    if actor is not None:
        audit.record_change(session, org_id, action=action, actor=actor,
                            subject=f"{kind}:{credential.id}", subject_name=credential.name, now=now)


# --- SCIM bearer tokens -------------------------------------------------------------------


def issue_token(session: Session, org_id: str, name: str, now: datetime,
                actor: str | None = None) -> tuple[ScimToken, str]:
    """Returns the stored token and its secret; the secret is never retrievable again."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ScimToken(org_id=org_id, name=name, secret_sha256=secret_digest(secret), created_at=now)
    session.add(token)
    session.flush()
    _audit(session, org_id, "scim-token.issued", actor, "scim-token", token, now)
    return token, secret


@dataclass(frozen=True)
class LiveToken:
    """What authenticating a request needs of a token: read as four columns rather than
    as an entity, since every SCIM request reads it. The name is for the audit entries of
    the request's writes (seats.audit.name_actor)."""

    id: str
    org_id: str
    last_used_at: datetime | None
    name: str


_LIVE_TOKEN = select(
    ScimToken.id, ScimToken.org_id, ScimToken.last_used_at, ScimToken.name
).where(
    ScimToken.secret_sha256 == bindparam("digest"), ScimToken.revoked_at.is_(None)
)
"""Built once: constructing the statement cost more than the indexed lookup it runs."""


def token_by_secret(session: Session, secret: str) -> LiveToken | None:
    """The live (unrevoked) token with this secret, or None. Run on the session's connection,
    as Core: three columns need none of the ORM's result handling, and every SCIM request
    runs it first, before the session holds anything a flush would have to write."""
    row = session.connection().execute(_LIVE_TOKEN, {"digest": secret_digest(secret)}).first()
    return None if row is None else LiveToken(row.id, row.org_id, row.last_used_at, row.name)


def list_tokens(session: Session, org_id: str) -> list[ScimToken]:
    """Revoked tokens included: admins need to see what was cut off, and when."""
    return list(session.scalars(
        select(ScimToken).where(ScimToken.org_id == org_id)
        .order_by(ScimToken.created_at, ScimToken.id)
    ))


def revoke_token(session: Session, org_id: str, token_id: str, now: datetime,
                 actor: str | None = None) -> bool:
    """False when the org has no such token (another org's counts as none). Revoking twice
    keeps the first time, so the record says when access really ended."""
    token = session.scalar(
        select(ScimToken).where(ScimToken.org_id == org_id, ScimToken.id == token_id)
    )
    if token is None:
        return False
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
        _audit(session, org_id, "scim-token.revoked", actor, "scim-token", token, now)
    return True


def touch_due(token: LiveToken, now: datetime) -> bool:
    """Lets the caller skip the write transaction on most requests."""
    return token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION


def touch_token(session: Session, token_id: str, now: datetime) -> None:
    """Conditional, so concurrent requests with one token write it at most once a minute."""
    session.execute(
        update(ScimToken)
        .where(
            ScimToken.id == token_id,
            or_(ScimToken.last_used_at.is_(None),
                ScimToken.last_used_at < now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


# --- OAuth clients ------------------------------------------------------------------------


def issue_client(
    session: Session, org_id: str, name: str, now: datetime, actor: str | None = None
) -> tuple[OAuthClientRow, str]:
    """Returns the stored client and its secret; the secret is never retrievable again."""
    secret = CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)
    client = OAuthClientRow(
        id=CLIENT_ID_PREFIX + secrets.token_hex(16), org_id=org_id, name=name,
        secret_sha256=secret_digest(secret), created_at=now,
    )
    session.add(client)
    session.flush()
    _audit(session, org_id, "oauth-client.issued", actor, "oauth-client", client, now)
    return client, secret


def authenticate_client(
    session: Session, client_id: str, secret: str, now: datetime
) -> OAuthClientRow | None:
    """The live client these credentials prove, or None. Unknown, revoked and wrong secret
    all read as None, so a caller cannot tell an attacker which one it was. `last_used_at`
    records the last time the secret itself was used, i.e. the last token issued."""
    client = session.get(OAuthClientRow, client_id)
    if client is None or client.revoked_at is not None:
        return None
    if not hmac.compare_digest(client.secret_sha256, secret_digest(secret)):
        return None
    client.last_used_at = now
    session.flush()
    return client


@dataclass(frozen=True)
class LiveClient:
    """What a request made with an access token needs of its client: its org, and its name
    for the audit entries of the request's writes (seats.audit.name_actor)."""

    org_id: str
    name: str


_LIVE_CLIENT = select(OAuthClientRow.org_id, OAuthClientRow.name).where(
    OAuthClientRow.id == bindparam("client_id"), OAuthClientRow.revoked_at.is_(None)
)
"""Built once, like _LIVE_TOKEN: every request made with an access token runs it."""


def live_client(session: Session, client_id: str) -> LiveClient | None:
    """The client unless it is revoked. Asked on every request made with one of its access
    tokens (a primary-key lookup, as Core like `token_by_secret`), so that revoking a client
    cuts off the tokens it already holds at once, not when they expire."""
    row = session.connection().execute(_LIVE_CLIENT, {"client_id": client_id}).first()
    return None if row is None else LiveClient(row.org_id, row.name)


def revoke_client(session: Session, client_id: str, now: datetime,
                  actor: str | None = None) -> None:
    """Revoking twice keeps the first time, so the record says when access really ended."""
    client = session.get(OAuthClientRow, client_id)
    if client is None:
        raise UnknownClient(client_id)
    if client.revoked_at is None:
        client.revoked_at = now
        session.flush()
        _audit(session, client.org_id, "oauth-client.revoked", actor, "oauth-client", client, now)
