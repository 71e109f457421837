"""The org's users with their seat state, and moving a seat from an active user to an
inactive one (scim.users.reassign_seat, the admin API's use case) after a confirmation."""
from __future__ import annotations

import re

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import Select, select
from werkzeug.wrappers import Response

from app.console.forms import ReassignForm, submitted
from app.context import current_db
from app.roles import MANAGERS, require_role
from scim.tables import UserRow
from scim.users import WriteContext, get_user, reassign_seat
from seats.clock import utcnow
from seats.errors import ReassignmentRefused

PAGE_SIZE = 50
MAX_PAGE = 1_000_000
"""Far past any org's last page; a bound so OFFSET stays a small integer on both databases."""
SEAT_STATES = {"held": True, "none": False}
"""A seat is held exactly by an active user (spec, "Words")."""


def _page_number() -> int:
    """ASCII digits only (`'²'.isdigit()` is true, yet int() refuses it), and bounded: an
    unusable page number is a 400 page, never a 500."""
    raw = request.args.get("page", "") or "1"
    if not re.fullmatch(r"[0-9]{1,18}", raw) or not 1 <= int(raw) <= MAX_PAGE:
        abort(400, f"The page number must be a whole number from 1 to {MAX_PAGE}.")
    return int(raw)


def _users(org_id: str, *, seat: str, search: str) -> Select[UserRow]:
    """Ordered by user name for people to scan; the search matches the lower-cased user
    name the directory keeps for its case-insensitive uniqueness."""
    stmt = select(UserRow).where(UserRow.org_id == org_id).order_by(UserRow.user_name_norm)
    if seat in SEAT_STATES:
        stmt = stmt.where(UserRow.active.is_(SEAT_STATES[seat]))
    if search:
        stmt = stmt.where(UserRow.user_name_norm.contains(search.lower(), autoescape=True))
    return stmt


def users() -> str:
    seat = request.args.get("seat", "")
    search = request.args.get("q", "").strip()[:255]
    page = _page_number()
    query = _users(g.org_id, seat=seat, search=search)
    with current_db().transaction(write=False) as session:
        rows = list(session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return render_template("console/users.html", users=rows[:PAGE_SIZE], seat=seat,
                           search=search, page=page, more=len(rows) > PAGE_SIZE)


@require_role(*MANAGERS)
def reassign(user_id: str) -> str:
    """Step 1 lists inactive users to choose from; step 2 (`?to=`) asks for confirmation."""
    search = request.args.get("q", "").strip()[:255]
    target_id = request.args.get("to")
    with current_db().transaction(write=False) as session:
        source = get_user(session, g.org_id, user_id)
        target = get_user(session, g.org_id, target_id) if target_id else None
        candidates = [] if target else list(session.scalars(
            _users(g.org_id, seat="none", search=search).limit(PAGE_SIZE)))
    form = ReassignForm(to_user_id=target.id) if target else None
    return render_template("console/reassign.html", source=source, target=target,
                           candidates=candidates, search=search, form=form)


@require_role(*MANAGERS)
def confirm_reassign(user_id: str) -> Response:
    form = ReassignForm()
    if not form.validate_on_submit():
        flash("Choose the user who should get the seat.", "error")
        return redirect(url_for("console.reassign", user_id=user_id), 303)
    ctx = WriteContext(org_id=g.org_id, actor=g.actor, now=utcnow())
    try:
        with current_db().transaction() as session:
            source, target = reassign_seat(session, user_id, submitted(form.to_user_id.data), ctx)
    except ReassignmentRefused as exc:
        flash(f"The seat was not moved: {exc}.", "error")
        return redirect(url_for("console.users"), 303)
    flash(f"The seat of {source.user_name} now belongs to {target.user_name}; "
          f"{source.user_name} is inactive.", "success")
    return redirect(url_for("console.users"), 303)
