"""Quotes and purchases per seat type through the admin API (docs/spec/seat-types.md, edge
cases 74-76): `seat_type` or `lines`, one invoice line per type, bad lines refused whole."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.db import Database
from tests.api.admin_support import read
from tests.api.test_seat_commerce import books, buy
from tests.api.test_seat_types_api import add_members, group, map_group
from tests.support import Admin, add_premium, assert_problem, assert_seat_invariant

pytestmark = pytest.mark.date_sensitive  # seat claims and quotes need a running term


def _two_types(make_admin: Callable[..., Admin], database: Database, *, premium: int = 1,
               standard: int = 3) -> Admin:
    owner = make_admin(seats=standard)
    add_premium(database, owner.scim.org_id, premium)
    return owner


def _types(owner: Admin) -> dict[str, dict[str, Any]]:
    return {t["key"]: t for t in read(owner, "/seats")["types"]}


def test_edge_74_a_quote_of_several_lines_buys_each_type_on_one_invoice(
    make_admin: Callable[..., Admin], database: Database,
) -> None:
    owner = _two_types(make_admin, database)
    offer = owner.post("/seats/quotes", {"lines": [
        {"seat_type": "standard", "add_seats": 2}, {"seat_type": "premium", "add_seats": "1"},
    ]})
    assert offer.status_code == 201, offer.get_json()
    quote = offer.get_json()
    assert [(line["seat_type"], line["add_seats"], line["seats_before"],
             line["unit_price_minor"]) for line in quote["lines"]] == [
        ("premium", 1, 1, 60_000), ("standard", 2, 3, 30_000)]
    assert quote["add_seats"] == 3 and (quote["seats_before"], quote["seats_after"]) == (4, 7)
    assert quote["amount_minor"] == sum(line["amount_minor"] for line in quote["lines"])
    bought = buy(owner, quote["id"], "lines-1")
    assert bought.status_code == 201, bought.get_json()
    invoice = bought.get_json()["invoice"]
    assert [(line["quantity"], line["unit_price_minor"], line["amount_minor"])
            for line in invoice["lines"]] == [
        (line["add_seats"], line["unit_price_minor"], line["amount_minor"])
        for line in quote["lines"]]
    assert invoice["total_minor"] == quote["amount_minor"]
    types = _types(owner)
    assert (types["premium"]["total"], types["standard"]["total"]) == (2, 5)
    assert_seat_invariant(database, owner.scim.org_id)


def test_edge_75_a_purchase_of_premium_moves_the_users_waiting_for_premium(
    make_admin: Callable[..., Admin], database: Database,
) -> None:
    owner = _two_types(make_admin, database, premium=0)
    ada = owner.scim.create("ada")
    engineers = group(owner.scim, "Engineers")
    map_group(database, owner.scim.org_id, engineers, "premium")
    add_members(owner.scim, engineers, ada["id"])
    assert _types(owner)["premium"]["waiting"] == 1
    offer = owner.post("/seats/quotes", {"add_seats": 1, "seat_type": "premium"}).get_json()
    assert buy(owner, offer["id"], "premium-1").status_code == 201
    premium = _types(owner)["premium"]
    assert (premium["total"], premium["assigned"], premium["waiting"]) == (1, 1, 0)
    assert _types(owner)["standard"]["assigned"] == 0
    assert_seat_invariant(database, owner.scim.org_id)


@pytest.mark.parametrize(("body", "names"), [
    ({"add_seats": 1, "seat_type": "gold"}, "gold"),
    ({"lines": [{"seat_type": "premium", "add_seats": 1},
                {"seat_type": "gold", "add_seats": 1}]}, "gold"),
    ({"lines": [{"seat_type": "premium", "add_seats": 1},
                {"seat_type": "premium", "add_seats": 2}]}, "twice"),
    ({"lines": [{"seat_type": "premium", "add_seats": 1}], "add_seats": 1}, "add_seats"),
    ({"lines": [{"seat_type": "premium", "add_seats": 1}], "seat_type": "premium"},
     "seat_type"),
    ({"lines": []}, "lines"),
    ({"lines": [{"add_seats": 1}]}, "seat_type"),
    ({"lines": [{"seat_type": "premium", "add_seats": 0}]}, "add_seats"),
    ({"lines": [{"seat_type": "premium", "add_seats": 6_000},
                {"seat_type": "standard", "add_seats": 6_000}]}, "per purchase"),
    ({"seat_type": "premium"}, "add_seats"),
])
def test_edge_76_a_bad_line_refuses_the_whole_quote_with_400(
    make_admin: Callable[..., Admin], database: Database, body: dict[str, Any], names: str,
) -> None:
    owner = _two_types(make_admin, database)
    before = books(database, owner.scim.org_id)
    problem = assert_problem(owner.post("/seats/quotes", body), 400, "INVALID_ADD_SEATS")
    assert names in problem["detail"]
    assert books(database, owner.scim.org_id) == before


def test_a_stale_line_is_answered_with_a_fresh_quote_of_the_same_lines(
    make_admin: Callable[..., Admin], database: Database,
) -> None:
    owner = _two_types(make_admin, database)
    lines = [{"seat_type": "premium", "add_seats": 2}, {"seat_type": "standard", "add_seats": 1}]
    late = owner.post("/seats/quotes", {"lines": lines}).get_json()
    first = owner.post("/seats/quotes", {"add_seats": 1, "seat_type": "premium"}).get_json()
    assert buy(owner, first["id"], "first").status_code == 201
    problem = assert_problem(buy(owner, late["id"], "late"), 409, "QUOTE_STALE")
    fresh = problem["fresh_quote"]
    assert [(line["seat_type"], line["add_seats"], line["seats_before"])
            for line in fresh["lines"]] == [("premium", 2, 2), ("standard", 1, 3)]
    assert buy(owner, fresh["id"], "fresh").status_code == 201
    types = _types(owner)
    assert (types["premium"]["total"], types["standard"]["total"]) == (4, 4)
    assert_seat_invariant(database, owner.scim.org_id)
