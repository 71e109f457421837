"""Quote validity on real databases, with the clock passed in: edge case 28."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from app.db import Database
from seats import commerce
from seats.errors import QuoteProblem, QuoteUnusable
from seats.models import SeatPool
from tests.conftest import OrgRef

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py


START = date(2026, 1, 31)
BOUNDARY = datetime(2026, 2, 28, tzinfo=UTC)  # anchored on the 31st: 28 February


def test_edge_28_a_quote_made_before_a_monthly_boundary_expires_at_it(
    make_org: Callable[..., OrgRef], database: Database
) -> None:
    org = make_org(seats=5, term_start=START)
    before_boundary = BOUNDARY - timedelta(minutes=10)
    with database.transaction() as session:
        quote = commerce.preview_top_up(session, org.id, 2, actor="owner", now=before_boundary)
        quote_id, valid_until = quote.id, quote.valid_until
    assert valid_until == BOUNDARY  # sooner than the usual 30 minutes
    with pytest.raises(QuoteUnusable) as refused, database.transaction() as session:
        commerce.confirm_top_up(session, org.id, quote_id, actor="owner", now=BOUNDARY + timedelta(minutes=1))
    assert refused.value.reason is QuoteProblem.EXPIRED
    with database.transaction(write=False) as session:
        assert session.get_one(SeatPool, org.id).total == 5


def test_a_quote_lives_thirty_minutes_mid_month(make_org: Callable[..., OrgRef], database: Database) -> None:
    org = make_org(seats=5, term_start=START)
    now = datetime(2026, 2, 10, 12, tzinfo=UTC)
    with database.transaction() as session:
        quote = commerce.preview_top_up(session, org.id, 1, actor="owner", now=now)
        quote_id = quote.id
        assert quote.valid_until == now + timedelta(minutes=30)
        assert quote.remaining_months == 12  # still the first month of the term
    with database.transaction() as session:
        purchase = commerce.confirm_top_up(session, org.id, quote_id, actor="owner", now=now + timedelta(minutes=29))
    assert purchase.seats_after == 6
