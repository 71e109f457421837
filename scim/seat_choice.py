"""Which seat type a user holds, and keeping it so (docs/spec/seat-types.md).

A user wants, in this order: (1) the highest-ranked seat type whose key is one of its
`entitlements` or `roles` values (Entra sends app-role assignments as `roles`, Okta pushes
either); (2) the highest-ranked type mapped to a group the user belongs to, directly or
through nested groups; (3) the org's default type. Every function here runs under the org's
pool lock, inside the caller's transaction: a seat claimed, freed or moved commits with the
write that caused it.

A user write that asks for a full type explicitly is refused (SEAT_LIMIT_REACHED naming the
type); any other change of the wanted type (a group membership, a mapping, an explicit value
removed) never fails: the user keeps the seat held and waits for the wanted type, and waiting
users are moved oldest first as soon as a seat of their type is free."""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.orm import Session, aliased

from scim.memberships import USER, chunks, groups_of
from scim.tables import GroupMemberRow, GroupRow, SeatTypeMapping, UserRow
from seats import seat_types, seating
from seats.errors import InvalidSeatType
from seats.models import SeatType
from seats.pool_lock import LockedPool
from seats.seat_types import SeatTypes

EXPLICIT = ("entitlements", "roles")
"""The user attributes whose values name a seat type (draft-ietf-scim-roles-entitlements)."""


@dataclass(frozen=True)
class Wanted:
    seat_type: SeatType
    explicit: bool  # asked for by the user's own entitlements or roles


@dataclass(frozen=True)
class Seats:
    """The org's locked pool, its seat types and its group mappings, read under the lock."""

    pool: LockedPool
    types: SeatTypes
    mapped: dict[str, SeatType]  # group id -> type


def load(session: Session, pool: LockedPool) -> Seats:
    """With one type there is nothing to choose: its mappings, if any, are not read."""
    types = seat_types.locked_types(session, pool)
    if not types.several:
        return Seats(pool, types, {})
    return Seats(pool, types, mapped_types(session, pool.org_id, types))


def mapped_types(session: Session, org_id: str, types: SeatTypes) -> dict[str, SeatType]:
    """Group id -> the seat type its members hold, of the org's `types`."""
    rows = session.execute(
        select(SeatTypeMapping.group_id, SeatTypeMapping.seat_type_id).where(
            SeatTypeMapping.org_id == org_id
        )
    )
    return {row.group_id: types.by_id(row.seat_type_id) for row in rows}


def several_types(session: Session, org_id: str) -> bool:
    """Whether a profile write may change the wanted type, so must take the pool lock. Read
    without the lock: a type added meanwhile is considered from the user's next seat write."""
    return seat_types.count_types(session, org_id) > 1


def _highest(candidates: Iterable[SeatType]) -> SeatType | None:
    return max(candidates, key=lambda t: (t.rank, t.key), default=None)


def asked_for(types: SeatTypes, document: dict[str, Any]) -> SeatType | None:
    """Values are compared without letter case: IdP admins type role values by hand."""
    values = (
        element.get("value")
        for name in EXPLICIT
        for element in document.get(name) or ()
        if isinstance(element, dict)
    )
    return _highest(
        found for value in values if isinstance(value, str)
        for found in [types.by_key(value.strip().lower())] if found is not None
    )


def wanted(seats: Seats, document: dict[str, Any], group_ids: Collection[str]) -> Wanted:
    return wanted_by(seats.types, seats.mapped, document, group_ids)


def wanted_by(types: SeatTypes, mapped: dict[str, SeatType], document: dict[str, Any],
              group_ids: Collection[str]) -> Wanted:
    """The choice itself, on any types and mappings: a preview passes the mappings a change
    would leave, read without the lock."""
    explicit = asked_for(types, document)
    if explicit is not None:
        return Wanted(explicit, True)
    mapped_type = _highest(mapped[g] for g in group_ids if g in mapped)
    return Wanted(mapped_type or types.default, False)


def _group_ids(session: Session, org_id: str, user_id: str) -> set[str]:
    return {ref.id for ref in groups_of(session, org_id, [user_id]).get(user_id, [])}


def _held(seats: Seats, row: UserRow) -> SeatType:
    """A seated row without a held type predates types only in hand-built test data."""
    held = None if row.seat_type_key is None else seats.types.by_key(row.seat_type_key)
    return held or seats.types.default


def _waiting_count(session: Session, org_id: str, seated: str) -> Callable[[str], int]:
    """For the seat events: the active users waiting for a type as flushed at the claim,
    counted only when an event is written (the seat domain does not read users), leaving out
    the user `seated` now, who no longer waits whatever its row says yet. No autoflush: that
    user may not be complete yet."""
    def count(key: str) -> int:
        with session.no_autoflush:
            return session.scalar(select(func.count()).select_from(UserRow).where(
                UserRow.org_id == org_id, UserRow.active.is_(True), UserRow.id != seated,
                UserRow.waiting_seat_type_key == key)) or 0
    return count


def _stop_waiting(row: UserRow) -> None:
    row.waiting_seat_type_key = None
    row.waiting_since = None


def _wait(row: UserRow, seat_type: SeatType, now: datetime) -> None:
    """Waiting for the same type again keeps the place in the queue."""
    if row.waiting_seat_type_key != seat_type.key:
        row.waiting_seat_type_key = seat_type.key
        row.waiting_since = now


def seat_user(
    session: Session, pool: LockedPool, row: UserRow, document: dict[str, Any], *,
    actor: str, subject: str, now: datetime,
) -> None:
    """Claims, frees or moves `row`'s seat for the document about to be stored. The old
    document is still in `row.data`: a type asked for anew is refused when full, one asked
    for before only waits (Okta re-sends whole profiles; they must not start failing)."""
    seats = load(session, pool)
    name = document.get("userName") or row.user_name  # the name the write leaves, for audit
    if not document.get("active", False):
        unseat(session, seats, row, actor=actor, subject=subject, now=now, name=name)
        return
    mapped = bool(seats.mapped) and row.data is not None  # a new user is in no group yet
    group_ids = _group_ids(session, pool.org_id, row.id) if mapped else set()
    choice = wanted(seats, document, group_ids)
    if not row.active:
        seating.claim_seat(session, pool, seats.types, choice.seat_type, actor=actor,
                           subject=subject, now=now, subject_name=name,
                           waiting=_waiting_count(session, pool.org_id, row.id))
        row.seat_type_key = choice.seat_type.key
        _stop_waiting(row)
        return
    before = None if row.data is None else asked_for(seats.types, row.data)
    refuse = choice.explicit and (before is None or before.id != choice.seat_type.id)
    _settle(session, seats, row, choice.seat_type, refuse=refuse, actor=actor,
            subject=subject, now=now, name=name)


def unseat(session: Session, seats: Seats, row: UserRow, *, actor: str, subject: str,
           now: datetime, name: str | None = None) -> None:
    """Deactivation and deletion: the seat held is freed and waiting ends; waiting users of
    the freed type move up. Never refuses."""
    _stop_waiting(row)
    if not row.active:
        return
    held = _held(seats, row)
    seating.release_seat(session, seats.pool, seats.types, held, actor=actor, subject=subject,
                         now=now, subject_name=name or row.user_name)
    row.seat_type_key = None
    promote(session, seats, actor=actor, now=now)


def _settle(session: Session, seats: Seats, row: UserRow, target: SeatType, *, refuse: bool,
            actor: str, subject: str, now: datetime, name: str | None = None) -> None:
    """A seated user whose wanted type is `target`: moved when a seat is free (or refused,
    when `refuse`), else waiting for it."""
    held = _held(seats, row)
    if held.key == target.key:
        _stop_waiting(row)
        return
    if target.free > 0 or refuse:
        seating.move_seat(session, seats.pool, seats.types, held, target, actor=actor,
                          subject=subject, now=now, subject_name=name or row.user_name,
                          waiting=_waiting_count(session, seats.pool.org_id, row.id))
        row.seat_type_key = target.key
        _stop_waiting(row)
        promote(session, seats, actor=actor, now=now)
        return
    _wait(row, target, now)


def promote(session: Session, seats: Seats, *, actor: str, now: datetime) -> None:
    """Moves waiting users, oldest first, while their type has a free seat. A move frees a
    seat of another type, which may let someone else move: the loop ends when no waiting
    user's type has a free seat. Nobody moves on a contract that has ended."""
    if not seats.types.several or not seating.term_running(seats.pool.contract, now):
        return  # with one type nobody can wait
    while True:
        open_keys = [t.key for t in seats.types.rows if t.free > 0]
        row = session.scalar(
            select(UserRow)
            .where(UserRow.org_id == seats.pool.org_id, UserRow.active.is_(True),
                   UserRow.waiting_seat_type_key.in_(open_keys))
            .order_by(UserRow.waiting_since, UserRow.id)
            .limit(1)
            .with_for_update()
            .execution_options(populate_existing=True)
        ) if open_keys else None
        target = None if row is None else seats.types.by_key(row.waiting_seat_type_key or "")
        if row is None or target is None:
            return
        held = _held(seats, row)
        _stop_waiting(row)
        seating.move_seat(session, seats.pool, seats.types, held, target, actor=actor,
                          subject=f"user:{row.id}", now=now, subject_name=row.user_name,
                          waiting=_waiting_count(session, seats.pool.org_id, row.id))
        row.seat_type_key = target.key
        _touch(row, now)
        session.flush()


def resettle(session: Session, seats: Seats, user_ids: Collection[str], *, actor: str,
             now: datetime) -> None:
    """After a group or mapping change: each seated user among `user_ids` moves to, or
    waits for, the type it now wants. Never refuses. Users are locked in id order."""
    for row, group_ids in seated_with_groups(session, seats.pool.org_id, user_ids, lock=True):
        before = (row.seat_type_key, row.waiting_seat_type_key)
        choice = wanted(seats, row.data, group_ids)
        _settle(session, seats, row, choice.seat_type, refuse=False, actor=actor,
                subject=f"user:{row.id}", now=now)
        if (row.seat_type_key, row.waiting_seat_type_key) != before:
            _touch(row, now)


def seated_with_groups(session: Session, org_id: str, user_ids: Collection[str], *,
                       lock: bool) -> Iterator[tuple[UserRow, set[str]]]:
    """The active users among `user_ids`, each with the ids of the groups it is in (nested
    included), in id order, a chunk of rows at a time; `lock` takes their row locks (a
    resettle), without it they are read as they are (a preview)."""
    for chunk in chunks(sorted(user_ids)):
        query = (select(UserRow)
                 .where(UserRow.org_id == org_id, UserRow.id.in_(chunk), UserRow.active.is_(True))
                 .order_by(UserRow.id))
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        rows = session.scalars(query).all()
        reach = groups_of(session, org_id, [row.id for row in rows])
        for row in rows:
            yield row, {ref.id for ref in reach.get(row.id, [])}


def _touch(row: UserRow, now: datetime) -> None:
    """The user's representation changed (its seat extension) without a write of its own:
    a new version, so ETags and If-Match see it (RFC 7644 §3.14)."""
    row.version += 1
    row.last_modified_at = now


def member_users(session: Session, org_id: str, group_id: str) -> set[str]:
    """The users in a group, directly or through nested groups: whose reach a change of the
    group's members (or of its mapping) can change. UNION keeps the walk finite."""
    child = aliased(GroupMemberRow)
    down = (
        select(GroupMemberRow.member_id, GroupMemberRow.member_type)
        .where(GroupMemberRow.org_id == org_id, GroupMemberRow.group_id == group_id)
        .cte("down", recursive=True)
    )
    down = down.union(
        select(child.member_id, child.member_type).join(
            down, and_(child.org_id == org_id, child.group_id == down.c.member_id)
        )
    )
    return set(session.scalars(select(down.c.member_id).where(down.c.member_type == USER)))


class GroupWatch:
    """Brackets a group write in an org that maps groups to seat types: takes the pool lock
    first (lock order: pool, then members, then the group), notes the group's users before
    the write and resettles them and the users after it. In an org without mappings it does
    nothing, and group writes take no seat lock, as before types."""

    def __init__(self, session: Session, org_id: str, group_id: str | None, *, actor: str,
                 now: datetime) -> None:
        self._actor, self._now = actor, now
        self._seats: Seats | None = None
        self._before: set[str] = set()
        if not session.scalar(select(exists().where(SeatTypeMapping.org_id == org_id))):
            return
        self._seats = load(session, seating.lock_and_renew(session, org_id, now))
        if group_id is not None:
            self._before = member_users(session, org_id, group_id)

    def settle(self, session: Session, group_id: str | None) -> None:
        """`group_id` None: the group was deleted, only its users before count."""
        if self._seats is None:
            return
        session.flush()
        org_id = self._seats.pool.org_id
        after = set() if group_id is None else member_users(session, org_id, group_id)
        resettle(session, self._seats, self._before | after, actor=self._actor, now=self._now)


def map_group(session: Session, org_id: str, group: GroupRow, key: str | None, *,
              actor: str, now: datetime) -> None:
    """Maps a group to the type `key` (None: removes its mapping) and moves its users."""
    seats = load(session, seating.lock_and_renew(session, org_id, now))
    session.execute(delete(SeatTypeMapping).where(
        SeatTypeMapping.org_id == org_id, SeatTypeMapping.group_id == group.id
    ))
    seats.mapped.pop(group.id, None)
    if key is not None:
        seat_type = seat_types.by_key_or_refuse(seats.types, key)
        session.add(SeatTypeMapping(org_id=org_id, group_id=group.id, seat_type_id=seat_type.id))
        seats.mapped[group.id] = seat_type
    session.flush()
    resettle(session, seats, member_users(session, org_id, group.id), actor=actor, now=now)


def group_named(session: Session, org_id: str, display_name: str) -> GroupRow:
    """The one group of the org with this displayName (any letter case)."""
    rows = session.scalars(select(GroupRow).where(
        GroupRow.org_id == org_id, GroupRow.display_name_norm == display_name.lower()
    )).all()
    if len(rows) != 1:
        found = "no group" if not rows else f"{len(rows)} groups"
        raise InvalidSeatType(f"{found} named {display_name!r} in this organisation")
    return rows[0]


def add_seats(session: Session, org_id: str, key: str, seats_added: int, *, actor: str,
              now: datetime) -> SeatType:
    """More seats of one type; its waiting users move up in the same transaction."""
    pool = seating.lock_and_renew(session, org_id, now)
    seat_type = seat_types.add_seats(session, pool, key, seats_added, actor=actor, now=now)
    promote(session, load(session, pool), actor=actor, now=now)
    return seat_type


def settle_waiting(session: Session, org_id: str, *, actor: str, now: datetime) -> None:
    """After seats were bought: waiting users of a type with free seats move up."""
    promote(session, load(session, seating.lock_and_renew(session, org_id, now)),
            actor=actor, now=now)


def hand_over(session: Session, seats: Seats, source: UserRow, target: UserRow, *,
              actor: str, now: datetime) -> None:
    """Reassignment: the target takes the source's seat, of its type, then moves to (or
    waits for) the type it wants itself. The source stops waiting."""
    target.seat_type_key = _held(seats, source).key
    source.seat_type_key = None
    _stop_waiting(source)
    groups = _group_ids(session, seats.pool.org_id, target.id) if seats.mapped else set()
    choice = wanted(seats, target.data, groups)
    _settle(session, seats, target, choice.seat_type, refuse=False, actor=actor,
            subject=f"user:{target.id}", now=now)


@dataclass(frozen=True)
class TypeLine:
    """One seat type as operators read it: counts, waiting users and price."""

    key: str
    name: str
    total: int
    assigned: int
    free: int
    waiting: int
    unit_price_minor: int
    rank: int
    is_default: bool


def type_lines(session: Session, org_id: str) -> list[TypeLine]:
    """Highest rank first; `waiting` counts the active users waiting for the type."""
    waiting: dict[str | None, int] = {key: count for key, count in session.execute(
        select(UserRow.waiting_seat_type_key, func.count())
        .where(UserRow.org_id == org_id, UserRow.waiting_seat_type_key.is_not(None))
        .group_by(UserRow.waiting_seat_type_key)
    )}
    return [
        TypeLine(key=t.key, name=t.name, total=t.total, assigned=t.assigned, free=t.free,
                 waiting=waiting.get(t.key, 0), unit_price_minor=t.unit_price_minor,
                 rank=t.rank, is_default=t.is_default)
        for t in seat_types.list_types(session, org_id)
    ]
