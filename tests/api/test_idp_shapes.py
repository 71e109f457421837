"""What Okta and Microsoft Entra ID actually send, one test per behaviour, each named after
the request shape it quotes. The same requests run live, in order, in `conformance/flows/`
(`make conformance`); here each runs alone, on every database, with the seat pool checked.

Shapes already covered by a test under another name are not repeated here:
- Entra `{"op":"Remove","path":"members","value":[{"value":"<id>"}]}` →
  tests/api/test_groups_api.py::test_entra_remove_members_by_value_list
- Entra `{"op":"Add","path":"members",...}` →
  tests/api/test_groups_api.py::test_entra_add_members_with_capitalised_op
- Okta group push `{"op":"replace","path":"members","value":[]}` →
  tests/api/test_groups_api.py::test_okta_group_push_replace_members_empty
- Okta rename `{"op":"replace","value":{"id":"<id>","displayName":"new"}}` (id in value) →
  tests/api/test_groups_api.py::test_okta_rename_replace_without_path_echoing_the_id
- Okta add members `{"op":"add","path":"members","value":[{"value":"<id>"}]}` →
  tests/api/test_groups_api.py::test_patch_add_members_is_idempotent_and_moves_the_version
- a refused POST is 403 `SEAT_LIMIT_REACHED` without `scimType` →
  tests/api/test_seat_rules.py::test_edge_01_post_active_user_with_no_free_seat_is_403
The PATCH engine's side of the Entra shapes is unit-tested in tests/unit/test_patch.py
(`test_entra_*`, `test_okta_*`); these tests add the HTTP route and the seats."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from app.db import Database
from scim.schemas import SEAT_USER_SCHEMA
from tests.api.test_seat_types_api import two_types
from tests.support import (
    USER_URN,
    Scim,
    assert_scim_error,
    patch_body,
    snapshot,
)

ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
OKTA_PAGE = {"startIndex": 1, "count": 100}


def _assigned(database: Database, scim: Scim) -> int:
    return snapshot(database, scim.org_id).assigned


def _patch_user(scim: Scim, user_id: str, *operations: dict[str, Any]) -> dict[str, Any]:
    response = scim.patch(f"/Users/{user_id}", patch_body(*operations))
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def _okta_set_active(active: bool) -> dict[str, Any]:
    return {"op": "replace", "value": {"active": active}}


def _ids(listing: dict[str, Any]) -> list[str]:
    return [resource["id"] for resource in listing["Resources"]]


# --- Okta ----------------------------------------------------------------------------------


def test_okta_userName_lookup_any_case(scim: Scim) -> None:
    """GET /Users?filter=userName eq "<x>"&startIndex=1&count=100, before every create:
    a match in another letter case links the user instead of creating a duplicate, and no
    match is an empty 200 (not 404), which is what tells Okta to POST."""
    ada = scim.create("Ada.Lovelace@okta.example")
    scim.create("Ada.Byron@okta.example")
    for sent in ("ada.lovelace@okta.example", "ADA.LOVELACE@OKTA.EXAMPLE"):
        listing = scim.get("/Users", filter=f'userName eq "{sent}"', **OKTA_PAGE).get_json()
        assert listing["totalResults"] == 1 and _ids(listing) == [ada["id"]]
        assert listing["Resources"][0]["userName"] == "Ada.Lovelace@okta.example"
    missing = scim.get("/Users", filter='userName eq "nobody@okta.example"', **OKTA_PAGE)
    assert missing.status_code == 200
    assert missing.get_json()["totalResults"] == 0 and missing.get_json()["Resources"] == []


def test_okta_paging_startIndex_1_count_100(make_scim: Callable[..., Scim]) -> None:
    """Okta imports with GET /Users?startIndex=1&count=100, then startIndex=101, ... until
    it has totalResults users: every user exactly once across the pages."""
    scim = make_scim(seats=101)
    created = [scim.create(f"import{i:03d}@okta.example")["id"] for i in range(101)]
    first = scim.get("/Users", **OKTA_PAGE).get_json()
    assert first["schemas"] == [LIST_URN]
    assert (first["totalResults"], first["startIndex"], first["itemsPerPage"]) == (101, 1, 100)
    second = scim.get("/Users", startIndex=101, count=100).get_json()
    assert (second["totalResults"], second["startIndex"], second["itemsPerPage"]) == (101, 101, 1)
    assert sorted(_ids(first) + _ids(second)) == sorted(created)


def test_okta_whole_object_put_keeps_active_as_sent(
    make_scim: Callable[..., Scim], database: Database
) -> None:
    """Okta's profile push PUTs back the whole user it read (id, meta, groups and all) with
    `active` as Okta holds it: true keeps the seat, false releases it, true takes it again."""
    scim = make_scim(seats=2)
    user = scim.create("Ada.Lovelace@okta.example", name={"givenName": "Ada"})
    whole = scim.get(f"/Users/{user['id']}").get_json()

    def put(**changes: Any) -> dict[str, Any]:
        response = scim.put(f"/Users/{user['id']}", {**whole, **changes})
        assert response.status_code == 200, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    assert put(displayName="Ada King", active=True)["active"] is True
    assert _assigned(database, scim) == 1
    assert put(displayName="Ada King", active=False)["active"] is False
    assert _assigned(database, scim) == 0
    body = put(displayName="Ada King", active=True)
    assert body["active"] is True and body["displayName"] == "Ada King"
    assert _assigned(database, scim) == 1


def test_okta_patch_replace_value_active_false(
    make_scim: Callable[..., Scim], database: Database
) -> None:
    """Okta deactivates with a path-less replace: {"op":"replace","value":{"active":false}}."""
    scim = make_scim(seats=1)
    user = scim.create("leaver@okta.example")
    body = _patch_user(scim, user["id"], _okta_set_active(False))
    assert body["active"] is False
    state = snapshot(database, scim.org_id)
    assert state.assigned == 0
    assert [action for action, _ in state.audit] == ["seat.claimed", "seat.released"]


def test_okta_reactivation_patch_replace_value_active_true_needs_a_free_seat(
    make_scim: Callable[..., Scim], database: Database
) -> None:
    """{"op":"replace","value":{"active":true}} takes a seat: with the pool full it is 403
    `SEAT_LIMIT_REACHED` without scimType (Okta shows the error and retries later), and it
    succeeds once a seat is free."""
    scim = make_scim(seats=1)
    ada = scim.create("ada@okta.example")
    _patch_user(scim, ada["id"], _okta_set_active(False))
    grace = scim.create("grace@okta.example")
    refused = scim.patch(f"/Users/{ada['id']}", patch_body(_okta_set_active(True)))
    assert assert_scim_error(refused, 403)["detail"].startswith("SEAT_LIMIT_REACHED: ")
    assert scim.get(f"/Users/{ada['id']}").get_json()["active"] is False
    _patch_user(scim, grace["id"], _okta_set_active(False))
    assert _patch_user(scim, ada["id"], _okta_set_active(True))["active"] is True
    assert _assigned(database, scim) == 1


# --- Microsoft Entra ID --------------------------------------------------------------------


def test_entra_test_connection_probe_returns_empty_list(scim: Scim) -> None:
    """Test Connection: GET /Users?filter=userName eq "<random GUID>", and groups by a random
    displayName with excludedAttributes=members; both must be 200 with an empty
    ListResponse, never 404."""
    scim.create("someone@entra.example")
    probe = str(uuid.uuid4())
    users = scim.get("/Users", filter=f'userName eq "{probe}"')
    groups = scim.get("/Groups", excludedAttributes="members", filter=f'displayName eq "{probe}"')
    for response in (users, groups):
        assert response.status_code == 200
        body = response.get_json()
        assert body["schemas"] == [LIST_URN]
        assert body["totalResults"] == 0 and body["Resources"] == []


def test_entra_create_user_with_enterprise_extension_and_active_true(scim: Scim) -> None:
    """POST /Users with schemas [core, enterprise], `"active": true` and the enterprise
    department and manager, as Entra's default mappings send it."""
    manager = scim.create("alan@entra.example")
    response = scim.post("/Users", {
        "schemas": [USER_URN, ENTERPRISE_URN],
        "externalId": "0a5c2b1e-4f07-4b7f-8f1e-6d3c9b2a1e00",
        "userName": "Grace.Hopper@entra.example",
        "active": True,
        "displayName": "Grace Hopper",
        "emails": [{"primary": True, "type": "work", "value": "grace.hopper@entra.example"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Grace Hopper", "familyName": "Hopper", "givenName": "Grace"},
        "roles": [],
        ENTERPRISE_URN: {"department": "Compilers", "manager": {"value": manager["id"]}},
    })
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["active"] is True
    assert ENTERPRISE_URN in body["schemas"]
    assert body[ENTERPRISE_URN]["department"] == "Compilers"
    assert body[ENTERPRISE_URN]["manager"]["value"] == manager["id"]


def test_entra_matching_filters__userName_externalId_emails_type_eq_work_value(
    scim: Scim,
) -> None:
    """Entra matches an existing user by `userName eq`, then `externalId eq`, or by
    `emails[type eq "work"].value eq`; each must find exactly that user."""
    grace = scim.create(
        "Grace.Hopper@entra.example", externalId="0a5c2b1e-4f07-4b7f-8f1e-6d3c9b2a1e01",
        emails=[{"type": "work", "value": "grace@entra.example"},
                {"type": "home", "value": "grace@home.example"}],
    )
    scim.create("Alan.Turing@entra.example", externalId="0a5c2b1e-4f07-4b7f-8f1e-6d3c9b2a1e02",
                emails=[{"type": "work", "value": "alan@entra.example"}])
    for text in (
        'userName eq "Grace.Hopper@entra.example"',
        'externalId eq "0a5c2b1e-4f07-4b7f-8f1e-6d3c9b2a1e01"',
        'emails[type eq "work"].value eq "grace@entra.example"',
    ):
        assert _ids(scim.get("/Users", filter=text).get_json()) == [grace["id"]], text
    home = scim.get("/Users", filter='emails[type eq "work"].value eq "grace@home.example"')
    assert home.get_json()["totalResults"] == 0


def test_entra_patch_ops_are_capitalised__Add_Replace_Remove(scim: Scim) -> None:
    """{"op":"Add"}, {"op":"Replace"}, {"op":"Remove"} in one PATCH, all applied."""
    user = scim.create("ops@entra.example", title="Engineer", nickName="Opsy")
    body = _patch_user(
        scim, user["id"],
        {"op": "Add", "path": "phoneNumbers", "value": [{"type": "work", "value": "+1 555 0101"}]},
        {"op": "Replace", "path": "title", "value": "Principal Engineer"},
        {"op": "Remove", "path": "nickName"},
    )
    assert body["phoneNumbers"] == [{"type": "work", "value": "+1 555 0101"}]
    assert body["title"] == "Principal Engineer"
    assert "nickName" not in body


def test_entra_booleans_as_strings__active_False(
    make_scim: Callable[..., Scim], database: Database
) -> None:
    """Entra disables with {"op":"Replace","path":"active","value":"False"}: the string is
    the boolean, so the seat is released; "True" takes it again."""
    scim = make_scim(seats=1)
    user = scim.create("disabled@entra.example")
    off = _patch_user(scim, user["id"], {"op": "Replace", "path": "active", "value": "False"})
    assert off["active"] is False
    assert _assigned(database, scim) == 0
    on = _patch_user(scim, user["id"], {"op": "Replace", "path": "active", "value": "True"})
    assert on["active"] is True
    assert _assigned(database, scim) == 1


def test_entra_no_path_dotted_and_urn_keys(scim: Scim) -> None:
    """{"op":"Replace","value":{"name.givenName":..., "<core URN>:displayName":...,
    "<enterprise URN>:department":...}}: each key is a path, applied as if it were one."""
    user = scim.create("nopath@entra.example", name={"givenName": "Old", "familyName": "Kept"})
    body = _patch_user(scim, user["id"], {"op": "Replace", "value": {
        "name.givenName": "New",
        f"{USER_URN}:displayName": "New Kept",
        f"{ENTERPRISE_URN}:department": "Research",
        f"{ENTERPRISE_URN}:employeeNumber": "701",
    }})
    assert body["name"] == {"givenName": "New", "familyName": "Kept"}
    assert body["displayName"] == "New Kept"
    assert body[ENTERPRISE_URN] == {"department": "Research", "employeeNumber": "701"}
    assert ENTERPRISE_URN in body["schemas"]


def test_entra_add_on_filtered_path_creates_missing_entry__phoneNumbers_type_eq_mobile(
    scim: Scim,
) -> None:
    """{"op":"Add","path":"phoneNumbers[type eq \\"mobile\\"].value","value":"..."} on a user
    without a mobile number creates {"type":"mobile","value":...}; sent again with another
    number it updates that entry rather than adding a second one."""
    user = scim.create("phones@entra.example",
                       phoneNumbers=[{"type": "work", "value": "+1 555 0100"}])
    path = 'phoneNumbers[type eq "mobile"].value'
    body = _patch_user(scim, user["id"], {"op": "Add", "path": path, "value": "+1 555 0199"})
    assert {(p["type"], p["value"]) for p in body["phoneNumbers"]} == {
        ("work", "+1 555 0100"), ("mobile", "+1 555 0199"),
    }
    again = _patch_user(scim, user["id"], {"op": "Add", "path": path, "value": "+1 555 0142"})
    assert [p["value"] for p in again["phoneNumbers"] if p["type"] == "mobile"] == ["+1 555 0142"]


def test_entra_manager_as_bare_id(scim: Scim) -> None:
    """{"op":"Add","path":"<enterprise URN>:manager","value":"<id>"}: a bare id, not
    {"value": id}, read as the manager's value; then Entra's Remove clears it."""
    manager = scim.create("alan@entra.example")
    user = scim.create("grace@entra.example")
    path = f"{ENTERPRISE_URN}:manager"
    body = _patch_user(scim, user["id"], {"op": "Add", "path": path, "value": manager["id"]})
    assert body[ENTERPRISE_URN]["manager"]["value"] == manager["id"]
    cleared = _patch_user(scim, user["id"], {"op": "Remove", "path": path})
    assert "manager" not in cleared.get(ENTERPRISE_URN, {})


# --- seat types (docs/spec/seat-types.md, edge cases 67-69) ---------------------------------


def _premium_org(make_scim: Callable[..., Scim], database: Database, premium: int) -> Scim:
    return two_types(make_scim, database, standard=3, premium=premium)


def _seat_type(scim: Scim, user_id: str) -> str | None:
    body = scim.get(f"/Users/{user_id}", attributes=SEAT_USER_SCHEMA).get_json()
    return body.get(SEAT_USER_SCHEMA, {}).get("seatType")


def test_edge_67_okta_entitlements_push_add_then_remove_by_value_filter(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    """Okta (entitlements pushed from Okta Identity Governance) sends the entitlement's id
    as the value, with its display and type."""
    scim = _premium_org(make_scim, database, premium=1)
    ada = scim.create("ada@okta.example", entitlements=[
        {"value": "premium", "display": "Premium", "type": "seat"}])
    assert _seat_type(scim, ada["id"]) == "premium"
    bob = scim.create("bob@okta.example")
    refused = scim.patch(f"/Users/{bob['id']}", patch_body(
        {"op": "add", "path": "entitlements", "value": [{"value": "premium", "type": "seat"}]}))
    assert "premium seats" in assert_scim_error(refused, 403)["detail"]
    removed = scim.patch(f"/Users/{ada['id']}", patch_body(
        {"op": "remove", "path": 'entitlements[value eq "premium"]'}))
    assert removed.status_code == 200, removed.get_json()
    assert _seat_type(scim, ada["id"]) == "standard"
    added = scim.patch(f"/Users/{bob['id']}", patch_body(
        {"op": "add", "path": "entitlements", "value": [{"value": "premium", "type": "seat"}]}))
    assert added.status_code == 200 and _seat_type(scim, bob["id"]) == "premium"


def test_edge_68_entra_app_role_assignment_as_roles__Add_with_string_primary(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    """Entra sends app-role assignments (appRoleAssignments mapped to `roles`) with the app
    role's value, a string `primary` and its own type."""
    scim = _premium_org(make_scim, database, premium=1)
    ada = scim.create("ada@entra.example")
    added = scim.patch(f"/Users/{ada['id']}", patch_body({"op": "Add", "path": "roles", "value": [
        {"primary": "False", "type": "WindowsAzureActiveDirectoryRole", "value": "premium"}]}))
    assert added.status_code == 200, added.get_json()
    assert _seat_type(scim, ada["id"]) == "premium"
    replaced = scim.patch(f"/Users/{ada['id']}", patch_body(
        {"op": "Replace", "path": "roles", "value": []}))
    assert replaced.status_code == 200, replaced.get_json()
    assert _seat_type(scim, ada["id"]) == "standard"


def test_edge_69_entra_create_with_roles_for_a_full_type_is_403_and_creates_nothing(
    make_scim: Callable[..., Scim], database: Database,
) -> None:
    scim = _premium_org(make_scim, database, premium=0)
    before = snapshot(database, scim.org_id)
    response = scim.post("/Users", {"schemas": [USER_URN], "userName": "cy@entra.example",
                                    "active": True, "roles": [{"primary": "False",
                                                               "value": "premium"}]})
    body = assert_scim_error(response, 403)
    assert body["detail"].startswith("SEAT_LIMIT_REACHED: all 0 of 0 premium seats")
    assert snapshot(database, scim.org_id).users == before.users
