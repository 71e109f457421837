"""The org's append-only audit log: seat changes with before/after counts, and the changes
of credentials and settings that people reviewing access need to see next to them.

Every entry keeps the names people read (a userName, a token's name, an admin's e-mail) as
they were when it was written, beside the stable ids: a user renamed or deleted later, or a
token revoked, still reads as it did at the time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from seats.models import AuditEvent, OAuthClientRow, ScimToken, SeatPool
from seats.pool_lock import lock_pool

_CREDENTIALS: dict[str, type[ScimToken] | type[OAuthClientRow]] = {
    "scim-token": ScimToken, "oauth-client": OAuthClientRow}


@dataclass(frozen=True)
class SeatCounts:
    total: int
    assigned: int

    @property
    def free(self) -> int:
        return self.total - self.assigned

    @classmethod
    def of(cls, pool: SeatPool) -> SeatCounts:
        return cls(pool.total, pool.assigned)


_KNOWN_NAMES = "audit.actor_names"
"""Key in `Session.info` (a fresh dict per session, and each transaction has its own)."""


def name_actor(session: Session, actor: str, name: str | None) -> None:
    """Tells this transaction's audit entries the name of `actor`, already known to whoever
    authenticated it (a SCIM request reads its credential's row, name included): every
    audited write of the transaction then spares the lookup. Credential names never change,
    so the name read at authentication is the one a lookup would find."""
    session.info.setdefault(_KNOWN_NAMES, {})[actor] = name


def actor_name(session: Session, actor: str) -> str | None:
    """The name of a credential actor: the one `name_actor` gave, else read in the writing
    transaction (a primary-key lookup); an admin (`admin:<sub>`) is named by the sub of its
    token, the admin's e-mail; None for actors whose id already reads as a name (`renewal`,
    `sso:<issuer>`)."""
    known: dict[str, str | None] = session.info.get(_KNOWN_NAMES, {})
    if actor in known:
        return known[actor]
    kind, _, ref = actor.partition(":")
    if kind == "admin":
        return ref
    model = _CREDENTIALS.get(kind)
    if model is None:
        return None
    name = session.scalar(select(model.name).where(model.id == ref))
    name_actor(session, actor, name)  # a transaction auditing several changes reads it once
    return name


_INSERT = insert(AuditEvent)
"""A Core insert: nothing reads an entry back in the transaction that writes it, so the
unit of work (an ORM object, its state, its flush) would be spent for nothing on every
seat decision."""
_WRITTEN = "audit.written"


@dataclass(frozen=True)
class Written:
    action: str
    detail: str | None


def take_written(session: Session) -> list[Written]:
    """The entries this session's transaction wrote, forgotten once taken: the session does
    not track Core inserts, so observers (app.metrics counts committed refusals) ask here."""
    written: list[Written] = session.info.pop(_WRITTEN, [])
    return written


def record(
    session: Session,
    pool: SeatPool,
    *,
    action: str,
    actor: str,
    subject: str | None,
    before: SeatCounts,
    now: datetime,
    detail: str | None = None,
    subject_name: str | None = None,
) -> None:
    """`before` is the pool as it was; the pool as it is now gives the after counts. Written
    at once, under the pool lock the caller holds, so ids still follow the decisions."""
    session.connection().execute(_INSERT, {
        "org_id": pool.org_id,
        "at": now,
        "actor": actor,
        "actor_name": actor_name(session, actor),
        "action": action,
        "subject": subject,
        "subject_name": subject_name,
        "total_before": before.total,
        "total_after": pool.total,
        "assigned_before": before.assigned,
        "assigned_after": pool.assigned,
        "detail": detail,
    })
    session.info.setdefault(_WRITTEN, []).append(Written(action, detail))


def record_change(
    session: Session,
    org_id: str,
    *,
    action: str,
    actor: str,
    subject: str | None,
    now: datetime,
    subject_name: str | None = None,
    detail: str | None = None,
) -> None:
    """A change that is not a seat decision (a token issued or revoked, settings replaced).
    It takes the org's seat lock all the same, so audit ids still commit in id order and a
    client tailing the log with `after` never skips one; the counts are unchanged."""
    pool = lock_pool(session, org_id)
    record(session, pool, action=action, actor=actor, subject=subject, before=SeatCounts.of(pool),
           now=now, detail=detail, subject_name=subject_name)
