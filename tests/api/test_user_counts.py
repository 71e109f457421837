"""The org's kept user count (scim.user_counts) equals its real number of users after every
path that inserts or deletes users: POST, a refused POST, Bulk POST and DELETE, DELETE, and
the benchmark's population loader; an unfiltered list's totalResults is that count."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import time_machine
from sqlalchemy import func, select

from app.db import Database
from scim.tables import UserRow
from scim.user_counts import count
from tests.api.test_bulk import bulk_body, post_user
from tests.conftest import NOW
from tests.support import Scim, user_body

POPULATION = Path(__file__).resolve().parents[2] / "bench" / "population.py"


def _real(database: Database, org_id: str) -> int:
    with database.transaction(write=False) as session:
        return session.scalar(
            select(func.count()).select_from(UserRow).where(UserRow.org_id == org_id)
        ) or 0


def _kept(database: Database, org_id: str) -> int:
    with database.transaction(write=False) as session:
        return count(session, org_id)


def assert_counted(database: Database, org_id: str, expected: int) -> None:
    assert _kept(database, org_id) == _real(database, org_id) == expected


def _total(scim: Scim) -> int:
    """A full page of one: its totalResults is counted, not inferred from the page."""
    body = scim.get("/Users", count=1).get_json()
    assert body["itemsPerPage"] == 1
    return int(body["totalResults"])


def test_posts_deletes_and_refusals_keep_the_count_exact(scim: Scim, database: Database) -> None:
    assert_counted(database, scim.org_id, 0)
    ids = [scim.post("/Users", user_body(f"u{n}@example.com")).get_json()["id"]
           for n in range(3)]
    assert_counted(database, scim.org_id, 3)
    assert scim.post("/Users", user_body("u0@example.com")).status_code == 409
    assert_counted(database, scim.org_id, 3)
    assert scim.delete(f"/Users/{ids[0]}").status_code == 204
    assert scim.delete(f"/Users/{ids[0]}").status_code == 404
    assert_counted(database, scim.org_id, 2)
    assert _total(scim) == 2


def test_bulk_keeps_the_count_exact(scim: Scim, database: Database) -> None:
    scim.post("/Users", user_body("kept@example.com"))
    gone = scim.post("/Users", user_body("gone@example.com")).get_json()["id"]
    response = scim.post("/Bulk", bulk_body(
        post_user("a", "a@example.com"),
        post_user("b", "b@example.com"),
        post_user("dup", "kept@example.com"),  # refused (409): counts nothing
        {"method": "DELETE", "path": f"/Users/{gone}"},
    ))
    statuses = [op["status"] for op in response.get_json()["Operations"]]
    assert statuses == ["201", "201", "409", "204"]
    assert_counted(database, scim.org_id, 3)
    assert _total(scim) == 3


def _population() -> ModuleType:
    """bench/ is scripts, not a package: loaded by path, and registered, as its dataclasses
    look their module up while being defined."""
    spec = importlib.util.spec_from_file_location("bench_population", POPULATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_population_loader_keeps_the_count_exact(database: Database) -> None:
    population = _population()
    with time_machine.travel(NOW, tick=False):  # the loader dates what it writes "now"
        tenant = population.create_tenant(database, "loaded")
        population.preload(database, tenant, "load", population.BATCH + 5)  # 2 batches
    assert_counted(database, tenant.org_id, population.BATCH + 5)
