"""The idle-seat report through the admin API and the console, with the clock moved by
time-machine (users made 100 days ago): docs/spec/forecast-and-idle.md, edge cases 327-331."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from tests.api.test_console import _sign_in
from tests.conftest import NOW
from tests.support import Admin, assert_problem

pytestmark = pytest.mark.date_sensitive  # also run at each instant of tests/date_matrix.py

FORMULA = "=HYPERLINK(\"http://x\")@example.com"


@pytest.fixture
def idle_org(make_admin: Callable[..., Admin]) -> Admin:
    """Three users provisioned 100 days ago, one of them changed 10 days ago."""
    owner = make_admin(10, term_start=(NOW - timedelta(days=200)).date())
    with time_machine.travel(NOW - timedelta(days=100)):
        for name in ("ada@example.com", "bob@example.com", FORMULA):
            owner.scim.create(name)
    bob = owner.scim.get("/Users", filter='userName eq "bob@example.com"').get_json()
    with time_machine.travel(NOW - timedelta(days=10)):
        response = owner.scim.patch(f"/Users/{bob['Resources'][0]['id']}", {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"displayName": "Bob"}}]})
        assert response.status_code == 200
    return owner


def names(body: dict[str, object]) -> list[str]:
    return [user["userName"] for user in body["users"]]  # type: ignore[attr-defined, index]


def test_the_report_pages_like_the_users_list(idle_org: Admin) -> None:
    viewer = idle_org.as_role("viewer")
    first = viewer.get("/seats/idle", limit=1).get_json()
    assert first["days"] == 90 and len(first["users"]) == 1 and first["next_cursor"]
    second = viewer.get("/seats/idle", limit=1, cursor=first["next_cursor"]).get_json()
    assert second["next_cursor"] is None
    assert sorted(names(first) + names(second)) == sorted(["ada@example.com", FORMULA])
    assert first["users"][0]["last_sign_in_at"] is None
    assert names(viewer.get("/seats/idle", days=5).get_json()) == [
        "ada@example.com", "bob@example.com", FORMULA]


@pytest.mark.parametrize("days", ["0", "3651", "ninety", "٣", "-1", "1.5"])
def test_a_bad_days_is_a_400_problem(idle_org: Admin, days: str) -> None:
    for path in ("/seats/idle", "/seats/idle.csv"):
        assert_problem(idle_org.get(path, days=days), 400, "INVALID_QUERY")


def test_the_csv_lists_every_idle_seat_with_formulas_defused(idle_org: Admin) -> None:
    response = idle_org.get("/seats/idle.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="idle-seats-90d-')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["id", "userName", "displayName", "externalId", "lastModified",
                       "lastSignIn"]
    assert sorted(row[1] for row in rows[1:]) == ["'" + FORMULA, "ada@example.com"]


def signed_in(app: Flask, admin: Admin) -> FlaskClient:
    client = app.test_client()
    assert _sign_in(client, admin.token).status_code == 303
    return client


def test_the_console_page_lists_idle_seats_and_says_the_idp_decides(
    app: Flask, idle_org: Admin
) -> None:
    client = signed_in(app, idle_org.as_role("viewer"))
    usage = client.get("/console/usage").get_data(as_text=True)
    assert 'href="/console/usage/idle"' in usage
    page = client.get("/console/usage/idle").get_data(as_text=True)
    assert "never deactivates anyone" in page and "ada@example.com" in page
    assert "bob@example.com" not in page
    assert "bob@example.com" in client.get("/console/usage/idle?days=5").get_data(as_text=True)
    download = client.get("/console/usage/idle.csv?days=5")
    assert download.mimetype == "text/csv"
    assert len(download.get_data(as_text=True).strip().splitlines()) == 4


@pytest.mark.parametrize("query", ["days=0", "days=abc", "days=99999", "page=0"])
def test_the_console_refuses_bad_numbers_with_a_400_page(
    app: Flask, idle_org: Admin, query: str
) -> None:
    client = signed_in(app, idle_org)
    assert client.get(f"/console/usage/idle?{query}").status_code == 400
