"""`attributes` / `excludedAttributes` take attribute names (RFC 7644 §3.9). A value filter
in their place (`emails[type eq "work"]`) is 400 invalidPath wherever they are read, and the
request changes nothing: skipping it would answer with other than what was asked for."""
from __future__ import annotations

from typing import Any

import pytest

from app.db import Database
from tests.api.test_groups_api import create_group, stored_group
from tests.support import Scim, assert_scim_error, patch_body, snapshot, user_body

SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
FILTERED = ['emails[type eq "work"]', 'emails[type eq "work"].value', "userName eq x"]


@pytest.fixture
def user(scim: Scim) -> dict[str, Any]:
    return scim.create("filtered", emails=[{"value": "w@example.com", "type": "work"}])


@pytest.mark.parametrize("name", FILTERED)
@pytest.mark.parametrize("parameter", ["attributes", "excludedAttributes"])
def test_get_refuses_a_filter_as_an_attribute_name(
    scim: Scim, user: dict[str, Any], parameter: str, name: str
) -> None:
    for path in ("/Users", f"/Users/{user['id']}", "/Groups"):
        body = assert_scim_error(scim.get(path, **{parameter: name}), 400, "invalidPath")
        assert name in body["detail"]


def test_a_filter_among_names_is_refused_too(scim: Scim, user: dict[str, Any]) -> None:
    response = scim.get("/Users", attributes='userName,emails[type eq "work"]')
    assert_scim_error(response, 400, "invalidPath")


@pytest.mark.parametrize("path", ["/.search", "/Users/.search", "/Groups/.search"])
def test_search_request_refuses_a_filter_as_an_attribute_name(scim: Scim, path: str) -> None:
    body = {"schemas": [SEARCH_URN], "excludedAttributes": ['members[type eq "User"]']}
    assert_scim_error(scim.post(path, body), 400, "invalidPath")


def test_write_with_a_filtered_projection_changes_nothing(
    scim: Scim, user: dict[str, Any], database: Database
) -> None:
    before = snapshot(database, scim.org_id)
    query = 'attributes=emails[type eq "work"]'
    assert_scim_error(scim.post(f"/Users?{query}", user_body("never")), 400, "invalidPath")
    rename = patch_body({"op": "replace", "path": "title", "value": "X"})
    assert_scim_error(scim.patch(f"/Users/{user['id']}?{query}", rename), 400, "invalidPath")
    assert_scim_error(scim.put(f"/Users/{user['id']}?{query}", user_body("filtered")), 400,
                      "invalidPath")
    assert snapshot(database, scim.org_id) == before


def test_group_patch_with_a_filtered_projection_changes_nothing(
    scim: Scim, database: Database
) -> None:
    group = create_group(scim, "Unchanged")
    before = stored_group(database, group["id"])
    rename = patch_body({"op": "replace", "path": "displayName", "value": "Changed"})
    response = scim.patch(f"/Groups/{group['id']}?excludedAttributes=members[value pr]", rename)
    assert_scim_error(response, 400, "invalidPath")
    assert stored_group(database, group["id"]) == before


def test_unknown_plain_names_still_select_nothing(scim: Scim, user: dict[str, Any]) -> None:
    """Only filters are refused: a name the type lacks is not an error (a root search applies
    one list of names to users and groups)."""
    body = scim.get(f"/Users/{user['id']}", attributes="nosuch").get_json()
    assert set(body) == {"schemas", "id"}
