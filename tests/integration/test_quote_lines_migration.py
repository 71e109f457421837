"""Migration 0009 on a populated database of revision 0006, on both backends: every quote
issued before it becomes a quote of one line of its org's default type, priced as it was, on
that type's share of the pool total it was priced on (spec edge case 77)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Connection

from app.migrate import downgrade, upgrade
from seats.models import Contract, Org, Quote, QuoteLine, SeatPool, SeatType
from tests.conftest import BACKENDS, NOW, _fresh_postgres_database


@pytest.fixture(params=BACKENDS)
def url_at_0006(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        upgrade(url, "0006")
        yield url
        return
    url, drop = _fresh_postgres_database()
    try:
        upgrade(url, "0006")
        yield url
    finally:
        drop()


def _org_with_a_quote(conn: Connection) -> None:
    """Standard (default, 5 seats) and premium (2 seats); a quote of 3 seats priced when the
    pool had 7: the default type's share was 5."""
    conn.execute(Org.__table__.insert(), {"id": "acme-id", "slug": "acme", "created_at": NOW})
    conn.execute(Contract.__table__.insert(), {
        "org_id": "acme-id", "currency": "USD", "unit_price_minor": 30_000,
        "term_start": date(2026, 1, 1), "minimum_seats": 0, "auto_renew": True,
        "proration": "monthly",
    })
    conn.execute(SeatPool.__table__.insert(), {"org_id": "acme-id", "total": 7, "assigned": 0})
    for key, total, default in (("standard", 5, True), ("premium", 2, False)):
        conn.execute(SeatType.__table__.insert(), {
            "id": f"acme-{key}", "org_id": "acme-id", "key": key, "name": key.title(),
            "unit_price_minor": 30_000, "total": total, "assigned": 0, "minimum_seats": 0,
            "rank": 0 if default else 10, "is_default": default,
        })
    conn.execute(Quote.__table__.insert(), {
        "id": "quote-1", "org_id": "acme-id", "add_seats": 3, "seats_before": 7,
        "seats_after": 10, "unit_price_minor": 30_000, "amount_minor": 67_500,
        "currency": "USD", "proration": "monthly", "term_start": date(2026, 1, 1),
        "term_end": date(2027, 1, 1), "period_start": date(2026, 4, 1), "remaining_months": 9,
        "created_at": NOW, "created_by": "admin:owner@example.com",
        "valid_until": NOW + timedelta(minutes=30),
    })


def test_migration_gives_each_quote_one_line_of_the_default_type(url_at_0006: str) -> None:
    engine = create_engine(url_at_0006)
    with engine.begin() as conn:
        _org_with_a_quote(conn)
    upgrade(url_at_0006, "0009")
    with engine.connect() as conn:
        lines = conn.execute(select(
            QuoteLine.quote_id, QuoteLine.seat_type_key, QuoteLine.add_seats,
            QuoteLine.type_seats_before, QuoteLine.unit_price_minor, QuoteLine.amount_minor,
        )).all()
    engine.dispose()
    assert [tuple(line) for line in lines] == [
        ("quote-1", "standard", 3, 5, 30_000, 67_500)]


def test_migration_downgrades_and_upgrades_again(url_at_0006: str) -> None:
    engine = create_engine(url_at_0006)
    with engine.begin() as conn:
        _org_with_a_quote(conn)
    upgrade(url_at_0006, "0009")
    downgrade(url_at_0006, "0006")
    upgrade(url_at_0006, "0009")
    with engine.connect() as conn:
        assert conn.execute(select(QuoteLine.quote_id)).scalars().all() == ["quote-1"]
    engine.dispose()
