"""CSV exports of users, invoices and the audit log (docs/spec/records.md, 211-217): streamed
from keyset batches, parsed back whole and in order, formula cells defused, the same from
the admin API and the console."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from app import exports
from app.db import Database
from tests.api.test_console import (
    Console,
    make_console,  # noqa: F401  (the console client fixture)
)
from tests.support import FILTER_T0, Admin, assert_problem, user_row

pytestmark = pytest.mark.date_sensitive  # buys seats in the current term


def _parse(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))


def _chunks(response: Any) -> list[bytes]:
    """The body as the server yields it: a streamed response is a generator, not a list."""
    assert response.is_streamed
    return list(response.response)


def _store_users(database: Database, org_id: str, count: int) -> None:
    """Three users per creation instant, so batches end inside a tie."""
    with database.transaction() as session:
        session.add_all(
            user_row(org_id, {"userName": f"user{i:05d}@example.com", "active": i % 2 == 0},
                     created=FILTER_T0 + timedelta(seconds=i // 3))
            for i in range(count))


def test_211_many_users_stream_in_batches_and_parse_back(
        owner: Admin, database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "BATCH", 100)
    _store_users(database, owner.org_id, 2_500)
    chunks = _chunks(owner.get("/users.csv"))
    assert len(chunks) >= 25  # written out as each batch is read, not at the end
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode(), newline="")))
    assert sorted(row["userName"] for row in rows) == [
        f"user{i:05d}@example.com" for i in range(2_500)]
    assert len({row["id"] for row in rows}) == 2_500
    keys = [(row["created"], row["id"]) for row in rows]
    assert keys == sorted(keys)  # creation order, ties by id: the keyset of the batches
    assert {(row["active"], row["seat"]) for row in rows} == {("true", "held"), ("false", "none")}
    assert rows[0]["created"] == "2026-01-01T00:00:00Z"


def test_212_formula_cells_are_defused(owner: Admin) -> None:
    for name in ("=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)", "plain"):
        owner.scim.create(name, active=False)
    rows = _parse(owner.get("/users.csv"))
    assert [row["userName"] for row in rows] == [
        "'=HYPERLINK(\"http://x\")", "'+1", "'-1", "'@SUM(A1)", "plain"]


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("a=b", "a=b"), (-5, -5), (None, None),
    (FILTER_T0, "2026-01-01T00:00:00Z"), (FILTER_T0.date(), "2026-01-01"),
])
def test_212_defuse(value: object, cell: object) -> None:
    assert exports.defuse(value) == cell


def test_213_invoices_one_row_per_line_in_major_units(owner: Admin) -> None:
    offer = owner.post("/seats/quotes", {"add_seats": 2}).get_json()
    bought = owner.post("/seats/purchases", {"quote_id": offer["id"]},
                        headers={"Idempotency-Key": "export-1"})
    assert bought.status_code == 201
    (row,) = _parse(owner.get("/invoices.csv"))
    invoice = bought.get_json()["invoice"]
    assert row["number"] == invoice["number"] == "INV-000001"
    assert row["quantity"] == "2" and row["unit_price"] == "300.00" and row["currency"] == "USD"
    assert row["line_amount"] == row["invoice_total"]
    assert int(row["line_amount"].replace(".", "")) == invoice["total_minor"]
    assert row["issued"].endswith("Z") and row["line"] == "1"


def test_214_audit_export_takes_the_pages_filters(owner: Admin) -> None:
    ada = owner.scim.create("ada@example.com")["id"]
    owner.scim.create("bob@example.com")
    owner.post("/scim-tokens", {"name": "okta"})
    every = _parse(owner.get("/audit.csv"))
    assert [row["action"] for row in every] == ["seat.claimed", "seat.claimed", "scim-token.issued"]
    assert every[2]["subject_name"] == "okta" and every[2]["actor_name"] == "owner@example.com"
    only_ada = _parse(owner.get("/audit.csv", user="ADA@example.com"))
    assert [(row["subject"], row["subject_name"]) for row in only_ada] == [
        (f"user:{ada}", "ada@example.com")]
    assert _parse(owner.get("/audit.csv", action="seat.released")) == []
    assert _parse(owner.get("/audit.csv", cache="1")) == every


def test_214_a_bad_audit_filter_is_a_problem(owner: Admin) -> None:
    assert_problem(owner.get("/audit.csv", action=""), 400, "INVALID_QUERY")


def test_215_an_empty_org_exports_headers_only(owner: Admin) -> None:
    for path, header in (("/users.csv", exports.USER_HEADER),
                         ("/invoices.csv", exports.INVOICE_HEADER),
                         ("/audit.csv", exports.AUDIT_HEADER)):
        text = owner.get(path).get_data(as_text=True)
        assert text == ",".join(header) + "\r\n"


def test_216_the_console_links_and_serves_the_same_exports(
        make_console: Callable[..., Console]) -> None:  # noqa: F811
    console = make_console("viewer")
    console.admin.scim.create("ada@example.com")
    for page, link in (("users", "/console/users.csv"), ("audit", "/console/audit.csv")):
        assert f'href="{link}"' in console.client.get(f"/console/{page}").get_data(as_text=True)
    users = _parse(console.client.get("/console/users.csv"))
    assert users == _parse(console.admin.get("/users.csv"))
    audit = _parse(console.client.get("/console/audit.csv?action=seat.claimed"))
    assert [row["subject_name"] for row in audit] == ["ada@example.com"]
    assert _parse(console.client.get("/console/invoices.csv")) == []


def test_217_exports_need_a_token(owner: Admin) -> None:
    for path in ("/users.csv", "/invoices.csv", "/audit.csv"):
        assert owner.client.get(f"/admin/v1{path}").status_code == 401
