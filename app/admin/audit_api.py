"""The org's append-only audit log, read in id order so that a client can tail it."""
from __future__ import annotations

from typing import Any

from flask import Response, g, request
from sqlalchemy import Select, select

from app.admin.blueprint import json_response
from app.admin.schemas import AuditPageSchema, AuditQuerySchema, load
from app.context import current_db
from seats.models import AuditEvent


def _entries(org_id: str, query: dict[str, Any]) -> Select[AuditEvent]:
    """Walks the (org_id, id) index from `after`; cost does not grow with the log."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.org_id == org_id, AuditEvent.id > query["after"])
        .order_by(AuditEvent.id)
        .limit(query["limit"])
    )
    if "action" in query:
        stmt = stmt.where(AuditEvent.action == query["action"])
    return stmt


def list_audit_events() -> Response:
    """Paged by id rather than by time: ids are unique and increasing, so `after` is an
    exact resume point where timestamps could tie.
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
    with current_db().transaction(write=False) as session:
        entries = list(session.scalars(_entries(g.org_id, query)))
    next_after = entries[-1].id if entries else query["after"]
    return json_response(AuditPageSchema().dump({"entries": entries, "next_after": next_after}))
