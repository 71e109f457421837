"""List queries (RFC 7644 §3.4.2): filter, 1-based startIndex and count → one page of rows
plus the count of all matches, both answered by indexed queries scoped to the org."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from scim.errors import invalid_value
from scim.filters import compile_group_filter, compile_user_filter
from scim.schemas import LIST_RESPONSE_SCHEMA
from scim.tables import GroupRow, UserRow


@dataclass(frozen=True)
class Page:
    start_index: int
    count: int


def _integer(name: str, raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid_value(f"{name} must be an integer, got {raw!r}") from None


def parse_page(start_index: str | None, count: str | None, *, default: int, maximum: int) -> Page:
    """startIndex < 1 is read as 1 and a negative count as 0 (RFC 7644 §3.4.2.4); count is
    capped at the announced maximum."""
    start = max(1, _integer("startIndex", start_index, 1))
    size = min(max(0, _integer("count", count, default)), maximum)
    return Page(start_index=start, count=size)


@dataclass(frozen=True)
class ListResult:
    total: int
    start_index: int
    rows: list[Any]


def list_users(session: Session, org_id: str, filter_text: str | None, page: Page) -> ListResult:
    condition = compile_user_filter(filter_text) if filter_text else true()
    return _list(session, UserRow, org_id, condition, page)


def list_groups(session: Session, org_id: str, filter_text: str | None, page: Page) -> ListResult:
    """Group rows only: members are loaded by the caller, and only when they are rendered."""
    condition = compile_group_filter(filter_text) if filter_text else true()
    return _list(session, GroupRow, org_id, condition, page)


def _list(
    session: Session,
    table: type[UserRow] | type[GroupRow],
    org_id: str,
    condition: ColumnElement[bool],
    page: Page,
) -> ListResult:
    """Both tables are listed by their (org_id, created_at, id) index, in creation order."""
    scope = (table.org_id == org_id, condition)
    total = session.scalar(select(func.count()).select_from(table).where(*scope)) or 0
    rows: list[Any] = []
    if page.count > 0 and total >= page.start_index:
        rows = list(
            session.scalars(
                select(table)
                .where(*scope)
                .order_by(table.created_at, table.id)
                .offset(page.start_index - 1)
                .limit(page.count)
            )
        )
    return ListResult(total=total, start_index=page.start_index, rows=rows)


def list_response(result: ListResult, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": result.total,
        "itemsPerPage": len(resources),
        "startIndex": result.start_index,
        "Resources": resources,
    }
