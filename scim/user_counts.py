"""The org's user count (scim_user_counts), so that totalResults of an unfiltered list does
not count a million index entries on every page. It changes in the transaction that inserts
or deletes the users, by an upsert: the first user of an org creates the row, and two
transactions racing to create it both count (ON CONFLICT DO UPDATE)."""
from __future__ import annotations

from sqlalchemy import Executable, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from scim.tables import UserCountRow


def _upsert(insert: type[postgresql.Insert] | type[sqlite.Insert]) -> Executable:
    statement = insert(UserCountRow).values(org_id=bindparam("org_id"), users=bindparam("delta"))
    return statement.on_conflict_do_update(
        index_elements=[UserCountRow.org_id],
        set_={"users": UserCountRow.users + statement.excluded.users},
    )


_UPSERTS = {"postgresql": _upsert(postgresql.Insert), "sqlite": _upsert(sqlite.Insert)}
"""Built once per dialect: every POST and DELETE of a user runs one."""

_READ = select(UserCountRow.users).where(UserCountRow.org_id == bindparam("org_id"))


def change(session: Session, org_id: str, delta: int) -> None:
    """`delta` users were inserted (positive) or deleted (negative) in this transaction."""
    statement = _UPSERTS[session.get_bind().dialect.name]
    session.connection().execute(statement, {"org_id": org_id, "delta": delta})


def count(session: Session, org_id: str) -> int:
    """No row yet: the org never had a user."""
    return session.connection().execute(_READ, {"org_id": org_id}).scalar() or 0
