"""Marshmallow schemas of the admin API. They validate what comes in and shape what goes out,
and the OpenAPI document is generated from them (app/admin/openapi.py), so the documentation
cannot drift from the behaviour. View docstrings name these classes; marshmallow finds them
by class name, so every class name here must be unique in the process."""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from marshmallow import (
    EXCLUDE,
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
)

from app.admin.problems import Problem
from app.documents import InvoiceSchema, TermSchema, UtcTimestamp
from app.read_models import DEFAULT_IDLE_DAYS, MAX_AUDIT_ID, MAX_IDLE_DAYS, Position

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def load(schema: Schema, data: Mapping[str, Any], code: str) -> dict[str, Any]:
    """The validated input, or a 400 problem that names every bad field at once, so a
    client fixes its request in one round. A field may carry its own `problem_code` in
    its metadata when clients need to tell its failure apart (a stale cursor, say)."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        errors = exc.normalized_messages()
        codes = [schema.fields[name].metadata.get("problem_code") for name in errors
                 if name in schema.fields]
        detail = "; ".join(f"{name}: {_sentence(messages)}" for name, messages in errors.items())
        raise Problem(400, next(filter(None, codes), code), detail, errors=errors) from exc


def _sentence(messages: Any) -> str:
    return " ".join(map(str, messages)) if isinstance(messages, list) else str(messages)


CURSOR_PATTERN = "^[A-Za-z0-9_-]+$"
"""The base64url alphabet without padding. A cursor is never empty: the first page is asked
for by leaving `cursor` out, so an empty one is a client that lost its `next_cursor`."""
MAX_CURSOR_CHARS = 256
"""Far above any cursor issued (a timestamp and an id: about 100 characters)."""


class Cursor(fields.String):
    """A keyset position as an opaque page token (base64url JSON). Opaque, so the sort key
    can change without breaking clients; validated, because clients send it back. It is not
    signed: a forged one only moves the page start within the caller's own org. A string on
    the wire (and in the OpenAPI document), a Position in Python: hence the type ignores."""

    def __init__(self, **kwargs: Any) -> None:
        documented = {"pattern": CURSOR_PATTERN, "maxLength": MAX_CURSOR_CHARS}
        super().__init__(**{**kwargs, "metadata": {**documented, **kwargs.get("metadata", {})}})

    def _serialize(self, value: Position | None, attr: str | None, obj: Any,  # type: ignore[override]
                   **kwargs: Any) -> str | None:
        if value is None:
            return None
        raw = json.dumps([value.created_at.isoformat(), value.id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _deserialize(self, value: Any, attr: str | None,  # type: ignore[override]
                     data: Mapping[str, Any] | None, **kwargs: Any) -> Position:
        text = super()._deserialize(value, attr, data, **kwargs)
        # The decoder skips characters outside the alphabet; the documented pattern does not.
        if len(text) > MAX_CURSOR_CHARS or not re.fullmatch(CURSOR_PATTERN, text):
            raise ValidationError("not a cursor issued by this API")
        try:
            created_at, row_id = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            position = Position(datetime.fromisoformat(created_at), row_id)
        except (ValueError, TypeError) as exc:
            raise ValidationError("not a cursor issued by this API") from exc
        if position.created_at.tzinfo is None or not isinstance(position.id, str):
            raise ValidationError("not a cursor issued by this API")
        return position


class ProblemSchema(Schema):
    """RFC 9457 problem document; `code` is the stable thing to branch on."""

    class Meta:
        unknown = INCLUDE  # some problems carry more, e.g. a fresh quote with QUOTE_STALE

    type = fields.String(metadata={"format": "uri"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String(metadata={"example": "FORBIDDEN"})
    errors = fields.Dict(metadata={"description": "Invalid input only: messages per field."})


class PageQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE  # proxies and consoles add cache busters; they are not errors

    limit = fields.Integer(load_default=DEFAULT_LIMIT,
                           validate=validate.Range(min=1, max=MAX_LIMIT),
                           metadata={"description": f"Page size, 1 to {MAX_LIMIT}."})


class TokenCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255),
                         metadata={"description": "A label, e.g. the IdP that will use it."})


class TokenSchema(Schema):
    id = fields.String()
    name = fields.String()
    created_at = UtcTimestamp()
    last_used_at = UtcTimestamp(allow_none=True, metadata={
        "description": "Kept to the minute: updated at most once a minute per token."})
    revoked_at = UtcTimestamp(allow_none=True)


class TokenListSchema(Schema):
    tokens = fields.List(fields.Nested(TokenSchema))


class TokenCreatedSchema(Schema):
    id = fields.String()
    name = fields.String()
    created_at = UtcTimestamp()
    token = fields.String(metadata={"description": "The bearer secret. Shown this once only."})


class UsersQuerySchema(PageQuerySchema):
    seat = fields.String(validate=validate.OneOf(["held", "free"]), metadata={
        "description": "`held`: users holding a seat; `free`: users holding none."})
    seat_type = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "Only users holding this seat type (its key).", "example": "premium"})
    waiting = fields.Boolean(metadata={
        "description": "`true`: only users waiting for a seat type; `false`: only the others."})
    cursor = Cursor(metadata={"problem_code": "INVALID_CURSOR",
                              "description": "`next_cursor` of the previous page."})


class DirectoryUserSchema(Schema):
    id = fields.String()
    userName = fields.String(attribute="user_name")
    displayName = fields.String(attribute="data.displayName", allow_none=True, dump_default=None)
    active = fields.Boolean()
    seat = fields.Function(
        lambda user: "held" if user.active else "none",  # spec: assigned seats = active users
        metadata={"type": "string", "enum": ["held", "none"]},
    )
    seat_type = fields.String(attribute="seat_type_key", allow_none=True, metadata={
        "description": "Key of the seat type held; null while inactive."})
    waiting_seat_type = fields.String(attribute="waiting_seat_type_key", allow_none=True,
                                      metadata={"description": "Key of the seat type the user "
                                                "waits for (none free yet); null when none."})


class UserPageSchema(Schema):
    users = fields.List(fields.Nested(DirectoryUserSchema))
    next_cursor = Cursor(allow_none=True, metadata={"description": "Null on the last page."})


class DigitsInteger(fields.Integer):
    """A non-negative integer written in ASCII digits only: int() also reads "٣", "1_000"
    and " 7 ", which no client means."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> int:
        if isinstance(value, str) and not re.fullmatch(r"[0-9]{1,18}", value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def _idle_days() -> DigitsInteger:
    return DigitsInteger(
        load_default=DEFAULT_IDLE_DAYS, validate=validate.Range(min=1, max=MAX_IDLE_DAYS),
        metadata={"description": f"Days without an SSO sign-in or a SCIM change, 1 to "
                                 f"{MAX_IDLE_DAYS} (default {DEFAULT_IDLE_DAYS})."})


class IdleDaysQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    days = _idle_days()


class IdleSeatsQuerySchema(PageQuerySchema):
    days = _idle_days()
    cursor = Cursor(metadata={"problem_code": "INVALID_CURSOR",
                              "description": "`next_cursor` of the previous page."})


class IdleSeatSchema(Schema):
    id = fields.String()
    userName = fields.String(attribute="user_name")
    displayName = fields.String(attribute="data.displayName", allow_none=True, dump_default=None)
    externalId = fields.String(attribute="external_id", allow_none=True)
    last_modified_at = UtcTimestamp(metadata={"description": "The last SCIM change."})
    last_sign_in_at = UtcTimestamp(allow_none=True, metadata={
        "description": "The last SSO sign-in; null when none was recorded."})


class IdleSeatPageSchema(Schema):
    days = fields.Integer()
    idle_since = UtcTimestamp(metadata={"description": "Users with no sign-in and no change "
                                                       "after this instant are listed."})
    users = fields.List(fields.Nested(IdleSeatSchema))
    next_cursor = Cursor(allow_none=True, metadata={"description": "Null on the last page."})


class AuditFilterSchema(Schema):
    """The audit log's filters, shared by its pages and its CSV export (which loads it with
    unknown=EXCLUDE, as PageQuerySchema does: cache busters are not errors)."""

    action = fields.String(validate=validate.Length(min=1, max=64),
                           metadata={"example": "seat.refused"})
    user = fields.String(validate=validate.Length(min=1, max=2048), metadata={
        "description": "Only entries about this user: its id, or its userName in any letter "
                       "case (the name it had when the entry was written).",
        "example": "ada@example.com"})


class AuditQuerySchema(PageQuerySchema, AuditFilterSchema):
    after = DigitsInteger(load_default=0, validate=validate.Range(min=0, max=MAX_AUDIT_ID),
                           metadata={"description": "Only entries with a greater id."})


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = UtcTimestamp()
    actor = fields.String(metadata={"description": "`scim-token:<id>`, `oauth-client:<id>`, "
                                                   "`admin:<email>`, `cli`, `renewal`, `sso:<issuer>`."})
    actor_name = fields.String(allow_none=True, metadata={
        "description": "The actor's name when the entry was written: the token's or client's "
                       "name, the admin's e-mail; null for older entries and named actors."})
    action = fields.String()
    subject = fields.String(allow_none=True)
    subject_name = fields.String(allow_none=True, metadata={
        "description": "The subject's name when the entry was written: the userName, the "
                       "token's name; null when the subject id reads as a name (an invoice)."})
    total_before = fields.Integer()
    total_after = fields.Integer()
    assigned_before = fields.Integer()
    assigned_after = fields.Integer()
    detail = fields.String(allow_none=True)


class AuditPageSchema(Schema):
    entries = fields.List(fields.Nested(AuditEntrySchema))
    next_after = fields.Integer(metadata={
        "description": "Pass as `after` to continue; equals `after` when nothing new arrived, "
                       "so tailing the log is the same request every time."})


class SeatTypeSchema(Schema):
    key = fields.String(metadata={"description": "Stable key; what IdPs send in roles or "
                                                 "entitlements.", "example": "premium"})
    name = fields.String()
    total = fields.Integer()
    assigned = fields.Integer()
    free = fields.Integer()
    waiting = fields.Integer(metadata={"description": "Active users waiting for this type."})
    unit_price_minor = fields.Integer(metadata={"description": "Annual price per seat of this "
                                                               "type, minor units."})


class ForecastTrendSchema(Schema):
    window_days = fields.Integer(metadata={"description": "The window: 30 or 90 days."})
    observed_days = fields.Function(
        lambda trend: round(trend.observed.total_seconds() / 86400, 2),
        metadata={"type": "number", "description":
                  "Days the window covers: shorter for an org younger than the window "
                  "(at least 1)."})
    net_claims = fields.Integer(metadata={"description": "Seats claimed minus released."})
    net_claims_per_day = fields.Function(
        lambda trend: round(float(trend.per_day), 2), metadata={"type": "number"})
    runs_out_on = fields.Date(allow_none=True, metadata={
        "description": "Projected day no seat is free; today when the pool is full; null "
                       "when the net rate is zero or negative."})


class ForecastSchema(Schema):
    runs_out_on = fields.Date(allow_none=True, metadata={
        "description": "The sooner of the trends' projections (null when neither runs out)."})
    trends = fields.List(fields.Nested(ForecastTrendSchema))


class MappingSchema(Schema):
    group_id = fields.String()
    group_name = fields.String(metadata={"description": "The group's displayName."})
    seat_type = fields.String(metadata={"example": "premium"})
    members = fields.Integer(metadata={
        "description": "Users the group reaches, directly or through nested groups."})


class MappingListSchema(Schema):
    mappings = fields.List(fields.Nested(MappingSchema))


class SeatsSchema(Schema):
    total = fields.Integer(metadata={"description": "Seats bought for the current term."})
    assigned = fields.Integer(metadata={"description": "Seats held by active users."})
    free = fields.Integer()
    term_start = fields.Date()
    term_end = fields.Date(metadata={"description": "Exclusive end of the current term."})
    currency = fields.String(metadata={"example": "USD"})
    unit_price_minor = fields.Integer(metadata={"description": "Annual price per seat, minor units."})
    proration = fields.String(metadata={"enum": ["monthly", "monthly_daily", "daily"]})
    auto_renew = fields.Boolean()
    minimum_seats = fields.Integer()
    renewal_quantity_if_today = fields.Integer(
        attribute="renewal.quantity",
        metadata={"description": "What a renewal now would buy: max(minimum_seats, assigned); "
                                 "with several seat types, the sum of that rule per type."}
    )
    types = fields.List(fields.Nested(SeatTypeSchema), metadata={
        "description": "The seat types; the totals above are their sums. Highest rank first."})
    forecast = fields.Nested(ForecastSchema, metadata={
        "description": "When the pool runs out at the net claim rate of the last 30 and 90 "
                       "days, from the audit log."})


class SeatTotalSchema(Schema):
    total = fields.Integer(required=True)


MAXIMUM_SETTING = "maximum_setting"
"""Field metadata naming the Settings attribute that bounds the field: such a limit is a
deployment setting, so the OpenAPI document reads it from the running app."""


_ADD_SEATS = {
    "type": "integer", "minimum": 1, MAXIMUM_SETTING: "max_seats_per_purchase",
    "description": "Whole number of seats to add (1 to SCIM_MAX_SEATS_PER_PURCHASE).",
}
_SEAT_TYPE = {"description": "A seat type's key (GET /admin/v1/seats lists them).",
              "example": "premium"}


class QuoteLineRequestSchema(Schema):
    # Raw: commerce.parse_add_seats decides what a whole number is (it also reads "5", 5.0).
    add_seats = fields.Raw(required=True, metadata=_ADD_SEATS)
    seat_type = fields.String(required=True, validate=validate.Length(min=1, max=64),
                              metadata=_SEAT_TYPE)


class AddSeatsSchema(Schema):
    """Seats of the org's default type."""

    add_seats = fields.Raw(required=True, metadata=_ADD_SEATS)


class AddTypedSeatsSchema(AddSeatsSchema):
    """Seats of one named type."""

    seat_type = fields.String(required=True, validate=validate.Length(min=1, max=64),
                              metadata={**_SEAT_TYPE,
                                        "description": "The type of the seats added."})


class QuoteLinesSchema(Schema):
    """Seats of several types in one quote and one invoice."""

    lines = fields.List(fields.Nested(QuoteLineRequestSchema), required=True,
                        validate=validate.Length(min=1, max=64), metadata={
        "description": "Each type once; together at most SCIM_MAX_SEATS_PER_PURCHASE seats."})


def load_quote_request(body: Mapping[str, Any]) -> dict[str, Any]:
    """`add_seats` alone (the default type), with `seat_type`, or `lines`: one form at a
    time, each form's schema refusing the others' fields as unknown."""
    schema = (QuoteLinesSchema() if "lines" in body
              else AddTypedSeatsSchema() if "seat_type" in body else AddSeatsSchema())
    return load(schema, body, "INVALID_ADD_SEATS")


class QuoteLineSchema(Schema):
    seat_type = fields.String(attribute="seat_type_key")
    add_seats = fields.Integer()
    seats_before = fields.Integer(attribute="type_seats_before", metadata={
        "description": "The type's total the line is priced on: buying fails as stale when "
                       "it has changed."})
    unit_price_minor = fields.Integer()
    amount_minor = fields.Integer(metadata={
        "description": "add_seats × unit price × the prorated share, rounded half up once."})


class QuoteSchema(Schema):
    id = fields.String()
    term = fields.Method("_term", metadata={"type": "object"})
    period_start = fields.Date(metadata={"description": "The purchase day: paid from here."})
    proration = fields.String()
    remaining_months = fields.Integer(allow_none=True)
    remaining_days = fields.Integer(allow_none=True)
    days_in_period = fields.Integer(allow_none=True)
    add_seats = fields.Integer()
    seats_before = fields.Integer()
    seats_after = fields.Integer()
    unit_price_minor = fields.Integer(metadata={
        "description": "The first line's unit price (the only one of a one-type quote)."})
    amount_minor = fields.Integer(metadata={"description": "The sum of the lines' amounts."})
    currency = fields.String()
    lines = fields.List(fields.Nested(QuoteLineSchema), metadata={
        "description": "One line per seat type, highest rank first; the invoice bills these."})
    created_at = UtcTimestamp()
    valid_until = UtcTimestamp()

    def _term(self, quote: Any) -> dict[str, Any]:
        return TermSchema().dump({"start": quote.term_start, "end": quote.term_end})


class PurchaseRequestSchema(Schema):
    quote_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class InvoiceListSchema(Schema):
    invoices = fields.List(fields.Nested(InvoiceSchema))


class RenewalLineSchema(Schema):
    seat_type = fields.String(metadata={"example": "premium"})
    name = fields.String()
    quantity = fields.Integer(metadata={
        "description": "The type's seats in use, never below the type's minimum."})
    unit_price_minor = fields.Integer()
    amount_minor = fields.Integer(metadata={"description": "A whole year: quantity × price."})


class RenewalSchema(Schema):
    date = fields.Date(metadata={"description": "When the current term ends and renews."})
    auto_renew = fields.Boolean()
    quantity = fields.Integer(metadata={"description": "The sum of the lines' quantities."})
    unit_price_minor = fields.Integer(metadata={"description": "The contract's price per seat."})
    amount_minor = fields.Integer(metadata={"description": "The sum of the lines' amounts."})
    currency = fields.String()
    lines = fields.List(fields.Nested(RenewalLineSchema), metadata={
        "description": "One line per seat type, highest rank first, as the renewal invoice "
                       "bills them."})


class ReassignmentRequestSchema(Schema):
    from_user_id = fields.String(required=True)
    to_user_id = fields.String(required=True)


class SeatHolderSchema(Schema):
    id = fields.String()
    userName = fields.String(attribute="user_name")
    active = fields.Boolean()


class ReassignmentSchema(Schema):
    from_user = fields.Nested(SeatHolderSchema)
    to_user = fields.Nested(SeatHolderSchema)
    seats = fields.Dict()


class BillingProfileSchema(Schema):
    """Who invoices are addressed to. Text is trimmed before it is checked (a name of spaces
    is no name); address lines are kept as written."""

    @pre_load
    def _trim(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        return {key: value.strip() if isinstance(value, str) else value
                for key, value in data.items()}

    legal_name = fields.String(required=True, validate=validate.Length(min=1, max=255),
                               metadata={"example": "Acme Widgets Ltd"})
    billing_email = fields.Email(required=True, validate=validate.Length(max=254),
                                 metadata={"example": "accounts@acme.example"})
    address = fields.String(load_default="", validate=validate.Length(max=1000), metadata={
        "description": "Postal address; lines separated by newlines.",
        "example": "1 High Street\nLondon EC1A 1AA\nUnited Kingdom"})
    tax_id = fields.String(load_default="", validate=validate.Length(max=64),
                           metadata={"example": "GB123456789"})
    updated_at = UtcTimestamp(dump_only=True)
