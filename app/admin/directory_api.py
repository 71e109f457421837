"""The org's users as admins see them: who holds a seat and who does not."""
from __future__ import annotations

from typing import Any

from flask import Response, g, request
from sqlalchemy import Select, select, tuple_

from app.admin.blueprint import json_response
from app.admin.schemas import Position, UserPageSchema, UsersQuerySchema, load
from app.context import current_db
from scim.tables import UserRow


def _users_page(org_id: str, query: dict[str, Any]) -> Select[UserRow]:
    """Keyset order (created_at, id) walks the (org_id, created_at, id) index, so page 1000
    costs what page 1 does and users created meanwhile are neither skipped nor repeated.
    One row more than the page tells whether another page follows."""
    stmt = (
        select(UserRow)
        .where(UserRow.org_id == org_id)
        .order_by(UserRow.created_at, UserRow.id)
        .limit(query["limit"] + 1)
    )
    if "seat" in query:
        stmt = stmt.where(UserRow.active.is_(query["seat"] == "held"))
    if "cursor" in query:
        after: Position = query["cursor"]
        stmt = stmt.where(tuple_(UserRow.created_at, UserRow.id) > (after.created_at, after.id))
    return stmt


def list_directory_users() -> Response:
    """A seat is held exactly by an active user (spec, "Words"), so seat state is read from
    `active` and needs no join.
    ---
    get:
      summary: List the org's users with their seat state
      tags: [Directory]
      parameters:
        - in: query
          schema: UsersQuerySchema
      responses:
        200:
          description: One page of users, oldest first.
          content:
            application/json:
              schema: UserPageSchema
        400: InvalidInput
    """
    query = load(UsersQuerySchema(), request.args, "INVALID_QUERY")
    with current_db().transaction(write=False) as session:
        rows = list(session.scalars(_users_page(g.org_id, query)))
    page = rows[: query["limit"]]
    last = page[-1] if len(rows) > len(page) else None
    next_cursor = Position(last.created_at, last.id) if last else None
    return json_response(UserPageSchema().dump({"users": page, "next_cursor": next_cursor}))
