"""Invoices are issued inside the transaction that changes the seats they bill, with the
org's next gapless number: the caller holds the pool lock, so max(seq) + 1 cannot race, and
a rollback gives the number back."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from seats import events
from seats.models import Invoice, InvoiceLine

MAX_SEQ = 2_147_483_647  # invoices.seq is an Integer column


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_price_minor: int
    period_start: date
    period_end: date
    amount_minor: int
    months: int | None = None
    days: int | None = None
    days_in_period: int | None = None


def _next_seq(session: Session, org_id: str) -> int:
    return (session.scalar(select(func.max(Invoice.seq)).where(Invoice.org_id == org_id)) or 0) + 1


def issue(
    session: Session,
    org_id: str,
    *,
    kind: str,
    currency: str,
    lines: list[Line],
    issued_by: str,
    now: datetime,
    quote_id: str | None = None,
) -> Invoice:
    """Must run under the org's pool lock (seats.pool_lock.lock_pool)."""
    invoice = Invoice(
        org_id=org_id,
        seq=_next_seq(session, org_id),
        kind=kind,
        issued_at=now,
        currency=currency,
        total_minor=sum(line.amount_minor for line in lines),
        quote_id=quote_id,
        issued_by=issued_by,
        lines=[
            InvoiceLine(
                org_id=org_id,
                description=line.description,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                period_start=line.period_start,
                period_end=line.period_end,
                months=line.months,
                days=line.days,
                days_in_period=line.days_in_period,
                amount_minor=line.amount_minor,
            )
            for line in lines
        ],
    )
    session.add(invoice)
    session.flush()
    events.emit(session, org_id, events.INVOICE_ISSUED, {
        "invoice_id": invoice.id, "invoice_number": invoice.number, "kind": kind,
        "currency": currency, "total_minor": invoice.total_minor,
    }, now)
    return invoice


def list_invoices(session: Session, org_id: str) -> list[Invoice]:
    return list(
        session.scalars(
            select(Invoice)
            .where(Invoice.org_id == org_id)
            .order_by(Invoice.seq.desc())
            .options(selectinload(Invoice.lines))
        )
    )


def by_number(session: Session, org_id: str, number: str) -> Invoice | None:
    """`number` as printed (INV-000042); anything else finds nothing: ASCII digits only
    (`'²'.isdigit()` is true), and nothing past the seq column's range."""
    prefix, _, digits = number.partition("-")
    if prefix != "INV" or not re.fullmatch(r"[0-9]{1,18}", digits) or int(digits) > MAX_SEQ:
        return None
    return session.scalar(
        select(Invoice)
        .where(Invoice.org_id == org_id, Invoice.seq == int(digits))
        .options(selectinload(Invoice.lines))
    )
