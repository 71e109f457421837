"""Seat types published to IdPs (docs/spec/seat-types.md, edge cases 59-62): /Roles and
/Entitlements list the org's seat types with the key as id (Okta's "SCIM with entitlements"
resource types, announced in /ResourceTypes and /Schemas), and a user shows the type it holds
and waits for in a read-only extension, when asked for."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from app.db import Database
from scim.schemas import SEAT_USER_SCHEMA
from tests.api.test_seat_types_api import add_members, group, map_group, two_types
from tests.support import Scim, assert_scim_error

pytestmark = pytest.mark.date_sensitive  # seat claims need a running term

OKTA_ROLE = "urn:okta:scim:schemas:core:1.0:Role"
OKTA_ENTITLEMENT = "urn:okta:scim:schemas:core:1.0:Entitlement"


def test_edge_59_roles_and_entitlements_are_announced_resource_types(scim: Scim) -> None:
    types = {t["id"]: t for t in scim.get("/ResourceTypes").get_json()["Resources"]}
    assert (types["Role"]["endpoint"], types["Role"]["schema"]) == ("/Roles", OKTA_ROLE)
    assert (types["Entitlement"]["endpoint"], types["Entitlement"]["schema"]) == (
        "/Entitlements", OKTA_ENTITLEMENT)
    schemas = {s["id"]: s for s in scim.get("/Schemas").get_json()["Resources"]}
    assert {OKTA_ROLE, OKTA_ENTITLEMENT, SEAT_USER_SCHEMA} <= set(schemas)
    seat = {a["name"]: a for a in schemas[SEAT_USER_SCHEMA]["attributes"]}
    assert set(seat) == {"seatType", "waitingForSeatType", "waitingSince"}
    assert {(a["mutability"], a["returned"]) for a in seat.values()} == {("readOnly", "request")}


def test_edge_60_roles_and_entitlements_list_the_orgs_seat_types_by_key(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    scim = two_types(make_scim, database, standard=2, premium=1)
    other = make_scim(seats=1)
    roles = scim.get("/Roles").get_json()
    assert roles["totalResults"] == 2
    assert [(r["id"], r["displayName"]) for r in roles["Resources"]] == [
        ("premium", "Premium"), ("standard", "Standard")]  # highest rank first
    assert roles["Resources"][0]["schemas"] == [OKTA_ROLE]
    entitlement = scim.get("/Entitlements/premium").get_json()
    assert (entitlement["schemas"], entitlement["type"], entitlement["meta"]["resourceType"]) == (
        [OKTA_ENTITLEMENT], "seat", "Entitlement")
    assert entitlement["meta"]["location"].endswith("/Entitlements/premium")
    page = scim.get("/Entitlements", startIndex=2, count=1).get_json()
    assert [r["id"] for r in page["Resources"]] == ["standard"] and page["startIndex"] == 2
    assert [r["id"] for r in other.get("/Roles").get_json()["Resources"]] == ["standard"]
    assert other.get("/Roles/premium").status_code == 404


def test_edge_61_the_seat_type_lists_refuse_filters_and_writes(scim: Scim) -> None:
    assert_scim_error(scim.get("/Roles", filter='id eq "standard"'), 400, "invalidFilter")
    assert_scim_error(scim.post("/Entitlements", {"displayName": "x"}), 405)
    assert_scim_error(scim.delete("/Roles/standard"), 405)
    assert_scim_error(scim.get("/Roles/nope"), 404)


def test_edge_62_a_user_shows_its_seat_type_and_wait_when_asked(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    scim = two_types(make_scim, database, standard=3, premium=0)
    ada = scim.create("ada")
    assert SEAT_USER_SCHEMA not in ada and ada["schemas"] == [
        "urn:ietf:params:scim:schemas:core:2.0:User"]
    engineers = group(scim, "Engineers")
    map_group(database, scim.org_id, engineers, "premium")
    add_members(scim, engineers, ada["id"])
    shown = scim.get(f"/Users/{ada['id']}", attributes=SEAT_USER_SCHEMA).get_json()
    assert SEAT_USER_SCHEMA in shown["schemas"]
    seat = shown[SEAT_USER_SCHEMA]
    assert (seat["seatType"], seat["waitingForSeatType"]) == ("standard", "premium")
    assert seat["waitingSince"].endswith("Z")
    again = scim.get(f"/Users/{ada['id']}").get_json()
    assert ada["meta"]["version"] != again["meta"]["version"]  # the wait is a new version
    listed = scim.get("/Users", attributes=f"{SEAT_USER_SCHEMA}:seatType").get_json()
    assert listed["Resources"][0][SEAT_USER_SCHEMA] == {"seatType": "standard"}
    response = scim.patch(f"/Users/{ada['id']}", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}]})
    assert response.status_code == 200
    hidden = scim.get(f"/Users/{ada['id']}", attributes=SEAT_USER_SCHEMA).get_json()
    assert SEAT_USER_SCHEMA not in hidden
