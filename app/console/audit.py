"""The org's audit log, newest first, a page at a time, filtered by event type."""
from __future__ import annotations

import re

from flask import abort, g, render_template, request
from sqlalchemy import select

from app.context import current_db
from app.read_models import MAX_AUDIT_ID, AuditNewestFirst, audit_page
from seats.models import AuditEvent

PAGE_SIZE = 50


def _before(raw: str) -> int | None:
    """Absent or empty is the first page; anything but ASCII digits within the id column's
    range is a 400 page (`'²'.isdigit()` is true, and PostgreSQL refuses an out-of-range
    integer), never a 500."""
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{1,18}", raw) or int(raw) > MAX_AUDIT_ID:
        abort(400, "`before` must be an audit entry id, a whole number.")
    return int(raw)


def audit() -> str:
    action = request.args.get("action", "")[:64]
    before = _before(request.args.get("before", ""))
    with current_db().transaction(write=False) as session:
        page = audit_page(session, g.org_id, AuditNewestFirst(before, PAGE_SIZE), action=action)
        actions = list(session.scalars(
            select(AuditEvent.action).where(AuditEvent.org_id == g.org_id)
            .distinct().order_by(AuditEvent.action)))
    older = page.rows[-1].id if page.more else None
    return render_template("console/audit.html", entries=page.rows, actions=actions,
                           action=action, older=older, first_page=before is None)
