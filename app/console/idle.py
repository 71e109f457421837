"""The idle-seat report (app/idle_seats.py) as numbered pages and a CSV download, linked
from the Usage page."""
from __future__ import annotations

from flask import Response, g, render_template

from app import idle_seats
from app.console.forms import number_arg
from app.console.users import MAX_PAGE, PAGE_SIZE
from app.context import current_db
from app.read_models import DEFAULT_IDLE_DAYS, MAX_IDLE_DAYS, UsersByName, idle_seat_page
from seats.clock import utcnow


def _days() -> int:
    return number_arg("days", minimum=1, maximum=MAX_IDLE_DAYS, message=(
        f"The number of days must be a whole number from 1 to {MAX_IDLE_DAYS}."
    )) or DEFAULT_IDLE_DAYS


def idle() -> str:
    days = _days()
    page_number = number_arg("page", minimum=1, maximum=MAX_PAGE, message=(
        f"The page number must be a whole number from 1 to {MAX_PAGE}.")) or 1
    since = idle_seats.idle_since(utcnow(), days)
    with current_db().transaction(write=False) as session:
        page = idle_seat_page(session, g.org_id, UsersByName(page_number, PAGE_SIZE),
                              idle_since=since)
    return render_template("console/idle.html", users=page.rows, days=days, since=since,
                           max_days=MAX_IDLE_DAYS, page=page_number, more=page.more)


def idle_csv() -> Response:
    return idle_seats.download(g.org_id, _days(), utcnow())
