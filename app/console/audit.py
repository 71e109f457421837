"""The org's audit log, newest first, a page at a time, filtered by event type and user."""
from __future__ import annotations

from flask import g, render_template, request
from sqlalchemy import select

from app.console.forms import number_arg
from app.context import current_db
from app.read_models import MAX_AUDIT_ID, AuditNewestFirst, audit_page
from seats.models import AuditEvent

PAGE_SIZE = 50


def audit_filters() -> tuple[str, str]:
    """The event type and the user to filter by, cut to what the columns can hold: the page
    and its CSV download read them alike."""
    return request.args.get("action", "")[:64], request.args.get("user", "").strip()[:2048]


def audit() -> str:
    action, user = audit_filters()
    before = number_arg("before", minimum=0, maximum=MAX_AUDIT_ID,
                        message="`before` must be an audit entry id, a whole number.")
    with current_db().transaction(write=False) as session:
        page = audit_page(session, g.org_id, AuditNewestFirst(before, PAGE_SIZE), action=action,
                          user=user)
        actions = list(session.scalars(
            select(AuditEvent.action).where(AuditEvent.org_id == g.org_id)
            .distinct().order_by(AuditEvent.action)))
    older = page.rows[-1].id if page.more else None
    return render_template("console/audit.html", entries=page.rows, actions=actions,
                           action=action, user=user, older=older, first_page=before is None)
