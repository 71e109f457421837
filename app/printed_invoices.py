"""An invoice as a finance team reads it, shared by the printable page (both front ends) and
the PDF: the seller (settings) and the buyer (the org's billing profile), its status, dates
written out, and each line's calculation — quantity × unit price × the prorated fraction —
so that the amount can be checked by hand: "5 × USD 300.00 × 10/12 = USD 1,250.00"."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from app.settings import Seller
from seats.billing_profiles import billing_profile
from seats.models import Invoice, InvoiceLine, Org
from seats.money import format_amount
from seats.terms import TERM_MONTHS

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
STATUS = "Issued"
"""Every invoice is issued with the purchase or renewal it bills; payment is not tracked
here, so no invoice reads "paid" or "overdue"."""
KINDS = {"seat_purchase": "Additional seats", "renewal": "Renewal"}


def long_date(day: date) -> str:
    """"1 March 2026": unambiguous in every locale, unlike 03/01/2026."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Party:
    """A seller or a buyer: a name, then the lines printed under it."""

    name: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class PrintedLine:
    description: str
    period: str
    quantity: int
    unit_price: str
    fraction: str
    calculation: str
    amount: str


@dataclass(frozen=True)
class PrintedInvoice:
    number: str
    status: str
    kind: str
    issued: str
    currency: str
    seller: Party
    buyer: Party
    lines: tuple[PrintedLine, ...]
    total: str


def fraction(line: InvoiceLine) -> str:
    """The share of the annual price the line pays, as the proration computed it
    (seats/proration.py): months of the term (10/12), days of the term (306/365), or whole
    months and the days of the current month ((9 + 15/31)/12). Empty for a line issued
    before days_in_period was kept whose days therefore have no denominator."""
    days = (f"{line.days}/{line.days_in_period}"
            if line.days is not None and line.days_in_period else None)
    if line.months is not None and line.days is not None:
        return f"({line.months} + {days})/{TERM_MONTHS}" if days else ""
    if line.months is not None:
        return f"{line.months}/{TERM_MONTHS}"
    return days or ""


def _line(line: InvoiceLine, currency: str) -> PrintedLine:
    unit_price = format_amount(line.unit_price_minor, currency)
    share = fraction(line)
    calculation = f"{line.quantity} × {unit_price}" + (f" × {share}" if share else "")
    # period_end is exclusive (the next term's first day); people read the last day paid.
    period = f"{long_date(line.period_start)} to {long_date(line.period_end - timedelta(days=1))}"
    return PrintedLine(description=line.description, period=period, quantity=line.quantity,
                       unit_price=unit_price, fraction=share, calculation=calculation,
                       amount=format_amount(line.amount_minor, currency))


def _seller(seller: Seller) -> Party:
    extra = (f"Tax ID: {seller.tax_id}" if seller.tax_id else "", seller.email)
    return Party(seller.name, tuple(filter(None, (*seller.address.splitlines(), *extra))))


def _buyer(session: Session, org_id: str) -> Party:
    """The billing profile; without one, the org's slug, so an invoice is never addressed
    to nobody."""
    profile = billing_profile(session, org_id)
    if profile is None:
        return Party(session.get_one(Org, org_id).slug, ())
    extra = (f"Tax ID: {profile.tax_id}" if profile.tax_id else "", profile.billing_email)
    return Party(profile.legal_name, tuple(filter(None, (*profile.address.splitlines(), *extra))))


def printed_invoice(session: Session, invoice: Invoice, seller: Seller) -> PrintedInvoice:
    return PrintedInvoice(
        number=invoice.number, status=STATUS, kind=KINDS.get(invoice.kind, invoice.kind),
        issued=long_date(invoice.issued_at.date()), currency=invoice.currency,
        seller=_seller(seller), buyer=_buyer(session, invoice.org_id),
        lines=tuple(_line(line, invoice.currency) for line in invoice.lines),
        total=format_amount(invoice.total_minor, invoice.currency))
