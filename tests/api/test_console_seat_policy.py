"""The pool-full policy in the console (docs/spec/pool-full-policies.md, edge cases 405 and
421-423): the billing page's policy card, the seat requests queue, and approving by buying
(the review → Upgrade flow pre-filled with the pending requests)."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from seats.models import SeatRequest
from seats.pool_full import AUTO_TOP_UP, REQUEST, PoolFullPolicy, policy_of, save_policy
from tests.api import test_console
from tests.api.test_console import Console
from tests.conftest import NOW
from tests.support import assert_seat_invariant, open_seat_requests, snapshot

pytestmark = pytest.mark.date_sensitive  # claims need a running term; requests expire
make_console = test_console.make_console  # the fixture: a signed-in browser of one role


def _policy(console: Console) -> PoolFullPolicy:
    with console.database.transaction(write=False) as session:
        return policy_of(session, console.admin.org_id)


def _asking(console: Console, people: int) -> list[str]:
    """A full org under the request policy with `people` pending requests."""
    with console.database.transaction() as session:
        save_policy(session, console.admin.org_id, PoolFullPolicy(REQUEST), actor="cli", now=NOW)
    return open_seat_requests(console.database, console.admin.org_id, people)


def _status(console: Console, request_id: str) -> str:
    with console.database.transaction(write=False) as session:
        return session.get_one(SeatRequest, request_id).status


def test_edge_405_the_owner_chooses_the_policy_on_the_billing_page(
    make_console: Callable[..., Console]
) -> None:
    console = make_console()
    page = console.client.get("/console/billing").get_data(as_text=True)
    assert "When no seat is free" in page and 'action="/console/billing/seat-policy"' in page
    response = console.post("/billing/seat-policy", {"policy": "auto_top_up",
                                                     "max_auto_seats": "10"})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert _policy(console) == PoolFullPolicy(AUTO_TOP_UP, 10)
    page = console.client.get("/console/billing").get_data(as_text=True)
    assert "at most <strong>10</strong> per term" in page


@pytest.mark.parametrize("form", [
    {"policy": "auto_top_up", "max_auto_seats": ""},
    {"policy": "auto_top_up", "max_auto_seats": "-3"},
    {"policy": "everything"},
])
def test_edge_405_a_bad_policy_is_explained_and_changes_nothing(
    make_console: Callable[..., Console], form: dict[str, str]
) -> None:
    console = make_console()
    before = snapshot(console.database, console.admin.org_id)
    response = console.post("/billing/seat-policy", form)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert _policy(console) == PoolFullPolicy()
    assert snapshot(console.database, console.admin.org_id) == before


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_edge_405_only_the_primary_owner_changes_the_policy(
    make_console: Callable[..., Console], role: str
) -> None:
    console = make_console(role)
    assert 'action="/console/billing/seat-policy"' not in console.client.get(
        "/console/billing").get_data(as_text=True)
    assert console.post("/billing/seat-policy", {"policy": "refuse"}).status_code == 403


def test_edge_421_an_admin_approves_and_denies_in_the_queue(
    make_console: Callable[..., Console]
) -> None:
    console = make_console("admin", seats=1)
    first, second = _asking(console, 2)
    page = console.client.get("/console/seat-requests").get_data(as_text=True)
    assert "asker0@example.com" in page and "asker1@example.com" in page
    assert "Pending (2)" in page and "buy-for-requests" not in page  # only owners buy
    approved = console.post(f"/seat-requests/{first}/approve")
    assert approved.status_code == 303
    assert _status(console, first) == "approved"
    refused = console.post(f"/seat-requests/{second}/approve")  # the only seat is taken
    assert refused.status_code == 409 and _status(console, second) == "open"
    assert console.post(f"/seat-requests/{second}/deny").status_code == 303
    assert _status(console, second) == "denied"
    page = console.client.get("/console/seat-requests").get_data(as_text=True)
    assert "No pending requests." in page
    assert_seat_invariant(console.database, console.admin.org_id)


def test_edge_422_a_viewer_sees_the_queue_and_decides_nothing(
    make_console: Callable[..., Console]
) -> None:
    console = make_console("viewer", seats=1)
    [request_id] = _asking(console, 1)
    page = console.client.get("/console/seat-requests").get_data(as_text=True)
    assert "asker0@example.com" in page and "Approve" not in page
    assert console.post(f"/seat-requests/{request_id}/approve").status_code == 403
    assert _status(console, request_id) == "open"


def test_edge_423_the_owner_approves_by_buying_with_the_upgrade_flow_pre_filled(
    make_console: Callable[..., Console]
) -> None:
    console = make_console(seats=2)
    for i in range(2):
        console.admin.scim.create(f"holder{i}")
    ids = _asking(console, 3)
    page = console.client.get("/console/seat-requests").get_data(as_text=True)
    assert "/console/billing?edit=seats&amp;add=3#seats" in page
    billing = console.client.get("/console/billing?edit=seats&add=3").get_data(as_text=True)
    assert 'value="5"' in billing  # 2 seats + 3 requests
    quote_id = console.quote(5)
    review = console.client.get(f"/console/billing/quotes/{quote_id}")
    assert review.status_code == 200
    key = test_console.KEY
    bought = console.post("/billing/seats/upgrade", {"quote_id": quote_id, "idempotency_key": key})
    assert bought.status_code == 303
    for request_id in ids:
        assert console.post(f"/seat-requests/{request_id}/approve").status_code == 303
    state = snapshot(console.database, console.admin.org_id)
    assert (state.total, state.assigned) == (5, 5)


def test_a_nonsense_add_pre_fills_nothing(make_console: Callable[..., Console]) -> None:
    console = make_console(seats=2)
    for add in ("-4", "abc", "999999999"):
        page = console.client.get(f"/console/billing?edit=seats&add={add}").get_data(as_text=True)
        assert 'min="2" value="2"' in page
