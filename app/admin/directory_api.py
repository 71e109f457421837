"""The org's users as admins see them: who holds a seat and who does not."""
from __future__ import annotations

from flask import Response, g, request

from app.admin.blueprint import json_response
from app.admin.schemas import UserPageSchema, UsersQuerySchema, load
from app.context import current_db
from app.read_models import Position, UsersByCreation, user_page

HOLDS_SEAT = {"held": True, "free": False}


def list_directory_users() -> Response:
    """Keyset pages in creation order (read_models.UsersByCreation): a client walking the
    whole directory sees every user once, however many are created meanwhile.
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
    paging = UsersByCreation(after=query.get("cursor"), size=query["limit"])
    with current_db().transaction(write=False) as session:
        page = user_page(session, g.org_id, paging, holds_seat=HOLDS_SEAT.get(query.get("seat", "")),
                         seat_type=query.get("seat_type", ""), waiting=query.get("waiting"))
    next_cursor = Position.of(page.rows[-1]) if page.more else None
    return json_response(UserPageSchema().dump({"users": page.rows, "next_cursor": next_cursor}))
