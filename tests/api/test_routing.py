"""Routing under /scim/v2 as third-party clients use it: the root query (GET, RFC 7644
§3.4.2.1), a trailing slash and endpoints in another letter case (Microsoft's published SCIM
test collection sends both) with canonical locations, and SCIM error bodies for every 404
and 405."""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.scim_api.paths import canonical_path
from tests.api.test_groups_api import create_group
from tests.support import USER_URN, Scim, assert_scim_error, patch_body, user_body

LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ENDPOINTS = {"users": "Users", "groups": "Groups", "schemas": "Schemas"}


@pytest.fixture
def people(scim: Scim) -> dict[str, Any]:
    """A user and a group both named "Root…", and one of each that is not."""
    return {
        "user": scim.create("root.user", displayName="Root user"),
        "group": create_group(scim, "Root group"),
        "others": [scim.create("other", displayName="Other"), create_group(scim, "Other")],
    }


# --- the root query -----------------------------------------------------------------------


@pytest.mark.parametrize("root", ["", "/"])
def test_root_get_is_the_root_search(scim: Scim, people: dict[str, Any], root: str) -> None:
    params = {"filter": 'displayName sw "Root"', "sortBy": "displayName",
              "attributes": "displayName"}
    response = scim.get(root, **params)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["schemas"] == [LIST_URN] and body["totalResults"] == 2
    assert [r["id"] for r in body["Resources"]] == [people["group"]["id"], people["user"]["id"]]
    searched = scim.post("/.search", {"schemas": [SEARCH_URN], **params}).get_json()
    assert body == searched


def test_root_get_pages_every_type(scim: Scim, people: dict[str, Any]) -> None:
    body = scim.get("", count=3, startIndex=2).get_json()
    assert body["totalResults"] == 4 and body["itemsPerPage"] == 3
    assert {r["meta"]["resourceType"] for r in body["Resources"]} == {"User", "Group"}


def test_root_get_refuses_bad_parameters_like_the_search(scim: Scim) -> None:
    assert_scim_error(scim.get("", filter="displayName zz 1"), 400, "invalidFilter")
    assert_scim_error(scim.get("/", attributes='emails[type eq "work"]'), 400, "invalidPath")


def test_root_get_requires_a_token(scim: Scim) -> None:
    assert_scim_error(scim.client.get("/scim/v2/?filter=userName pr"), 401)


# --- trailing slash and letter case -------------------------------------------------------


def test_collections_with_a_trailing_slash(scim: Scim, people: dict[str, Any]) -> None:
    users = scim.get("/Users/", filter='userName eq "root.user"').get_json()
    assert [r["id"] for r in users["Resources"]] == [people["user"]["id"]]
    groups = scim.get("/Groups/").get_json()
    assert groups["totalResults"] == 2


@pytest.mark.parametrize("spelling", ["/users", "/USERS", "/Users/", "/uSeRs/"])
def test_user_lifecycle_in_any_spelling_keeps_canonical_locations(
    scim: Scim, spelling: str
) -> None:
    created = scim.post(spelling, user_body("spelled"))
    assert created.status_code == 201, created.get_data(as_text=True)
    user = created.get_json()
    canonical = f"/scim/v2/Users/{user['id']}"
    assert created.headers["Location"].endswith(canonical)
    assert user["meta"]["location"].endswith(canonical)
    one = f"{spelling.rstrip('/')}/{user['id']}/"
    assert scim.get(one).get_json()["meta"]["location"] == user["meta"]["location"]
    title = patch_body({"op": "replace", "path": "title", "value": "T"})
    assert scim.patch(one, title).get_json()["title"] == "T"
    assert scim.put(one, user_body("spelled", title="U")).get_json()["title"] == "U"
    assert scim.delete(one).status_code == 204
    assert_scim_error(scim.get(f"/Users/{user['id']}"), 404)


def test_groups_in_another_case(scim: Scim, people: dict[str, Any]) -> None:
    group = people["group"]
    body = scim.get(f"/GROUPS/{group['id']}").get_json()
    assert body["meta"]["location"] == group["meta"]["location"]
    rename = patch_body({"op": "replace", "path": "displayName", "value": "Renamed"})
    assert scim.patch(f"/groups/{group['id']}/", rename).status_code == 204
    assert scim.get(f"/Groups/{group['id']}").get_json()["displayName"] == "Renamed"


@pytest.mark.parametrize(
    "path",
    ["/serviceproviderconfig", "/SERVICEPROVIDERCONFIG/", "/schemas", "/Schemas/",
     "/resourcetypes", "/resourcetypes/user", "/ResourceTypes/User/",
     f"/schemas/{USER_URN}", f"/Schemas/{USER_URN}/"],
)
def test_discovery_in_any_spelling(scim: Scim, path: str) -> None:
    response = scim.client.get(f"/scim/v2{path}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["schemas"]


def test_searches_in_another_case(scim: Scim, people: dict[str, Any]) -> None:
    body = {"schemas": [SEARCH_URN], "filter": 'userName eq "root.user"'}
    found = scim.post("/users/.search", body).get_json()
    assert [r["id"] for r in found["Resources"]] == [people["user"]["id"]]


def test_ids_are_not_respelled(scim: Scim) -> None:
    """Only the endpoint segment is case-insensitive: ids are exact (RFC 7643 §3.1)."""
    user = scim.create("exact")
    assert_scim_error(scim.get(f"/users/{user['id'].upper()}"), 404)


@pytest.mark.parametrize(
    "path,canonical",
    [
        ("/scim/v2/", "/scim/v2"),
        ("/scim/v2", "/scim/v2"),
        ("/scim/v2/users//", "/scim/v2/Users"),
        ("/scim/v2/users/AbC/", "/scim/v2/Users/AbC"),
        ("/scim/v2/Schemas/urn:x:Users/", "/scim/v2/Schemas/urn:x:Users"),
        ("/scim/v2/unknown/", "/scim/v2/unknown"),
        ("/scim/v2//users", "/scim/v2//users"),  # werkzeug redirects merged slashes itself
        ("/scim/v2users/", "/scim/v2users/"),
        ("/admin/v1/users/", "/admin/v1/users/"),
    ],
)
def test_canonical_path(path: str, canonical: str) -> None:
    assert canonical_path(path, ENDPOINTS) == canonical


_SEGMENT = st.text(st.sampled_from("aAbBsSuU.-:%0"), min_size=1, max_size=8)


@settings(derandomize=True)
@given(st.lists(_SEGMENT | st.sampled_from(["users", "Groups", "SCHEMAS"]), min_size=1,
                max_size=4), st.integers(0, 2))
def test_canonical_path_respells_only_the_endpoint(segments: list[str], slashes: int) -> None:
    path = "/scim/v2/" + "/".join(segments) + "/" * slashes
    canonical = canonical_path(path, ENDPOINTS)
    assert canonical_path(canonical, ENDPOINTS) == canonical
    first, *rest = canonical.removeprefix("/scim/v2/").split("/")
    assert first == ENDPOINTS.get(segments[0].lower(), segments[0])
    assert rest == segments[1:]


# --- 404 and 405 are SCIM errors ----------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/nothing", "/Users/abc/extra", "/Users/.search/x", "/v2", "/Groups/abc/members"]
)
def test_unknown_paths_are_scim_404_with_or_without_a_token(scim: Scim, path: str) -> None:
    assert_scim_error(scim.get(path), 404)
    assert_scim_error(scim.client.get(f"/scim/v2{path}"), 404)


@pytest.mark.parametrize(
    "method,path",
    [("PUT", "/Users"), ("DELETE", "/groups/"), ("GET", "/Bulk"), ("POST", ""),
     ("DELETE", "/"), ("POST", "/ServiceProviderConfig"), ("PATCH", "/schemas"),
     ("GET", "/.search"), ("POST", "/Users/abc")],
)
def test_wrong_methods_are_scim_405(scim: Scim, method: str, path: str) -> None:
    headers = {"Authorization": f"Bearer {scim.token}"}
    assert_scim_error(scim.client.open(f"/scim/v2{path}", method=method, headers=headers), 405)
