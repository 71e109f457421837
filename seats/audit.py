"""The org's append-only audit log of seat changes, each with before/after counts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from seats.models import AuditEvent, SeatPool


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
) -> None:
    """`before` is the pool as it was; the pool as it is now gives the after counts."""
    session.add(
        AuditEvent(
            org_id=pool.org_id,
            at=now,
            actor=actor,
            action=action,
            subject=subject,
            total_before=before.total,
            total_after=pool.total,
            assigned_before=before.assigned,
            assigned_after=pool.assigned,
            detail=detail,
        )
    )
