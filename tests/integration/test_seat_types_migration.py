"""Migration 0005 on a populated database of revision 0004, on both backends: every org gets
one `standard` default type holding its pool's counts, price and minimum, and its active users
hold it (spec edge case 42)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Connection

from app.migrate import downgrade, upgrade
from scim.tables import UserRow
from seats.models import Contract, Org, SeatPool, SeatType
from tests.conftest import BACKENDS, NOW, _fresh_postgres_database


@pytest.fixture(params=BACKENDS)
def url_at_0004(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        upgrade(url, "0004")
        yield url
        return
    url, drop = _fresh_postgres_database()
    try:
        upgrade(url, "0004")
        yield url
    finally:
        drop()


def _org(conn: Connection, slug: str, *, total: int, active: int, inactive: int,
         price: int, minimum: int) -> str:
    """Rows as revision 0004 stored them: no seat type anywhere."""
    org_id = f"{slug}-id"
    conn.execute(Org.__table__.insert(), {"id": org_id, "slug": slug, "created_at": NOW})
    conn.execute(Contract.__table__.insert(), {
        "org_id": org_id, "currency": "USD", "unit_price_minor": price,
        "term_start": date(2026, 1, 1), "minimum_seats": minimum, "auto_renew": True,
        "proration": "monthly",
    })
    conn.execute(SeatPool.__table__.insert(), {"org_id": org_id, "total": total,
                                               "assigned": active})
    for n in range(active + inactive):
        name = f"u{n}@{slug}.example"
        conn.execute(UserRow.__table__.insert(), {
            "id": f"{slug}-u{n}", "org_id": org_id, "user_name": name, "user_name_norm": name,
            "active": n < active, "data": {"userName": name, "active": n < active},
            "created_at": NOW, "last_modified_at": NOW, "version": 1,
        })
    return org_id


def test_migration_gives_each_org_a_standard_type_its_active_users_hold(
    url_at_0004: str,
) -> None:
    engine = create_engine(url_at_0004)
    with engine.begin() as conn:
        acme = _org(conn, "acme", total=5, active=3, inactive=2, price=30_000, minimum=4)
        empty = _org(conn, "empty", total=0, active=0, inactive=1, price=0, minimum=0)
    upgrade(url_at_0004, "0005")
    with engine.connect() as conn:
        types = {row.org_id: row for row in conn.execute(select(SeatType.__table__))}
        users = {row.id: row.seat_type_key for row in conn.execute(
            select(UserRow.id, UserRow.seat_type_key))}
    engine.dispose()
    assert set(types) == {acme, empty}
    standard = types[acme]
    assert (standard.key, standard.name, standard.is_default, standard.rank) == (
        "standard", "Standard", True, 0)
    assert (standard.total, standard.assigned, standard.unit_price_minor,
            standard.minimum_seats) == (5, 3, 30_000, 4)
    assert (types[empty].total, types[empty].assigned) == (0, 0)
    assert [users[f"acme-u{n}"] for n in range(5)] == ["standard"] * 3 + [None] * 2
    assert users["empty-u0"] is None


def test_migration_downgrades_and_upgrades_again(url_at_0004: str) -> None:
    engine = create_engine(url_at_0004)
    with engine.begin() as conn:
        _org(conn, "acme", total=2, active=1, inactive=0, price=100, minimum=0)
    upgrade(url_at_0004, "0005")
    downgrade(url_at_0004, "0004")
    upgrade(url_at_0004, "0005")
    with engine.connect() as conn:
        assert conn.execute(select(SeatType.total, SeatType.assigned)).all() == [(2, 1)]
    engine.dispose()
