"""The org's one seat lock: its pool row. Every audited seat decision takes it first, so
decisions (and their audit ids) are serialised per org, in one lock order."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from seats.models import SeatPool


def lock(session: Session, org_id: str) -> SeatPool:
    """SELECT … FOR UPDATE on PostgreSQL; on SQLite, BEGIN IMMEDIATE already serialises
    writers (it ignores FOR UPDATE)."""
    stmt = (
        select(SeatPool)
        .where(SeatPool.org_id == org_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.execute(stmt).scalar_one()
