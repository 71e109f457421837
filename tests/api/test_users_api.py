"""The /Users endpoints as an IdP sees them: shapes, headers, errors and org isolation."""
from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from app.db import Database
from app.factory import create_app
from app.settings import Settings
from tests.support import (
    SCIM_JSON,
    USER_URN,
    Scim,
    assert_scim_error,
    patch_body,
    snapshot,
    user_body,
)


def test_create_returns_resource_with_meta_location_and_etag(scim: Scim) -> None:
    response = scim.post(
        "/Users",
        user_body(
            "Alice@Example.com",
            name={"givenName": "Alice", "familyName": "Liddell"},
            emails=[{"value": "alice@example.com", "type": "work", "primary": True}],
            externalId="ext-1",
            password="s3cret-Pa55",
        ),
    )
    assert response.status_code == 201
    assert response.mimetype == SCIM_JSON
    body = response.get_json()
    assert body["schemas"] == [USER_URN]
    assert body["userName"] == "Alice@Example.com"  # case preserved
    assert body["active"] is True
    assert body["name"] == {"givenName": "Alice", "familyName": "Liddell"}
    assert "password" not in body
    meta = body["meta"]
    assert meta["resourceType"] == "User"
    assert meta["location"].endswith(f"/scim/v2/Users/{body['id']}")
    assert response.headers["Location"] == meta["location"]
    assert response.headers["ETag"] == meta["version"]
    assert meta["created"].endswith("Z")


def test_get_returns_what_was_created_and_never_the_password(scim: Scim) -> None:
    created = scim.create("bob", password="hunter2-long", title="Engineer")
    response = scim.get(f"/Users/{created['id']}")
    assert response.status_code == 200
    assert response.get_json() == created


def test_get_unknown_user_is_scim_404(scim: Scim) -> None:
    assert_scim_error(scim.get("/Users/00000000-0000-0000-0000-000000000000"), 404)


def test_unknown_route_and_method_are_scim_errors(scim: Scim) -> None:
    assert_scim_error(scim.get("/Nope"), 404)
    response = scim.client.post(
        "/scim/v2/Users/abc", headers={"Authorization": f"Bearer {scim.token}"}
    )
    assert_scim_error(response, 405)


def test_missing_token_is_401_with_www_authenticate(scim: Scim) -> None:
    response = scim.client.get("/scim/v2/Users")
    assert_scim_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_token_is_401(scim: Scim) -> None:
    response = scim.client.get("/scim/v2/Users", headers={"Authorization": "Bearer scs_nope"})
    assert_scim_error(response, 401)
    response = scim.client.get("/scim/v2/Users", headers={"Authorization": f"Basic {scim.token}"})
    assert_scim_error(response, 401)


def test_application_json_is_accepted(scim: Scim) -> None:
    response = scim.client.post(
        "/scim/v2/Users",
        json=user_body("json-client"),
        headers={"Authorization": f"Bearer {scim.token}"},
        content_type="application/json",
    )
    assert response.status_code == 201


def test_other_media_types_are_refused(scim: Scim, database: Database) -> None:
    before = snapshot(database, scim.org_id)
    response = scim.client.post(
        "/scim/v2/Users",
        data="userName=x",
        headers={"Authorization": f"Bearer {scim.token}"},
        content_type="application/x-www-form-urlencoded",
    )
    assert_scim_error(response, 415)
    assert snapshot(database, scim.org_id) == before


def test_malformed_json_is_invalid_syntax_and_changes_nothing(scim: Scim, database: Database) -> None:
    before = snapshot(database, scim.org_id)
    response = scim.client.post(
        "/scim/v2/Users",
        data='{"userName": ',
        headers={"Authorization": f"Bearer {scim.token}"},
        content_type=SCIM_JSON,
    )
    assert response.status_code == 400 and response.get_json()["scimType"] in ("invalidSyntax", "invalidValue")
    assert snapshot(database, scim.org_id) == before


def test_missing_user_name_is_invalid_value(scim: Scim, database: Database) -> None:
    before = snapshot(database, scim.org_id)
    assert_scim_error(scim.post("/Users", {"schemas": [USER_URN]}), 400, "invalidValue")
    assert_scim_error(scim.post("/Users", user_body("   ")), 400, "invalidValue")
    assert snapshot(database, scim.org_id) == before


def test_wrong_attribute_type_is_invalid_value(scim: Scim, database: Database) -> None:
    before = snapshot(database, scim.org_id)
    body = assert_scim_error(scim.post("/Users", user_body("x", active="maybe")), 400, "invalidValue")
    assert "active" in body["detail"]
    assert_scim_error(scim.post("/Users", user_body("x", emails=[{"value": 5}])), 400, "invalidValue")
    assert snapshot(database, scim.org_id) == before


def test_attribute_names_are_case_insensitive_on_input(scim: Scim) -> None:
    body = scim.create("casey", NAME={"GIVENNAME": "Casey"}, DisplayName="C")
    assert body["name"] == {"givenName": "Casey"}
    assert body["displayName"] == "C"


def test_string_booleans_are_stored_as_booleans(scim: Scim) -> None:
    body = scim.create("stringy", active="False")
    assert body["active"] is False


def test_duplicate_user_name_in_any_case_is_409_uniqueness(scim: Scim, database: Database) -> None:
    scim.create("Dup@Example.com")
    before = snapshot(database, scim.org_id)
    assert_scim_error(scim.post("/Users", user_body("dup@EXAMPLE.com")), 409, "uniqueness")
    assert snapshot(database, scim.org_id) == before


def test_put_replaces_the_resource(scim: Scim) -> None:
    created = scim.create("pat", title="Old", nickName="P")
    response = scim.put(f"/Users/{created['id']}", user_body("pat", title="New"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["title"] == "New"
    assert "nickName" not in body
    assert body["meta"]["version"] != created["meta"]["version"]
    assert body["meta"]["created"] == created["meta"]["created"]


def test_put_to_a_taken_user_name_is_409(scim: Scim, database: Database) -> None:
    scim.create("one")
    two = scim.create("two")
    before = snapshot(database, scim.org_id)
    assert_scim_error(scim.put(f"/Users/{two['id']}", user_body("ONE")), 409, "uniqueness")
    assert snapshot(database, scim.org_id) == before


def test_put_unknown_user_is_404(scim: Scim) -> None:
    assert_scim_error(scim.put("/Users/nope", user_body("x")), 404)


def test_patch_with_value_filter_path(scim: Scim) -> None:
    created = scim.create(
        "emily",
        emails=[
            {"value": "e@work.example", "type": "work"},
            {"value": "e@home.example", "type": "home"},
        ],
    )
    response = scim.patch(
        f"/Users/{created['id']}",
        patch_body({"op": "replace", "path": 'emails[type eq "work"].value', "value": "new@work.example"}),
    )
    assert response.status_code == 200
    emails = {e["type"]: e["value"] for e in response.get_json()["emails"]}
    assert emails == {"work": "new@work.example", "home": "e@home.example"}
    found = scim.get("/Users", filter='emails.value eq "NEW@work.example"').get_json()
    assert [r["id"] for r in found["Resources"]] == [created["id"]]


def test_patch_is_atomic_when_one_operation_fails(scim: Scim, database: Database) -> None:
    created = scim.create("atomic", title="Before")
    before = snapshot(database, scim.org_id)
    response = scim.patch(
        f"/Users/{created['id']}",
        patch_body(
            {"op": "replace", "path": "title", "value": "After"},
            {"op": "replace", "path": "noSuchAttribute", "value": "x"},
        ),
    )
    assert_scim_error(response, 400, "invalidPath")
    assert snapshot(database, scim.org_id) == before


def test_patch_without_patchop_schema_is_rejected(scim: Scim) -> None:
    created = scim.create("schemaless")
    response = scim.patch(
        f"/Users/{created['id']}", {"Operations": [{"op": "replace", "path": "title", "value": "x"}]}
    )
    assert response.status_code == 400


def test_patch_user_name_to_a_taken_one_is_409(scim: Scim, database: Database) -> None:
    scim.create("taken")
    other = scim.create("other")
    before = snapshot(database, scim.org_id)
    response = scim.patch(
        f"/Users/{other['id']}", patch_body({"op": "replace", "path": "userName", "value": "TAKEN"})
    )
    assert_scim_error(response, 409, "uniqueness")
    assert snapshot(database, scim.org_id) == before


def test_patch_password_is_accepted_and_never_returned(scim: Scim) -> None:
    created = scim.create("pw")
    response = scim.patch(
        f"/Users/{created['id']}", patch_body({"op": "replace", "path": "password", "value": "n3w-Secret"})
    )
    assert response.status_code == 200
    assert "password" not in response.get_json()


def test_delete_then_get_is_404(scim: Scim) -> None:
    created = scim.create("gone")
    assert scim.delete(f"/Users/{created['id']}").status_code == 204
    assert_scim_error(scim.get(f"/Users/{created['id']}"), 404)
    assert_scim_error(scim.delete(f"/Users/{created['id']}"), 404)


def test_list_counts_pages_and_filters(scim: Scim) -> None:
    ids = [scim.create(f"user{i:02d}@example.com")["id"] for i in range(7)]
    page = scim.get("/Users", startIndex=3, count=2).get_json()
    assert page["totalResults"] == 7
    assert page["itemsPerPage"] == 2
    assert page["startIndex"] == 3
    assert [r["id"] for r in page["Resources"]] == ids[2:4]

    clamped = scim.get("/Users", startIndex=0, count=100).get_json()
    assert clamped["startIndex"] == 1 and clamped["itemsPerPage"] == 7

    only_total = scim.get("/Users", count=0).get_json()
    assert only_total["totalResults"] == 7 and only_total["Resources"] == []

    beyond = scim.get("/Users", startIndex=50).get_json()
    assert beyond["totalResults"] == 7 and beyond["Resources"] == []

    found = scim.get("/Users", filter='userName eq "USER03@EXAMPLE.COM"').get_json()
    assert [r["id"] for r in found["Resources"]] == [ids[3]]
    assert found["totalResults"] == 1


def test_list_count_is_capped_at_the_maximum(scim: Scim) -> None:
    scim.create("only")
    body = scim.get("/Users", count=5000).get_json()
    assert body["itemsPerPage"] == 1


def test_list_with_bad_paging_is_invalid_value(scim: Scim) -> None:
    assert_scim_error(scim.get("/Users", count="ten"), 400, "invalidValue")


def test_list_with_bad_filter_is_invalid_filter(scim: Scim) -> None:
    assert_scim_error(scim.get("/Users", filter='userName eq'), 400, "invalidFilter")
    assert_scim_error(scim.get("/Users", filter='noSuchAttr eq "x"'), 400, "invalidFilter")
    assert_scim_error(scim.get("/Users", filter='userName zz "x"'), 400, "invalidFilter")


# Entra's Test Connection probe (a random userName is an empty 200 list):
# tests/api/test_idp_shapes.py::test_entra_test_connection_probe_returns_empty_list


def test_edge_41_a_token_never_sees_another_orgs_data(
    make_scim: Callable[..., Scim], database: Database
) -> None:
    org_a, org_b = make_scim(), make_scim()
    b_user = org_b.create("shared-name")
    a_user = org_a.create("shared-name")  # same userName is fine in another org
    assert org_a.get("/Users").get_json()["totalResults"] == 1
    assert_scim_error(org_a.get(f"/Users/{b_user['id']}"), 404)
    before_b = snapshot(database, org_b.org_id)
    assert_scim_error(org_a.put(f"/Users/{b_user['id']}", user_body("x")), 404)
    assert_scim_error(
        org_a.patch(f"/Users/{b_user['id']}", patch_body({"op": "replace", "path": "active", "value": False})),
        404,
    )
    assert_scim_error(org_a.delete(f"/Users/{b_user['id']}"), 404)
    assert snapshot(database, org_b.org_id) == before_b
    listed = org_a.get("/Users", filter='userName eq "shared-name"').get_json()
    assert [r["id"] for r in listed["Resources"]] == [a_user["id"]]


def test_an_internal_error_is_a_scim_500_without_internals(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret table name scim_users and a stack")

    monkeypatch.setattr("scim.users.read_user", explode)
    body = assert_scim_error(scim.get("/Users/anything"), 500)
    assert body["detail"] == "internal server error"
    assert "scim_users" not in json.dumps(body)


def test_a_body_over_the_request_limit_is_a_scim_413(
    scim: Scim, database_url: str, database: Database
) -> None:
    small = create_app(Settings(database_url=database_url, max_request_bytes=1_000))
    before = snapshot(database, scim.org_id)
    response = small.test_client().post(
        "/scim/v2/Users", data=json.dumps(user_body("x" * 2_000)),
        headers={"Authorization": f"Bearer {scim.token}"}, content_type=SCIM_JSON,
    )
    assert_scim_error(response, 413)
    assert snapshot(database, scim.org_id) == before
    small.extensions["db"].dispose()


@pytest.mark.parametrize(
    "body",
    [
        user_body("x" * 256),
        user_body("ok", externalId="e" * 256),
        user_body("ok", emails=[{"value": "v" * 2049}]),
        user_body("nul\x00name"),
        user_body("ok", title="\udc00"),
    ],
    ids=["long-userName", "long-externalId", "long-email", "nul", "lone-surrogate"],
)
def test_text_the_databases_cannot_store_is_invalid_value(
    scim: Scim, database: Database, body: dict
) -> None:
    before = snapshot(database, scim.org_id)
    assert_scim_error(scim.post("/Users", body), 400, "invalidValue")
    assert snapshot(database, scim.org_id) == before


def test_a_deeply_nested_body_is_refused(scim: Scim) -> None:
    deep = '{"userName": "deep", "name": ' + '{"a": ' * 5000 + "1" + "}" * 5001
    response = scim.client.post("/scim/v2/Users", data=deep, content_type=SCIM_JSON,
                                headers={"Authorization": f"Bearer {scim.token}"})
    assert response.status_code == 400 and response.get_json()["scimType"] in ("invalidSyntax", "invalidValue")
