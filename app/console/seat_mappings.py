"""Group mappings of seat types: the list, a preview of what adding or removing one would
do (how many users move, whether each type has the seats), and the change itself, which
moves or queues the users in its own transaction (scim.seat_choice.map_group)."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app.console.forms import MappingForm, submitted
from app.context import current_db
from app.roles import MANAGERS, require_role
from scim import seat_choice, seat_mappings
from scim.tables import GroupRow
from seats import seat_types
from seats.clock import utcnow

MAX_GROUPS = 1_000
"""Groups offered in the form's list; an org with more maps the rest through the admin API."""


def _group(session: Session, group_id: str) -> GroupRow:
    group = session.get(GroupRow, group_id)
    if group is None or group.org_id != g.org_id:
        abort(404, "No such group in this organisation.")
    return group


def mappings() -> str:
    with current_db().transaction(write=False) as session:
        found = seat_mappings.list_mappings(session, g.org_id)
        types = seat_types.list_types(session, g.org_id)
        groups = session.execute(
            select(GroupRow.id, GroupRow.display_name).where(GroupRow.org_id == g.org_id)
            .order_by(GroupRow.display_name_norm, GroupRow.id).limit(MAX_GROUPS)
        ).all()
    return render_template("console/seat_mappings.html", mappings=found, types=types,
                           groups=groups)


@require_role(*MANAGERS)
def preview() -> str:
    """`?group=ID&type=KEY` previews mapping the group to the type; without `type`,
    removing its mapping. Nothing is written until the confirmation is posted."""
    group_id = request.args.get("group", "")[:36]
    key = request.args.get("type", "")[:64] or None
    with current_db().transaction(write=False) as session:
        group = _group(session, group_id)
        forecast = seat_mappings.preview_mapping(session, g.org_id, group.id, key)
        names = {t.key: t.name for t in seat_types.list_types(session, g.org_id)}
    form = MappingForm(group_id=group.id, seat_type=key or "")
    return render_template("console/seat_mapping_preview.html", group=group, key=key,
                           forecast=forecast, names=names, form=form)


@require_role(*MANAGERS)
def change() -> Response:
    form = MappingForm()
    if not form.validate_on_submit():
        abort(400, "The mapping form was incomplete. Start again from Seat types.")
    key = form.seat_type.data or None
    with current_db().transaction() as session:
        group = _group(session, submitted(form.group_id.data))
        seat_choice.map_group(session, g.org_id, group, key, actor=g.actor, now=utcnow())
        name = group.display_name
    flash(f"Members of {name} now hold {key} seats." if key else
          f"{name} is no longer mapped: its members hold the seat type they want without it.",
          "success")
    return redirect(url_for("console.seat_mappings"), 303)
