"""Seats, top-ups, invoices, renewal and reassignment of the caller's org. Each view is one
visible transaction; purchases add the idempotency claim around it."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, render_template, request

from app.admin.auth import require_role
from app.admin.blueprint import bp, db, json_body, json_response
from app.admin.problems import Problem, from_domain, problem_response
from app.admin.render import invoice_json, purchase_json, quote_json, seats_json
from app.settings import Settings
from scim import directory
from seats import commerce, idempotency, invoices, renewal, service
from seats.clock import utcnow
from seats.errors import QuoteUnusable, SeatsError
from seats.models import Contract, SeatPool
from seats.terms import term_end


def _settings() -> Settings:
    return current_app.extensions["settings"]


@bp.get("/seats")
def get_seats() -> Response:
    with db().transaction(write=False) as session:
        pool = session.get_one(SeatPool, g.org_id)
        contract = session.get_one(Contract, g.org_id)
        return json_response(seats_json(pool, contract))


@bp.put("/seats")
@require_role("primary_owner")
def put_seats() -> Response:
    """Seats are bought through quotes, never set; a lower total is refused outright."""
    requested = json_body().get("total")
    with db().transaction(write=False) as session:
        total = session.get_one(SeatPool, g.org_id).total
    if isinstance(requested, int) and not isinstance(requested, bool) and requested < total:
        raise Problem(400, "SEAT_REDUCTION_NOT_ALLOWED",
                      "seats cannot be removed during a term; reassign them instead")
    raise Problem(400, "PURCHASE_REQUIRED",
                  "add seats with POST /admin/v1/seats/quotes, then POST /admin/v1/seats/purchases")


@bp.post("/seats/quotes")
@require_role("primary_owner", "admin")
def create_quote() -> tuple[Response, int] | Response:
    add_seats = commerce.parse_add_seats(
        json_body().get("add_seats"), _settings().max_seats_per_purchase
    )
    with db().transaction() as session:
        quote = commerce.preview_top_up(session, g.org_id, add_seats, actor=g.actor, now=utcnow())
    return json_response(quote_json(quote), 201)


def _idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        raise Problem(400, "IDEMPOTENCY_KEY_MISSING", "send an Idempotency-Key header")
    if len(key) > idempotency.MAX_KEY_LENGTH:
        raise Problem(400, "IDEMPOTENCY_KEY_INVALID", "the Idempotency-Key is over 255 characters")
    return key


def _fresh_quote(add_seats: int) -> dict[str, Any]:
    with db().transaction() as session:
        quote = commerce.preview_top_up(session, g.org_id, add_seats, actor=g.actor, now=utcnow())
        return quote_json(quote)


def _refusal(exc: SeatsError, quote_id: str) -> idempotency.StoredResponse:
    """A refused purchase, as stored for replays; stale or expired quotes carry a fresh one."""
    extra: dict[str, Any] = {}
    if isinstance(exc, QuoteUnusable):
        with db().transaction(write=False) as session:
            add_seats = commerce.quote_seats(session, g.org_id, quote_id)
        extra["fresh_quote"] = _fresh_quote(add_seats)
    problem = from_domain(exc, **extra)
    return idempotency.StoredResponse(problem.status, problem.to_dict())


def _stored_response(stored: idempotency.StoredResponse, replayed: bool) -> Response:
    response = json_response(stored.body, stored.status)
    if stored.status >= 400:
        response.content_type = "application/problem+json"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.post("/seats/purchases")
@require_role("primary_owner")
def create_purchase() -> Response:
    key = _idempotency_key()
    body = json_body()
    quote_id = body.get("quote_id")
    if not isinstance(quote_id, str) or not quote_id:
        raise Problem(400, "INVALID_BODY", "quote_id is required")
    fingerprint = idempotency.fingerprint("POST", request.path, body)
    with db().transaction() as session:
        stored = idempotency.claim(session, g.org_id, key, fingerprint, utcnow())
    if stored is not None:
        return _stored_response(stored, replayed=True)
    try:
        with db().transaction() as session:
            purchase = commerce.confirm_top_up(session, g.org_id, quote_id, actor=g.actor, now=utcnow())
            stored = idempotency.StoredResponse(201, purchase_json(purchase))
            idempotency.finish(session, g.org_id, key, stored, utcnow())
    except SeatsError as exc:
        stored = _refusal(exc, quote_id)
        with db().transaction() as session:
            idempotency.finish(session, g.org_id, key, stored, utcnow())
    except BaseException:
        with db().transaction() as session:
            idempotency.release(session, g.org_id, key)
        raise
    return _stored_response(stored, replayed=False)


@bp.get("/invoices")
def list_invoices() -> Response:
    with db().transaction(write=False) as session:
        return json_response({"invoices": [invoice_json(i) for i in invoices.list_invoices(session, g.org_id)]})


@bp.get("/invoices/<number>")
def get_invoice(number: str) -> Response | str:
    printable = number.endswith(".html")
    with db().transaction(write=False) as session:
        invoice = invoices.by_number(session, g.org_id, number.removesuffix(".html"))
        if invoice is None:
            raise Problem(404, "INVOICE_NOT_FOUND", f"no invoice {number} in this organisation")
        document = invoice_json(invoice)
    if printable:
        return render_template("invoice.html", invoice=document, org=g.admin.org_slug)
    return json_response(document)


@bp.get("/renewal")
def get_renewal() -> Response:
    with db().transaction(write=False) as session:
        pool = session.get_one(SeatPool, g.org_id)
        contract = session.get_one(Contract, g.org_id)
        quantity = renewal.renewal_quantity(contract, pool.assigned)
        return json_response({
            "date": term_end(contract.term_start).isoformat(),
            "auto_renew": contract.auto_renew,
            "quantity": quantity,
            "unit_price_minor": contract.unit_price_minor,
            "amount_minor": quantity * contract.unit_price_minor,
            "currency": contract.currency,
        })


@bp.post("/seats/reassignments")
@require_role("primary_owner", "admin")
def reassign() -> tuple[Response, int] | Response:
    body = json_body()
    from_id, to_id = body.get("from_user_id"), body.get("to_user_id")
    if not (isinstance(from_id, str) and isinstance(to_id, str)):
        raise Problem(400, "INVALID_BODY", "from_user_id and to_user_id are required")
    ctx = directory.WriteContext(org_id=g.org_id, actor=g.actor, now=utcnow())
    with db().transaction() as session:
        source, target = directory.reassign_seat(session, from_id, to_id, ctx)
        counts = service.seat_counts(session, g.org_id)
    return json_response({
        "from_user": {"id": source.id, "userName": source.user_name, "active": source.active},
        "to_user": {"id": target.id, "userName": target.user_name, "active": target.active},
        "seats": {"total": counts.total, "assigned": counts.assigned, "free": counts.free},
    })
