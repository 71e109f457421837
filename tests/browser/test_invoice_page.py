"""The invoice as a finance team gets it from the console (docs/spec/records.md, 229-230),
in headless Chromium at a phone's 390 px: the printable page fits without sideways
scrolling, reads the article's example, and its PDF download says the same."""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from seats import commerce
from seats.billing_profiles import BillingDetails, save_billing_profile
from tests.browser.conftest import PHONE, Console

pytestmark = pytest.mark.date_sensitive  # a fixed term, bought at a fixed instant

LONG_NAME = "Internationale Wirtschaftsprüfungs- und Steuerberatungsgesellschaft mbH & Co. KG"


def _article_invoice(console: Console) -> str:
    """Term from 1 January 2026; 5 seats at USD 300.00 bought on 1 March 2026; the
    buyer's profile has a long legal name and e-mail, the hard case for a narrow page."""
    now = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    with console.database.transaction() as session:
        save_billing_profile(session, console.org_id, BillingDetails(
            legal_name=LONG_NAME, billing_email="accounts-payable.department@example.com",
            address="Königsallee 1\n40212 Düsseldorf", tax_id="DE123456789"),
            actor="admin:owner@example.com", now=now)
        quote = commerce.preview_top_up(session, console.org_id, 5,
                                        actor="admin:owner@example.com", now=now)
        return commerce.confirm_top_up(session, console.org_id, quote.id,
                                       actor="admin:owner@example.com", now=now).invoice.number


def test_229_the_invoice_fits_390_px_and_its_pdf_reads_the_same(
        make_console: Callable[..., Console]) -> None:
    console = make_console(5, term_start=date(2026, 1, 1), viewport=PHONE)
    number = _article_invoice(console)
    console.sign_in_with_link("viewer")
    page = console.page
    page.goto(console.url(f"/console/billing/invoices/{number}"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("window.innerWidth") == 390
    assert page.get_by_test_id("calculation").inner_text() == "5 × USD 300.00 × 10/12"
    assert page.get_by_test_id("amount").inner_text() == "USD 1,250.00"
    assert page.get_by_test_id("total").inner_text() == "USD 1,250.00"
    assert page.get_by_test_id("issued").inner_text() == "1 March 2026"
    assert page.get_by_text(LONG_NAME).is_visible()
    console.shot("phone-invoice")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == f"{number}.pdf"
    pdf = PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "5 × USD 300.00 × 10/12" in text and text.count("USD 1,250.00") == 2
    assert "Issued: 1 March 2026" in text and "Königsallee 1" in text
