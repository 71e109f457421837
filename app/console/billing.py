"""Billing settings: the Seats card, the top-up flow (pencil → Review → Upgrade), the
upcoming renewal and the invoices. Prices, proration, quotes and invoices all come from
seats.commerce and seats.invoices; this module only asks and shows."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from werkzeug.wrappers import Response

from app import read_models
from app.console import purchase, seat_policy, usage
from app.console.blueprint import can
from app.console.forms import SeatPolicyForm, SeatsForm, UpgradeForm, refuse, submitted
from app.context import current_db, current_settings
from app.invoice_pdf import pdf_download
from app.printed_invoices import PrintedInvoice, printed_invoice
from app.purchases import Buyer
from app.roles import OWNER, require_role
from seats import commerce, invoices, pool_full, seat_types, seating
from seats.clock import utcnow
from seats.errors import (
    IdempotencyConflict,
    InvalidSeatPolicy,
    InvalidTopUp,
    KeyConflict,
    SeatReductionNotAllowed,
)
from seats.models import Quote
from seats.pool_lock import LockedPool


def _billing_page(form: SeatsForm | None, status: int = 200,
                  policy_form: SeatPolicyForm | None = None) -> tuple[str, int]:
    with current_db().transaction(write=False) as session:
        card = read_models.seat_card(session, g.org_id)
        issued = invoices.list_invoices(session, g.org_id)
        alert = usage.alert(session, g.org_id, utcnow())
        policy = seat_policy.policy_card(session, g.org_id)
    if form is not None and form.total.data is None and not form.total.errors:
        form.total.data = _edited_total(card, form.seat_type.data or "") + _seats_asked_for()
    return render_template("console/billing.html", card=card, invoices=issued, form=form,
                           alert=alert, policy=policy,
                           policy_form=policy_form or seat_policy.policy_form(policy)), status


def _seats_asked_for() -> int:
    """`?add=N`: the seat requests queue's "approve by buying" pre-fills the new total with
    the pending requests; anything but a small whole number is ignored."""
    add = request.args.get("add", type=int) or 0
    return add if 0 < add <= current_settings().max_seats_per_purchase else 0


def _edited_total(card: read_models.SeatCard, seat_type: str) -> int:
    """The field starts at the total being edited: the type's, or the org's with one type."""
    if not seat_type:
        return card.total
    found = next((t.total for t in card.types if t.key == seat_type), None)
    if found is None:
        abort(404, "No such seat type in this organisation.")
    return found


def billing() -> tuple[str, int]:
    """`?edit=seats` is where the pencil leads: the seat count as a field (owners only);
    `&type=KEY` edits that type's count when the org sells several."""
    editing = request.args.get("edit") == "seats" and can(OWNER)
    form = SeatsForm(seat_type=request.args.get("type", "")) if editing else None
    return _billing_page(form)


class SeatsFieldError(ValueError):
    """Why the requested total cannot be priced, worded for the field."""


def _current_total(session: Session, pool: LockedPool, seat_type: str) -> int:
    if not seat_type:
        return pool.total
    found = seat_types.locked_types(session, pool).by_key(seat_type)
    if found is None:  # no card to show a field error on: the error page says it
        abort(400, "That seat type no longer exists. Start again from Billing.")
    return found.total


def _quote_for_total(requested_total: int, seat_type: str) -> str:
    """Prices raising the total (of `seat_type`, or the org's) to `requested_total`; returns
    the quote id. The current total is read under the pool lock, so the quote adds exactly
    the difference."""
    maximum = current_settings().max_seats_per_purchase
    now = utcnow()
    with current_db().transaction() as session:
        pool = seating.lock_and_renew(session, g.org_id, now)
        total = _current_total(session, pool, seat_type)
        try:
            add_seats = commerce.parse_add_seats(requested_total - total, maximum)
        except SeatReductionNotAllowed as exc:
            raise SeatsFieldError(
                f"Seats cannot be removed during a term: enter {total} or more. "
                "To free a seat, reassign it to another user.") from exc
        except InvalidTopUp as exc:
            if requested_total == total:
                raise SeatsFieldError(f"That is the current total. Enter more than {total} "
                                      "to add seats.") from exc
            raise SeatsFieldError(f"At most {maximum:,} seats can be added at once: enter "
                                  f"{total + maximum:,} or fewer.") from exc
        return commerce.preview_top_up(session, g.org_id, add_seats, actor=g.actor, now=now,
                                       seat_type=seat_type or None).id


@require_role(OWNER)
def price_seats() -> Response | tuple[str, int]:
    form = SeatsForm()
    if form.validate_on_submit():
        try:
            quote_id = _quote_for_total(submitted(form.total.data), form.seat_type.data or "")
        except SeatsFieldError as exc:
            refuse(form.total, str(exc))
        else:
            return redirect(url_for("console.review", quote_id=quote_id), 303)
    return _billing_page(form, 400)


@require_role(OWNER)
def save_seat_policy() -> Response | tuple[str, int]:
    """The policy card's form: refused input is shown on the page, and nothing changes."""
    form = SeatPolicyForm()
    if form.validate_on_submit():
        wanted = pool_full.PoolFullPolicy(submitted(form.policy.data), form.max_auto_seats.data or 0)
        try:
            with current_db().transaction() as session:
                pool_full.save_policy(session, g.org_id, wanted, actor=g.actor, now=utcnow())
        except InvalidSeatPolicy as exc:
            refuse(form.max_auto_seats, str(exc).capitalize() + ".")
        else:
            flash(f"When no seat is free: {wanted.describe()}.", "success")
            return redirect(url_for("console.billing") + "#seat-policy", 303)
    return _billing_page(None, 400, policy_form=form)


@require_role(OWNER)
def review(quote_id: str) -> str:
    """Every rendering embeds a fresh idempotency key: the key stands for this one click of
    Upgrade, while the quote itself can be bought only once whatever the key."""
    with current_db().transaction(write=False) as session:
        quote = session.scalar(select(Quote).where(Quote.id == quote_id, Quote.org_id == g.org_id)
                               .options(selectinload(Quote.lines)))
        names = {t.key: t.name for t in seat_types.list_types(session, g.org_id)}
    if quote is None:
        abort(404, "No such quote in this organisation. Start again from Billing.")
    form = UpgradeForm(quote_id=quote.id, idempotency_key=purchase.new_key())
    usable = quote.used_at is None and utcnow() < quote.valid_until
    # With one type the page reads as before types; with several each line names its type.
    typed = names if len(names) > 1 else None
    return render_template("console/review.html", quote=quote, form=form, usable=usable,
                           typed=typed)


@require_role(OWNER)
def upgrade() -> Response:
    """POST/redirect/GET: the outcome page is keyed by the idempotency key, so a reload
    shows the outcome again instead of buying again. A second click while the first still
    runs lands on the same page, which waits for the first to finish."""
    form = UpgradeForm()
    if not form.validate_on_submit():
        abort(400, "The upgrade form was incomplete. Review the increase again.")
    key = submitted(form.idempotency_key.data)
    buyer = Buyer(current_db(), g.org_id, g.actor)
    try:
        purchase.buy(buyer, key, submitted(form.quote_id.data))
    except IdempotencyConflict as exc:
        if exc.reason is not KeyConflict.IN_FLIGHT:
            raise
    return redirect(url_for("console.purchase_outcome", key=key), 303)


def purchase_outcome(key: str) -> str:
    found = purchase.outcome(current_db(), g.org_id, key) if purchase.KEY_PATTERN.match(key) else None
    if found is None:
        abort(404, "No purchase with this key in this organisation.")
    return render_template("console/purchase.html", outcome=found)


def _printed(number: str) -> PrintedInvoice:
    with current_db().transaction(write=False) as session:
        found = invoices.by_number(session, g.org_id, number)
        if found is None:
            abort(404, f"No invoice {number} in this organisation.")
        return printed_invoice(session, found, current_settings().seller)


def invoice(number: str) -> str:
    """The admin API's printable invoice page, with the same template and document."""
    return render_template("invoice.html", invoice=_printed(number),
                           pdf_url=url_for("console.invoice_pdf", number=number))


def invoice_pdf(number: str) -> Response:
    return pdf_download(_printed(number))
