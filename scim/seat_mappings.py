"""Group mappings as admins manage them: the list, and a preview of what a change would do
before it is made (docs/spec/seat-types.md, "Managing mappings"). The change itself is
`seat_choice.map_group`, under the pool lock; the preview reads without it, so it is an
estimate that the change, made a moment later, may differ from by concurrent writes."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from scim.seat_choice import mapped_types, member_users, seated_with_groups, wanted_by
from scim.tables import GroupRow, SeatTypeMapping
from seats import seat_types
from seats.models import SeatType
from seats.seat_types import SeatTypes


@dataclass(frozen=True)
class Mapping:
    group_id: str
    group_name: str
    seat_type: str
    members: int
    """Users in the group, directly or through nested groups."""


def list_mappings(session: Session, org_id: str, key: str | None = None,
                  group_id: str | None = None) -> list[Mapping]:
    """By group name; only the type `key`'s, or the group `group_id`'s, when given (a group's
    members are walked for each mapping listed, so a question about one group asks for it)."""
    stmt = (
        select(GroupRow.id, GroupRow.display_name, SeatType.key)
        .join(SeatTypeMapping, SeatTypeMapping.group_id == GroupRow.id)
        .join(SeatType, SeatType.id == SeatTypeMapping.seat_type_id)
        .where(SeatTypeMapping.org_id == org_id)
        .order_by(GroupRow.display_name_norm, GroupRow.id)
    )
    if key is not None:
        stmt = stmt.where(SeatType.key == key)
    if group_id is not None:
        stmt = stmt.where(SeatTypeMapping.group_id == group_id)
    return [Mapping(row.id, row.display_name, row.key,
                    len(member_users(session, org_id, row.id)))
            for row in session.execute(stmt)]


@dataclass(frozen=True)
class Arrivals:
    """Users a change would move into one type, against the seats it would have for them."""

    seat_type: str
    moving_in: int
    free: int
    """Free seats of the type now, plus those the change's moves away from it would free."""

    @property
    def short(self) -> int:
        """Users who would wait for the type instead of moving."""
        return max(0, self.moving_in - self.free)


@dataclass(frozen=True)
class MappingPreview:
    moving: int
    arrivals: list[Arrivals]

    @property
    def seats_suffice(self) -> bool:
        return all(a.short == 0 for a in self.arrivals)


def preview_mapping(session: Session, org_id: str, group_id: str,
                    key: str | None) -> MappingPreview:
    """What mapping the group to `key` (None: removing its mapping) would do to the seated
    users in its reach: who would change type, and whether each type has the seats."""
    types = SeatTypes(seat_types.list_types(session, org_id))
    mapped = mapped_types(session, org_id, types)
    mapped.pop(group_id, None)
    if key is not None:
        mapped[group_id] = seat_types.by_key_or_refuse(types, key)
    arriving: Counter[str] = Counter()
    leaving: Counter[str] = Counter()
    members = member_users(session, org_id, group_id)
    for row, group_ids in seated_with_groups(session, org_id, members, lock=False):
        choice = wanted_by(types, mapped, row.data, group_ids)
        held = row.seat_type_key or types.default.key
        if choice.seat_type.key != held:
            arriving[choice.seat_type.key] += 1
            leaving[held] += 1
    arrivals = [Arrivals(t.key, arriving[t.key], t.free + leaving[t.key])
                for t in types.rows if arriving[t.key]]
    return MappingPreview(moving=sum(arriving.values()), arrivals=arrivals)
