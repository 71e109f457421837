"""List queries: GET on a resource endpoint (RFC 7644 §3.4.2) and POST /.search (§3.4.3), over
one resource type or, at the root, all of them. Filter, sortBy/sortOrder, and either index
pagination (startIndex, count) or cursor pagination (cursor, count: RFC 9865).

Rows are ordered by (sort value, id), so equal sort values still have one order; index pages
are read with OFFSET, cursor pages by keyset from the position the cursor holds, so a row
inserted before that position does not shift the pages after it. Without sortBy the order is
meta.created. Each query is scoped to one org; the page is read first as (type, id, sort
value) and its rows loaded after, one query per resource type.

The statements around a filter are built once per shape of the query (`Plans`): the
filter's condition is still compiled on every request, but SQLAlchemy's cache key of it,
which holds its structure and leaves its literal values out, finds the page statement built
for an earlier filter of the same shape, and the new values are bound into it."""
from __future__ import annotations

import json
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    Subquery,
    and_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.types import NullType

from scim import cursors, user_counts
from scim.cursors import Position
from scim.errors import ScimError, invalid_value
from scim.filters import (
    GROUP_TARGET,
    USER_TARGET,
    Column,
    FilterTarget,
    compile_filter,
    matches_at_most_one,
    sort_key,
)
from scim.memberships import chunks
from scim.resources import Names
from scim.schemas import (
    GROUP_TYPE,
    LIST_RESPONSE_SCHEMA,
    SEARCH_REQUEST_SCHEMA,
    USER_TYPE,
    ResourceType,
    message,
)
from scim.tables import GROUP_SHOWN, USER_SHOWN, GroupRow, UserRow

DEFAULT_SORT = "meta.created"
T = TypeVar("T")
_PARAMETERS = (
    "attributes", "excludedAttributes", "filter", "sortBy", "sortOrder", "startIndex", "count",
    "cursor",
)


@dataclass(frozen=True)
class Source:
    """One resource type as lists read it: its table, and how filters and sortBy see it."""

    resource_type: ResourceType
    table: type[UserRow] | type[GroupRow]
    target: FilterTarget
    shown: tuple[InstrumentedAttribute[Any], ...]  # the columns its resources render from
    count_all: Callable[[Session, str], int] | None = None  # a kept count of the org's rows


Listed = Row[Any, Any, Any]
"""(type, id, sort key) of a resource in a list, as paged and as a cursor points at it."""

USERS = Source(USER_TYPE, UserRow, USER_TARGET, USER_SHOWN, user_counts.count)
GROUPS = Source(GROUP_TYPE, GroupRow, GROUP_TARGET, GROUP_SHOWN)
EVERYTHING = (USERS, GROUPS)
"""What a search at the root covers (RFC 7644 §3.4.3)."""


@dataclass(frozen=True)
class Page:
    start_index: int
    count: int


@dataclass(frozen=True)
class ListQuery:
    """`cursor` None asks for index pagination; "" for the first page of cursor pagination."""

    page: Page
    filter: str | None = None
    sort_by: str | None = None
    descending: bool = False
    cursor: str | None = None
    attributes: Names = None
    excluded: Names = None


def search_parameters(body: Any) -> dict[str, Any]:
    """A SearchRequest body → the parameters GET would carry: the same names, which are
    case-insensitive in a body like every attribute name (RFC 7643 §2.1)."""
    names = {name.lower(): name for name in _PARAMETERS}
    return {
        names[key.lower()]: value
        for key, value in message(body, SEARCH_REQUEST_SCHEMA, "SearchRequest").items()
        if isinstance(key, str) and key.lower() in names
    }


def list_query(params: Mapping[str, Any], *, default_count: int, max_count: int) -> ListQuery:
    """From GET query parameters (text) or search_parameters (JSON values). startIndex < 1 is
    read as 1 and a negative count as 0 (RFC 7644 §3.4.2.4); count is capped at the announced
    maximum, for cursor pages too (a server may return fewer); but a cursor page needs a
    count of at least 1, or it would never move on (RFC 9865's invalidCount)."""
    cursor = _text(params, "cursor")
    start = _integer(params, "startIndex", 1)
    if cursor is not None and params.get("startIndex") not in (None, ""):
        raise invalid_value("startIndex and cursor are two ways of paging: send one of them")
    count = _integer(params, "count", default_count)
    if cursor is not None and count < 1:
        raise ScimError(400, f"with a cursor, count is from 1 to {max_count}", "invalidCount")
    return ListQuery(
        page=Page(start_index=max(1, start), count=min(max(0, count), max_count)),
        filter=_text(params, "filter") or None,
        sort_by=_text(params, "sortBy") or None,
        descending=_descending(_text(params, "sortOrder")),
        cursor=cursor,
        attributes=params.get("attributes"),
        excluded=params.get("excludedAttributes"),
    )


def _text(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid_value(f"{name} must be a string")
    return value


def _integer(params: Mapping[str, Any], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    try:
        if isinstance(raw, str):
            return int(raw)
    except ValueError:
        pass
    raise invalid_value(f"{name} must be an integer, got {raw!r}")


def _descending(sort_order: str | None) -> bool:
    if sort_order in (None, "") or sort_order.lower() == "ascending":
        return False
    if sort_order.lower() == "descending":
        return True
    raise invalid_value(f"sortOrder is ascending or descending, not {sort_order!r}")


@dataclass(frozen=True)
class ListResult:
    """`start_index` is None for a cursor page, which has cursors instead (RFC 9865 §2)."""

    total: int
    start_index: int | None
    rows: list[Any]  # Found, from list_resources
    next_cursor: str | None = None
    previous_cursor: str | None = None


@dataclass(frozen=True)
class _Part:
    """One source's share of a query: the condition its rows match, the value they sort by."""

    source: Source
    condition: ColumnElement[bool]
    key: Column
    unfiltered: bool


@dataclass(frozen=True)
class _Plan:
    """A query's statements, with no value of a request in them: the org, the page and the
    filter's values are bound when they run, so one plan serves every query of its shape."""

    parts: list[_Part]
    key_type: str  # the sort attribute's SCIM type, to read a cursor's sort value back
    key_nullable: bool  # whether some row may have no sort value (sorted last)
    listed: Subquery
    index_page: Select[Any]
    single: Select[Any] | None
    """For a filter that matches at most one row, that row's shown columns in one statement:
    a one-row page needs neither an order nor the index read before the rows."""
    binds: tuple[tuple[str, ...], ...]
    """Per part, the keys of its condition's bound values, in the order of its cache key."""

    def parameters(self, org_id: str, values: Sequence[Sequence[BindParameter[Any]]]
                   ) -> dict[str, Any]:
        """The org, and the values of conditions of this plan's shape (in the order of their
        cache keys) under the keys of the conditions the plan was built with."""
        parameters: dict[str, Any] = {"org_id": org_id}
        for keys, binds in zip(self.binds, values, strict=True):
            parameters.update(zip(keys, (bind.effective_value for bind in binds), strict=True))
        return parameters


class Plans:
    """The plans of the most recently used query shapes. A shape is the sources the filter
    applies to, SQLAlchemy's cache key of each one's condition (its structure and the types
    of its values, not the values), whether there is a filter at all (no filter reads the
    kept count; a filter that compiles to `true` counts), sortBy and sortOrder. Two elements
    with one cache key compile to the same SQL (SQLAlchemy's compiled cache relies on it), so
    the plan built for one filter runs any other of its shape with the other's values bound
    by position. Building the page statement around a filter cost about 0.25 ms of CPU, a
    third of a lookup by userName. Bounded, since clients choose their filters; a condition
    SQLAlchemy cannot key gets a plan of its own, not kept."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._plans: OrderedDict[Any, _Plan] = OrderedDict()
        self._lock = Lock()

    def plan(
        self,
        org_id: str,
        sources: Sequence[Source],
        conditions: Sequence[ColumnElement[bool] | None],
        query: ListQuery,
    ) -> tuple[_Plan, dict[str, Any]]:
        """The plan of the query, and the parameters to run its statements with."""
        filtered = [(source.resource_type.name, condition._generate_cache_key())
                    for source, condition in zip(sources, conditions, strict=True)
                    if condition is not None]
        keys = [key for _, key in filtered if key is not None]
        if len(keys) < len(filtered):  # its conditions keep their own values
            return _plan(sources, conditions, query, binds=()), {"org_id": org_id}
        shape = (tuple((name, key.key) for name, key in filtered if key is not None),
                 query.filter is None, query.sort_by, query.descending)
        with self._lock:
            plan = self._plans.get(shape)
            if plan is not None:
                self._plans.move_to_end(shape)
        if plan is None:
            binds = tuple(tuple(bind.key for bind in key.bindparams) for key in keys)
            plan = _plan(sources, conditions, query, binds)
            with self._lock:
                self._plans[shape] = plan
                if len(self._plans) > self._size:
                    self._plans.popitem(last=False)
        return plan, plan.parameters(org_id, [key.bindparams for key in keys])


_PLANS = Plans(size=256)


def list_resources(
    session: Session,
    org_id: str,
    sources: Sequence[Source],
    query: ListQuery,
    signing_key: bytes,
) -> ListResult:
    """One page of the org's resources of `sources` that match, with the count of all.
    `signing_key` signs and checks cursors."""
    conditions = _each(
        sources, lambda target: compile_filter(query.filter, target) if query.filter else true()
    )
    plan, parameters = _PLANS.plan(org_id, sources, conditions, query)
    if plan.single is not None and query.cursor is None and query.page.start_index == 1:
        found = _single(session, plan.single, plan.parts[0].source, parameters)
        return ListResult(len(found), 1, found[: query.page.count])
    if query.cursor is None:
        page = _index_page(session, plan, query.page, parameters)
        total = _total(session, plan, query.page, len(page), parameters)
        return ListResult(total, query.page.start_index, _load(session, org_id, page))
    total = _counted(session, plan, parameters)
    fingerprint = json.dumps(
        [org_id, [s.resource_type.name for s in sources], query.filter, query.sort_by,
         query.descending]
    )
    signer = _Signer(fingerprint, signing_key, plan.key_type)
    page, next_cursor, previous_cursor = _cursor_page(session, plan, query, signer, parameters)
    return ListResult(total, None, _load(session, org_id, page), next_cursor,
                      previous_cursor)


def _plan(
    sources: Sequence[Source],
    conditions: Sequence[ColumnElement[bool] | None],
    query: ListQuery,
    binds: tuple[tuple[str, ...], ...],
) -> _Plan:
    """At the root, a filter or sortBy applies to the resource types that have its
    attributes: a type that lacks one is left out by the filter (a user has no members), and
    sorts last (a NULL of the sort value's type, so that PostgreSQL sees one column type in
    the union; String for a string read from JSON, whose lower() SQLAlchemy leaves untyped)."""
    keys = _each(sources, lambda target: sort_key(query.sort_by or DEFAULT_SORT, target))
    path, typed = next(key for key in keys if key is not None)
    # lower(<JSON text>) has no SQLAlchemy type: CAST(NULL AS <no type>) compiles on neither
    # database. Such a key is a string (numbers and booleans are read typed), so: String.
    key_type = typed.type  # type: ignore[attr-defined]  # a column or an SQL expression: typed
    placeholder = String() if isinstance(key_type, NullType) else key_type
    parts = [
        _Part(source, condition, cast(null(), placeholder) if key is None else key[1],
              unfiltered=query.filter is None)
        for source, condition, key in zip(sources, conditions, keys, strict=True)
        if condition is not None
    ]
    nullable = any(getattr(part.key, "nullable", True) is not False for part in parts)
    listed = _listed(parts)
    index_page = (
        select(listed.c.type, listed.c.id, listed.c.key)
        .order_by(*_order(listed, query.descending))
        .offset(bindparam("page_offset", type_=Integer()))
        .limit(bindparam("page_limit", type_=Integer()))
    )
    return _Plan(parts, path.definition.type, nullable, listed, index_page, _single_row(parts),
                 binds)


def _single_row(parts: list[_Part]) -> Select[Any] | None:
    if len(parts) != 1 or not matches_at_most_one(parts[0].condition, parts[0].source.target):
        return None
    source = parts[0].source
    return select(*source.shown).where(source.table.org_id == bindparam("org_id"),
                                       parts[0].condition)


def _single(
    session: Session, single: Select[Any], source: Source, parameters: dict[str, Any]
) -> list[Found]:
    """Every match of a query that matches at most one row (`_Plan.single`): the whole first
    page, and its totalResults."""
    name = source.resource_type.name
    return [Found(name, row) for row in session.execute(single, parameters)]

def _each(sources: Sequence[Source], compile_one: Callable[[FilterTarget], T]) -> list[T | None]:
    """`compile_one` for each source, None where it is refused; when every source refuses,
    the first refusal is the answer."""
    results: list[T | None] = []
    refusals: list[ScimError] = []
    for source in sources:
        try:
            results.append(compile_one(source.target))
        except ScimError as exc:
            results.append(None)
            refusals.append(exc)
    if len(refusals) == len(sources):
        raise refusals[0]
    return results


def _total(
    session: Session, plan: _Plan, page: Page, found: int, parameters: dict[str, Any]
) -> int:
    """A page that ends before its count holds the last match, so the matches are the rows
    before it and its own: no count query (a first page by userName or id is `_single`'s and
    never gets here). A full page, or an empty one past the first index, is counted."""
    if 0 < found < page.count or (found == 0 and page.start_index == 1 and page.count > 0):
        return page.start_index - 1 + found
    return _counted(session, plan, parameters)


def _counted(session: Session, plan: _Plan, parameters: dict[str, Any]) -> int:
    return sum(_count(session, part, parameters) for part in plan.parts)


def _count(session: Session, part: _Part, parameters: dict[str, Any]) -> int:
    """All of the org's rows from the kept count where there is one: count(*) reads the
    org's whole index, which is not flat in the number of users (bench/README.md)."""
    if part.unfiltered and part.source.count_all is not None:
        return part.source.count_all(session, parameters["org_id"])
    table = part.source.table
    query = select(func.count()).select_from(table).where(
        table.org_id == bindparam("org_id"), part.condition
    )
    return session.scalar(query, parameters) or 0


def _listed(parts: list[_Part]) -> Subquery:
    """(type, id, key) of every matching row of every part, to be ordered and paged."""
    selects: list[Select[str, str, Any]] = [
        select(
            literal(part.source.resource_type.name).label("type"),
            part.source.table.id.label("id"),
            part.key.label("key"),
        ).where(part.source.table.org_id == bindparam("org_id"), part.condition)
        for part in parts
    ]
    return (selects[0] if len(selects) == 1 else union_all(*selects)).subquery("listed")


def _order(listed: Subquery, descending: bool) -> tuple[ColumnElement[Any], ...]:
    """Missing values last when ascending, first when descending (RFC 7644 §3.4.2.3): the
    one order is exactly reversed, which is what reading a cursor backwards needs."""
    if descending:
        return listed.c.key.desc().nulls_first(), listed.c.id.desc()
    return listed.c.key.asc().nulls_last(), listed.c.id.asc()


def _index_page(
    session: Session, plan: _Plan, page: Page, parameters: dict[str, Any]
) -> Sequence[Listed]:
    if page.count == 0:
        return []
    paged = {**parameters, "page_offset": page.start_index - 1, "page_limit": page.count}
    return session.execute(plan.index_page, paged).all()


@dataclass(frozen=True)
class _Signer:
    """Cursors for one query: the sort value travels as JSON, a dateTime as ISO text."""

    fingerprint: str
    key: bytes
    key_type: str

    def issue(self, row: Listed, backwards: bool) -> str:
        value = row.key.isoformat() if isinstance(row.key, datetime) else row.key
        return cursors.issue(Position(value, row.id, backwards), self.fingerprint, self.key)

    def read(self, cursor: str) -> Position:
        position = cursors.read(cursor, self.fingerprint, self.key)
        if self.key_type != "dateTime" or position.key is None:
            return position
        return Position(datetime.fromisoformat(position.key), position.row_id,
                        position.backwards)


def _cursor_page(
    session: Session, plan: _Plan, query: ListQuery, signer: _Signer, parameters: dict[str, Any]
) -> tuple[list[Listed], str | None, str | None]:
    """The page, its nextCursor and its previousCursor. Reads count + 1 rows past the
    position, to know whether there is a page after; a previousCursor reads backwards from
    the first row of its page, then turns the rows around."""
    position = signer.read(query.cursor) if query.cursor else None
    backwards = position is not None and position.backwards
    reading_descending = query.descending != backwards
    listed = plan.listed
    statement = (
        select(listed.c.type, listed.c.id, listed.c.key)
        .order_by(*_order(listed, reading_descending))
        .limit(query.page.count + 1)
    )
    if position is not None:
        statement = statement.where(
            _past(listed, position, reading_descending, plan.key_nullable)
        )
    found = session.execute(statement, parameters).all()
    page, more = list(found[: query.page.count]), len(found) > query.page.count
    if backwards:
        page.reverse()
    came_from = position is not None
    has_next, has_previous = (bool(page), more) if backwards else (more, bool(page) and came_from)
    return (
        page,
        signer.issue(page[-1], backwards=False) if has_next else None,
        signer.issue(page[0], backwards=True) if has_previous else None,
    )


def _past(
    listed: Subquery, position: Position, descending: bool, nullable: bool
) -> ColumnElement[bool]:
    """The rows after the position in the reading order: ascending is (key, NULLs last; id),
    descending its exact reverse. Past a sort value, the bound `key >= value` (`<=`) comes
    first, so the database seeks the sort index to the position instead of filtering every
    row before it: a page from the middle of a million users read 500,000 index entries
    (225 ms on SQLite, 79 on PostgreSQL). A sort key that may be NULL still needs the
    `IS NULL` alternative, which takes that seek away; meta.created, the default, cannot."""
    key, row_id, value = listed.c.key, listed.c.id, position.key
    if isinstance(value, bool):  # `key > True` is refused by SQLAlchemy: bind it as a value
        value = literal(value, Boolean())
    if not descending:
        if value is None:
            return and_(key.is_(None), row_id > position.row_id)
        after = and_(key >= value, or_(key > value, row_id > position.row_id))
        return or_(after, key.is_(None)) if nullable else after
    if value is None:
        return or_(key.is_not(None), row_id < position.row_id)
    return and_(key <= value, or_(key < value, row_id < position.row_id))


_BY_IDS = {
    source.resource_type.name: select(*source.shown).where(
        source.table.id.in_(bindparam("ids", expanding=True)),
        # `org_id || ''`: still scoped to the org, but not by an index. Without statistics
        # (no ANALYZE) SQLite otherwise picks an org_id index over the primary key and walks
        # every user of the org (194 ms a page at a million users); with the primary key it
        # is 100 lookups whatever the org's size.
        source.table.org_id.concat(literal_column("''")) == bindparam("org_id"),
    )
    for source in EVERYTHING
}
"""The shown columns of a page's rows, by resource type: built once, since every list and
filter response loads one; Core rows, since a list renders them and writes none."""


class Found(NamedTuple):
    """A resource of a page: its type's name and its shown columns."""

    type: str
    row: Row[Any]


def _load(session: Session, org_id: str, page: Sequence[Listed]) -> list[Found]:
    """The page's rows in the page's order. A row deleted since the page was read is left
    out (READ COMMITTED lets a deletion in between)."""
    wanted: dict[str, list[str]] = defaultdict(list)
    for entry in page:
        wanted[entry.type].append(entry.id)
    found: dict[tuple[str, str], Found] = {}
    connection = session.connection()
    for name, ids in wanted.items():
        for chunk in chunks(ids):
            rows = connection.execute(_BY_IDS[name], {"org_id": org_id, "ids": list(chunk)})
            found.update(((name, row.id), Found(name, row)) for row in rows)
    return [found[key] for key in ((entry.type, entry.id) for entry in page) if key in found]


def list_response(result: ListResult, resources: list[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": result.total,
        "itemsPerPage": len(resources),
    }
    if result.start_index is not None:
        body["startIndex"] = result.start_index
    if result.next_cursor is not None:
        body["nextCursor"] = result.next_cursor
    if result.previous_cursor is not None:
        body["previousCursor"] = result.previous_cursor
    body["Resources"] = resources
    return body
