"""JSON shapes of the admin API's seat, quote, invoice and purchase documents."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from seats.commerce import Purchase
from seats.models import Contract, Invoice, Quote, SeatPool
from seats.renewal import renewal_quantity
from seats.terms import term_end


def iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def seats_json(pool: SeatPool, contract: Contract) -> dict[str, Any]:
    return {
        "total": pool.total,
        "assigned": pool.assigned,
        "free": pool.free,
        "term_start": iso(contract.term_start),
        "term_end": iso(term_end(contract.term_start)),
        "currency": contract.currency,
        "unit_price_minor": contract.unit_price_minor,
        "proration": contract.proration,
        "auto_renew": contract.auto_renew,
        "minimum_seats": contract.minimum_seats,
        "renewal_quantity_if_today": renewal_quantity(contract, pool.assigned),
    }


def quote_json(quote: Quote) -> dict[str, Any]:
    return {
        "id": quote.id,
        "term": {"start": iso(quote.term_start), "end": iso(quote.term_end)},
        "period_start": iso(quote.period_start),
        "proration": quote.proration,
        "remaining_months": quote.remaining_months,
        "remaining_days": quote.remaining_days,
        "days_in_period": quote.days_in_period,
        "add_seats": quote.add_seats,
        "seats_before": quote.seats_before,
        "seats_after": quote.seats_after,
        "unit_price_minor": quote.unit_price_minor,
        "amount_minor": quote.amount_minor,
        "currency": quote.currency,
        "created_at": iso(quote.created_at),
        "valid_until": iso(quote.valid_until),
    }


def invoice_json(invoice: Invoice) -> dict[str, Any]:
    return {
        "number": invoice.number,
        "kind": invoice.kind,
        "issued_at": iso(invoice.issued_at),
        "currency": invoice.currency,
        "total_minor": invoice.total_minor,
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price_minor": line.unit_price_minor,
                "period": {"start": iso(line.period_start), "end": iso(line.period_end)},
                "months": line.months,
                "days": line.days,
                "amount_minor": line.amount_minor,
            }
            for line in invoice.lines
        ],
    }


def purchase_json(purchase: Purchase) -> dict[str, Any]:
    return {
        "purchase": {
            "quote_id": purchase.quote.id,
            "add_seats": purchase.quote.add_seats,
            "seats_before": purchase.seats_before,
            "seats_after": purchase.seats_after,
            "amount_minor": purchase.quote.amount_minor,
            "currency": purchase.quote.currency,
        },
        "invoice": invoice_json(purchase.invoice),
    }
