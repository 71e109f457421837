"""The org's users with their seat state, and moving a seat from an active user to an
inactive one (scim.users.reassign_seat, the admin API's use case) after a confirmation."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.console.forms import ReassignForm, number_arg, submitted
from app.context import current_db
from app.read_models import UsersByName, user_page
from app.roles import MANAGERS, require_role
from scim.users import WriteContext, get_user, reassign_seat
from seats import seat_types
from seats.clock import utcnow
from seats.errors import ReassignmentRefused

PAGE_SIZE = 50
MAX_PAGE = 1_000_000
"""Far past any org's last page; a bound so OFFSET stays a small integer on both databases."""
SEAT_STATES = {"held": True, "none": False}
"""A seat is held exactly by an active user (spec, "Words")."""


WAITING_STATES = {"yes": True, "no": False}
"""Waiting for a seat type the user wants but could not get yet (docs/spec/seat-types.md)."""


def users() -> str:
    """With several seat types the page shows each user's type and filters by type and by
    waiting; an unknown type in the query matches nobody, as a search would."""
    seat = request.args.get("seat", "")
    search = request.args.get("q", "").strip()[:255]
    seat_type = request.args.get("type", "")[:64]
    waiting = request.args.get("waiting", "")
    page_number = number_arg("page", minimum=1, maximum=MAX_PAGE, message=(
        f"The page number must be a whole number from 1 to {MAX_PAGE}.")) or 1
    with current_db().transaction(write=False) as session:
        page = user_page(session, g.org_id, UsersByName(page_number, PAGE_SIZE),
                         holds_seat=SEAT_STATES.get(seat), name_contains=search,
                         seat_type=seat_type, waiting=WAITING_STATES.get(waiting))
        types = {t.key: t.name for t in seat_types.list_types(session, g.org_id)}
    return render_template("console/users.html", users=page.rows, seat=seat,
                           search=search, page=page_number, more=page.more,
                           types=types if len(types) > 1 else None, seat_type=seat_type,
                           waiting=waiting)


@require_role(*MANAGERS)
def reassign(user_id: str) -> str:
    """Step 1 lists inactive users to choose from; step 2 (`?to=`) asks for confirmation."""
    search = request.args.get("q", "").strip()[:255]
    target_id = request.args.get("to")
    with current_db().transaction(write=False) as session:
        source = get_user(session, g.org_id, user_id)
        target = get_user(session, g.org_id, target_id) if target_id else None
        candidates = [] if target else user_page(
            session, g.org_id, UsersByName(1, PAGE_SIZE), holds_seat=False, name_contains=search,
        ).rows
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
