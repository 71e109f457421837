"""SCIM use cases on groups (RFC 7643 §4.2, RFC 7644 §3.3-3.6). A membership holds no seat,
so no group write can fail for seat reasons (spec edge 16); in an org that maps groups to
seat types it takes the pool lock first and moves its users' seats (scim.seat_choice).

Members are changed as sets of rows (scim.memberships), never by rewriting a list that
concurrent PATCHes would race on: the member operations are taken out of a PATCH body and
run as set operations, and only what remains (displayName, externalId) goes through the
generic PATCH engine on the group's document. Everything is checked before anything is
written. displayName is not unique: RFC 7643 does not ask for it, and IdPs that want it
check with a `displayName eq` filter first."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.orm import Session

from scim import memberships, schemas, valuefilter
from scim.errors import ScimError, invalid_filter, invalid_value, mutability, not_found
from scim.memberships import Member
from scim.patch import apply_patch, parse_operations
from scim.resources import canonical_keys, validate_document
from scim.seat_choice import GroupWatch
from scim.tables import GROUP_SHOWN, GroupRow
from scim.users import WriteContext
from seats.models import new_id

_MEMBERS = rf"(?:{re.escape(schemas.GROUP_SCHEMA)}:)?members"
_MEMBERS_KEY = re.compile(_MEMBERS, re.IGNORECASE)
_MEMBERS_PATH = re.compile(
    rf"{_MEMBERS}(?:\[(?P<filter>.*)\])?(?:\.(?P<sub>[$\w]+))?", re.IGNORECASE | re.DOTALL
)
_SELECTABLE = frozenset({"value", "type"})  # what a member row stores; the rest is derived
_UNKNOWN_SHOWN = 5


@dataclass(frozen=True)
class MemberRef:
    """A member as the client names it: the id, and the type if the client said one."""

    id: str
    type: str | None = None


@dataclass(frozen=True)
class GroupInput:
    document: dict[str, Any]
    members: list[MemberRef] | None  # None: the body does not mention members


@dataclass(frozen=True)
class _MemberChange:
    """One PATCH operation on members as a set operation: add, replace, or remove the listed
    members (`refs` None: all of them) or those a value filter selects (`where`)."""

    op: str
    refs: list[MemberRef] | None
    where: valuefilter.Node | None = None


def _is_members(key: Any) -> bool:
    return isinstance(key, str) and _MEMBERS_KEY.fullmatch(key) is not None


def member_refs(value: Any) -> list[MemberRef]:
    """`display` and `$ref` are derived by the server and ignored; a member named twice is
    one member. null (or []) is no member at all."""
    refs: dict[str, MemberRef] = {}
    for element in value if isinstance(value, list) else [value]:
        if element is None:
            continue
        if not isinstance(element, dict):
            raise invalid_value('each member is an object such as {"value": "<id>"}')
        item = canonical_keys(element, schemas.MEMBERS.sub_attributes)
        member_id, claimed = item.get("value"), item.get("type")
        if not isinstance(member_id, str) or not member_id:
            raise invalid_value("each member needs a value: the id of a user or group")
        if claimed is not None and str(claimed).lower() not in ("user", "group"):
            raise invalid_value(f"member type {claimed!r} is neither User nor Group")
        refs[member_id] = MemberRef(member_id, None if claimed is None else claimed.title())
    return list(refs.values())


def _take_members(value: dict[str, Any]) -> tuple[list[MemberRef] | None, dict[str, Any]]:
    """The members a group-shaped object names (None: it names none), and the rest of it."""
    listed = [item for key, item in value.items() if _is_members(key)]
    rest = {key: item for key, item in value.items() if not _is_members(key)}
    return (member_refs(listed[-1]) if listed else None), rest


def group_input(raw: Any) -> GroupInput:
    """Members are taken out before the document is validated: they are not stored in it,
    and a 50,000-member body should not go through marshmallow element by element."""
    if not isinstance(raw, dict):
        raise invalid_value("the request body must be a JSON object")
    members, rest = _take_members(raw)
    document = validate_document(rest, schemas.GROUP_TYPE)
    name = document.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise invalid_value("displayName is required and must be a non-empty string")
    return GroupInput(document, members)


# --- reading ------------------------------------------------------------------------------


def _one(session: Session, query: Select[GroupRow], org_id: str, group_id: str) -> GroupRow:
    row = session.scalar(query, {"org_id": org_id, "group_id": group_id})
    if row is None:
        raise not_found(f"Group {group_id} not found")
    return row


_BY_ID = select(GroupRow).where(
    GroupRow.org_id == bindparam("org_id"), GroupRow.id == bindparam("group_id")
)
"""Built once, with its two locking forms: every request on one group runs one of them."""
_LOCKED = {
    deleting: _BY_ID.with_for_update(key_share=not deleting).execution_options(
        populate_existing=True
    )
    for deleting in (False, True)
}


def get_group(session: Session, org_id: str, group_id: str) -> GroupRow:
    return _one(session, _BY_ID, org_id, group_id)


_SHOWN_BY_ID = select(*GROUP_SHOWN).where(
    GroupRow.org_id == bindparam("org_id"), GroupRow.id == bindparam("group_id")
)


def read_group(session: Session, org_id: str, group_id: str) -> Row[Any]:
    """A group as GET renders it: Core columns, like users.read_user."""
    found = session.connection().execute(_SHOWN_BY_ID, {"org_id": org_id, "group_id": group_id})
    row = found.first()
    if row is None:
        raise not_found(f"Group {group_id} not found")
    return row


def _lock_group(
    session: Session, group_id: str, ctx: WriteContext, *, deleting: bool = False
) -> GroupRow:
    """FOR NO KEY UPDATE while the group stays: it does not wait for the key-share locks of
    writers adding this group to another one. A deletion takes FOR UPDATE, which does. The
    If-Match precondition is checked on the locked row."""
    row = _one(session, _LOCKED[deleting], ctx.org_id, group_id)
    ctx.check_version(row.version)
    return row


# --- checking members ---------------------------------------------------------------------


def _checked(
    session: Session, ctx: WriteContext, group_id: str | None, refs: list[MemberRef]
) -> list[Member]:
    """The members as they exist in the org, or 400 invalidValue naming the first few that
    do not; with `group_id`, also refuses the group itself and any group containing it."""
    if group_id is not None and any(ref.id == group_id for ref in refs):
        raise invalid_value("a group cannot be a member of itself")
    found = memberships.resolve(session, ctx.org_id, [ref.id for ref in refs])
    unknown = [ref.id for ref in refs if ref.id not in found]
    if unknown:
        shown = ", ".join(unknown[:_UNKNOWN_SHOWN])
        more = len(unknown) - _UNKNOWN_SHOWN
        tail = f" and {more} more" if more > 0 else ""
        raise invalid_value(f"no user or group of this organisation has the id {shown}{tail}")
    for ref in refs:
        if ref.type is not None and ref.type != found[ref.id]:
            raise invalid_value(f"member {ref.id} is a {found[ref.id]}, not a {ref.type}")
    members = [Member(ref.id, found[ref.id]) for ref in refs]
    if group_id is not None:
        _refuse_cycles(session, ctx.org_id, group_id, members)
    return members


def _refuse_cycles(session: Session, org_id: str, group_id: str, members: list[Member]) -> None:
    nested = {member.id for member in members if member.type == memberships.GROUP}
    if not nested:
        return
    memberships.lock_nesting(session, org_id)
    looping = sorted(nested & memberships.ancestors(session, org_id, group_id))
    if looping:
        raise invalid_value(
            f"group {looping[0]} contains this group, so it cannot also be its member"
        )


# --- writing ------------------------------------------------------------------------------


def _store(row: GroupRow, document: dict[str, Any], ctx: WriteContext) -> None:
    """Every write moves the version on, membership changes included: the ETag changes."""
    row.display_name = document["displayName"]
    row.display_name_norm = document["displayName"].lower()
    row.external_id = document.get("externalId")
    row.data = document
    row.last_modified_at = ctx.now
    row.version = (row.version or 0) + 1


def create_group(session: Session, raw: Any, ctx: WriteContext) -> GroupRow:
    data = group_input(raw)
    watch = GroupWatch(session, ctx.org_id, None, actor=ctx.actor, now=ctx.now)
    members = _checked(session, ctx, None, data.members or [])
    row = GroupRow(id=new_id(), org_id=ctx.org_id, created_at=ctx.now, version=0)
    _store(row, data.document, ctx)
    session.add(row)
    session.flush()
    memberships.add(session, ctx.org_id, row.id, members)
    watch.settle(session, row.id)
    return row


def replace_group(session: Session, group_id: str, raw: Any, ctx: WriteContext) -> GroupRow:
    """PUT replaces displayName and externalId, and the members when the body lists them
    (`"members": []` empties the group). A body without members keeps them (RFC 7644 §3.5.1
    lets the server choose), so a rename by PUT cannot empty a large group by accident."""
    data = group_input(raw)
    get_group(session, ctx.org_id, group_id)
    watch = GroupWatch(session, ctx.org_id, group_id, actor=ctx.actor, now=ctx.now)
    members = None if data.members is None else _checked(session, ctx, group_id, data.members)
    row = _lock_group(session, group_id, ctx)
    _store(row, data.document, ctx)
    if members is not None:
        memberships.replace(session, ctx.org_id, row.id, members)
    watch.settle(session, row.id)
    return row


def patch_group(session: Session, group_id: str, body: Any, ctx: WriteContext) -> GroupRow:
    """All operations or none: members are checked and the document patched before the
    first row is written."""
    get_group(session, ctx.org_id, group_id)
    watch = GroupWatch(session, ctx.org_id, group_id, actor=ctx.actor, now=ctx.now)
    changes, others = _split(body)
    named = [ref for change in changes if change.op != "remove" for ref in change.refs or ()]
    checked = {member.id: member for member in _checked(session, ctx, group_id, named)}
    row = _lock_group(session, group_id, ctx)
    _store(row, row.data if others is None else _patched(row, others), ctx)
    for change in changes:
        _run(session, ctx.org_id, row.id, change, checked)
    watch.settle(session, row.id)
    return row


def delete_group(session: Session, group_id: str, ctx: WriteContext) -> None:
    """The group's own memberships go with it, and so does its membership in other groups."""
    watch = GroupWatch(session, ctx.org_id, group_id, actor=ctx.actor, now=ctx.now)
    row = _lock_group(session, group_id, ctx, deleting=True)
    memberships.forget(session, ctx.org_id, row.id, ctx.now)
    memberships.remove_all(session, ctx.org_id, row.id)
    session.delete(row)
    session.flush()
    watch.settle(session, None)


def _patched(row: GroupRow, body: dict[str, Any]) -> dict[str, Any]:
    patched = apply_patch({"id": row.id, **row.data}, body, schemas.GROUP)
    patched.pop("id", None)
    return group_input(patched).document


def _run(
    session: Session, org_id: str, group_id: str, change: _MemberChange,
    checked: dict[str, Member],
) -> None:
    if change.op == "add":
        memberships.add(session, org_id, group_id, [checked[r.id] for r in change.refs or ()])
    elif change.op == "replace":
        wanted = [checked[r.id] for r in change.refs or ()]
        memberships.replace(session, org_id, group_id, wanted)
    elif change.where is not None:
        selected = _selected(session, org_id, group_id, change.where)
        memberships.remove(session, org_id, group_id, selected)
    elif change.refs is None:
        memberships.remove_all(session, org_id, group_id)
    else:
        memberships.remove(session, org_id, group_id, [r.id for r in change.refs])


def _selected(
    session: Session, org_id: str, group_id: str, where: valuefilter.Node
) -> list[str]:
    """The members a remove filter selects. When the filter pins one id (the usual
    `members[value eq "id"]`), only that row is read."""
    pinned = valuefilter.equalities(where) or {}
    only = [pinned["value"]] if "value" in pinned else None
    return [
        member.id
        for member in memberships.members(session, org_id, group_id, only)
        if valuefilter.matches(where, {"value": member.id, "type": member.type})
    ]


# --- splitting a PATCH body ---------------------------------------------------------------


def _split(body: Any) -> tuple[list[_MemberChange], dict[str, Any] | None]:
    """The member operations of a PatchOp body, in order, and a body of the other operations
    for the PATCH engine (None when there are none). The two touch disjoint attributes, so
    running them apart gives what running them in order would."""
    changes: list[_MemberChange] = []
    others: list[dict[str, Any]] = []
    for index, operation in enumerate(parse_operations(body)):
        try:
            change, rest = _member_part(operation)
        except ScimError as exc:
            detail = f"Operations[{index}]: {exc.detail}"
            raise ScimError(exc.status, detail, exc.scim_type) from exc
        changes.extend([change] if change else [])
        others.extend([rest] if rest else [])
    return changes, {**body, "Operations": others} if others else None


def _member_part(
    operation: dict[str, Any],
) -> tuple[_MemberChange | None, dict[str, Any] | None]:
    """(the members change, what is left for the engine) of one operation. An operation the
    engine would refuse is left to it, so it is refused in the engine's words."""
    op, path = operation.get("op"), operation.get("path")
    op = op.lower() if isinstance(op, str) else op
    if op not in ("add", "replace", "remove"):
        return None, operation
    if path is None:
        return _members_in_value(op, operation)
    match = _MEMBERS_PATH.fullmatch(path.strip()) if isinstance(path, str) else None
    if match is None:
        return None, operation
    if match["sub"] is not None or (match["filter"] is not None and op != "remove"):
        raise mutability("members are added and removed whole; their values are immutable")
    if match["filter"] is not None:
        return _MemberChange("remove", None, _member_filter(match["filter"])), None
    if op == "remove":
        value = operation.get("value")  # Entra lists the members to remove here
        return _MemberChange("remove", None if value is None else member_refs(value)), None
    if "value" not in operation:
        raise invalid_value(f"{op} needs a value")
    return _MemberChange(op, member_refs(operation["value"])), None


def _members_in_value(
    op: str, operation: dict[str, Any]
) -> tuple[_MemberChange | None, dict[str, Any] | None]:
    """Without a path the value is an object of attributes (Okta's rename sends
    {"id", "displayName"}); members in it are split off, the rest stays one operation."""
    value = operation.get("value")
    if op == "remove" or not isinstance(value, dict):
        return None, operation
    members, rest = _take_members(value)
    if members is None:
        return None, operation
    return _MemberChange(op, members), {**operation, "value": rest} if rest else None


def _member_filter(text: str) -> valuefilter.Node:
    node = valuefilter.parse(text, schemas.MEMBERS)
    if not _names(node) <= _SELECTABLE:
        raise invalid_filter("members can be selected by value and type only")
    return node


def _names(node: valuefilter.Node) -> set[str]:
    if isinstance(node, valuefilter.Compare):
        return {node.attr.name}
    if isinstance(node, valuefilter.Not):
        return _names(node.inner)
    return _names(node.left) | _names(node.right)
