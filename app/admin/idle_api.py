"""The idle-seat report (app/idle_seats.py) as JSON pages and as one CSV download."""
from __future__ import annotations

from flask import Response, g, request

from app import idle_seats
from app.admin.blueprint import json_response
from app.admin.schemas import IdleDaysQuerySchema, IdleSeatPageSchema, IdleSeatsQuerySchema, load
from app.context import current_db
from app.read_models import Position, UsersByCreation, idle_seat_page
from seats.clock import utcnow


def list_idle_seats() -> Response:
    """Keyset pages in creation order, like the users list. Only a report: the server never
    deactivates anyone, the admin does it in the IdP (the source of truth).
    ---
    get:
      summary: Seats held by users with no SSO sign-in and no SCIM change for N days
      tags: [Seats]
      parameters:
        - in: query
          schema: IdleSeatsQuerySchema
      responses:
        200:
          description: One page of idle seats, oldest user first.
          content:
            application/json:
              schema: IdleSeatPageSchema
        400: InvalidInput
    """
    query = load(IdleSeatsQuerySchema(), request.args, "INVALID_QUERY")
    since = idle_seats.idle_since(utcnow(), query["days"])
    paging = UsersByCreation(after=query.get("cursor"), size=query["limit"])
    with current_db().transaction(write=False) as session:
        page = idle_seat_page(session, g.org_id, paging, idle_since=since)
    next_cursor = Position.of(page.rows[-1]) if page.more else None
    return json_response(IdleSeatPageSchema().dump({
        "days": query["days"], "idle_since": since, "users": page.rows,
        "next_cursor": next_cursor}))


def idle_seats_csv() -> Response:
    """Every idle seat at once, streamed, for a spreadsheet; cells a spreadsheet would run
    as formulas are defused.
    ---
    get:
      summary: The idle-seat report as CSV
      tags: [Seats]
      parameters:
        - in: query
          schema: IdleDaysQuerySchema
      responses:
        200:
          description: "Columns: id, userName, displayName, externalId, lastModified,
            lastSignIn."
          content:
            text/csv:
              schema: {type: string}
        400: InvalidInput
    """
    days = load(IdleDaysQuerySchema(), request.args, "INVALID_QUERY")["days"]
    return idle_seats.download(g.org_id, days, utcnow())
