"""PATCH with `attributes` (RFC 7644 §3.5.2): a server that may answer 204 MUST answer 200
with the resource once the request asks for attributes, on /Users and /Groups alike. Bulk
operations take no query, so a PATCH there can never ask for attributes (docs/bulk.md)."""
from __future__ import annotations

from typing import Any

import pytest

from app.db import Database
from tests.api.test_bulk import error_of, send
from tests.api.test_groups_api import GROUP_URN, create_group, member_ids, stored_group
from tests.support import USER_URN, Scim, assert_scim_error, patch_body

RENAME = {"op": "replace", "path": "displayName", "value": "Renamed"}


def _patch(scim: Scim, path: str, query: str, *operations: dict[str, Any]) -> Any:
    return scim.patch(f"{path}?{query}", patch_body(*operations))


def _resource(scim: Scim, endpoint: str) -> dict[str, Any]:
    if endpoint == "/Users":
        return scim.create("patched", displayName="Before")
    return create_group(scim, "Before")


@pytest.mark.parametrize("endpoint,schema", [("/Users", USER_URN), ("/Groups", GROUP_URN)])
def test_patch_with_attributes_answers_200_with_the_projection(
    scim: Scim, endpoint: str, schema: str
) -> None:
    resource = _resource(scim, endpoint)
    path = f"{endpoint}/{resource['id']}"
    response = _patch(scim, path, "attributes=displayName", RENAME)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"schemas": [schema], "id": resource["id"],
                                   "displayName": "Renamed"}
    assert response.headers["ETag"] == 'W/"2"'
    assert scim.get(path).get_json()["displayName"] == "Renamed"


def test_group_patch_with_excluded_attributes_answers_200_without_them(scim: Scim) -> None:
    user = scim.create("member")
    group = create_group(scim, "Crew")
    add = {"op": "add", "path": "members", "value": [{"value": user["id"]}]}
    response = _patch(scim, f"/Groups/{group['id']}", "excludedAttributes=members", add)
    assert response.status_code == 200
    body = response.get_json()
    assert "members" not in body
    assert body["displayName"] == "Crew" and body["meta"]["version"] == 'W/"2"'
    assert member_ids(scim, group["id"]) == {user["id"]}


def test_group_patch_without_attributes_still_answers_204(scim: Scim) -> None:
    """Entra and Okta send no attributes and expect the empty 204."""
    group = create_group(scim, "Quiet")
    response = scim.patch(f"/Groups/{group['id']}", patch_body(RENAME))
    assert response.status_code == 204 and response.get_data() == b""
    assert response.headers["ETag"] == 'W/"2"'


def test_refused_group_patch_with_attributes_changes_nothing(
    scim: Scim, database: Database
) -> None:
    group = create_group(scim, "Kept")
    before = stored_group(database, group["id"])
    bad = {"op": "replace", "path": "displayName", "value": 7}
    response = _patch(scim, f"/Groups/{group['id']}", "attributes=displayName", bad)
    assert_scim_error(response, 400, "invalidValue")
    assert stored_group(database, group["id"]) == before


@pytest.mark.parametrize("endpoint,status", [("/Users", "200"), ("/Groups", "204")])
def test_bulk_patch_result_has_the_single_endpoint_status_and_no_body(
    scim: Scim, endpoint: str, status: str
) -> None:
    resource = _resource(scim, endpoint)
    path = f"{endpoint}/{resource['id']}"
    [result] = send(scim, {"method": "PATCH", "path": path, "data": patch_body(RENAME)})
    assert result["status"] == status and "response" not in result
    assert result["location"].endswith(path) and result["version"] == 'W/"2"'


@pytest.mark.parametrize("endpoint", ["/Users", "/Groups"])
def test_bulk_patch_with_a_query_is_refused_alone(scim: Scim, endpoint: str) -> None:
    resource = _resource(scim, endpoint)
    path = f"{endpoint}/{resource['id']}"
    refused, applied = send(
        scim,
        {"method": "PATCH", "path": f"{path}?attributes=displayName", "data": patch_body(RENAME)},
        {"method": "PATCH", "path": path,
         "data": patch_body({"op": "replace", "path": "externalId", "value": "x"})},
    )
    assert "query" in error_of(refused, 400, "invalidSyntax")
    assert applied["status"] in ("200", "204")
    after = scim.get(path).get_json()
    assert after["displayName"] == "Before" and after["externalId"] == "x"


def test_bulk_paths_are_as_lenient_as_the_routes(scim: Scim) -> None:
    """Endpoint case and a trailing slash, as in HTTP requests; locations stay canonical."""
    created, patched = send(
        scim,
        {"method": "POST", "path": "/users/", "bulkId": "u",
         "data": {"schemas": [USER_URN], "userName": "lenient"}},
        {"method": "PATCH", "path": "/USERS/bulkId:u/", "data": patch_body(RENAME)},
    )
    assert created["status"] == "201" and patched["status"] == "200"
    user_id = created["location"].rsplit("/", 1)[1]
    assert created["location"].endswith(f"/scim/v2/Users/{user_id}")
    assert patched["location"] == created["location"]
    assert scim.get(f"/Users/{user_id}").get_json()["displayName"] == "Renamed"
