"""The console's billing page per seat type (docs/spec/seat-types.md, edge cases 79-80):
a card per type, and the pencil → Review → Upgrade flow buying seats of that type."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from app.db import Database
from scim import seat_mappings
from seats import seat_types
from tests.api.test_console import KEY, Console, make_console  # noqa: F401 (fixture)
from tests.api.test_seat_types_api import add_members, asking, group, map_group
from tests.support import add_premium, assert_seat_invariant

pytestmark = pytest.mark.date_sensitive  # quotes need a running term



def _totals(database: Database, org_id: str) -> dict[str, int]:
    with database.transaction(write=False) as session:
        return {t.key: t.total for t in seat_types.list_types(session, org_id)}


def test_edge_79_the_billing_page_has_a_card_per_type_each_with_its_pencil(
    make_console: Callable[..., Console], database: Database,  # noqa: F811
) -> None:
    console = make_console("primary_owner", seats=3)
    add_premium(database, console.admin.org_id, 1)
    page = console.client.get("/console/billing").get_data(as_text=True)
    for key, total in (("premium", 1), ("standard", 3)):
        assert f'data-testid="seats-total-{key}">{total}<' in page
        assert f'href="/console/billing?edit=seats&amp;type={key}#seats-{key}"' in page
    assert 'data-testid="edit-seats"' not in page  # no pencil on the org's sum
    editing = console.client.get("/console/billing?edit=seats&type=premium")
    text = editing.get_data(as_text=True)
    assert 'name="seat_type" value="premium"' in text and "New total of Premium seats" in text
    assert console.client.get("/console/billing?edit=seats&type=gold").status_code == 404


def test_edge_80_the_upgrade_flow_buys_seats_of_the_edited_type(
    make_console: Callable[..., Console], database: Database,  # noqa: F811
) -> None:
    console = make_console("primary_owner", seats=3)
    org_id = console.admin.org_id
    add_premium(database, org_id, 1)
    priced = console.post("/billing/seats", {"total": "3", "seat_type": "premium"})
    assert priced.status_code == 303, priced.get_data(as_text=True)
    review = console.client.get(priced.headers["Location"]).get_data(as_text=True)
    assert "Add 2 Premium seats" in review
    assert 'data-testid="new-total-premium">1 → <strong>3</strong>' in review
    quote_id = priced.headers["Location"].rsplit("/", 1)[1]
    bought = console.post("/billing/seats/upgrade", {"quote_id": quote_id, "idempotency_key": KEY})
    assert bought.status_code == 303
    assert "INV-000001" in console.client.get(bought.headers["Location"]).get_data(as_text=True)
    assert _totals(database, org_id) == {"premium": 3, "standard": 3}
    lower = console.post("/billing/seats", {"total": "2", "seat_type": "premium"})
    assert lower.status_code == 400 and "enter 3 or more" in lower.get_data(as_text=True)
    gone = console.post("/billing/seats", {"total": "9", "seat_type": "gold"})
    assert gone.status_code == 400 and "no longer exists" in gone.get_data(as_text=True)
    assert _totals(database, org_id) == {"premium": 3, "standard": 3}
    assert_seat_invariant(database, org_id)


def test_edge_81_the_users_page_shows_and_filters_by_type_and_waiting(
    make_console: Callable[..., Console], database: Database,  # noqa: F811
) -> None:
    console = make_console("primary_owner", seats=1)
    scim = console.admin.scim
    add_premium(database, console.admin.org_id, 1)
    scim.create("ada", **asking("premium"))
    bob = scim.create("bob")
    engineers = group(scim, "Engineers")
    map_group(database, console.admin.org_id, engineers, "premium")
    add_members(scim, engineers, bob["id"])  # premium is full: bob waits

    def listed(query: str) -> str:
        response = console.client.get(f"/console/users{query}")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    page = listed("")
    assert "Holds a Premium seat" in page and "Holds a Standard seat" in page
    assert 'data-testid="waiting">waits for Premium<' in page
    assert '<option value="premium">Premium</option>' in page
    premium = listed("?type=premium")
    assert ">ada<" in premium and ">bob<" not in premium
    waiting = listed("?waiting=yes")
    assert ">bob<" in waiting and ">ada<" not in waiting
    assert ">ada<" in listed("?waiting=no") and "No users match" in listed("?type=gold")


def test_edge_84_the_mappings_page_previews_a_change_then_makes_it(
    make_console: Callable[..., Console], database: Database,  # noqa: F811
) -> None:
    console = make_console("primary_owner", seats=3)
    org_id = console.admin.org_id
    scim = console.admin.scim
    add_premium(database, org_id, 1)  # one premium seat
    members = [scim.create(name)["id"] for name in ("ada", "bob")]
    engineers = group(scim, "Engineers", *members)
    page = console.client.get("/console/seat-types").get_data(as_text=True)
    assert "No group is mapped" in page and f'<option value="{engineers}">Engineers<' in page

    preview = console.client.get(f"/console/seat-types/preview?group={engineers}&type=premium")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert 'data-testid="moving"><strong>2</strong> users' in text
    assert "2 arriving, 1 seat for them: <strong>1 would wait</strong>" in text
    assert "There are not enough seats" in text
    # Buying is part of the flow: the owner's link opens the premium card's seat form with
    # the premium total plus the one who would wait.
    buy = "/console/billing?edit=seats&amp;type=premium&amp;add=1#seats-premium"
    assert f'data-testid="buy-premium" href="{buy}"' in text
    billing = console.client.get("/console/billing?edit=seats&type=premium&add=1")
    assert 'value="2"' in billing.get_data(as_text=True)
    assert _totals(database, org_id) == {"premium": 1, "standard": 3}  # a preview writes nothing

    made = console.post("/seat-types/mappings", {"group_id": engineers, "seat_type": "premium"})
    assert made.status_code == 303
    listed = console.client.get("/console/seat-types").get_data(as_text=True)
    assert "Members of Engineers now hold premium seats" in listed
    assert '<td data-label="Seat type">premium</td>' in listed
    removal = console.client.get(f"/console/seat-types/preview?group={engineers}")
    assert "Remove the mapping of Engineers" in removal.get_data(as_text=True)
    assert "There are enough seats" in removal.get_data(as_text=True)
    assert console.post("/seat-types/mappings", {"group_id": engineers}).status_code == 303
    assert "No group is mapped" in console.client.get("/console/seat-types").get_data(as_text=True)
    assert_seat_invariant(database, org_id)


def test_mapping_pages_refuse_bad_input_and_viewers(
    make_console: Callable[..., Console], database: Database,  # noqa: F811
) -> None:
    console = make_console("primary_owner", seats=3)
    add_premium(database, console.admin.org_id, 1)
    engineers = group(console.admin.scim, "Engineers")
    assert console.client.get("/console/seat-types/preview?group=nope").status_code == 404
    assert console.client.get(
        f"/console/seat-types/preview?group={engineers}&type=gold").status_code == 404
    assert console.post("/seat-types/mappings", {"group_id": engineers,
                                                 "seat_type": "gold"}).status_code == 404
    assert console.post("/seat-types/mappings", {}).status_code == 400
    viewer = make_console("viewer", admin=console.admin)
    assert viewer.client.get("/console/seat-types").status_code == 200
    assert viewer.post("/seat-types/mappings", {"group_id": engineers,
                                                "seat_type": "premium"}).status_code == 403
    with database.transaction(write=False) as session:
        assert seat_mappings.list_mappings(session, console.admin.org_id) == []
