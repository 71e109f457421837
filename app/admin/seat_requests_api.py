"""The queue of seat requests (the `request` pool-full policy): read by every role, decided
by the primary owner and admins, who seat people already. Approving seats the person at once
through the one seat claim, so they are in on their next sign-in; without a free seat it is
refused (409 SEAT_LIMIT_REACHED) and changes nothing: buy seats, then approve."""
from __future__ import annotations

from typing import Any

from flask import Response, g
from marshmallow import Schema, fields

from app.admin.blueprint import json_response
from app.context import current_db
from app.roles import MANAGERS, require_role
from scim import signin
from scim.users import WriteContext
from seats import seat_requests
from seats.clock import utcnow
from seats.models import SeatRequest


class SeatRequestSchema(Schema):
    id = fields.String()
    userName = fields.String(attribute="user_name")
    seat_type = fields.String(attribute="seat_type_key", allow_none=True)
    status = fields.String(metadata={"description": "open, approved, denied or expired"})
    requested_at = fields.DateTime()
    expires_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    user_id = fields.String(allow_none=True, metadata={"description": "Set by an approval."})


class SeatRequestQueueSchema(Schema):
    pending = fields.Integer()
    requests = fields.List(fields.Nested(SeatRequestSchema))


def _context() -> WriteContext:
    return WriteContext(org_id=g.org_id, actor=g.actor, now=utcnow())


def _view(row: SeatRequest) -> dict[str, Any]:
    return SeatRequestSchema().dump(row)


def list_seat_requests() -> Response:
    """Open requests that have not expired, oldest first; expired ones drop off.
    ---
    get:
      summary: The org's pending seat requests
      tags: [Seats]
      responses:
        200:
          description: The queue, oldest first.
          content:
            application/json:
              schema: SeatRequestQueueSchema
    """
    with current_db().transaction(write=False) as session:
        rows = seat_requests.queue(session, g.org_id, utcnow())
        return json_response(SeatRequestQueueSchema().dump({"pending": len(rows), "requests": rows}))


@require_role(*MANAGERS)
def approve_seat_request(request_id: str) -> Response:
    """Seats the person now; two approvals racing for the last seat: one wins, the other is
    refused with 409 SEAT_LIMIT_REACHED.
    ---
    post:
      summary: Approve a seat request, seating the person
      tags: [Seats]
      parameters:
      - {name: request_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The request, approved, with the seated user's id.
          content:
            application/json:
              schema: SeatRequestSchema
        403: Forbidden
        404: NotFound
        409: Conflict
    """
    with current_db().transaction() as session:
        signin.approve_request(session, request_id, _context())
        return json_response(_view(session.get_one(SeatRequest, request_id)))


@require_role(*MANAGERS)
def deny_seat_request(request_id: str) -> Response:
    """Closes the request; the person's next sign-in asks again.
    ---
    post:
      summary: Deny a seat request
      tags: [Seats]
      parameters:
      - {name: request_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The request, denied.
          content:
            application/json:
              schema: SeatRequestSchema
        403: Forbidden
        404: NotFound
        409: Conflict
    """
    with current_db().transaction() as session:
        signin.deny_request(session, request_id, _context())
        return json_response(_view(session.get_one(SeatRequest, request_id)))
