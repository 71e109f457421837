"""OAuth 2.0 client-credentials clients (RFC 6749 §4.4): an org credential like a SCIM token,
except that the secret is exchanged for short-lived access tokens rather than sent on every
request. As with SCIM tokens, only the SHA-256 of the secret is kept: the secret is 256
random bits, so a fast hash loses nothing and a database dump yields no usable credential."""
from __future__ import annotations

import hmac
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from seats.errors import SeatsError
from seats.models import OAuthClientRow
from seats.seating import secret_digest

CLIENT_ID_PREFIX = "scc_"
SECRET_PREFIX = "sccs_"


class UnknownClient(SeatsError):
    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        super().__init__(f"no OAuth client with id {client_id!r}")


def issue_client(
    session: Session, org_id: str, name: str, now: datetime
) -> tuple[OAuthClientRow, str]:
    """Returns the stored client and its secret; the secret is never retrievable again.
    Both carry a prefix so that secret scanners and operators can tell what leaked."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    client = OAuthClientRow(
        id=CLIENT_ID_PREFIX + secrets.token_hex(16), org_id=org_id, name=name,
        secret_sha256=secret_digest(secret), created_at=now,
    )
    session.add(client)
    session.flush()
    return client, secret


def authenticate(
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


def live_client_org(session: Session, client_id: str) -> str | None:
    """The org of the client unless it is revoked. Asked on every request made with one of
    its access tokens (a primary-key lookup), so that revoking a client cuts off the tokens
    it already holds at once, not when they expire."""
    return session.scalar(
        select(OAuthClientRow.org_id).where(
            OAuthClientRow.id == client_id, OAuthClientRow.revoked_at.is_(None)
        )
    )


def revoke_client(session: Session, client_id: str, now: datetime) -> None:
    """Revoking twice keeps the first time, so the record says when access really ended."""
    client = session.get(OAuthClientRow, client_id)
    if client is None:
        raise UnknownClient(client_id)
    if client.revoked_at is None:
        client.revoked_at = now
        session.flush()
