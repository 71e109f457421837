"""Quotes and purchases per seat type on real databases, with the clock passed in
(docs/spec/seat-types.md, edge cases 71-73)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from app.db import Database
from seats import commerce, seat_types, seating
from seats.errors import QuoteProblem, QuoteUnusable
from seats.seat_types import NewSeatType
from tests.conftest import OrgRef
from tests.support import assert_seat_invariant

pytestmark = pytest.mark.date_sensitive  # fixed dates, but terms and months all the same

TERM_START = date(2027, 1, 1)
MARCH_FIRST = datetime(2027, 3, 1, 9, tzinfo=UTC)
PREMIUM_PRICE = 60_000


def _org_with_premium(make_org: Callable[..., OrgRef], database: Database) -> OrgRef:
    org = make_org(seats=5, term_start=TERM_START)
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, org.id, MARCH_FIRST)
        seat_types.add_type(session, pool, NewSeatType("premium", "Premium", PREMIUM_PRICE,
                                                       seats=2, rank=10),
                            actor="test", now=MARCH_FIRST)
    return org


def _totals(database: Database, org_id: str) -> dict[str, int]:
    with database.transaction(write=False) as session:
        return {t.key: t.total for t in seat_types.list_types(session, org_id)}


def test_edge_71_five_premium_seats_on_1_march_cost_ten_months_of_the_premium_price(
    make_org: Callable[..., OrgRef], database: Database,
) -> None:
    """The article's example, per type: 5 seats added on 1 March to a 1 January term."""
    org = _org_with_premium(make_org, database)
    with database.transaction() as session:
        quote = commerce.preview_top_up(session, org.id, 5, actor="owner", now=MARCH_FIRST,
                                        seat_type="premium")
        quote_id = quote.id
        assert quote.remaining_months == 10
        assert quote.amount_minor == 5 * PREMIUM_PRICE * 10 // 12 == 250_000
        assert [(line.seat_type_key, line.type_seats_before) for line in quote.lines] == [
            ("premium", 2)]
    with database.transaction() as session:
        purchase = commerce.confirm_top_up(session, org.id, quote_id, actor="owner",
                                           now=MARCH_FIRST)
        line = purchase.invoice.lines[0]
        assert (line.quantity, line.unit_price_minor, line.months, line.amount_minor) == (
            5, PREMIUM_PRICE, 10, 250_000)
        assert line.description.startswith("5 additional Premium seats, 2027-03-01 to ")
    assert _totals(database, org.id) == {"premium": 7, "standard": 5}
    assert_seat_invariant(database, org.id)


def test_edge_72_one_invoice_has_a_line_per_type_each_at_its_price(
    make_org: Callable[..., OrgRef], database: Database,
) -> None:
    org = _org_with_premium(make_org, database)
    asked = [commerce.SeatLine(3), commerce.SeatLine(5, "premium")]  # default type first
    with database.transaction() as session:
        quote_id = commerce.preview_lines(session, org.id, asked, actor="owner",
                                          now=MARCH_FIRST).id
    with database.transaction() as session:
        invoice = commerce.confirm_top_up(session, org.id, quote_id, actor="owner",
                                          now=MARCH_FIRST).invoice
        lines = [(line.quantity, line.unit_price_minor, line.amount_minor)
                 for line in invoice.lines]
        assert lines == [(5, PREMIUM_PRICE, 250_000), (3, 30_000, 75_000)]  # rank order
        assert (invoice.number, invoice.total_minor) == ("INV-000001", 325_000)
    assert _totals(database, org.id) == {"premium": 7, "standard": 8}
    assert_seat_invariant(database, org.id)


def test_edge_73_a_line_is_stale_only_when_its_own_type_changed(
    make_org: Callable[..., OrgRef], database: Database,
) -> None:
    org = _org_with_premium(make_org, database)
    with database.transaction() as session:
        standard = commerce.preview_top_up(session, org.id, 1, actor="a", now=MARCH_FIRST).id
        premium = commerce.preview_top_up(session, org.id, 1, actor="b", now=MARCH_FIRST,
                                          seat_type="premium").id
        both = commerce.preview_lines(
            session, org.id, [commerce.SeatLine(1, "premium"), commerce.SeatLine(1)],
            actor="c", now=MARCH_FIRST).id
    with database.transaction() as session:
        commerce.confirm_top_up(session, org.id, standard, actor="a", now=MARCH_FIRST)
    with database.transaction() as session:  # other type bought meanwhile: still good
        commerce.confirm_top_up(session, org.id, premium, actor="b", now=MARCH_FIRST)
    with pytest.raises(QuoteUnusable) as refused, database.transaction() as session:
        commerce.confirm_top_up(session, org.id, both, actor="c", now=MARCH_FIRST)
    assert refused.value.reason is QuoteProblem.STALE
    assert "premium seats" in str(refused.value)
    with database.transaction() as session:
        assert [(s.add_seats, s.seat_type) for s in commerce.quote_request(session, org.id, both)
                ] == [(1, "premium"), (1, "standard")]
    assert _totals(database, org.id) == {"premium": 3, "standard": 6}
    assert_seat_invariant(database, org.id)
