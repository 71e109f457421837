"""Hostile input that used to be a 500, on both databases: Unicode digits and integers past
a column's range in query parameters and invoice numbers, keyset pages of a boolean sort,
a root search sorted by an attribute only users have, PATCH removes whose value names no
element, webhook URLs with a non-public IP host. Each is a 4xx that says what is wrong, and
changes nothing. Also: the seats.purchased payload names no admin (an e-mail, often)."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from seats.models import OutboxEvent
from tests.api.test_console import Console, _sign_in
from tests.support import Admin, Scim, assert_problem, assert_scim_error, patch_body, snapshot

HUGE = str(2**31)  # one past PostgreSQL's integer
HUGER = "9" * 40  # past any integer type
NOT_ASCII_DIGITS = ["²", "٣", "1²", "１"]


@pytest.fixture
def console(app: Flask, owner: Admin) -> Console:
    client = app.test_client()
    assert _sign_in(client, owner.token).status_code == 303
    return Console(client=client, admin=owner)


# --- 1. digits and ranges -----------------------------------------------------------------


@pytest.mark.parametrize("page", [*NOT_ASCII_DIGITS, HUGE, HUGER, "0", "-1", "x"])
def test_console_users_page_numbers_that_are_not_page_numbers_are_400(
    console: Console, page: str
) -> None:
    response = console.client.get("/console/users", query_string={"page": page})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "page number" in response.get_data(as_text=True)


def test_console_users_pages_still_page(console: Console) -> None:
    for page in ("1", "2", "", "1000000"):
        response = console.client.get("/console/users", query_string={"page": page})
        assert response.status_code == 200, (page, response.get_data(as_text=True))


@pytest.mark.parametrize("before", [*NOT_ASCII_DIGITS, HUGE, HUGER, "-1", "x"])
def test_console_audit_before_that_is_not_an_id_is_400(console: Console, before: str) -> None:
    response = console.client.get("/console/audit", query_string={"before": before})
    assert response.status_code == 400, response.get_data(as_text=True)


def test_console_audit_pages_by_id(console: Console) -> None:
    for before in ("", "1", str(2**31 - 1)):
        response = console.client.get("/console/audit", query_string={"before": before})
        assert response.status_code == 200, (before, response.get_data(as_text=True))


@pytest.mark.parametrize("number", ["INV-²", "INV-٣", "INV-１", f"INV-{HUGE}", f"INV-{HUGER}",
                                    "INV-", "INV--1"])
def test_invoice_numbers_that_are_not_numbers_are_not_found(
    owner: Admin, console: Console, number: str
) -> None:
    assert_problem(owner.get(f"/invoices/{number}"), 404, "INVOICE_NOT_FOUND")
    assert_problem(owner.get(f"/invoices/{number}.html"), 404, "INVOICE_NOT_FOUND")
    assert console.client.get(f"/console/billing/invoices/{number}").status_code == 404


@pytest.mark.parametrize("after", [*NOT_ASCII_DIGITS, HUGE, HUGER, "-1", " 1", "1_0"])
def test_admin_audit_after_out_of_range_or_not_digits_is_invalid_query(
    owner: Admin, after: str
) -> None:
    body = assert_problem(owner.get("/audit", after=after), 400, "INVALID_QUERY")
    assert "after" in body["errors"]


def test_admin_audit_after_at_the_column_maximum_is_fine(owner: Admin) -> None:
    response = owner.get("/audit", after=str(2**31 - 1))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["entries"] == []


# --- 2. sorting ---------------------------------------------------------------------------


def _walk(fetch: Callable[[str], Any]) -> list[dict[str, Any]]:
    pages, cursor = [], ""
    while cursor is not None:
        response = fetch(cursor)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        pages.append(body)
        cursor = body.get("nextCursor")
    return pages


@pytest.mark.parametrize("order", ["ascending", "descending"])
def test_cursor_pages_of_a_boolean_sort_walk_every_user_once(scim: Scim, order: str) -> None:
    created = [scim.create(f"bool-{i}", active=i % 3 != 0)["id"] for i in range(7)]
    pages = _walk(lambda cursor: scim.get("/Users", sortBy="active", sortOrder=order,
                                          count=2, cursor=cursor))
    walked = [r for p in pages for r in p["Resources"]]
    assert sorted(r["id"] for r in walked) == sorted(created)
    flags = [r["active"] for r in walked]
    assert flags == sorted(flags, reverse=order == "descending")
    # ...and back again with previousCursor from the last page.
    last = pages[-1]
    back = scim.get("/Users", sortBy="active", sortOrder=order, count=2,
                    cursor=last["previousCursor"])
    assert back.status_code == 200, back.get_json()
    assert [r["id"] for r in back.get_json()["Resources"]] == [
        r["id"] for r in pages[-2]["Resources"]]


def test_root_search_sorted_by_a_user_only_json_attribute(scim: Scim) -> None:
    scim.create("zed", name={"givenName": "Zed"})
    scim.create("abe", name={"givenName": "abe"})
    scim.create("anon")
    group = scim.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                  "displayName": "team"})
    assert group.status_code == 201, group.get_json()
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "sortBy": "name.givenName"}
    response = scim.post("/.search", body)
    assert response.status_code == 200, response.get_json()
    found = response.get_json()["Resources"]
    assert [r.get("userName", r.get("displayName")) for r in found][:2] == ["abe", "zed"]
    assert {r.get("userName", r.get("displayName")) for r in found[2:]} == {"anon", "team"}
    # Cursor pages over the union, past the NULL sort values of the group.
    pages = _walk(lambda cursor: scim.post("/.search", {**body, "count": 1, "cursor": cursor}))
    assert [r["id"] for p in pages for r in p["Resources"]] == [r["id"] for r in found]


# --- 3. PATCH remove with a value that names nothing --------------------------------------


@pytest.mark.parametrize("value", [{}, [{}], {"value": None}, "a@example.com", 7, True,
                                   [["a@example.com"]], [None]])
def test_remove_with_a_value_that_is_not_an_element_is_invalid_value(
    scim: Scim, value: Any
) -> None:
    user = scim.create("mail", emails=[{"value": "a@example.com", "type": "work"}])
    database = scim.client.application.extensions["db"]
    before = snapshot(database, scim.org_id)
    response = scim.patch(f"/Users/{user['id']}",
                          patch_body({"op": "remove", "path": "emails", "value": value}))
    assert_scim_error(response, 400, "invalidValue")
    assert snapshot(database, scim.org_id) == before


def test_remove_with_a_listed_value_still_removes_it(scim: Scim) -> None:
    user = scim.create("mail2", emails=[{"value": "a@example.com"}, {"value": "b@example.com"}])
    response = scim.patch(f"/Users/{user['id']}", patch_body(
        {"op": "remove", "path": "emails", "value": [{"value": "A@example.com"}]}))
    assert response.status_code == 200, response.get_json()
    assert [e["value"] for e in response.get_json()["emails"]] == ["b@example.com"]


# --- 4. webhook targets at PUT /alerts, and what a webhook payload carries ----------------

ALERTS = {"threshold_percent": 75, "webhook_secret": "whsec-0123456789abcdef"}


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://127.1/hook", "http://2130706433/hook",
    "http://0x7f000001/hook", "http://0177.0.0.1/hook", "https://10.0.0.8/",
    "https://192.168.1.1:8443/x", "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0/", "http://224.0.0.1/", "http://100.64.0.1/", "http://[::1]/",
    "http://[::]/", "http://[fe80::1]/", "http://[fc00::1]/", "http://[::ffff:127.0.0.1]/",
    "http://[2002:7f00:1::]/",
])
def test_a_webhook_url_with_a_non_public_ip_host_is_refused(
    owner: Admin, database: Any, url: str
) -> None:
    before = owner.get("/alerts").get_json()
    body = assert_problem(owner.put("/alerts", {**ALERTS, "webhook_url": url}), 400,
                          "INVALID_ALERT_SETTINGS")
    assert "webhook_url" in body["errors"]
    assert owner.get("/alerts").get_json() == before


@pytest.mark.parametrize("url", ["https://8.8.8.8/hook", "https://[2001:4860:4860::8888]/h",
                                 "https://localhost/hook", "https://hooks.example.com/x"])
def test_public_ip_hosts_and_host_names_are_accepted(owner: Admin, url: str) -> None:
    """Host names are checked when delivering: what they resolve to may change."""
    response = owner.put("/alerts", {**ALERTS, "webhook_url": url})
    assert response.status_code == 200, response.get_json()


def test_private_ip_hosts_are_accepted_when_private_delivery_is_allowed(
    app: Flask, owner: Admin, monkeypatch: pytest.MonkeyPatch
) -> None:
    allowed = replace(app.extensions["settings"], webhook_allow_private=True)
    monkeypatch.setitem(app.extensions, "settings", allowed)
    response = owner.put("/alerts", {**ALERTS, "webhook_url": "http://127.0.0.1:8080/hook"})
    assert response.status_code == 200, response.get_json()


def test_the_purchased_event_names_the_actor_kind_not_the_admin(
    owner: Admin, database: Any
) -> None:
    """The admin's subject is often an e-mail; webhook payloads never carry one."""
    offer = owner.post("/seats/quotes", {"add_seats": 1})
    assert offer.status_code == 201, offer.get_json()
    bought = owner.post("/seats/purchases", {"quote_id": offer.get_json()["id"]},
                        headers={"Idempotency-Key": "no-email"})
    assert bought.status_code == 201, bought.get_json()
    with database.transaction(write=False) as session:
        payload = session.scalars(select(OutboxEvent.payload).where(
            OutboxEvent.org_id == owner.org_id,
            OutboxEvent.event_type == "seats.purchased")).one()
    assert payload["purchased_by"] == "admin"
    assert "@" not in json.dumps(payload)
