"""The org's append-only audit log, read in id order so that a client can tail it."""
from __future__ import annotations

from flask import Response, g, request

from app.admin.blueprint import json_response
from app.admin.schemas import AuditPageSchema, AuditQuerySchema, load
from app.context import current_db
from app.read_models import AuditOldestFirst, audit_page


def list_audit_events() -> Response:
    """Paged by id rather than by time (read_models.AuditOldestFirst), so the same request
    tails the log: `next_after` stays put until something new arrives.
    ---
    get:
      summary: Read the org's audit log
      tags: [Audit]
      parameters:
        - in: query
          schema: AuditQuerySchema
      responses:
        200:
          description: Entries with an id greater than `after`, ascending.
          content:
            application/json:
              schema: AuditPageSchema
        400: InvalidInput
    """
    query = load(AuditQuerySchema(), request.args, "INVALID_QUERY")
    paging = AuditOldestFirst(after=query["after"], size=query["limit"])
    with current_db().transaction(write=False) as session:
        entries = audit_page(session, g.org_id, paging, action=query.get("action", ""),
                             user=query.get("user", "")).rows
    next_after = entries[-1].id if entries else query["after"]
    return json_response(AuditPageSchema().dump({"entries": entries, "next_after": next_after}))
