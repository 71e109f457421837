"""The /Groups endpoints as an IdP sees them (RFC 7643 §4.2, RFC 7644 §3), the Entra ID and
Okta request shapes quoted in the test names, and the users' computed `groups` attribute.
Group writes never touch seats (spec edge 16): every refused or seat-neutral write is
checked against a snapshot of users, seats and audit."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import event, func, insert, select

from app.db import Database
from scim.tables import GroupMemberRow, GroupRow, UserRow
from seats.models import new_id
from tests.conftest import NOW
from tests.support import (
    SCIM_JSON,
    USER_URN,
    Scim,
    assert_scim_error,
    patch_body,
    snapshot,
    user_body,
)

GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
LARGE = 50_000


def group_body(display_name: str, *member_ids: str, **attributes: Any) -> dict[str, Any]:
    members = {"members": [{"value": m} for m in member_ids]} if member_ids else {}
    return {"schemas": [GROUP_URN], "displayName": display_name, **members, **attributes}


def create_group(scim: Scim, display_name: str, *member_ids: str, **attributes: Any) -> dict[str, Any]:
    response = scim.post("/Groups", group_body(display_name, *member_ids, **attributes))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def member_ids(scim: Scim, group_id: str) -> set[str]:
    body = scim.get(f"/Groups/{group_id}").get_json()
    return {m["value"] for m in body.get("members", [])}


def group_ids(scim: Scim, user_id: str) -> dict[str, str]:
    """The user's groups as {group id: "direct" | "indirect"}."""
    body = scim.get(f"/Users/{user_id}").get_json()
    return {entry["value"]: entry["type"] for entry in body.get("groups", [])}


def patch_group(scim: Scim, group_id: str, *operations: dict[str, Any]) -> Any:
    return scim.patch(f"/Groups/{group_id}", patch_body(*operations))


def stored_group(database: Database, group_id: str) -> tuple[Any, ...] | None:
    """Everything a refused group write must leave as it was."""
    with database.transaction(write=False) as session:
        row = session.get(GroupRow, group_id)
        if row is None:
            return None
        members = session.scalars(
            select(GroupMemberRow.member_id).where(GroupMemberRow.group_id == group_id)
        )
        return row.display_name, row.external_id, row.version, row.data, sorted(members)


def group_count(database: Database, org_id: str) -> int:
    with database.transaction(write=False) as session:
        return session.scalar(
            select(func.count()).select_from(GroupRow).where(GroupRow.org_id == org_id)
        ) or 0


@contextmanager
def member_queries(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app sends that read or write the members table."""
    engine = app.extensions["db"].engine
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "scim_group_members" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


# --- create and read ------------------------------------------------------------------


def test_create_returns_members_with_ref_type_and_etag_as_sent(scim: Scim) -> None:
    """Members come back as sent plus `$ref` and `type`: no computed `display`, which a
    client comparing its PATCHed members with the response (scim2-tester) takes for a
    change."""
    alice = scim.create("alice@example.com", displayName="Alice Liddell")
    bob = scim.create("bob@example.com")
    response = scim.post(
        "/Groups", group_body("Engineering", alice["id"], bob["id"], externalId="ext-eng")
    )
    assert response.status_code == 201
    assert response.mimetype == SCIM_JSON
    body = response.get_json()
    assert body["schemas"] == [GROUP_URN]
    assert body["displayName"] == "Engineering" and body["externalId"] == "ext-eng"
    base = body["meta"]["location"].removesuffix(f"/Groups/{body['id']}")
    assert sorted(body["members"], key=lambda m: m["value"]) == sorted([
        {"value": alice["id"], "$ref": f"{base}/Users/{alice['id']}", "type": "User"},
        {"value": bob["id"], "$ref": f"{base}/Users/{bob['id']}", "type": "User"},
    ], key=lambda m: m["value"])
    assert body["meta"]["resourceType"] == "Group"
    assert response.headers["Location"] == body["meta"]["location"]
    assert response.headers["ETag"] == body["meta"]["version"]
    assert scim.get(f"/Groups/{body['id']}").get_json() == body


def test_client_display_ref_and_read_only_attributes_are_ignored(scim: Scim) -> None:
    user = scim.create("carol", displayName="Carol")
    body = group_body("Ops", id="chosen-by-client", meta={"version": 'W/"9"'})
    body["members"] = [{"value": user["id"], "display": "Someone Else", "$ref": "http://x/y"}]
    created = scim.post("/Groups", body).get_json()
    assert created["id"] != "chosen-by-client"
    assert created["meta"]["version"] == 'W/"1"'
    assert [(m.get("display"), m["$ref"].endswith(f"/Users/{user['id']}"))
            for m in created["members"]] == [(None, True)]


def test_a_group_without_members_has_no_members_attribute(scim: Scim) -> None:
    assert "members" not in create_group(scim, "Empty")


def test_display_name_is_required(scim: Scim, database: Database) -> None:
    before = snapshot(database, scim.org_id)
    assert_scim_error(scim.post("/Groups", {"schemas": [GROUP_URN]}), 400, "invalidValue")
    assert_scim_error(scim.post("/Groups", group_body("  ")), 400, "invalidValue")
    assert_scim_error(scim.post("/Groups", group_body("x", members="nope")), 400, "invalidValue")
    assert_scim_error(scim.post("/Groups", group_body("x", members=[{"display": "no id"}])),
                      400, "invalidValue")
    assert group_count(database, scim.org_id) == 0
    assert snapshot(database, scim.org_id) == before


def test_display_name_need_not_be_unique_and_eq_finds_both(scim: Scim) -> None:
    """RFC 7643 leaves displayName without uniqueness; Entra and Okta look a group up with a
    `displayName eq` filter before creating one, so both groups must be findable."""
    first = create_group(scim, "Sales")
    second = create_group(scim, "sales")
    found = scim.get("/Groups", filter='displayName eq "SALES"').get_json()
    assert {r["id"] for r in found["Resources"]} == {first["id"], second["id"]}


def test_unknown_member_is_invalid_value_and_nothing_is_written(
    scim: Scim, database: Database
) -> None:
    known = scim.create("known")
    before = snapshot(database, scim.org_id)
    body = assert_scim_error(
        scim.post("/Groups", group_body("G", known["id"], "no-such-id")), 400, "invalidValue"
    )
    assert "no-such-id" in body["detail"]
    assert group_count(database, scim.org_id) == 0
    assert snapshot(database, scim.org_id) == before


def test_member_type_must_name_what_the_id_is(scim: Scim, database: Database) -> None:
    user = scim.create("typed")
    body = group_body("G")
    body["members"] = [{"value": user["id"], "type": "Group"}]
    assert_scim_error(scim.post("/Groups", body), 400, "invalidValue")
    body["members"] = [{"value": user["id"], "type": "Robot"}]
    assert_scim_error(scim.post("/Groups", body), 400, "invalidValue")
    body["members"] = [{"value": user["id"], "type": "user"}]
    assert scim.post("/Groups", body).status_code == 201


def test_unknown_group_is_404_for_every_method(scim: Scim) -> None:
    missing = "/Groups/00000000-0000-0000-0000-000000000000"
    assert_scim_error(scim.get(missing), 404)
    assert_scim_error(scim.put(missing, group_body("x")), 404)
    assert_scim_error(scim.patch(missing, patch_body({"op": "add", "path": "members", "value": []})), 404)
    assert_scim_error(scim.delete(missing), 404)


def test_groups_need_the_bearer_token(scim: Scim) -> None:
    assert_scim_error(scim.client.get("/scim/v2/Groups"), 401)


def test_edge_41_a_token_never_sees_or_uses_another_orgs_groups_or_users(
    make_scim: Callable[..., Scim], database: Database
) -> None:
    org_a, org_b = make_scim(), make_scim()
    b_user = org_b.create("b-user")
    b_group = create_group(org_b, "B team", b_user["id"])
    before_b = (snapshot(database, org_b.org_id), stored_group(database, b_group["id"]))
    assert org_a.get("/Groups").get_json()["totalResults"] == 0
    assert_scim_error(org_a.get(f"/Groups/{b_group['id']}"), 404)
    assert_scim_error(org_a.delete(f"/Groups/{b_group['id']}"), 404)
    assert_scim_error(org_a.post("/Groups", group_body("A", b_user["id"])), 400, "invalidValue")
    assert_scim_error(org_a.post("/Groups", group_body("A", b_group["id"])), 400, "invalidValue")
    assert (snapshot(database, org_b.org_id), stored_group(database, b_group["id"])) == before_b


# --- listing, filters, projection --------------------------------------------------------


def test_list_pages_in_creation_order(scim: Scim) -> None:
    ids = [create_group(scim, f"g{i}")["id"] for i in range(5)]
    page = scim.get("/Groups", startIndex=2, count=2).get_json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [r["id"] for r in page["Resources"]] == ids[1:3]
    assert scim.get("/Groups", count=0).get_json()["Resources"] == []
    assert_scim_error(scim.get("/Groups", count="many"), 400, "invalidValue")


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('displayName eq "ENGINEERING"', {"eng"}),
        ('displayName sw "eng"', {"eng"}),
        ('externalId eq "ext-ops"', {"ops"}),
        ('externalId eq "EXT-OPS"', set()),  # externalId is caseExact
        ("members pr", {"eng", "all"}),
        ('members[type eq "group"]', {"all"}),
        ('meta.resourceType eq "Group"', {"eng", "ops", "all"}),
    ],
)
def test_filters_on_groups(scim: Scim, filter_text: str, expected: set[str]) -> None:
    user = scim.create("member")
    named = {
        "eng": create_group(scim, "Engineering", user["id"]),
        "ops": create_group(scim, "Ops", externalId="ext-ops"),
    }
    named["all"] = create_group(scim, "All", named["eng"]["id"])
    found = scim.get("/Groups", filter=filter_text).get_json()["Resources"]
    assert {name for name, g in named.items() if g["id"] in {r["id"] for r in found}} == expected


def test_filter_members_value_eq_finds_the_groups_of_a_member(scim: Scim) -> None:
    """Entra and Okta check membership with `members[value eq "<id>"]`-style lookups."""
    user, other = scim.create("in-two"), scim.create("in-one")
    first = create_group(scim, "First", user["id"])
    second = create_group(scim, "Second", user["id"], other["id"])
    create_group(scim, "Third", other["id"])
    found = scim.get("/Groups", filter=f'members.value eq "{user["id"]}"').get_json()
    assert {r["id"] for r in found["Resources"]} == {first["id"], second["id"]}
    both = scim.get(
        "/Groups", filter=f'id eq "{second["id"]}" and members[value eq "{other["id"]}"]'
    ).get_json()
    assert [r["id"] for r in both["Resources"]] == [second["id"]]


def test_filter_by_last_modified(scim: Scim) -> None:
    old = create_group(scim, "Old")
    later = old["meta"]["lastModified"]
    with time_machine.travel(timedelta(seconds=1)):  # the next write, a second later
        touched = create_group(scim, "Touched")
    found = scim.get("/Groups", filter=f'meta.lastModified gt "{later}"').get_json()
    assert [r["id"] for r in found["Resources"]] == [touched["id"]]


@pytest.mark.parametrize(
    "filter_text",
    ['members.display eq "x"', 'members.$ref eq "x"', 'userName eq "x"', "displayName eq"],
)
def test_unanswerable_group_filters_are_invalid_filter(scim: Scim, filter_text: str) -> None:
    assert_scim_error(scim.get("/Groups", filter=filter_text), 400, "invalidFilter")


def test_excluded_members_are_not_loaded_at_all(app: Flask, scim: Scim) -> None:
    user = scim.create("hidden")
    group = create_group(scim, "Quiet", user["id"])
    with member_queries(app) as queries:
        listed = scim.get("/Groups", excludedAttributes="members").get_json()
        one = scim.get(f"/Groups/{group['id']}", excludedAttributes="MEMBERS").get_json()
    assert queries == []
    assert "members" not in listed["Resources"][0] and "members" not in one
    assert one["displayName"] == "Quiet" and one["meta"]["version"]


def test_attributes_select_what_is_returned(scim: Scim) -> None:
    user = scim.create("picked")
    group = create_group(scim, "Picked", user["id"], externalId="e")
    only_name = scim.get(f"/Groups/{group['id']}", attributes="displayName").get_json()
    assert only_name == {"schemas": [GROUP_URN], "id": group["id"], "displayName": "Picked"}
    values = scim.get(
        f"/Groups/{group['id']}", attributes=f"{GROUP_URN}:members.value,meta.version"
    ).get_json()
    assert values["members"] == [{"value": user["id"]}]
    assert values["meta"] == {"version": group["meta"]["version"]}


def test_a_page_of_groups_reads_members_in_one_query(app: Flask, scim: Scim) -> None:
    users = [scim.create(f"paged{i}")["id"] for i in range(3)]
    for i in range(4):
        create_group(scim, f"paged-group-{i}", *users[: i % 3 + 1])
    with member_queries(app) as queries:
        listed = scim.get("/Groups").get_json()
    assert len(queries) == 1
    assert [len(r["members"]) for r in listed["Resources"]] == [1, 2, 3, 1]


# --- PUT ----------------------------------------------------------------------------------


def test_put_replaces_name_external_id_and_members(scim: Scim) -> None:
    a, b, c = (scim.create(name)["id"] for name in ("put-a", "put-b", "put-c"))
    group = create_group(scim, "Before", a, b, externalId="old")
    response = scim.put(f"/Groups/{group['id']}", group_body("After", b, c))
    assert response.status_code == 200
    body = response.get_json()
    assert body["displayName"] == "After" and "externalId" not in body
    assert {m["value"] for m in body["members"]} == {b, c}
    assert body["meta"]["created"] == group["meta"]["created"]
    assert response.headers["ETag"] == body["meta"]["version"] != group["meta"]["version"]


def test_put_without_members_keeps_them_and_empty_members_clears_them(scim: Scim) -> None:
    """A rename by PUT must not empty a group by accident; `"members": []` asks for it."""
    user = scim.create("kept")
    group = create_group(scim, "Keep")
    scim.patch(f"/Groups/{group['id']}", patch_body(
        {"op": "add", "path": "members", "value": [{"value": user["id"]}]}))
    assert scim.put(f"/Groups/{group['id']}", group_body("Renamed")).status_code == 200
    assert member_ids(scim, group["id"]) == {user["id"]}
    assert scim.put(f"/Groups/{group['id']}", group_body("Renamed", members=[])).status_code == 200
    assert member_ids(scim, group["id"]) == set()


def test_put_with_unknown_member_changes_nothing(scim: Scim, database: Database) -> None:
    user = scim.create("stays")
    group = create_group(scim, "Stable", user["id"])
    before = stored_group(database, group["id"])
    assert_scim_error(scim.put(f"/Groups/{group['id']}", group_body("New", "ghost")), 400, "invalidValue")
    assert stored_group(database, group["id"]) == before


# --- PATCH: the shapes IdPs send -----------------------------------------------------------


def test_patch_add_members_is_idempotent_and_moves_the_version(
    scim: Scim, database: Database
) -> None:
    """{"op":"add","path":"members","value":[{"value":id}]}, sent twice."""
    user = scim.create("twice")
    group = create_group(scim, "Twice")
    operation = {"op": "add", "path": "members", "value": [{"value": user["id"]}]}
    first = patch_group(scim, group["id"], operation)
    second = patch_group(scim, group["id"], operation)
    assert first.status_code == second.status_code == 204
    assert first.get_data() == b""
    assert first.headers["ETag"] == 'W/"2"' and second.headers["ETag"] == 'W/"3"'
    assert member_ids(scim, group["id"]) == {user["id"]}
    assert scim.get(f"/Groups/{group['id']}").get_json()["meta"]["version"] == 'W/"3"'


def test_entra_add_members_with_capitalised_op(scim: Scim) -> None:
    """{"op":"Add","path":"members","value":[{"value":"<id>"}]} (Microsoft Entra ID)."""
    users = [scim.create(f"entra{i}")["id"] for i in range(2)]
    group = create_group(scim, "Entra")
    response = patch_group(
        scim, group["id"], {"op": "Add", "path": "members", "value": [{"value": u} for u in users]}
    )
    assert response.status_code == 204
    assert member_ids(scim, group["id"]) == set(users)


def test_remove_member_by_value_filter_and_again_is_no_error(scim: Scim) -> None:
    """{"op":"remove","path":"members[value eq \\"<id>\\"]"}, twice."""
    stay, leave = scim.create("stay")["id"], scim.create("leave")["id"]
    group = create_group(scim, "Filtered", stay, leave)
    operation = {"op": "remove", "path": f'members[value eq "{leave}"]'}
    assert patch_group(scim, group["id"], operation).status_code == 204
    assert patch_group(scim, group["id"], operation).status_code == 204
    assert member_ids(scim, group["id"]) == {stay}


def test_entra_remove_members_by_value_list(scim: Scim) -> None:
    """{"op":"Remove","path":"members","value":[{"value":"<id>"}]} removes only those listed,
    and an id that is not a member is no error."""
    a, b, c = (scim.create(name)["id"] for name in ("rm-a", "rm-b", "rm-c"))
    group = create_group(scim, "Listed", a, b, c)
    response = patch_group(scim, group["id"], {
        "op": "Remove", "path": "members", "value": [{"value": a}, {"value": "not-a-member"}],
    })
    assert response.status_code == 204
    assert member_ids(scim, group["id"]) == {b, c}


def test_okta_group_push_replace_members_empty(scim: Scim) -> None:
    """{"op":"replace","path":"members","value":[]} (Okta group push) empties the group."""
    group = create_group(scim, "Pushed", scim.create("pushed")["id"])
    assert patch_group(scim, group["id"], {"op": "replace", "path": "members", "value": []}).status_code == 204
    assert member_ids(scim, group["id"]) == set()


def test_okta_group_push_replace_members_with_a_new_list(scim: Scim) -> None:
    """{"op":"replace","path":"members","value":[{"value":"<id>"}, ...]} sets exactly those."""
    a, b, c = (scim.create(name)["id"] for name in ("okta-a", "okta-b", "okta-c"))
    group = create_group(scim, "Pushed", a, b)
    operation = {"op": "replace", "path": "members", "value": [{"value": b}, {"value": c}]}
    assert patch_group(scim, group["id"], operation).status_code == 204
    assert member_ids(scim, group["id"]) == {b, c}


def test_okta_rename_replace_without_path_echoing_the_id(scim: Scim) -> None:
    """{"op":"replace","value":{"id":"<same id>","displayName":"new"}} (Okta rename)."""
    user = scim.create("renamed-member")
    group = create_group(scim, "Old name", user["id"])
    response = patch_group(scim, group["id"], {
        "op": "replace", "value": {"id": group["id"], "displayName": "New name"},
    })
    assert response.status_code == 204
    body = scim.get(f"/Groups/{group['id']}").get_json()
    assert body["displayName"] == "New name"
    assert {m["value"] for m in body["members"]} == {user["id"]}
    assert scim.get("/Groups", filter='displayName eq "new name"').get_json()["totalResults"] == 1


def test_replace_display_name_by_path_and_members_without_path(scim: Scim) -> None:
    """{"op":"replace","path":"displayName",...} and {"op":"add","value":{"members":[...]}}"""
    user = scim.create("no-path")
    group = create_group(scim, "Plain")
    response = patch_group(
        scim, group["id"],
        {"op": "replace", "path": "displayName", "value": "Renamed"},
        {"op": "add", "value": {"members": [{"value": user["id"]}], "externalId": "x-1"}},
    )
    assert response.status_code == 204
    body = scim.get(f"/Groups/{group['id']}").get_json()
    assert (body["displayName"], body["externalId"]) == ("Renamed", "x-1")
    assert [m["value"] for m in body["members"]] == [user["id"]]


def test_remove_all_members_and_remove_by_type(scim: Scim) -> None:
    user = scim.create("typed-member")["id"]
    inner = create_group(scim, "Inner")["id"]
    group = create_group(scim, "Outer", user, inner)
    assert patch_group(scim, group["id"], {"op": "remove", "path": 'members[type eq "Group"]'}).status_code == 204
    assert member_ids(scim, group["id"]) == {user}
    assert patch_group(scim, group["id"], {"op": "remove", "path": "members"}).status_code == 204
    assert member_ids(scim, group["id"]) == set()


def test_operations_run_in_order(scim: Scim) -> None:
    a, b = scim.create("order-a")["id"], scim.create("order-b")["id"]
    group = create_group(scim, "Ordered", a)
    response = patch_group(
        scim, group["id"],
        {"op": "remove", "path": "members"},
        {"op": "add", "path": "members", "value": [{"value": b}]},
        {"op": "add", "path": "members", "value": [{"value": a}]},
        {"op": "remove", "path": f'members[value eq "{b}"]'},
    )
    assert response.status_code == 204
    assert member_ids(scim, group["id"]) == {a}


@pytest.mark.parametrize(
    ("operation", "scim_type"),
    [
        ({"op": "add", "path": "members", "value": [{"value": "ghost"}]}, "invalidValue"),
        ({"op": "replace", "path": 'members[value eq "x"].display', "value": "y"}, "mutability"),
        ({"op": "add", "path": 'members[value eq "x"]', "value": {"value": "x"}}, "mutability"),
        ({"op": "remove", "path": 'members[display eq "x"]'}, "invalidFilter"),
        ({"op": "remove", "path": "members[value eq]"}, "invalidFilter"),
        ({"op": "replace", "path": "noSuchAttribute", "value": "x"}, "invalidPath"),
        ({"op": "remove", "path": "displayName"}, "invalidValue"),
        ({"op": "replace", "path": "id", "value": "other"}, "mutability"),
        ({"op": "move", "path": "members", "value": []}, "invalidSyntax"),
    ],
)
def test_patch_is_atomic_when_one_operation_fails(
    scim: Scim, database: Database, operation: dict[str, Any], scim_type: str
) -> None:
    """The good operations before the bad one leave no trace: not a member, not a name."""
    kept, added = scim.create("kept-member")["id"], scim.create("never-added")["id"]
    group = create_group(scim, "Atomic", kept)
    before = (stored_group(database, group["id"]), snapshot(database, scim.org_id))
    response = patch_group(
        scim, group["id"],
        {"op": "add", "path": "members", "value": [{"value": added}]},
        {"op": "remove", "path": f'members[value eq "{kept}"]'},
        {"op": "replace", "path": "displayName", "value": "Changed"},
        operation,
    )
    assert_scim_error(response, 400, scim_type)
    assert (stored_group(database, group["id"]), snapshot(database, scim.org_id)) == before


def test_patch_without_patchop_schema_is_invalid_syntax(scim: Scim) -> None:
    group = create_group(scim, "Strict")
    body = {"Operations": [{"op": "add", "path": "members", "value": []}]}
    assert_scim_error(scim.patch(f"/Groups/{group['id']}", body), 400, "invalidSyntax")
    assert_scim_error(scim.patch(f"/Groups/{group['id']}", patch_body()), 400, "invalidSyntax")


# --- nesting ------------------------------------------------------------------------------


def test_nested_groups_give_users_direct_and_indirect_groups(scim: Scim) -> None:
    user = scim.create("nested@example.com")
    team = create_group(scim, "Team", user["id"])
    department = create_group(scim, "Department", team["id"])
    company = create_group(scim, "Company", department["id"], user["id"])
    body = scim.get(f"/Users/{user['id']}").get_json()
    base = body["meta"]["location"].removesuffix(f"/Users/{user['id']}")
    assert sorted(body["groups"], key=lambda g: g["display"]) == [
        {"value": company["id"], "$ref": f"{base}/Groups/{company['id']}", "display": "Company",
         "type": "direct"},
        {"value": department["id"], "$ref": f"{base}/Groups/{department['id']}",
         "display": "Department", "type": "indirect"},
        {"value": team["id"], "$ref": f"{base}/Groups/{team['id']}", "display": "Team",
         "type": "direct"},
    ]
    members = scim.get(f"/Groups/{department['id']}").get_json()["members"]
    assert members == [{"value": team["id"], "$ref": f"{base}/Groups/{team['id']}",
                        "type": "Group"}]


def test_a_group_cannot_contain_itself_or_an_ancestor(scim: Scim, database: Database) -> None:
    inner = create_group(scim, "Inner")
    outer = create_group(scim, "Outer", inner["id"])
    top = create_group(scim, "Top", outer["id"])
    before = [stored_group(database, g["id"]) for g in (inner, outer, top)]
    add = {"op": "add", "path": "members"}
    for target, member in ((inner, inner), (inner, outer), (inner, top), (outer, top)):
        response = patch_group(scim, target["id"], {**add, "value": [{"value": member["id"]}]})
        assert_scim_error(response, 400, "invalidValue")
    assert_scim_error(scim.put(f"/Groups/{inner['id']}", group_body("Inner", top["id"])), 400, "invalidValue")
    assert [stored_group(database, g["id"]) for g in (inner, outer, top)] == before


# --- seats, deletion --------------------------------------------------------------------


def test_edge_16_adding_an_inactive_user_to_a_group_with_a_full_pool(
    make_scim: Callable[..., Scim], database: Database
) -> None:
    scim = make_scim(seats=1)
    scim.create("seated")
    parked = scim.create("parked", active=False)
    before = snapshot(database, scim.org_id)
    assert before.assigned == before.total == 1
    group = create_group(scim, "Full pool", parked["id"])
    other = create_group(scim, "Also full")
    response = patch_group(scim, other["id"], {"op": "add", "path": "members", "value": [{"value": parked["id"]}]})
    assert response.status_code == 204
    assert group_ids(scim, parked["id"]) == {group["id"]: "direct", other["id"]: "direct"}
    assert scim.get(f"/Users/{parked['id']}").get_json()["active"] is False
    assert snapshot(database, scim.org_id) == before  # no user, seat or audit change


def test_deleting_a_user_removes_their_memberships(scim: Scim, database: Database) -> None:
    leaving, staying = scim.create("leaving")["id"], scim.create("staying")["id"]
    group = create_group(scim, "Team", leaving, staying)
    assert scim.delete(f"/Users/{leaving}").status_code == 204
    body = scim.get(f"/Groups/{group['id']}").get_json()
    assert [m["value"] for m in body["members"]] == [staying]
    assert body["meta"]["version"] != group["meta"]["version"]
    found = scim.get("/Groups", filter=f'members.value eq "{leaving}"').get_json()
    assert found["totalResults"] == 0
    with database.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(GroupMemberRow).where(
            GroupMemberRow.member_id == leaving)) == 0


def test_deleting_a_group_removes_its_memberships_and_its_place_in_others(
    scim: Scim, database: Database
) -> None:
    user = scim.create("orphan")["id"]
    inner = create_group(scim, "Inner", user)
    outer = create_group(scim, "Outer", inner["id"])
    assert scim.delete(f"/Groups/{inner['id']}").status_code == 204
    assert_scim_error(scim.get(f"/Groups/{inner['id']}"), 404)
    assert_scim_error(scim.delete(f"/Groups/{inner['id']}"), 404)
    after = scim.get(f"/Groups/{outer['id']}").get_json()
    assert "members" not in after and after["meta"]["version"] != outer["meta"]["version"]
    assert group_ids(scim, user) == {}
    with database.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(GroupMemberRow).where(
            (GroupMemberRow.group_id == inner["id"]) | (GroupMemberRow.member_id == inner["id"]))) == 0


# --- the users' computed groups -------------------------------------------------------------


def test_user_groups_are_read_only_and_never_stored(scim: Scim, database: Database) -> None:
    """POST and PUT ignore them; a PATCH that writes them is refused like any readOnly."""
    group = create_group(scim, "Real")
    claimed = [{"value": group["id"], "display": "Real"}]
    user = scim.create("claims", groups=claimed)
    assert "groups" not in user
    assert scim.put(f"/Users/{user['id']}", user_body("claims", groups=claimed)).status_code == 200
    response = scim.patch(f"/Users/{user['id']}", patch_body(
        {"op": "add", "path": "groups", "value": claimed}))
    assert_scim_error(response, 400, "mutability")
    assert group_ids(scim, user["id"]) == {}
    with database.transaction(write=False) as session:
        assert "groups" not in session.get_one(UserRow, user["id"]).data


def test_user_responses_carry_groups_and_a_page_reads_them_in_one_query(
    app: Flask, scim: Scim
) -> None:
    users = [scim.create(f"listed{i}")["id"] for i in range(4)]
    inner = create_group(scim, "Inner", *users[:2])
    create_group(scim, "Outer", inner["id"], users[3])
    with member_queries(app) as queries:
        page = scim.get("/Users").get_json()["Resources"]
    assert len(queries) == 1
    assert [sorted(g["type"] for g in r.get("groups", [])) for r in page] == [
        ["direct", "indirect"], ["direct", "indirect"], [], ["direct"],
    ]
    patched = scim.patch(f"/Users/{users[0]}", patch_body(
        {"op": "replace", "path": "title", "value": "x"})).get_json()
    assert {g["value"] for g in patched["groups"]} == {g["value"] for g in page[0]["groups"]}
    put = scim.put(f"/Users/{users[3]}", user_body("listed3")).get_json()
    assert [g["type"] for g in put["groups"]] == ["direct"]


def test_user_groups_cannot_be_filtered(scim: Scim) -> None:
    assert_scim_error(scim.get("/Users", filter='groups.value eq "x"'), 400, "invalidFilter")
    assert_scim_error(scim.get("/Users", filter="groups pr"), 400, "invalidFilter")


# --- ETags ------------------------------------------------------------------------------


def test_group_etags_give_304_and_412(scim: Scim, database: Database) -> None:
    group = create_group(scim, "Tagged")
    auth = {"Authorization": f"Bearer {scim.token}"}
    path = f"/scim/v2/Groups/{group['id']}"
    fresh = scim.client.get(path, headers={**auth, "If-None-Match": group["meta"]["version"]})
    assert fresh.status_code == 304 and fresh.headers["ETag"] == group["meta"]["version"]
    patch_group(scim, group["id"], {"op": "replace", "path": "displayName", "value": "Retagged"})
    before = stored_group(database, group["id"])
    stale = {**auth, "If-Match": group["meta"]["version"]}
    writes = [
        scim.client.patch(path, json=patch_body({"op": "remove", "path": "members"}),
                          headers=stale, content_type=SCIM_JSON),
        scim.client.put(path, json=group_body("X"), headers=stale, content_type=SCIM_JSON),
        scim.client.delete(path, headers=stale),
    ]
    for response in writes:
        assert_scim_error(response, 412)
    assert stored_group(database, group["id"]) == before


def test_group_is_discoverable(scim: Scim) -> None:
    resource_type = scim.client.get("/scim/v2/ResourceTypes/Group").get_json()
    assert (resource_type["endpoint"], resource_type["schema"]) == ("/Groups", GROUP_URN)
    schema = scim.client.get(f"/scim/v2/Schemas/{GROUP_URN}").get_json()
    members = next(a for a in schema["attributes"] if a["name"] == "members")
    assert {s["name"]: s["mutability"] for s in members["subAttributes"]} == {
        "value": "immutable", "$ref": "immutable", "display": "readOnly", "type": "immutable",
    }
    user_schema = scim.client.get(f"/scim/v2/Schemas/{USER_URN}").get_json()
    groups = next(a for a in user_schema["attributes"] if a["name"] == "groups")
    assert groups["mutability"] == "readOnly" and groups["multiValued"] is True


# --- 50,000 members -----------------------------------------------------------------------


def _seed_users(database: Database, org_id: str, count: int) -> list[str]:
    """Inactive users written straight to the table: 50,000 POSTs would test the user API,
    not groups, and inactive users keep the seat invariant."""
    ids = [new_id() for _ in range(count)]
    rows = [
        {"id": user_id, "org_id": org_id, "user_name": f"bulk-{i}", "user_name_norm": f"bulk-{i}",
         "active": False, "data": {"userName": f"bulk-{i}", "active": False},
         "created_at": NOW, "last_modified_at": NOW, "version": 1}
        for i, user_id in enumerate(ids)
    ]
    with database.transaction() as session:
        session.execute(insert(UserRow), rows)
    return ids


def test_a_group_of_50000_members_is_created_patched_and_listed_quickly(
    app: Flask, scim: Scim, database: Database
) -> None:
    ids = _seed_users(database, scim.org_id, LARGE + 10)
    members, extra = ids[:LARGE], ids[LARGE:]
    timings: dict[str, float] = {}

    def timed(name: str, call: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = call()
        timings[name] = time.perf_counter() - start
        return result

    created = timed("POST 50k", lambda: scim.post(
        "/Groups?excludedAttributes=members", group_body("Everyone", *members)))
    assert created.status_code == 201, created.get_json()
    group_id = created.get_json()["id"]
    delta = timed("PATCH +10 -10", lambda: patch_group(
        scim, group_id,
        {"op": "add", "path": "members", "value": [{"value": u} for u in extra]},
        {"op": "Remove", "path": "members", "value": [{"value": u} for u in members[:10]]},
    ))
    assert delta.status_code == 204
    with member_queries(app) as queries:
        listed = timed("GET /Groups excluding members", lambda: scim.get(
            "/Groups", excludedAttributes="members").get_json())
    assert queries == [] and listed["Resources"][0]["id"] == group_id
    full = timed("GET group with members", lambda: scim.get(f"/Groups/{group_id}").get_json())
    assert len(full["members"]) == LARGE
    assert {m["value"] for m in full["members"]} == set(members[10:]) | set(extra)
    print(", ".join(f"{name}: {seconds:.2f}s" for name, seconds in timings.items()))
