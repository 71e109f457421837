"""Tables of the seat domain. The pool row is the one lock that serialises seat decisions."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seats.base import Base, JSONDocument, MinorUnits, UTCDateTime
from seats.errors import NoSeatAvailable


def new_id() -> str:
    return str(uuid.uuid4())


PRORATION_POLICIES = ("monthly", "monthly_daily", "daily")


class Org(Base):
    __tablename__ = "orgs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    contract: Mapped[Contract] = relationship(back_populates="org", uselist=False)
    pool: Mapped[SeatPool] = relationship(back_populates="org", uselist=False)


class Contract(Base):
    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint("unit_price_minor >= 0", name="price_not_negative"),
        CheckConstraint("minimum_seats >= 0", name="minimum_not_negative"),
        CheckConstraint(
            "proration IN ('monthly', 'monthly_daily', 'daily')", name="known_proration"
        ),
    )

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    unit_price_minor: Mapped[int] = mapped_column(MinorUnits)
    term_start: Mapped[date] = mapped_column(Date)
    minimum_seats: Mapped[int] = mapped_column(Integer, default=0)
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=True)
    proration: Mapped[str] = mapped_column(String(16), default="monthly")

    org: Mapped[Org] = relationship(back_populates="contract")

    def renewal_quantity(self, assigned: int) -> int:
        """A renewal buys the seats in use, but never fewer than the contract's minimum."""
        return max(self.minimum_seats, assigned)


class SeatPool(Base):
    """Seats bought for the current term (`total`) and held by active users (`assigned`).

    The CHECK constraint is the backstop: even a bug above cannot oversell."""

    __tablename__ = "seat_pools"
    __table_args__ = (
        CheckConstraint("assigned >= 0 AND assigned <= total", name="assigned_within_total"),
    )

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    total: Mapped[int] = mapped_column(Integer)
    assigned: Mapped[int] = mapped_column(Integer, default=0)

    org: Mapped[Org] = relationship(back_populates="pool")
    contract: Mapped[Contract] = relationship(
        primaryjoin="SeatPool.org_id == foreign(Contract.org_id)", viewonly=True
    )
    """Loaded with the pool by `seats.pool_lock.lock_pool`, so a seat decision reads its
    terms once per transaction, fresh under the lock, whatever asks for them."""

    @property
    def free(self) -> int:
        return self.total - self.assigned

    def assign(self, subject: str | None = None, subject_name: str | None = None) -> None:
        if self.assigned >= self.total:
            raise NoSeatAvailable(total=self.total, assigned=self.assigned, subject=subject,
                                  subject_name=subject_name)
        self.assigned += 1

    def release(self) -> None:
        if self.assigned <= 0:
            raise AssertionError("release without a held seat: the pool counter is corrupt")
        self.assigned -= 1


class SeatType(Base):
    """One kind of seat an org sells (standard, premium, ...), with its own price, total and
    minimum. The org's pool row stays the one lock and holds the sums over its types, so
    every invariant on the pool keeps holding; this row's CHECK is the per-type backstop."""

    __tablename__ = "seat_types"
    __table_args__ = (
        UniqueConstraint("org_id", "key", name="uq_seat_types_org_key"),
        CheckConstraint("assigned >= 0 AND assigned <= total", name="assigned_within_total"),
        CheckConstraint("unit_price_minor >= 0", name="price_not_negative"),
        CheckConstraint("minimum_seats >= 0", name="minimum_not_negative"),
        # At most one default per org here; seats.seat_types keeps at least one.
        Index("uq_seat_types_one_default", "org_id", unique=True,
              sqlite_where=text("is_default"), postgresql_where=text("is_default")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    unit_price_minor: Mapped[int] = mapped_column(MinorUnits)
    total: Mapped[int] = mapped_column(Integer)
    assigned: Mapped[int] = mapped_column(Integer, default=0)
    minimum_seats: Mapped[int] = mapped_column(Integer, default=0)
    rank: Mapped[int] = mapped_column(Integer, default=0)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def free(self) -> int:
        return self.total - self.assigned


class AuditEvent(Base):
    """Append-only record of every seat change and refusal, with before/after counts, and of
    changes to credentials and settings."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_org_id_id", "org_id", "id"),
        # Time windows of one org's log: the forecast's 90 days, the usage chart's term.
        Index("ix_audit_events_org_id_at", "org_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(255))
    # Names as they read when the entry was written (a token's name, an admin's e-mail, a
    # userName): renames and deletions later do not rewrite history.
    actor_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    subject_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    total_before: Mapped[int] = mapped_column(Integer)
    total_after: Mapped[int] = mapped_column(Integer)
    assigned_before: Mapped[int] = mapped_column(Integer)
    assigned_after: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class ScimToken(Base):
    """A SCIM bearer credential of one org. Only the SHA-256 of the secret is kept."""

    __tablename__ = "scim_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OAuthClientRow(Base):
    """An OAuth 2.0 client-credentials client of one org (RFC 6749 §4.4). Only the SHA-256
    of its high-entropy secret is kept."""

    __tablename__ = "oauth_clients"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Quote(Base):
    """A priced offer to add seats, valid until `valid_until` and usable once. Confirming it
    checks that the pool still has `seats_before`, so a quote never buys on stale counts."""

    __tablename__ = "quotes"
    __table_args__ = (
        CheckConstraint("add_seats >= 1", name="adds_at_least_one"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        Index("ix_quotes_org_id_created_at", "org_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    add_seats: Mapped[int] = mapped_column(Integer)
    seats_before: Mapped[int] = mapped_column(Integer)
    seats_after: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(MinorUnits)
    amount_minor: Mapped[int] = mapped_column(MinorUnits)
    currency: Mapped[str] = mapped_column(String(3))
    proration: Mapped[str] = mapped_column(String(16))
    term_start: Mapped[date] = mapped_column(Date)
    term_end: Mapped[date] = mapped_column(Date)
    period_start: Mapped[date] = mapped_column(Date)
    remaining_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    remaining_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    days_in_period: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(255))
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    lines: Mapped[list[QuoteLine]] = relationship(
        back_populates="quote", cascade="all, delete-orphan", order_by="QuoteLine.id"
    )


class QuoteLine(Base):
    """One seat type of a quote: its seats, its price and the type's total it was priced on.
    The quote's own `add_seats` and `amount_minor` are the sums of its lines."""

    __tablename__ = "quote_lines"
    __table_args__ = (
        UniqueConstraint("quote_id", "seat_type_key", name="uq_quote_lines_quote_type"),
        CheckConstraint("add_seats >= 1", name="adds_at_least_one"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    quote_id: Mapped[str] = mapped_column(ForeignKey("quotes.id"), index=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    seat_type_key: Mapped[str] = mapped_column(String(64))
    add_seats: Mapped[int] = mapped_column(Integer)
    type_seats_before: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(MinorUnits)
    amount_minor: Mapped[int] = mapped_column(MinorUnits)

    quote: Mapped[Quote] = relationship(back_populates="lines")


class Invoice(Base):
    """Issued in the same transaction as the seats it bills. `seq` is gapless per org: it is
    allocated under the pool lock, and a rolled-back purchase uses no number."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("org_id", "seq", name="uq_invoices_org_seq"),
        UniqueConstraint("quote_id", name="uq_invoices_quote_id"),
        CheckConstraint("total_minor >= 0", name="total_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # seat_purchase | renewal
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(MinorUnits)
    quote_id: Mapped[str | None] = mapped_column(ForeignKey("quotes.id"), nullable=True)
    issued_by: Mapped[str] = mapped_column(String(255))

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.id"
    )

    @property
    def number(self) -> str:
        return f"INV-{self.seq:06d}"


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (CheckConstraint("amount_minor >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    description: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(MinorUnits)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # What `days` counts out of (the term's or the month's days), so the line can show its
    # fraction; NULL on lines issued before it was kept.
    days_in_period: Mapped[int | None] = mapped_column(Integer, nullable=True)
    amount_minor: Mapped[int] = mapped_column(MinorUnits)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class IdempotencyKey(Base):
    """A client's Idempotency-Key, scoped to its org: the first request's fingerprint and,
    once finished, its response, so that a replay is answered without acting again."""

    __tablename__ = "idempotency_keys"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # in_flight | done
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BillingProfile(Base):
    """Who the org's invoices are addressed to, as its primary owner keeps it. Invoices show
    the profile as it is when they are read; the amounts and lines never change."""

    __tablename__ = "billing_profiles"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(255))
    address: Mapped[str] = mapped_column(Text, default="")
    tax_id: Mapped[str] = mapped_column(String(64), default="")
    billing_email: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AlertSettings(Base):
    """Where and when an org hears about its seat usage. The webhook secret signs payloads
    (HMAC), so it must be kept readable; it is never returned by any API."""

    __tablename__ = "alert_settings"
    __table_args__ = (
        CheckConstraint(
            "threshold_percent >= 1 AND threshold_percent <= 100", name="threshold_in_range"
        ),
    )

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    threshold_percent: Mapped[int] = mapped_column(Integer, default=90)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    webhook_secret: Mapped[str | None] = mapped_column(String(255), nullable=True)
    last_refusal_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OutboxEvent(Base):
    """A usage event written in the same transaction as its cause and delivered after commit
    (at least once, with retries), so no event is sent for a change that rolled back."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        Index("ix_outbox_events_pending", "delivered_at", "next_attempt_at"),
        Index("ix_outbox_events_org_id_id", "org_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class SsoConfig(Base):
    """How an org's OIDC identity provider signs ID tokens: issuer, audience and keys (a JWKS
    document kept here, or a JWKS URL fetched and cached)."""

    __tablename__ = "sso_configs"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(2048))
    audience: Mapped[str] = mapped_column(String(2048))
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    jwks_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)


POOL_FULL_POLICIES = ("refuse", "auto_top_up", "request")


class SeatPolicy(Base):
    """What an activation does when it finds no free seat of its type, as the org's primary
    owner chose it (docs/spec/pool-full-policies.md). No row reads as `refuse`."""

    __tablename__ = "seat_policies"
    __table_args__ = (
        CheckConstraint("policy IN ('refuse', 'auto_top_up', 'request')", name="known_policy"),
        CheckConstraint("max_auto_seats >= 0", name="max_auto_seats_not_negative"),
    )

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    policy: Mapped[str] = mapped_column(String(16), default="refuse")
    max_auto_seats: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


SEAT_REQUEST_STATES = ("open", "approved", "denied", "expired")


class SeatRequest(Base):
    """Someone who signed in through SSO when no seat was free, under the `request` policy.
    At most one open request per person (the partial unique index); an open request past
    `expires_at` is out of the queue and is closed as expired when that person asks again."""

    __tablename__ = "seat_requests"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'approved', 'denied', 'expired')",
                        name="known_status"),
        Index("uq_seat_requests_one_open", "org_id", "user_name_norm", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_seat_requests_org_id_status", "org_id", "status", "requested_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    user_name: Mapped[str] = mapped_column(Text)
    user_name_norm: Mapped[str] = mapped_column(Text)
    # What the ID token said (email, preferred_username, names): the user an approval creates.
    identity: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    seat_type_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
