"""Invoices a finance team accepts (docs/spec/records.md, 221-228): seller and buyer, status,
dates written out, each line's quantity × unit price × prorated fraction, a printable page
and a PDF whose text says the same. The article's example: a term from 1 January, 5 seats
at USD 300.00 added on 1 March under monthly proration cost 5 × 300.00 × 10/12 = 1,250.00."""
from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfReader

from app.db import Database
from app.factory import create_app
from app.invoice_pdf import invoice_pdf
from app.printed_invoices import Party, PrintedInvoice, PrintedLine, fraction
from app.settings import Seller, Settings
from seats import commerce
from seats.models import Contract, InvoiceLine
from tests.api.admin_support import read
from tests.api.test_console import (
    Console,
    make_console,  # noqa: F401  (the console client fixture)
)
from tests.support import Admin, assert_problem

pytestmark = pytest.mark.date_sensitive  # fixed terms, bought at fixed instants

SELLER = Seller(name="Seats Vendor GmbH", address="Hauptstraße 1\n10115 Berlin\nGermany",
                tax_id="DE123456789", email="billing@vendor.example")
PROFILE = {"legal_name": "Acme Widgets Ltd", "billing_email": "accounts@acme.example",
           "address": "1 High Street\nLondon EC1A 1AA\nUnited Kingdom", "tax_id": "GB999999973"}
ARTICLE_TERM = date(2026, 1, 1)
ARTICLE_DAY = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def app(database_url: str, database: Database) -> Iterator[Flask]:
    """The API tests' app, with a seller configured as SCIM_SELLER_* would."""
    application = create_app(Settings(database_url=database_url, seller=SELLER))
    application.config["TESTING"] = True
    yield application
    application.extensions["db"].dispose()


def buy_at(database: Database, org_id: str, seats: int, now: datetime) -> str:
    """A top-up priced and confirmed at `now` (the domain's use cases, as the front ends
    call them); the invoice number."""
    with database.transaction() as session:
        quote = commerce.preview_top_up(session, org_id, seats, actor="admin:owner@example.com",
                                        now=now)
        return commerce.confirm_top_up(session, org_id, quote.id, actor="admin:owner@example.com",
                                       now=now).invoice.number


@pytest.fixture
def article(make_admin: Callable[..., Admin], database: Database) -> tuple[Admin, str]:
    owner = make_admin(seats=5, price_minor=30_000, term_start=ARTICLE_TERM)
    return owner, buy_at(database, owner.org_id, 5, ARTICLE_DAY)


def _pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_221_the_articles_example_reads_correctly_on_the_page(article: tuple[Admin, str]) -> None:
    owner, number = article
    page = owner.get(f"/invoices/{number}.html").get_data(as_text=True)
    assert "5 × USD 300.00 × 10/12" in page
    assert page.count("USD 1,250.00") == 2  # the line and the total
    assert "1 March 2026" in page and "1 March 2026 to 31 December 2026" in page
    assert ">Issued<" in page and 'data-testid="status">Issued<' in page
    (line,) = read(owner, f"/invoices/{number}")["lines"]  # the JSON document says it too
    assert (line["quantity"], line["unit_price_minor"], line["fraction"]) == (5, 30_000, "10/12")
    assert line["amount_minor"] == 125_000 and line["days_in_period"] is None


def test_221_the_articles_example_reads_correctly_in_the_pdf(article: tuple[Admin, str]) -> None:
    owner, number = article
    response = owner.get(f"/invoices/{number}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{number}.pdf"'
    text = _pdf_text(response.get_data())
    assert f"Invoice {number}" in text
    assert "5 × USD 300.00 × 10/12" in text and text.count("USD 1,250.00") == 2
    assert "Issued: 1 March 2026" in text and "Status: Issued" in text


def test_222_seller_and_buyer_are_on_the_page_and_in_the_pdf(article: tuple[Admin, str]) -> None:
    owner, number = article
    assert owner.put("/billing-profile", PROFILE).status_code == 200
    page = owner.get(f"/invoices/{number}.html").get_data(as_text=True)
    text = _pdf_text(owner.get(f"/invoices/{number}.pdf").get_data())
    for expected in ("Seats Vendor GmbH", "Hauptstraße 1", "Tax ID: DE123456789",
                     "billing@vendor.example", "Acme Widgets Ltd", "London EC1A 1AA",
                     "Tax ID: GB999999973", "accounts@acme.example"):
        assert expected in page and expected in text, expected


def test_222_without_a_profile_the_buyer_is_the_orgs_slug(article: tuple[Admin, str]) -> None:
    owner, number = article
    assert owner.scim.org_slug in owner.get(f"/invoices/{number}.html").get_data(as_text=True)


def test_223_the_primary_owner_sets_the_profile_and_it_is_audited(owner: Admin) -> None:
    assert_problem(owner.get("/billing-profile"), 404, "BILLING_PROFILE_NOT_SET")
    stored = owner.put("/billing-profile", {**PROFILE, "legal_name": "  Acme Widgets Ltd "})
    assert stored.status_code == 200
    assert {k: stored.get_json()[k] for k in PROFILE} == PROFILE
    assert read(owner, "/billing-profile")["legal_name"] == "Acme Widgets Ltd"
    owner.put("/billing-profile", PROFILE)  # unchanged: no second entry
    owner.put("/billing-profile", {**PROFILE, "tax_id": "GB000000000"})
    entries = read(owner, "/audit", action="billing-profile.changed")["entries"]
    assert [e["detail"] for e in entries] == [
        "changed: legal_name, billing_email, address, tax_id", "changed: tax_id"]
    assert entries[0]["actor_name"] == "owner@example.com"


@pytest.mark.parametrize("body", [
    {**PROFILE, "billing_email": "not an address"}, {**PROFILE, "legal_name": "   "},
    {**PROFILE, "legal_name": "x" * 256}, {**PROFILE, "tax_id": "x" * 65},
    {"legal_name": "Acme"}, {**PROFILE, "address": "a\x00b"},
])
def test_224_a_bad_profile_is_refused_and_changes_nothing(owner: Admin, body: dict) -> None:
    assert owner.put("/billing-profile", PROFILE).status_code == 200
    assert owner.put("/billing-profile", body).status_code == 400
    assert {k: read(owner, "/billing-profile")[k] for k in PROFILE} == PROFILE


def test_224_only_the_primary_owner_changes_the_profile(owner: Admin) -> None:
    for role in ("admin", "viewer"):
        assert owner.as_role(role).put("/billing-profile", PROFILE).status_code == 403
    owner.put("/billing-profile", PROFILE)
    assert read(owner.as_role("viewer"), "/billing-profile")["legal_name"] == PROFILE["legal_name"]


def test_225_unknown_suffixes_and_numbers_are_404(article: tuple[Admin, str]) -> None:
    owner, number = article
    for path in (f"{number}.txt", f"{number}.pdf.html", "INV-999999.pdf"):
        assert_problem(owner.get(f"/invoices/{path}"), 404, "INVOICE_NOT_FOUND")


def _line(**counts: int | None) -> InvoiceLine:
    return InvoiceLine(quantity=5, unit_price_minor=30_000, **counts)


@pytest.mark.parametrize(("counts", "shown"), [
    ({"months": 10}, "10/12"),
    ({"months": 12}, "12/12"),  # a renewal
    ({"days": 306, "days_in_period": 365}, "306/365"),
    ({"months": 9, "days": 15, "days_in_period": 31}, "(9 + 15/31)/12"),
    ({"days": 306, "days_in_period": None}, ""),  # issued before the denominator was kept
])
def test_226_each_policy_shows_its_fraction(counts: dict[str, int | None], shown: str) -> None:
    assert fraction(_line(**counts)) == shown


def test_226_daily_and_monthly_daily_purchases_print_their_fraction(
        make_admin: Callable[..., Admin], database: Database) -> None:
    for policy, shown in (("daily", "5 × USD 300.00 × 306/365"),
                          ("monthly_daily", "5 × USD 300.00 × (9 + 31/31)/12")):
        owner = make_admin(seats=5, term_start=ARTICLE_TERM)
        with database.transaction() as session:
            session.get_one(Contract, owner.org_id).proration = policy
        number = buy_at(database, owner.org_id, 5, ARTICLE_DAY)
        assert shown in owner.get(f"/invoices/{number}.html").get_data(as_text=True)


def test_227_the_pdf_without_dejavu_falls_back_to_the_core_font(tmp_path: Path) -> None:
    printed = PrintedInvoice(
        number="INV-000001", status="Issued", kind="Additional seats", issued="1 March 2026",
        currency="USD", seller=Party("Vendor", ()), buyer=Party("Ωmega Ltd", ("Zürich",)),
        lines=(PrintedLine("5 additional seats", "1 March 2026 to 31 December 2026", 5,
                           "USD 300.00", "10/12", "5 × USD 300.00 × 10/12", "USD 1,250.00"),),
        total="USD 1,250.00")
    text = _pdf_text(invoice_pdf(printed, font_dir=tmp_path))
    assert "5 × USD 300.00 × 10/12" in text and "?mega Ltd" in text and "Zürich" in text


def test_228_the_console_edits_the_profile_and_serves_the_pdf(
        make_console: Callable[..., Console], database: Database) -> None:  # noqa: F811
    console = make_console("primary_owner")
    number = buy_at(database, console.admin.org_id, 1, _in_term(database, console.admin.org_id))
    form = {**PROFILE, "billing_email": "bad"}
    refused = console.post("/billing/profile", form)
    assert refused.status_code == 400 and "Enter an e-mail address" in refused.get_data(as_text=True)
    assert console.post("/billing/profile", PROFILE).status_code == 303
    page = console.client.get(f"/console/billing/invoices/{number}").get_data(as_text=True)
    assert "Acme Widgets Ltd" in page and f'href="/console/billing/invoices/{number}.pdf"' in page
    pdf = console.client.get(f"/console/billing/invoices/{number}.pdf")
    assert pdf.mimetype == "application/pdf" and "Acme Widgets Ltd" in _pdf_text(pdf.get_data())
    viewer = make_console("viewer", admin=console.admin)
    shown = viewer.client.get("/console/billing/profile").get_data(as_text=True)
    assert "Acme Widgets Ltd" in shown and "<form" not in shown.split("<main")[1]
    assert viewer.post("/billing/profile", PROFILE).status_code == 403


def _in_term(database: Database, org_id: str) -> datetime:
    """The first instant of the org's current term, a time a purchase is always priced in."""
    with database.transaction(write=False) as session:
        start = session.get_one(Contract, org_id).term_start
    return datetime(start.year, start.month, start.day, 12, tzinfo=UTC)
