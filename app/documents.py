"""The JSON documents of an invoice and a purchase, which both front ends show: the admin API
returns them, the console prints an invoice from the same document and reads a purchase's
stored outcome. Marshmallow schemas, so the admin API's OpenAPI document describes them."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, fields

from app.printed_invoices import fraction as line_fraction


class UtcTimestamp(fields.DateTime):
    """ISO 8601 in UTC with a `Z`, the form every admin API timestamp takes."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any,
                   **kwargs: Any) -> str | None:
        if value is None:
            return None
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class TermSchema(Schema):
    start = fields.Date()
    end = fields.Date()


class InvoiceLineSchema(Schema):
    description = fields.String()
    quantity = fields.Integer()
    unit_price_minor = fields.Integer()
    period = fields.Method("_period", metadata={"type": "object"})
    months = fields.Integer(allow_none=True)
    days = fields.Integer(allow_none=True)
    days_in_period = fields.Integer(allow_none=True, metadata={
        "description": "What `days` counts out of: the term's days (daily) or the month's "
                       "(monthly_daily); null for lines issued before it was kept."})
    fraction = fields.Function(line_fraction, metadata={
        "type": "string", "example": "10/12",
        "description": "The prorated share of the annual price: amount = quantity × unit "
                       "price × fraction, rounded half up once."})
    amount_minor = fields.Integer()

    def _period(self, line: Any) -> dict[str, Any]:
        return TermSchema().dump({"start": line.period_start, "end": line.period_end})


class InvoiceSchema(Schema):
    number = fields.String(metadata={"example": "INV-000001"})
    kind = fields.String(metadata={"enum": ["seat_purchase", "renewal"]})
    issued_at = UtcTimestamp()
    currency = fields.String()
    total_minor = fields.Integer()
    lines = fields.List(fields.Nested(InvoiceLineSchema))


class PurchaseDetailSchema(Schema):
    quote_id = fields.String(attribute="quote.id")
    add_seats = fields.Integer(attribute="quote.add_seats")
    seats_before = fields.Integer()
    seats_after = fields.Integer()
    amount_minor = fields.Integer(attribute="quote.amount_minor")
    currency = fields.String(attribute="quote.currency")


class PurchaseSchema(Schema):
    purchase = fields.Function(lambda p: PurchaseDetailSchema().dump(p), metadata={"type": "object"})
    invoice = fields.Nested(InvoiceSchema)
