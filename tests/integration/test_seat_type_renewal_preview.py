"""The renewal preview per seat type (docs/spec/seat-types.md, edge case 78): each type's
quantity and amount, as the renewal at term end then bills them."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.db import Database
from app.read_models import RenewalLine, seat_card
from scim import users
from seats import seat_types, seating
from seats.models import Invoice
from seats.seat_types import NewSeatType
from seats.terms import term_end
from tests.conftest import OrgRef
from tests.support import assert_seat_invariant

pytestmark = pytest.mark.date_sensitive  # fixed dates: a term and its end

START = date(2025, 1, 1)
AT_END = datetime.combine(term_end(START), datetime.min.time(), tzinfo=UTC)
BEFORE_END = AT_END - timedelta(days=30)


def test_edge_78_the_renewal_preview_has_each_types_quantity_and_amount(
    make_org: Callable[..., OrgRef], database: Database,
) -> None:
    org = make_org(seats=5, term_start=START, price_minor=30_000)
    ctx = users.WriteContext(org_id=org.id, actor="test", now=BEFORE_END)
    with database.transaction() as session:
        pool = seating.lock_and_renew(session, org.id, BEFORE_END)
        seat_types.add_type(session, pool, NewSeatType("premium", "Premium", 60_000, seats=4,
                                                       rank=10, minimum_seats=3),
                            actor="test", now=BEFORE_END)
        for name, extra in (("ada", {"entitlements": [{"value": "premium"}]}),
                            ("bob", {"roles": [{"value": "premium"}]}), ("eve", {})):
            users.create_user(session, {"userName": name, **extra}, ctx)
    with database.transaction(write=False) as session:
        renewal = seat_card(session, org.id).renewal
    assert renewal.lines == [
        RenewalLine("premium", "Premium", 3, 60_000, 180_000),  # its minimum, not its 2
        RenewalLine("standard", "Standard", 1, 30_000, 30_000),
    ]
    assert (renewal.quantity, renewal.amount_minor) == (4, 210_000)
    with database.transaction() as session:
        assert seating.renew_if_due(session, org.id, AT_END) == 1
    with database.transaction(write=False) as session:
        invoice = session.scalars(select(Invoice).where(Invoice.org_id == org.id,
                                                        Invoice.kind == "renewal")).one()
        billed = [(line.quantity, line.unit_price_minor, line.amount_minor)
                  for line in invoice.lines]
    assert billed == [(line.quantity, line.unit_price_minor, line.amount_minor)
                      for line in renewal.lines]
    assert invoice.total_minor == renewal.amount_minor
    assert_seat_invariant(database, org.id)
