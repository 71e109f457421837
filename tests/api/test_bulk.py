"""POST /Bulk (RFC 7644 §3.7): each operation is the request it stands for, in a transaction
of its own, so it is seat-checked, versioned and audited alone (spec edge 17), and a bad
operation fails in its own result. bulkId references are resolved in dependency order."""
from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask

from app.db import Database
from app.factory import create_app
from app.settings import Settings
from scim import users
from tests.support import (
    ERROR_URN,
    SCIM_JSON,
    Scim,
    assert_scim_error,
    assert_seat_invariant,
    patch_body,
    snapshot,
    user_body,
)

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"


def bulk_body(*operations: Any, **attributes: Any) -> dict[str, Any]:
    return {"schemas": [BULK_REQUEST], "Operations": list(operations), **attributes}


def post_user(bulk_id: str, user_name: str, **attributes: Any) -> dict[str, Any]:
    return {"method": "POST", "path": "/Users", "bulkId": bulk_id,
            "data": user_body(user_name, **attributes)}


def post_group(bulk_id: str, display_name: str, *members: str) -> dict[str, Any]:
    data = {"schemas": [GROUP_URN], "displayName": display_name,
            "members": [{"value": m} for m in members]}
    return {"method": "POST", "path": "/Groups", "bulkId": bulk_id, "data": data}


def send(scim: Scim, *operations: Any, **attributes: Any) -> list[dict[str, Any]]:
    """The results of a bulk request that succeeded as a whole."""
    response = scim.post("/Bulk", bulk_body(*operations, **attributes))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == SCIM_JSON
    body = response.get_json()
    assert body["schemas"] == [BULK_RESPONSE]
    return body["Operations"]


def statuses(results: list[dict[str, Any]]) -> list[str]:
    return [r["status"] for r in results]


def error_of(result: dict[str, Any], status: int, scim_type: str | None = None) -> str:
    assert result["status"] == str(status), result
    error = result["response"]
    assert error["schemas"] == [ERROR_URN] and error["status"] == str(status)
    assert error.get("scimType") == scim_type
    return error["detail"]


def id_of(result: dict[str, Any]) -> str:
    return result["location"].rsplit("/", 1)[1]


def refusals(database: Database, org_id: str) -> int:
    return sum(action == "seat.refused" for action, _ in snapshot(database, org_id).audit)


def member_ids(scim: Scim, group_id: str) -> set[str]:
    return {m["value"] for m in scim.get(f"/Groups/{group_id}").get_json().get("members", [])}


# --- seats ---------------------------------------------------------------------------------


def test_edge_17_bulk_with_50_activations_and_10_free_seats(
    make_scim: Callable[..., Scim], database: Database
) -> None:
    scim = make_scim(seats=10)
    results = send(scim, *(post_user(f"u{i}", f"user{i}@example.com") for i in range(50)))

    assert [r["bulkId"] for r in results] == [f"u{i}" for i in range(50)]
    assert statuses(results) == ["201"] * 10 + ["403"] * 40
    for result in results[10:]:
        assert error_of(result, 403).startswith("SEAT_LIMIT_REACHED: all 10 of 10 seats")
        assert "location" not in result
    state = snapshot(database, scim.org_id)
    assert len(state.users) == 10
    assert (state.assigned, state.total) == (10, 10)
    assert_seat_invariant(database, scim.org_id)
    assert refusals(database, scim.org_id) == 40


def test_a_refused_bulk_activation_leaves_that_user_inactive_and_others_run(
    make_scim: Callable[..., Scim], database: Database
) -> None:
    """Edge 13 inside one bulk request: the deactivation listed first frees the seat the
    activation after it needs, because each operation commits before the next one runs."""
    scim = make_scim(seats=1)
    seated = scim.create("seated")
    parked = [scim.create(f"parked{i}", active=False) for i in range(2)]
    activate = patch_body({"op": "replace", "path": "active", "value": True})
    deactivate = patch_body({"op": "replace", "path": "active", "value": False})
    results = send(
        scim,
        {"method": "PATCH", "path": f"/Users/{parked[0]['id']}", "data": activate},
        {"method": "PATCH", "path": f"/Users/{seated['id']}", "data": deactivate},
        {"method": "PATCH", "path": f"/Users/{parked[1]['id']}", "data": activate},
    )
    assert statuses(results) == ["403", "200", "200"]
    assert error_of(results[0], 403).startswith("SEAT_LIMIT_REACHED")
    assert results[0]["location"].endswith(f"/Users/{parked[0]['id']}")
    assert scim.get(f"/Users/{parked[0]['id']}").get_json()["active"] is False
    assert scim.get(f"/Users/{parked[1]['id']}").get_json()["active"] is True
    assert_seat_invariant(database, scim.org_id)
    assert refusals(database, scim.org_id) == 1


# --- bulkId references ---------------------------------------------------------------------


def test_users_are_created_before_the_group_listed_first_that_references_them(
    scim: Scim,
) -> None:
    results = send(
        scim,
        post_group("team", "Team", "bulkId:alice", "bulkId:bob"),
        post_user("alice", "alice@example.com"),
        post_user("bob", "bob@example.com"),
    )
    assert [(r["method"], r["bulkId"], r["status"]) for r in results] == [
        ("POST", "team", "201"), ("POST", "alice", "201"), ("POST", "bob", "201"),
    ]
    group_id, alice, bob = (id_of(r) for r in results)
    assert member_ids(scim, group_id) == {alice, bob}
    group = scim.get(f"/Groups/{group_id}").get_json()
    assert results[0]["location"] == group["meta"]["location"]
    assert results[0]["version"] == group["meta"]["version"]


def test_a_bulk_id_is_resolved_in_a_patch_value_and_in_a_path(scim: Scim) -> None:
    add_member = patch_body({"op": "add", "path": "members", "value": [{"value": "bulkId:carol"}]})
    results = send(
        scim,
        {"method": "PATCH", "path": "/Groups/bulkId:crew", "data": add_member},
        post_group("crew", "Crew"),
        post_user("carol", "carol@example.com"),
    )
    assert statuses(results) == ["204", "201", "201"]
    assert results[0]["location"] == results[1]["location"]
    assert member_ids(scim, id_of(results[1])) == {id_of(results[2])}


def test_put_patch_and_delete_by_id_and_by_bulk_id(scim: Scim, database: Database) -> None:
    kept = scim.create("kept@example.com")
    gone = scim.create("gone@example.com")
    group = scim.post("/Groups", {"schemas": [GROUP_URN], "displayName": "G"}).get_json()
    title = patch_body({"op": "replace", "path": "title", "value": "Engineer"})
    results = send(
        scim,
        {"method": "PUT", "path": f"/Users/{kept['id']}",
         "data": user_body("kept@example.com", displayName="Kept")},
        {"method": "PATCH", "path": f"/Users/{kept['id']}", "data": title},
        {"method": "DELETE", "path": f"/Users/{gone['id']}"},
        post_user("new", "new@example.com"),
        {"method": "PUT", "path": "/Users/bulkId:new", "data": user_body("renamed@example.com")},
        {"method": "PATCH", "path": "/Users/bulkId:new", "data": title},
        {"method": "PUT", "path": f"/Groups/{group['id']}",
         "data": {"schemas": [GROUP_URN], "displayName": "G2",
                  "members": [{"value": "bulkId:new"}]}},
        {"method": "DELETE", "path": "/Users/bulkId:new"},
        {"method": "DELETE", "path": f"/Groups/{group['id']}"},
    )
    assert statuses(results) == ["200", "200", "204", "201", "200", "200", "200", "204", "204"]
    assert [r["version"] for r in results[:2]] == ['W/"2"', 'W/"3"']
    assert "version" not in results[2]
    new_id = id_of(results[3])
    assert [id_of(r) for r in results[4:6]] == [new_id, new_id]
    assert [r["version"] for r in results[3:6]] == ['W/"1"', 'W/"2"', 'W/"3"']
    assert id_of(results[7]) == new_id

    current = scim.get(f"/Users/{kept['id']}").get_json()
    assert (current["displayName"], current["title"]) == ("Kept", "Engineer")
    for path in (f"/Users/{gone['id']}", f"/Users/{new_id}", f"/Groups/{group['id']}"):
        assert_scim_error(scim.get(path), 404)
    assert_seat_invariant(database, scim.org_id)


@pytest.mark.parametrize(
    ("operation", "detail"),
    [
        ({"method": "PATCH", "path": "/Users/bulkId:nobody", "data": patch_body()},
         "no POST of this request has bulkId 'nobody'"),
        (post_group("g", "G", "bulkId:nobody"), "no POST of this request has bulkId 'nobody'"),
    ],
)
def test_an_unknown_bulk_id_fails_that_operation_only(
    scim: Scim, operation: dict[str, Any], detail: str
) -> None:
    results = send(scim, operation, post_user("ok", "ok@example.com"))
    assert error_of(results[0], 400, "invalidValue") == detail
    assert results[1]["status"] == "201"


def test_a_reference_to_a_failed_post_fails(scim: Scim) -> None:
    scim.create("taken@example.com")
    results = send(
        scim,
        post_user("dup", "TAKEN@example.com"),
        post_group("g", "G", "bulkId:dup"),
    )
    assert error_of(results[0], 409, "uniqueness")
    assert "failed" in error_of(results[1], 400, "invalidValue")


def test_circular_references_are_409_and_the_rest_runs(scim: Scim) -> None:
    results = send(
        scim,
        post_group("a", "A", "bulkId:b"),
        post_group("b", "B", "bulkId:a"),
        post_group("self", "Self", "bulkId:self"),
        post_user("fine", "fine@example.com"),
    )
    assert statuses(results) == ["409", "409", "409", "201"]
    assert all("circular" in error_of(r, 409) for r in results[:3])
    assert scim.get("/Groups").get_json()["totalResults"] == 0


# --- per-operation failures ----------------------------------------------------------------


def test_a_version_mismatch_is_412_in_that_result(scim: Scim) -> None:
    user = scim.create("versioned@example.com")
    title = patch_body({"op": "replace", "path": "title", "value": "x"})
    path = f"/Users/{user['id']}"
    results = send(
        scim,
        {"method": "PATCH", "path": path, "version": 'W/"999"', "data": title},
        {"method": "PATCH", "path": path, "version": user["meta"]["version"], "data": title},
        {"method": "DELETE", "path": path, "version": user["meta"]["version"]},
        {"method": "DELETE", "path": path, "version": "*"},
    )
    assert statuses(results) == ["412", "200", "412", "204"]
    assert error_of(results[0], 412)
    assert results[0]["location"].endswith(path)


@pytest.mark.parametrize(
    "operation",
    [
        {"method": "GET", "path": "/Users"},
        {"method": "POST", "path": "/Widgets", "bulkId": "w", "data": {}},
        {"method": "POST", "path": "/Users/abc", "bulkId": "x", "data": user_body("x")},
        {"method": "PUT", "path": "/Users", "data": user_body("x")},
        {"method": "DELETE", "path": "/Users/a/b"},
        {"path": "/Users", "bulkId": "x", "data": user_body("x")},
        {"method": "POST", "path": "/Users", "data": user_body("x")},
        {"method": "POST", "path": "/Users", "bulkId": "x", "data": ["not", "an", "object"]},
        {"method": "PATCH", "path": "/Users/abc", "version": 3, "data": patch_body()},
        "not an object",
    ],
)
def test_an_invalid_operation_is_400_in_its_own_result(scim: Scim, operation: Any) -> None:
    results = send(scim, operation, post_user("ok", "ok@example.com"))
    assert error_of(results[0], 400, "invalidSyntax")
    assert results[1]["status"] == "201"


def test_a_duplicate_bulk_id_fails_the_later_post(scim: Scim) -> None:
    results = send(scim, post_user("x", "first@example.com"), post_user("x", "second@example.com"))
    assert results[0]["status"] == "201"
    assert "earlier POST" in error_of(results[1], 400, "invalidValue")


def test_use_case_errors_read_as_in_single_requests(scim: Scim) -> None:
    results = send(
        scim,
        post_user("a", "a@example.com"),
        post_user("b", "A@EXAMPLE.COM"),
        {"method": "PATCH", "path": "/Users/missing", "data": patch_body()},
        {"method": "POST", "path": "/Users", "bulkId": "c", "data": {"schemas": []}},
    )
    assert statuses(results) == ["201", "409", "404", "400"]
    assert error_of(results[1], 409, "uniqueness")
    assert error_of(results[3], 400, "invalidValue")


def test_an_unexpected_failure_is_a_500_result_without_internals(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(raw: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(users, "user_input", broken)
    results = send(scim, post_user("a", "a@example.com"), post_group("g", "G"))
    assert error_of(results[0], 500) == "internal server error"
    assert results[1]["status"] == "201"


# --- failOnErrors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fail_on_errors", "expected", "users"),
    [
        (1, ["201", "409"], {"a@example.com"}),
        (2, ["201", "409", "201", "404"], {"a@example.com", "b@example.com"}),
    ],
)
def test_fail_on_errors_stops_after_that_many_errors(
    scim: Scim, database: Database, fail_on_errors: int, expected: list[str], users: set[str]
) -> None:
    results = send(
        scim,
        post_user("a", "a@example.com"),
        post_user("dup", "A@example.com"),
        post_user("b", "b@example.com"),
        {"method": "DELETE", "path": "/Users/missing"},
        post_user("c", "c@example.com"),
        failOnErrors=fail_on_errors,
    )
    assert statuses(results) == expected
    assert {user[1] for user in snapshot(database, scim.org_id).users} == users


@pytest.mark.parametrize("value", [0, -1, 1.5, "1", True])
def test_fail_on_errors_must_be_a_positive_whole_number(scim: Scim, value: Any) -> None:
    response = scim.post("/Bulk", bulk_body(post_user("a", "a@example.com"), failOnErrors=value))
    assert_scim_error(response, 400, "invalidValue")


# --- the request as a whole ----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"schemas": [BULK_REQUEST]},
        {"schemas": [BULK_REQUEST], "Operations": {"method": "POST"}},
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "Operations": []},
    ],
)
def test_a_body_that_is_no_bulk_request_is_400(scim: Scim, body: Any) -> None:
    assert_scim_error(scim.post("/Bulk", body), 400, "invalidSyntax")


def test_attribute_names_are_case_insensitive_and_an_empty_bulk_is_empty(scim: Scim) -> None:
    response = scim.post("/Bulk", {"SCHEMAS": [BULK_REQUEST], "operations": [
        {"METHOD": "post", "PATH": "/Users", "BULKID": "a", "DATA": user_body("a")},
    ]})
    assert [r["status"] for r in response.get_json()["Operations"]] == ["201"]
    assert send(scim) == []


def test_bulk_needs_a_token(scim: Scim) -> None:
    assert_scim_error(scim.client.post("/scim/v2/Bulk", json=bulk_body()), 401)


@pytest.fixture
def capped(database_url: str, make_scim: Callable[..., Scim]) -> Iterator[Scim]:
    """The same database served with small bulk limits, to reach them cheaply."""
    settings = Settings(
        database_url=database_url, bulk_max_operations=3, bulk_max_payload_size=2000
    )
    application: Flask = create_app(settings)
    application.config["TESTING"] = True
    yield replace(make_scim(seats=10), client=application.test_client())
    application.extensions["db"].dispose()


def test_the_announced_limits_are_the_enforced_ones(capped: Scim, database: Database) -> None:
    announced = capped.get("/ServiceProviderConfig").get_json()["bulk"]
    assert announced == {"supported": True, "maxOperations": 3, "maxPayloadSize": 2000}
    three = [post_user(f"u{i}", f"u{i}") for i in range(3)]
    assert statuses(send(capped, *three)) == ["201"] * 3

    over = assert_scim_error(capped.post("/Bulk", bulk_body(*three, post_user("x", "x"))), 413)
    assert "maxOperations (3)" in over["detail"]
    assert len(snapshot(database, capped.org_id).users) == 3


def _raw(scim: Scim, body: bytes) -> Any:
    return scim.client.post("/scim/v2/Bulk", data=body, content_type=SCIM_JSON,
                            headers={"Authorization": f"Bearer {scim.token}"})


def _padded(size: int) -> bytes:
    """A bulk request of exactly `size` bytes creating one user."""
    body = bulk_body(post_user("p", "padded", title=""))
    empty = len(json.dumps(body).encode())
    body["Operations"][0]["data"]["title"] = "x" * (size - empty)
    return json.dumps(body).encode()


def test_a_body_over_max_payload_size_is_413_before_it_is_parsed(
    capped: Scim, database: Database
) -> None:
    assert len(_padded(2000)) == 2000
    assert _raw(capped, _padded(2000)).status_code == 200
    over = assert_scim_error(_raw(capped, _padded(2001)), 413)
    assert "maxPayloadSize (2000 bytes)" in over["detail"]
    assert_scim_error(_raw(capped, b"{" + b" " * 5000), 413)  # not even valid JSON
    assert len(snapshot(database, capped.org_id).users) == 1


@pytest.mark.parametrize(("size", "status"), [(2000, 200), (2001, 413), (50_000, 413)])
def test_a_chunked_body_without_content_length_is_measured_too(
    capped: Scim, size: int, status: int
) -> None:
    response = capped.client.post(
        "/scim/v2/Bulk",
        input_stream=io.BytesIO(_padded(size)),
        content_type=SCIM_JSON,
        headers={"Authorization": f"Bearer {capped.token}", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == status, response.get_data(as_text=True)


def test_the_default_limits_are_a_thousand_operations_and_one_mebibyte(scim: Scim) -> None:
    announced = scim.get("/ServiceProviderConfig").get_json()["bulk"]
    assert announced == {"supported": True, "maxOperations": 1000, "maxPayloadSize": 1_048_576}
    assert_scim_error(_raw(scim, _padded(1_048_577)), 413)
