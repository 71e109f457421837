"""SCIM use cases on users. Every write that can change who holds a seat locks the org's
pool row before it reads the user, so seat decisions are serialised per org in one lock
order (pool, then user); profile-only writes lock just the user row."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scim import seat_choice, user_counts
from scim.errors import ScimError, not_found, uniqueness
from scim.memberships import forget as forget_memberships
from scim.patch import Patch, parse_patch
from scim.resources import UserInput, user_input
from scim.schemas import USER, USER_TYPE
from scim.tables import USER_SHOWN, UserRow, UserValueRow
from seats import seating
from seats.errors import ReassignmentRefused
from seats.models import new_id
from seats.pool_lock import LockedPool

_password_hasher = PasswordHasher()


@dataclass(frozen=True)
class WriteContext:
    """Who is writing and when (every audit entry of the write carries both), and the
    versions the client's If-Match accepts (None: no precondition, or `*`)."""

    org_id: str
    actor: str
    now: datetime
    if_match: frozenset[str] | None = None

    def check_version(self, version: int) -> None:
        """RFC 7644 §3.14: checked on the locked row, inside the write's transaction, so no
        other writer can slip in between the check and the write."""
        if self.if_match is not None and str(version) not in self.if_match:
            raise ScimError(412, f"the resource is at version {version}, not the one in If-Match")


def _subject(row: UserRow) -> str:
    return f"user:{row.id}"


_USER_BY_ID = select(UserRow).where(
    UserRow.org_id == bindparam("org_id"), UserRow.id == bindparam("user_id")
)
"""Built once, as is `_LOCK_USER` (below) from it: building it cost more than the lookup.
SCIM GET reads the shown columns instead (`read_user`); the console loads the entity."""


def get_user(session: Session, org_id: str, user_id: str) -> UserRow:
    row = session.scalar(_USER_BY_ID, {"org_id": org_id, "user_id": user_id})
    if row is None:
        raise not_found(f"User {user_id} not found")
    return row


_SHOWN_BY_ID = select(*USER_SHOWN).where(
    UserRow.org_id == bindparam("org_id"), UserRow.id == bindparam("user_id")
)


def read_user(session: Session, org_id: str, user_id: str) -> Row[Any]:
    """A user as GET renders it: its shown columns as a Core row on the session's
    connection, with none of the ORM's identity-map work, since nothing is written."""
    found = session.connection().execute(_SHOWN_BY_ID, {"org_id": org_id, "user_id": user_id})
    row = found.first()
    if row is None:
        raise not_found(f"User {user_id} not found")
    return row


_LOCK_USER = _USER_BY_ID.with_for_update().execution_options(populate_existing=True)
"""Built once, like _USER_BY_ID: every PATCH, PUT and DELETE of a user runs it."""


def _lock_user(session: Session, user_id: str, ctx: WriteContext) -> UserRow:
    row = session.scalar(_LOCK_USER, {"org_id": ctx.org_id, "user_id": user_id})
    if row is None:
        raise not_found(f"User {user_id} not found")
    ctx.check_version(row.version)
    return row


def _ensure_unique_user_name(
    session: Session, org_id: str, user_name: str, except_id: str | None = None
) -> None:
    query = select(func.count()).select_from(UserRow).where(
        UserRow.org_id == org_id, UserRow.user_name_norm == user_name.lower()
    )
    if except_id is not None:
        query = query.where(UserRow.id != except_id)
    if session.scalar(query):
        raise uniqueness(f"userName {user_name!r} is already taken in this organisation")


_MULTI_VALUED = tuple(a.name for a in USER.attributes if a.multi_valued)
"""The attributes kept as value rows; every write compares them, so listed once."""


def _value_rows(org_id: str, document: dict[str, Any]) -> list[UserValueRow]:
    rows = []
    for name in _MULTI_VALUED:
        for element in document.get(name, []):
            value = element.get("value")
            text = None if value is None else str(value)
            rows.append(
                UserValueRow(
                    org_id=org_id,
                    attribute=name,
                    value=text,
                    value_norm=None if text is None else text.lower(),
                    type=element.get("type"),
                    primary=bool(element.get("primary", False)),
                    display=element.get("display"),
                    data=element,
                )
            )
    return rows


def _multi_valued_part(document: dict[str, Any]) -> dict[str, Any]:
    return {name: document.get(name) for name in _MULTI_VALUED}


def store_user(row: UserRow, data: UserInput, now: datetime) -> None:
    """The one place that derives the index columns and value rows from the document. It
    claims no seat: callers flip `active` through _change_activity first (bulk loaders that
    build rows directly, like the benchmark, keep the pool count themselves)."""
    document = data.document
    if row.data is None or _multi_valued_part(row.data) != _multi_valued_part(document):
        row.values = _value_rows(row.org_id, document)
    row.user_name = data.user_name
    row.user_name_norm = data.user_name.lower()
    row.external_id = document.get("externalId")
    row.active = bool(document.get("active", False))
    row.data = document
    if data.password is not None:
        row.password_hash = _password_hasher.hash(data.password)
    row.last_modified_at = now
    row.version = (row.version or 0) + 1


def _change_activity(
    session: Session, pool: LockedPool | None, row: UserRow, document: dict[str, Any],
    ctx: WriteContext,
) -> None:
    """Claims, frees or moves the seat for the document about to be stored (its `active`,
    and the seat type it wants: scim.seat_choice). `pool` is None when the caller judged
    from the request that neither can change (a PUT without `active` in an org with one
    seat type, a PATCH whose operations write neither): should that judgement ever be wrong
    about `active`, the write fails and rolls back instead of changing it without a seat."""
    if pool is None:
        if row.active != bool(document.get("active", False)):
            raise RuntimeError(f"active of user {row.id} would change without the seat lock")
        return
    seat_choice.seat_user(session, pool, row, document, actor=ctx.actor,
                          subject=_subject(row), now=ctx.now)


def _flush(session: Session, user_name: str) -> None:
    """The unique index is the backstop against a concurrent writer of the same userName."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise uniqueness(f"userName {user_name!r} is already taken in this organisation") from exc


def create_user(session: Session, raw: Any, ctx: WriteContext) -> UserRow:
    data = user_input(raw)
    data.document.setdefault("active", True)
    pool = seating.lock_and_renew(session, ctx.org_id, ctx.now)
    _ensure_unique_user_name(session, ctx.org_id, data.user_name)
    row = UserRow(id=new_id(), org_id=ctx.org_id, active=False, created_at=ctx.now, version=0)
    _change_activity(session, pool, row, data.document, ctx)
    store_user(row, data, ctx.now)
    session.add(row)
    _flush(session, data.user_name)
    user_counts.change(session, ctx.org_id, 1)
    return row


def replace_user(session: Session, user_id: str, raw: Any, ctx: WriteContext) -> UserRow:
    """PUT: the whole resource is replaced; `active` absent keeps its current value, so only
    a body that carries it takes the seat lock, or any PUT in an org selling several seat
    types (replacing `roles`/`entitlements` can change the type wanted)."""
    data = user_input(raw)
    seat_write = "active" in data.document or seat_choice.several_types(session, ctx.org_id)
    pool = seating.lock_and_renew(session, ctx.org_id, ctx.now) if seat_write else None
    row = _lock_user(session, user_id, ctx)
    data.document.setdefault("active", row.active)
    _ensure_unique_user_name(session, ctx.org_id, data.user_name, except_id=row.id)
    _change_activity(session, pool, row, data.document, ctx)
    store_user(row, data, ctx.now)
    _flush(session, data.user_name)
    return row


def patch_user(session: Session, user_id: str, body: Any, ctx: WriteContext) -> UserRow:
    """PATCH: all operations or none; a refused seat claim rolls back every operation. Only
    a body whose operations write `active` takes the seat lock, or `roles`/`entitlements`
    in an org selling several seat types."""
    patch = parse_patch(body, USER, USER_TYPE.extension_schemas)
    seat_write = patch.writes("active") or (
        _writes_seat_type(patch) and seat_choice.several_types(session, ctx.org_id)
    )
    pool = seating.lock_and_renew(session, ctx.org_id, ctx.now) if seat_write else None
    row = _lock_user(session, user_id, ctx)
    current = {"id": row.id, **row.data}
    patched = patch.apply(current)
    patched.pop("id", None)
    data = user_input(patched)  # `remove active` leaves it unassigned: not active
    if data.user_name.lower() != row.user_name_norm:
        _ensure_unique_user_name(session, ctx.org_id, data.user_name, except_id=row.id)
    _change_activity(session, pool, row, data.document, ctx)
    store_user(row, data, ctx.now)
    _flush(session, data.user_name)
    return row


def _writes_seat_type(patch: Patch) -> bool:
    return any(patch.writes(name) for name in seat_choice.EXPLICIT)


def delete_user(session: Session, user_id: str, ctx: WriteContext) -> None:
    pool = seating.lock_and_renew(session, ctx.org_id, ctx.now)
    row = _lock_user(session, user_id, ctx)
    _change_activity(session, pool, row, {**row.data, "active": False}, ctx)
    forget_memberships(session, ctx.org_id, row.id, ctx.now)
    session.delete(row)
    session.flush()
    user_counts.change(session, ctx.org_id, -1)


def reassign_seat(session: Session, from_user_id: str, to_user_id: str,
                  ctx: WriteContext) -> tuple[UserRow, UserRow]:
    """Moves a seat from an active user to an inactive one in one transaction: works on a
    full pool because `assigned` never changes. Both users are locked in id order."""
    if from_user_id == to_user_id:
        raise ReassignmentRefused("a seat cannot be reassigned to the user who holds it")
    pool = seating.lock_and_renew(session, ctx.org_id, ctx.now)
    rows = {
        user_id: _lock_user(session, user_id, ctx)
        for user_id in sorted((from_user_id, to_user_id))
    }
    source, target = rows[from_user_id], rows[to_user_id]
    if not source.active:
        raise ReassignmentRefused(f"user {source.id} holds no seat to give")
    if target.active:
        raise ReassignmentRefused(f"user {target.id} already holds a seat")
    seating.reassign_seat(session, pool, actor=ctx.actor, source=_subject(source),
                          target=_subject(target), now=ctx.now, source_name=source.user_name,
                          target_name=target.user_name)
    seat_choice.hand_over(session, seat_choice.load(session, pool), source, target,
                          actor=ctx.actor, now=ctx.now)
    for row, active in ((source, False), (target, True)):
        store_user(row, UserInput({**row.data, "active": active}, None), ctx.now)
    session.flush()
    return source, target
