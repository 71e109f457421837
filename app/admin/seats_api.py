"""Seats, top-ups, invoices, renewal and reassignment of the caller's org. Each view is one
visible transaction; purchases add the idempotency claim around it."""
from __future__ import annotations

from typing import Any

from flask import Response, g, render_template, request, url_for

from app import purchases, read_models
from app.admin.blueprint import json_body, json_response
from app.admin.problems import Problem, from_domain
from app.admin.schemas import (
    ForecastSchema,
    InvoiceListSchema,
    PurchaseRequestSchema,
    QuoteSchema,
    ReassignmentRequestSchema,
    ReassignmentSchema,
    RenewalSchema,
    SeatsSchema,
    SeatTotalSchema,
    load,
    load_quote_request,
)
from app.context import current_db, current_settings
from app.documents import InvoiceSchema
from app.invoice_pdf import pdf_download
from app.printed_invoices import printed_invoice
from app.roles import MANAGERS, OWNER, require_role
from scim import users
from seats import commerce, forecast, idempotency, invoices, seating
from seats.clock import utcnow
from seats.errors import SeatsError
from seats.models import Quote, SeatPool


def get_seats() -> Response:
    """The seats card: counts, term and contract in one read.
    ---
    get:
      summary: Seat pool and contract of the org
      tags: [Seats]
      responses:
        200:
          description: Counts, term, price, what a renewal today would buy and when the
            pool runs out at the recent pace.
          content:
            application/json:
              schema: SeatsSchema
    """
    with current_db().transaction(write=False) as session:
        card = read_models.seat_card(session, g.org_id)
        projection = forecast.of_org(session, g.org_id, utcnow())
    return json_response(SeatsSchema().dump(card) | {"forecast": ForecastSchema().dump(projection)})


@require_role(OWNER)
def put_seats() -> Response:
    """Seats are bought through quotes, never set; a lower total is refused outright.
    ---
    put:
      summary: Refused; seats are added through quotes and purchases
      tags: [Seats]
      requestBody:
        content:
          application/json:
            schema: SeatTotalSchema
      responses:
        400: InvalidInput
        403: Forbidden
    """
    requested = load(SeatTotalSchema(), json_body(), "INVALID_BODY")["total"]
    with current_db().transaction(write=False) as session:
        total = session.get_one(SeatPool, g.org_id).total
    if requested < total:
        raise Problem(400, "SEAT_REDUCTION_NOT_ALLOWED",
                      "seats cannot be removed during a term; reassign them instead")
    raise Problem(400, "PURCHASE_REQUIRED",
                  "add seats with POST /admin/v1/seats/quotes, then POST /admin/v1/seats/purchases")


def _preview(lines: list[commerce.SeatLine]) -> dict[str, Any]:
    with current_db().transaction() as session:
        quote = commerce.preview_lines(session, g.org_id, lines, actor=g.actor, now=utcnow())
        return QuoteSchema().dump(quote)


def _asked_lines(body: dict[str, Any]) -> list[commerce.SeatLine]:
    raw = ([(line["add_seats"], line["seat_type"]) for line in body["lines"]]
           if "lines" in body else [(body["add_seats"], body.get("seat_type"))])
    return commerce.parse_lines(raw, current_settings().max_seats_per_purchase)


@require_role(*MANAGERS)
def create_quote() -> Response:
    """A priced preview: nothing is bought until a primary owner confirms it. One line per
    seat type; each prorated like the others, at its type's price.
    ---
    post:
      summary: Price adding seats for the rest of the term
      tags: [Seats]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              oneOf: [AddSeatsSchema, AddTypedSeatsSchema, QuoteLinesSchema]
      responses:
        201:
          description: The quote, valid until `valid_until`.
          content:
            application/json:
              schema: QuoteSchema
          links:
            BuyTheQuote:
              operationId: create_purchase
              requestBody: {quote_id: $response.body#/id}
        400: InvalidInput
        403: Forbidden
    """
    return json_response(_preview(_asked_lines(load_quote_request(json_body()))), 201)


def _idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        raise Problem(400, "IDEMPOTENCY_KEY_MISSING", "send an Idempotency-Key header")
    if len(key) > idempotency.MAX_KEY_LENGTH:
        raise Problem(400, "IDEMPOTENCY_KEY_INVALID", "the Idempotency-Key is over 255 characters")
    return key


class _Answers:
    """A refusal as a problem document; an unusable quote's refusal carries a fresh quote
    (`fresh_quote`) for the client to confirm instead."""

    offers_fresh_quote = True

    def refused(self, refusal: SeatsError,
                fresh_quote: Quote | None) -> idempotency.StoredResponse:
        extra = {"fresh_quote": QuoteSchema().dump(fresh_quote)} if fresh_quote else {}
        problem = from_domain(refusal, **extra)
        return idempotency.StoredResponse(problem.status, problem.to_dict())


def _stored_response(outcome: purchases.Outcome) -> Response:
    stored = outcome.response
    response = json_response(stored.body, stored.status)
    if stored.status >= 400:
        response.content_type = "application/problem+json"
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@require_role(OWNER)
def create_purchase() -> Response:
    """Confirms a quote. The Idempotency-Key makes a retried or double-clicked request buy
    once: a replay gets the stored response.
    ---
    post:
      summary: Buy the seats of a quote (primary owner only)
      tags: [Seats]
      parameters:
        - in: header
          name: Idempotency-Key
          required: true
          description: >-
            Any client-chosen string, unique per purchase; a retry sends the same one.
            Surrounding spaces are ignored.
          schema: {type: string, minLength: 1, maxLength: 255, pattern: '\\S'}
      requestBody:
        required: true
        content:
          application/json:
            schema: PurchaseRequestSchema
      responses:
        201:
          description: Seats added and the invoice issued.
          headers:
            Idempotent-Replayed:
              description: Present on a replay of the key's stored response.
              schema: {type: string, enum: ["true"]}
          content:
            application/json:
              schema: PurchaseSchema
        400: InvalidInput
        403: Forbidden
        404: NotFound
        409: Conflict
        422: Unprocessable
    """
    key = _idempotency_key()
    body = json_body()
    quote_id = load(PurchaseRequestSchema(), body, "INVALID_BODY")["quote_id"]
    fingerprint = idempotency.fingerprint("POST", request.path, body)
    buyer = purchases.Buyer(current_db(), g.org_id, g.actor)
    return _stored_response(purchases.buy_once(buyer, key, quote_id, fingerprint, _Answers()))


def list_invoices() -> Response:
    """Newest first.
    ---
    get:
      summary: Invoices of the org
      tags: [Invoices]
      responses:
        200:
          description: Every invoice with its lines.
          content:
            application/json:
              schema: InvoiceListSchema
          links:
            TheNewestInvoice:
              operationId: get_invoice
              parameters: {number: $response.body#/invoices/0/number}
    """
    with current_db().transaction(write=False) as session:
        found = invoices.list_invoices(session, g.org_id)
        return json_response(InvoiceListSchema().dump({"invoices": found}))


def get_invoice(number: str) -> Response | str:
    """`INV-000001` as JSON, `INV-000001.html` as a printable page, `INV-000001.pdf` as a PDF.
    ---
    get:
      summary: One invoice (append .html for a printable page, .pdf for a PDF)
      tags: [Invoices]
      parameters:
        - in: path
          name: number
          required: true
          schema: {type: string, example: INV-000001}
      responses:
        200:
          description: The invoice.
          content:
            application/json:
              schema: InvoiceSchema
            text/html:
              schema: {type: string}
            application/pdf:
              schema: {type: string, format: binary}
        404: NotFound
    """
    plain, _, suffix = number.partition(".")
    with current_db().transaction(write=False) as session:
        invoice = invoices.by_number(session, g.org_id, plain)
        if invoice is None or suffix not in ("", "html", "pdf"):
            raise Problem(404, "INVOICE_NOT_FOUND", f"no invoice {number} in this organisation")
        if not suffix:
            return json_response(InvoiceSchema().dump(invoice))
        printed = printed_invoice(session, invoice, current_settings().seller)
    if suffix == "pdf":
        return pdf_download(printed)
    return render_template("invoice.html", invoice=printed,
                           pdf_url=url_for(".get_invoice", number=f"{printed.number}.pdf"))


def get_renewal() -> Response:
    """What the next renewal would buy and cost if the term ended today.
    ---
    get:
      summary: Expected renewal
      tags: [Seats]
      responses:
        200:
          description: Date, quantity and amount.
          content:
            application/json:
              schema: RenewalSchema
    """
    with current_db().transaction(write=False) as session:
        renewal = read_models.seat_card(session, g.org_id).renewal
    return json_response(RenewalSchema().dump(renewal))


@require_role(*MANAGERS)
def reassign() -> Response:
    """Moves a seat from an active user to an inactive one; works on a full pool.
    ---
    post:
      summary: Reassign a seat
      tags: [Seats]
      requestBody:
        required: true
        content:
          application/json:
            schema: ReassignmentRequestSchema
      responses:
        200:
          description: Both users and the unchanged seat counts.
          content:
            application/json:
              schema: ReassignmentSchema
        400: InvalidInput
        403: Forbidden
        404: NotFound
        409: Conflict
    """
    body = load(ReassignmentRequestSchema(), json_body(), "INVALID_BODY")
    ctx = users.WriteContext(org_id=g.org_id, actor=g.actor, now=utcnow())
    with current_db().transaction() as session:
        source, target = users.reassign_seat(session, body["from_user_id"], body["to_user_id"], ctx)
        counts = seating.seat_counts(session, g.org_id)
    moved = {"from_user": source, "to_user": target,
             "seats": {"total": counts.total, "assigned": counts.assigned, "free": counts.free}}
    return json_response(ReassignmentSchema().dump(moved))
