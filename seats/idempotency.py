"""Idempotency keys for requests that must act at most once (seat purchases). The key is
claimed in a short transaction of its own, so a concurrent duplicate sees "in flight" at
once; the outcome is stored in the transaction that acts, so a replay gets exactly the
response of the request that did the work. Keys are kept for a retention (at least a day:
clients retry within one) and then purged (`purge`, run by `scim-seats purge`)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from seats.errors import IdempotencyConflict, KeyConflict
from seats.models import IdempotencyKey

MAX_KEY_LENGTH = 255
ABANDONED_AFTER = timedelta(minutes=5)
"""A claim older than this whose request never finished (its process died) may be retaken."""


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict[str, Any]


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(session: Session, org_id: str, key: str, request_sha256: str,
          now: datetime) -> StoredResponse | None:
    """None: this request owns the key now and must act. A StoredResponse: replay it.
    IdempotencyConflict: the key belongs to another request, or its first use still runs."""
    existing = None
    while existing is None:
        try:
            with session.begin_nested():
                session.add(IdempotencyKey(org_id=org_id, key=key, request_sha256=request_sha256,
                                           state="in_flight", created_at=now, updated_at=now))
            return None
        except IntegrityError:
            pass
        # None when a purge deleted the key between the insert and this read: insert again.
        existing = session.scalars(
            select(IdempotencyKey)
            .where(IdempotencyKey.org_id == org_id, IdempotencyKey.key == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
    if existing.request_sha256 != request_sha256:
        raise IdempotencyConflict(
            KeyConflict.REUSED, "this Idempotency-Key was used with a different request"
        )
    if existing.state == "done":
        assert existing.response_status is not None and existing.response_body is not None
        return StoredResponse(existing.response_status, existing.response_body)
    if now - existing.updated_at < ABANDONED_AFTER:
        raise IdempotencyConflict(
            KeyConflict.IN_FLIGHT, "a request with this Idempotency-Key is still running"
        )
    existing.updated_at = now
    return None


def finish(session: Session, org_id: str, key: str, response: StoredResponse,
           now: datetime) -> None:
    """Store the outcome; call it in the transaction that acted (or, for a refusal, in
    one of its own after the refused transaction rolled back)."""
    record = session.get_one(IdempotencyKey, (org_id, key))
    record.state = "done"
    record.response_status = response.status
    record.response_body = response.body
    record.updated_at = now


def release(session: Session, org_id: str, key: str) -> None:
    """Forget a claim whose request failed unexpectedly, so the client may retry."""
    session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.org_id == org_id, IdempotencyKey.key == key,
            IdempotencyKey.state == "in_flight",
        )
    )


def purge(session: Session, now: datetime, retention: timedelta) -> int:
    """Deletes the keys last used (claimed, retaken or answered) longer than `retention`
    before `now`, so the table does not grow forever; returns how many. Measured from the
    last use, not the first, so a stored response is always replayable for the whole
    retention. An in-flight key that old was abandoned long ago (`ABANDONED_AFTER`)."""
    result = session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.updated_at < now - retention))
    assert isinstance(result, CursorResult)  # a DELETE's result counts its rows
    return result.rowcount
