"""What happens when the pool is full, in the console: the policy card of the billing page
(chosen by the primary owner; its form is posted to billing.save_seat_policy) and the queue
of seat requests (decided by managers). The rules are seats.pool_full's and the decisions
scim.signin's, as in the admin API."""
from __future__ import annotations

from dataclasses import dataclass

from flask import flash, g, redirect, render_template, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app.console.forms import SeatPolicyForm
from app.context import current_db
from app.roles import MANAGERS, require_role
from scim import signin
from scim.users import WriteContext
from seats import pool_full, seat_requests
from seats.clock import utcnow


@dataclass(frozen=True)
class PolicyCard:
    policy: pool_full.PoolFullPolicy
    auto_seats_this_term: int
    pending_requests: int


def policy_card(session: Session, org_id: str) -> PolicyCard:
    return PolicyCard(pool_full.policy_of(session, org_id),
                      pool_full.auto_seats_this_term(session, org_id),
                      seat_requests.pending_count(session, org_id, utcnow()))


def policy_form(card: PolicyCard) -> SeatPolicyForm:
    return SeatPolicyForm(formdata=None, policy=card.policy.policy,
                          max_auto_seats=card.policy.max_auto_seats or None)


def queue() -> str:
    with current_db().transaction(write=False) as session:
        rows = seat_requests.queue(session, g.org_id, utcnow())
        card = policy_card(session, g.org_id)
    return render_template("console/seat_requests.html", requests=rows, card=card)


def _context() -> WriteContext:
    return WriteContext(org_id=g.org_id, actor=g.actor, now=utcnow())


@require_role(*MANAGERS)
def approve(request_id: str) -> Response:
    """Without a free seat the refusal page says so and nothing changes (buy, then approve)."""
    with current_db().transaction() as session:
        seated = signin.approve_request(session, request_id, _context())
    flash(f"{seated.user_name} has a seat and gets in on the next sign-in.", "success")
    return redirect(url_for("console.seat_requests"), 303)


@require_role(*MANAGERS)
def deny(request_id: str) -> Response:
    with current_db().transaction() as session:
        signin.deny_request(session, request_id, _context())
    flash("The request was denied.", "success")
    return redirect(url_for("console.seat_requests"), 303)
