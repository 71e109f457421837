"""The org's audit log, newest first, a page at a time, filtered by event type."""
from __future__ import annotations

import re

from flask import abort, g, render_template, request
from sqlalchemy import Select, select

from app.context import current_db
from seats.models import AuditEvent

PAGE_SIZE = 50
MAX_ID = 2_147_483_647  # audit_events.id is an Integer column


def _entries(org_id: str, action: str, before: int | None) -> Select[AuditEvent]:
    """Paged by id, the log's exact order: `before` resumes where the last page ended, and
    entries written meanwhile neither shift nor repeat a page."""
    stmt = (select(AuditEvent).where(AuditEvent.org_id == org_id)
            .order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1))
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if before is not None:
        stmt = stmt.where(AuditEvent.id < before)
    return stmt


def _before(raw: str) -> int | None:
    """Absent or empty is the first page; anything but ASCII digits within the id column's
    range is a 400 page (`'²'.isdigit()` is true, and PostgreSQL refuses an out-of-range
    integer), never a 500."""
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{1,18}", raw) or int(raw) > MAX_ID:
        abort(400, "`before` must be an audit entry id, a whole number.")
    return int(raw)


def audit() -> str:
    action = request.args.get("action", "")[:64]
    before = _before(request.args.get("before", ""))
    with current_db().transaction(write=False) as session:
        rows = list(session.scalars(_entries(g.org_id, action, before)))
        actions = list(session.scalars(
            select(AuditEvent.action).where(AuditEvent.org_id == g.org_id)
            .distinct().order_by(AuditEvent.action)))
    entries = rows[:PAGE_SIZE]
    older = entries[-1].id if len(rows) > PAGE_SIZE else None
    return render_template("console/audit.html", entries=entries, actions=actions,
                           action=action, older=older, first_page=before is None)
