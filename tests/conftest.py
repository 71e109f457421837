"""Real databases for every test run: a fresh SQLite file and, when SCIM_TEST_POSTGRES_URL
is set, a freshly created PostgreSQL database, both migrated with Alembic and dropped after.
Tests isolate themselves by creating their own org, exactly as tenants are isolated."""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.db import Database
from app.migrate import upgrade
from seats import orgs
from seats.clock import utcnow
from tests.clock import term_start_override, travel_if_asked
from tests.live_server import NO_REQUEST_LIMITS

os.environ.setdefault("SCIM_DEV", "1")  # servers and CLIs the tests start run in dev mode
for _variable, _limit in NO_REQUEST_LIMITS.items():  # servers and CLIs the tests start
    os.environ.setdefault(_variable, _limit)
PG_URL = os.environ.get("SCIM_TEST_POSTGRES_URL", "")
REQUIRE_PG = os.environ.get("SCIM_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
travel_if_asked()
NOW = utcnow().replace(microsecond=0)
"""Tests that pass the clock explicitly use this; orgs' terms start well before it."""
MID_TERM_START = (NOW - timedelta(days=60)).date()
"""For tests that need the term to run on for days after NOW in every date scenario."""
DEFAULT_TERM_START = term_start_override() or MID_TERM_START


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_PG and not PG_URL:
        raise pytest.UsageError("SCIM_REQUIRE_POSTGRES=1 but SCIM_TEST_POSTGRES_URL is not set")


def _fresh_postgres_database() -> tuple[str, Callable[[], None]]:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"scim_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database of each backend, private to this test session (worker)."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "scim.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url
        return
    url, drop = _fresh_postgres_database()
    try:
        upgrade(url)
        yield url
    finally:
        drop()


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


@dataclass(frozen=True)
class OrgRef:
    id: str
    slug: str


@pytest.fixture
def make_org(database: Database) -> Callable[..., OrgRef]:
    """Creates a fresh org (its own tenant) with the given seats and contract terms."""

    def make(
        seats: int = 5,
        *,
        price_minor: int = 30_000,
        currency: str = "USD",
        term_start: date | None = None,
        auto_renew: bool = True,
        minimum_seats: int = 0,
    ) -> OrgRef:
        slug = f"org-{uuid.uuid4().hex[:10]}"
        contract = orgs.NewContract(
            seats=seats,
            unit_price_minor=price_minor,
            currency=currency,
            term_start=term_start or DEFAULT_TERM_START,
            minimum_seats=minimum_seats,
            auto_renew=auto_renew,
        )
        with database.transaction() as session:
            org = orgs.create_org(session, slug, contract, NOW)
            return OrgRef(id=org.id, slug=slug)

    return make


@pytest.fixture
def org(make_org: Callable[..., OrgRef]) -> OrgRef:
    return make_org()
