"""Statements on group memberships (scim_group_members). Each change is a set operation
on rows, never a rewrite of a member list, so concurrent PATCHes of one group cannot lose
each other's members. Lists of ids are sent in chunks: SQLite builds before 3.32 bind at
most 999 parameters per statement (PostgreSQL 65535).

Lock order, so that group writes and user/group deletions never deadlock: the resources
named as new members (FOR KEY SHARE, which a concurrent deletion's FOR UPDATE waits for),
then the org's nesting lock when groups are nested, then the group being written."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, String, and_, bindparam, delete, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from scim.resources import Reference
from scim.tables import GroupMemberRow, GroupRow, UserRow
from seats.models import Org

IDS_PER_STATEMENT = 900
USER, GROUP = "User", "Group"

T = TypeVar("T")


@dataclass(frozen=True)
class Member:
    id: str
    type: str  # USER | GROUP


def chunks(items: Sequence[T], size: int = IDS_PER_STATEMENT) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def resolve(session: Session, org_id: str, ids: Collection[str]) -> dict[str, str]:
    """The type of each id that is a user or group of the org; unknown ids are left out.
    The rows are key-share locked, so a concurrent deletion either finishes first (and the
    id is unknown here) or waits until this transaction's memberships are visible to it."""
    found: dict[str, str] = {}
    for table, kind in ((UserRow, USER), (GroupRow, GROUP)):
        pending = sorted(set(ids) - found.keys())
        for chunk in chunks(pending):
            query = (
                select(table.id)
                .where(table.org_id == org_id, table.id.in_(chunk))
                .with_for_update(read=True, key_share=True)
            )
            found.update((found_id, kind) for found_id in session.scalars(query))
    return found


def lock_nesting(session: Session, org_id: str) -> None:
    """Serialises the writes that nest groups in one org, so two of them cannot each pass
    the cycle check without seeing the other (A into B while B goes into A). The org row is
    only taken FOR NO KEY UPDATE: inserts referencing the org are not blocked by it."""
    session.execute(select(Org.id).where(Org.id == org_id).with_for_update(key_share=True))


def ancestors(session: Session, org_id: str, group_id: str) -> set[str]:
    """The group and every group containing it, directly or through nested groups: the
    groups that may not become its members."""
    parents = aliased(GroupMemberRow)
    up = (
        select(GroupMemberRow.group_id)
        .where(GroupMemberRow.org_id == org_id, GroupMemberRow.member_id == group_id)
        .cte("ancestors", recursive=True)
    )
    up = up.union(
        select(parents.group_id).join(
            up, and_(parents.org_id == org_id, parents.member_id == up.c.group_id)
        )
    )
    return {group_id, *session.scalars(select(up.c.group_id))}


def _insert(session: Session) -> postgresql.Insert | sqlite.Insert:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(GroupMemberRow).on_conflict_do_nothing()
    return sqlite.insert(GroupMemberRow).on_conflict_do_nothing()


def add(session: Session, org_id: str, group_id: str, members: Iterable[Member]) -> None:
    """Idempotent: a member already present is left as it is (ON CONFLICT DO NOTHING)."""
    rows = [
        {"group_id": group_id, "member_id": m.id, "org_id": org_id, "member_type": m.type}
        for m in members
    ]
    statement = _insert(session)
    for chunk in chunks(rows):
        session.execute(statement, list(chunk))


def remove(session: Session, org_id: str, group_id: str, ids: Collection[str]) -> None:
    """Idempotent: ids that are not members are no error."""
    for chunk in chunks(sorted(set(ids))):
        session.execute(
            delete(GroupMemberRow).where(
                GroupMemberRow.org_id == org_id,
                GroupMemberRow.group_id == group_id,
                GroupMemberRow.member_id.in_(chunk),
            )
        )


def remove_all(session: Session, org_id: str, group_id: str) -> None:
    session.execute(
        delete(GroupMemberRow).where(
            GroupMemberRow.org_id == org_id, GroupMemberRow.group_id == group_id
        )
    )


def replace(session: Session, org_id: str, group_id: str, wanted: Collection[Member]) -> None:
    """Only the difference is written, so replacing a large list with itself plus one member
    is one insert. Reading the current list is safe here because every writer of a group's
    members holds that group's row lock."""
    current = {m.id for m in members(session, org_id, group_id)}
    remove(session, org_id, group_id, current - {m.id for m in wanted})
    add(session, org_id, group_id, (m for m in wanted if m.id not in current))


def members(
    session: Session, org_id: str, group_id: str, only: Collection[str] | None = None
) -> list[Member]:
    """The direct members of one group, or those of them among `only`."""
    query = select(GroupMemberRow.member_id, GroupMemberRow.member_type).where(
        GroupMemberRow.org_id == org_id, GroupMemberRow.group_id == group_id
    )
    if only is None:
        return [Member(row.member_id, row.member_type) for row in session.execute(query)]
    return [
        Member(row.member_id, row.member_type)
        for chunk in chunks(sorted(set(only)))
        for row in session.execute(query.where(GroupMemberRow.member_id.in_(chunk)))
    ]


def forget(session: Session, org_id: str, resource_id: str, now: datetime) -> None:
    """A deleted user or group leaves every group it was a member of, in the deleting
    transaction; those groups changed, so their version moves on too."""
    containing = select(GroupMemberRow.group_id).where(
        GroupMemberRow.org_id == org_id, GroupMemberRow.member_id == resource_id
    )
    session.execute(
        update(GroupRow)
        .where(GroupRow.org_id == org_id, GroupRow.id.in_(containing))
        .values(version=GroupRow.version + 1, last_modified_at=now)
        .execution_options(synchronize_session="fetch")
    )
    session.execute(
        delete(GroupMemberRow).where(
            GroupMemberRow.org_id == org_id, GroupMemberRow.member_id == resource_id
        )
    )


_MEMBER_ROWS = (
    select(GroupMemberRow.group_id, GroupMemberRow.member_id, GroupMemberRow.member_type)
    .where(GroupMemberRow.org_id == bindparam("org_id"),
           GroupMemberRow.group_id.in_(bindparam("group_ids", expanding=True)))
    .order_by(GroupMemberRow.group_id, GroupMemberRow.member_id)
)
"""Built once, like _REACH: every group rendered with its members runs it."""


def listed_members(
    session: Session, org_id: str, group_ids: Sequence[str]
) -> dict[str, list[Reference]]:
    """The rendered members of each group, for a whole page of groups in one query per
    chunk. No display: clients expect members back as they sent them (scim2-tester compares
    a PATCHed member list with the one it sent), and only the member rows are read."""
    listed: dict[str, list[Reference]] = defaultdict(list)
    connection = session.connection()  # Core: rows to render, nothing for the ORM to track
    for chunk in chunks(group_ids):
        for row in connection.execute(_MEMBER_ROWS, {"org_id": org_id, "group_ids": list(chunk)}):
            listed[row.group_id].append(
                Reference(row.member_id, row.member_type, row.member_type, None)
            )
    return listed


def groups_of(
    session: Session, org_id: str, member_ids: Sequence[str]
) -> dict[str, list[Reference]]:
    """Every group each member is in: "direct", or "indirect" through nested groups, for a
    whole page of users in one recursive query per chunk. UNION (not UNION ALL) keeps the
    walk finite whatever the data. The statement is built once (`_REACH`): building it
    cost more than running it, and it runs for nearly every user rendered."""
    listed: dict[str, list[Reference]] = defaultdict(list)
    connection = session.connection()  # Core: rows to render, nothing for the ORM to track
    for chunk in chunks(member_ids):
        for row in connection.execute(_REACH, {"org_id": org_id, "member_ids": list(chunk)}):
            kind = "direct" if row.depth == 1 else "indirect"
            listed[row.member_id].append(Reference(row.group_id, GROUP, kind, row.display_name))
    return listed


def _reach() -> Select[Any]:
    """(member, group, smallest depth, group name) for the bound `org_id` and `member_ids`;
    depth 1 is direct, 2 stands for any deeper level, so the recursion has finitely many
    distinct rows. A user in no group costs one lookup in ix_scim_group_members_member."""
    org_id = bindparam("org_id", type_=String)
    parents = aliased(GroupMemberRow)
    reach = (
        select(GroupMemberRow.member_id, GroupMemberRow.group_id, literal(1).label("depth"))
        .where(GroupMemberRow.org_id == org_id,
               GroupMemberRow.member_id.in_(bindparam("member_ids", expanding=True)))
        .cte("reach", recursive=True)
    )
    reach = reach.union(
        select(reach.c.member_id, parents.group_id, literal(2)).join(
            parents, and_(parents.org_id == org_id, parents.member_id == reach.c.group_id)
        )
    )
    return (
        select(reach.c.member_id, reach.c.group_id, func.min(reach.c.depth).label("depth"),
               GroupRow.display_name)
        .join(GroupRow, and_(GroupRow.org_id == org_id, GroupRow.id == reach.c.group_id))
        .group_by(reach.c.member_id, reach.c.group_id, GroupRow.display_name,
                  GroupRow.display_name_norm)
        .order_by(reach.c.member_id, GroupRow.display_name_norm, reach.c.group_id)
    )


_REACH = _reach()
