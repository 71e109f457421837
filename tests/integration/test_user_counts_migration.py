"""Migration 0010 on a populated database of revision 0009, on both backends: each org's
user count is backfilled from the users it has, and the table goes and comes back."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.engine import Connection

from app.migrate import downgrade, upgrade
from scim.tables import UserCountRow, UserRow
from seats.models import Org
from tests.conftest import BACKENDS, NOW, _fresh_postgres_database


@pytest.fixture(params=BACKENDS)
def url_at_0009(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        upgrade(url, "0009")
        yield url
        return
    url, drop = _fresh_postgres_database()
    try:
        upgrade(url, "0009")
        yield url
    finally:
        drop()


def _org(conn: Connection, slug: str, users: int) -> None:
    org_id = f"{slug}-id"
    conn.execute(Org.__table__.insert(), {"id": org_id, "slug": slug, "created_at": NOW})
    for n in range(users):
        name = f"u{n}@{slug}.example"
        conn.execute(UserRow.__table__.insert(), {
            "id": f"{slug}-u{n}", "org_id": org_id, "user_name": name, "user_name_norm": name,
            "active": False, "data": {"userName": name, "active": False},
            "created_at": NOW, "last_modified_at": NOW, "version": 1,
        })


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(UserCountRow.org_id, UserCountRow.users)).all()
    engine.dispose()
    return {org_id: users for org_id, users in rows}


def test_migration_counts_each_orgs_users(url_at_0009: str) -> None:
    engine = create_engine(url_at_0009)
    with engine.begin() as conn:
        _org(conn, "acme", 3)
        _org(conn, "globex", 1)
        _org(conn, "empty", 0)
    engine.dispose()
    upgrade(url_at_0009, "0010")
    assert _counts(url_at_0009) == {"acme-id": 3, "globex-id": 1}


def test_migration_downgrades_and_upgrades_again(url_at_0009: str) -> None:
    engine = create_engine(url_at_0009)
    with engine.begin() as conn:
        _org(conn, "acme", 2)
    upgrade(url_at_0009, "0010")
    downgrade(url_at_0009, "0009")
    assert "scim_user_counts" not in inspect(engine).get_table_names()
    engine.dispose()
    upgrade(url_at_0009, "0010")
    assert _counts(url_at_0009) == {"acme-id": 2}


def test_0011_drops_the_narrow_active_index_and_its_downgrade_restores_it(
        url_at_0009: str) -> None:
    def indexes() -> set[str]:
        engine = create_engine(url_at_0009)
        try:
            return {index["name"] for index in inspect(engine).get_indexes("scim_users")}
        finally:
            engine.dispose()

    upgrade(url_at_0009, "0011")
    assert "ix_scim_users_org_active" not in indexes()
    assert "ix_scim_users_org_idle" in indexes()
    downgrade(url_at_0009, "0010")
    assert "ix_scim_users_org_active" in indexes()
