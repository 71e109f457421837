"""Tables of the seat domain. The pool row is the one lock that serialises seat decisions."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seats.base import Base, UTCDateTime
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
    unit_price_minor: Mapped[int] = mapped_column(Integer)
    term_start: Mapped[date] = mapped_column(Date)
    minimum_seats: Mapped[int] = mapped_column(Integer, default=0)
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=True)
    proration: Mapped[str] = mapped_column(String(16), default="monthly")

    org: Mapped[Org] = relationship(back_populates="contract")


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

    @property
    def free(self) -> int:
        return self.total - self.assigned

    def assign(self, subject: str | None = None) -> None:
        if self.assigned >= self.total:
            raise NoSeatAvailable(total=self.total, assigned=self.assigned, subject=subject)
        self.assigned += 1

    def release(self) -> None:
        if self.assigned <= 0:
            raise AssertionError("release without a held seat: the pool counter is corrupt")
        self.assigned -= 1


class AuditEvent(Base):
    """Append-only record of every seat change and refusal, with before/after counts."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_org_id_id", "org_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
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
