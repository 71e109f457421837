"""The org's one seat lock: its pool row. Every audited seat decision takes it first, so
decisions (and their audit ids) are serialised per org, in one lock order.

It sits below everything that takes it (seating, renewal, the event sweeps), so those
modules depend on it and not on each other."""
from __future__ import annotations

from typing import NewType

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, contains_eager

from seats.models import SeatPool

LockedPool = NewType("LockedPool", SeatPool)
"""A pool row read under the lock. Only `lock_pool` makes one, so a function that changes
seats asks for a LockedPool and a caller that forgot the lock does not type-check."""


_LOCK = (
    select(SeatPool)
    .join(SeatPool.contract)
    .options(contains_eager(SeatPool.contract))
    .where(SeatPool.org_id == bindparam("org_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
"""Built once: every seat decision runs it, and building it cost more than the lookup.
The contract comes in the same statement (renewal and the term check need it). FOR UPDATE
without OF locks its row too: on PostgreSQL a statement that waited for the lock re-reads
only the rows it locks (READ COMMITTED's re-check), so a contract left unlocked could be
the one from before a renewal that the previous holder committed. Its only writer, the
renewal, holds the pool lock anyway, so this adds no wait."""


def lock_pool(session: Session, org_id: str) -> LockedPool:
    """SELECT … FOR UPDATE on PostgreSQL; on SQLite, BEGIN IMMEDIATE already serialises
    writers (it ignores FOR UPDATE)."""
    return LockedPool(session.execute(_LOCK, {"org_id": org_id}).scalar_one())
