"""Seats of the caller's org: counts, term and contract."""
from __future__ import annotations

from flask import Response, g

from app.admin.blueprint import bp, db, json_response
from seats import service


@bp.get("/seats")
def get_seats() -> Response:
    with db().transaction(write=False) as session:
        counts = service.seat_counts(session, g.org_id)
    return json_response({"total": counts.total, "assigned": counts.assigned, "free": counts.free})
