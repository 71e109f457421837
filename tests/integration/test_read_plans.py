"""The read path's statements use the indexes that keep them flat in the org's size, on the
migrated schema of both databases and without statistics (a database made by the migrations
has none until someone runs ANALYZE): a page's rows are looked up by primary key, not by
walking an org_id index, and a cursor page seeks the sort index to its position. PostgreSQL
is told to avoid sequential scans, since on a table this small it would rightly prefer one."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.db import Database
from scim.listing import USERS, ListQuery, Page, list_resources
from tests.conftest import OrgRef
from tests.support import FILTER_T0, user_row

KEY = b"plan-test-key-of-thirty-two-byte"


@contextmanager
def _statements(database: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def _plan(database: Database, statement: str, parameters: Any) -> str:
    with database.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            return "\n".join(str(row[-1]) for row in rows)
        conn.exec_driver_sql("SET enable_seqscan = off")
        rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
        return "\n".join(str(row[0]) for row in rows)


def _seeded(database: Database, org: OrgRef, count: int) -> None:
    with database.transaction() as session:
        session.add_all(user_row(org.id, {"userName": f"user{n:03d}"}, created=FILTER_T0)
                        for n in range(count))


def _listed(database: Database, org: OrgRef, query: ListQuery) -> tuple[Any, list[tuple[str, Any]]]:
    with _statements(database) as seen, Session(database.engine) as session:
        result = list_resources(session, org.id, [USERS], query, KEY)
    return result, seen


def _one(seen: list[tuple[str, Any]], wanted: Callable[[str], bool]) -> tuple[str, Any]:
    found = [entry for entry in seen if wanted(entry[0])]
    assert len(found) == 1, [statement for statement, _ in seen]
    return found[0]


def test_a_pages_rows_are_looked_up_by_primary_key(
    database: Database, make_org: Callable[..., OrgRef]
) -> None:
    org = make_org()
    _seeded(database, org, 30)
    result, seen = _listed(database, org, ListQuery(page=Page(1, 10)))
    assert len(result.rows) == 10
    load = _one(seen, lambda statement: " IN (" in statement)
    plan = _plan(database, *load)
    if database.engine.dialect.name == "sqlite":
        assert "(id=?)" in plan, plan
    else:
        assert "pk_scim_users" in plan and "Index Cond: ((id)::text = ANY" in plan, plan


def test_a_cursor_page_seeks_the_sort_index_to_its_position(
    database: Database, make_org: Callable[..., OrgRef]
) -> None:
    org = make_org()
    _seeded(database, org, 30)
    first, _ = _listed(database, org, ListQuery(page=Page(1, 10), cursor=""))
    second, seen = _listed(database, org, ListQuery(page=Page(1, 10), cursor=first.next_cursor))
    assert [found.row.id for found in second.rows] and second.rows != first.rows
    page = _one(seen, lambda statement: "LIMIT" in statement.upper())
    # The statement bounds the sort key from below, which is what lets an index seek; which
    # index PostgreSQL picks for it depends on statistics that autovacuum may gather on the
    # test database at any moment, so the plan itself is checked where it is deterministic.
    assert re.search(r'listed\."?key"? >= ', page[0]), page[0]
    if database.engine.dialect.name == "sqlite":
        plan = _plan(database, *page)
        assert "ix_scim_users_org_created (org_id=? AND created_at>?)" in plan, plan


def test_a_lookup_by_user_name_is_one_statement_on_the_unique_index(
    database: Database, make_org: Callable[..., OrgRef]
) -> None:
    """`userName eq` matches one user at most: its page is read in one statement, without a
    page index read first or a count; SQLite reads it by the (org, lowered userName) unique
    index. (PostgreSQL without statistics takes an org_id index and filters, as it did for
    the page index query before; with them it takes the unique index, bench/README.md.)"""
    org = make_org()
    _seeded(database, org, 100)
    result, seen = _listed(database, org,
                           ListQuery(page=Page(1, 100), filter='userName eq "USER007"'))
    assert [found.row.data["userName"] for found in result.rows] == ["user007"]
    assert result.total == 1
    statements = [entry for entry in seen if not entry[0].startswith("BEGIN")]
    assert len(statements) == 1, [statement for statement, _ in seen]
    if database.engine.dialect.name == "sqlite":
        assert "(org_id=? AND user_name_norm=?)" in _plan(database, *statements[0])
