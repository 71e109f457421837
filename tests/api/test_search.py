"""POST /.search (RFC 7644 §3.4.3) on /Users, /Groups and the root, with a SearchRequest body:
the same answers as GET with the same parameters. At the root users and groups come in one
list, ordered together (meta.created without sortBy), and totalResults counts both."""
from __future__ import annotations

from typing import Any

import pytest

from tests.support import USER_URN, Scim, assert_scim_error

SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def search(scim: Scim, path: str, **parameters: Any) -> dict[str, Any]:
    response = scim.post(path, {"schemas": [SEARCH_URN], **parameters})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["schemas"] == [LIST_URN]
    return response.get_json()


def group(scim: Scim, name: str, *member_ids: str) -> dict[str, Any]:
    response = scim.post("/Groups", {"schemas": [GROUP_URN], "displayName": name,
                                     "members": [{"value": m} for m in member_ids]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def directory(scim: Scim) -> dict[str, dict[str, Any]]:
    """Created in this order, users and groups interleaved."""
    ada = scim.create("ada@example.com", displayName="Ada", title="Engineer")
    ops = group(scim, "Ops", ada["id"])
    bob = scim.create("bob@example.com", displayName="Ops", title="Operator")
    eng = group(scim, "Engineering")
    return {"ada": ada, "ops": ops, "bob": bob, "eng": eng}


def _ids(listing: dict[str, Any]) -> list[str]:
    return [resource["id"] for resource in listing["Resources"]]


# --- per resource type: the same as GET ---------------------------------------------------


def test_users_search_answers_like_get_with_the_same_parameters(
    scim: Scim, directory: dict[str, dict[str, Any]]
) -> None:
    """POST /Users/.search {"attributes": ["userName"], "filter": "title sw \\"E\\"" ...}"""
    parameters = {"filter": 'userName ew "example.com"', "sortBy": "userName",
                  "sortOrder": "descending", "startIndex": 1, "count": 1}
    searched = search(scim, "/Users/.search", attributes=["userName", "title"], **parameters)
    got = scim.get("/Users", attributes="userName,title", **parameters).get_json()
    assert searched == got
    assert searched["totalResults"] == 2 and searched["Resources"] == [
        {"schemas": [USER_URN], "id": directory["bob"]["id"], "userName": "bob@example.com",
         "title": "Operator"},
    ]


def test_groups_search_with_excluded_members(
    scim: Scim, directory: dict[str, dict[str, Any]]
) -> None:
    found = search(scim, "/Groups/.search", filter='displayName eq "ops"',
                   excludedAttributes=["members"])
    assert _ids(found) == [directory["ops"]["id"]] and "members" not in found["Resources"][0]


def test_search_parameter_names_are_case_insensitive(
    scim: Scim, directory: dict[str, dict[str, Any]]
) -> None:
    found = search(scim, "/Users/.search", SortBy="userName", SORTORDER="descending", Count=1)
    assert _ids(found) == [directory["bob"]["id"]]


def test_an_empty_search_request_lists_everything_of_the_type(
    scim: Scim, directory: dict[str, dict[str, Any]]
) -> None:
    found = search(scim, "/Users/.search")
    assert found["totalResults"] == 2 and found["startIndex"] == 1


# --- at the root ----------------------------------------------------------------------------


def test_root_search_lists_users_and_groups_together_in_creation_order(
    scim: Scim, directory: dict[str, dict[str, Any]]
) -> None:
    found = search(scim, "/.search")
    assert found["totalResults"] == 4 and found["itemsPerPage"] == 4
    assert _ids(found) == [directory[k]["id"] for k in ("ada", "ops", "bob", "eng")]
    assert [r["meta"]["resourceType"] for r in found["Resources"]] == [
        "User", "Group", "User", "Group",
    ]
    assert found["Resources"][1]["members"][0]["value"] == directory["ada"]["id"]


def test_root_search_pages_across_both_types(
    scim: Scim, directory: dict[str, dict[str, Any]]
) -> None:
    pages = [search(scim, "/.search", startIndex=start, count=3) for start in (1, 4)]
    assert [len(page["Resources"]) for page in pages] == [3, 1]
    assert all(page["totalResults"] == 4 for page in pages)
    assert _ids(pages[0]) + _ids(pages[1]) == _ids(search(scim, "/.search"))


def test_root_filter_on_a_shared_attribute_matches_both_types(
    scim: Scim, directory: dict[str, dict[str, Any]]
) -> None:
    """`displayName eq "ops"`: the group Ops and the user whose displayName is Ops."""
    found = search(scim, "/.search", filter='displayName eq "ops"')
    assert set(_ids(found)) == {directory["ops"]["id"], directory["bob"]["id"]}
    assert found["totalResults"] == 2


def test_root_filter_on_an_attribute_of_one_type_leaves_the_other_out(
    scim: Scim, directory: dict[str, dict[str, Any]]
) -> None:
    users = search(scim, "/.search", filter='userName sw "ada"')
    assert _ids(users) == [directory["ada"]["id"]]
    groups = search(scim, "/.search", filter=f'members.value eq "{directory["ada"]["id"]}"')
    assert _ids(groups) == [directory["ops"]["id"]]
    typed = search(scim, "/.search", filter='meta.resourceType eq "Group"')
    assert set(_ids(typed)) == {directory["ops"]["id"], directory["eng"]["id"]}


def test_a_root_filter_no_type_can_answer_is_invalid(scim: Scim) -> None:
    response = scim.post("/.search", {"schemas": [SEARCH_URN], "filter": 'nosuch eq "x"'})
    assert_scim_error(response, 400, "invalidFilter")


def test_root_sort_orders_both_types_together(
    scim: Scim, directory: dict[str, dict[str, Any]]
) -> None:
    """sortBy=displayName: Ada (user), Engineering (group), then Ops twice, by id."""
    found = search(scim, "/.search", sortBy="displayName")
    ops = sorted([directory["ops"]["id"], directory["bob"]["id"]])
    assert _ids(found) == [directory["ada"]["id"], directory["eng"]["id"], *ops]


def test_root_sort_by_an_attribute_of_one_type_puts_the_other_last(
    scim: Scim, directory: dict[str, dict[str, Any]]
) -> None:
    found = search(scim, "/.search", sortBy="userName", sortOrder="descending")
    kinds = [r["meta"]["resourceType"] for r in found["Resources"]]
    assert kinds == ["Group", "Group", "User", "User"]  # no data sorts first descending
    assert _ids(found)[2:] == [directory["bob"]["id"], directory["ada"]["id"]]


def test_root_attributes_apply_to_each_type_by_its_own_schema(
    scim: Scim, directory: dict[str, dict[str, Any]]
) -> None:
    found = search(scim, "/.search", attributes=["userName", "members"])
    by_id = {r["id"]: set(r) for r in found["Resources"]}
    assert by_id[directory["ada"]["id"]] == {"schemas", "id", "userName"}
    assert by_id[directory["ops"]["id"]] == {"schemas", "id", "members"}
    assert by_id[directory["eng"]["id"]] == {"schemas", "id"}


def test_root_search_sees_only_the_tokens_org(
    scim: Scim, make_scim: Any, directory: dict[str, dict[str, Any]]
) -> None:
    other = make_scim()
    other.create("elsewhere")
    assert search(other, "/.search")["totalResults"] == 1
    assert search(scim, "/.search")["totalResults"] == 4


def test_root_search_needs_a_token(scim: Scim) -> None:
    response = scim.client.post("/scim/v2/.search", json={"schemas": [SEARCH_URN]})
    assert_scim_error(response, 401)


# --- refused SearchRequests -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/.search", "/Users/.search", "/Groups/.search"])
@pytest.mark.parametrize(
    "body",
    [
        {"filter": 'userName eq "x"'},
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]},
        [SEARCH_URN],
    ],
    ids=["no-schemas", "wrong-schema", "not-an-object"],
)
def test_a_body_that_is_no_search_request_is_invalid_syntax(
    scim: Scim, path: str, body: Any
) -> None:
    assert_scim_error(scim.post(path, body), 400, "invalidSyntax")


@pytest.mark.parametrize(
    "parameters",
    [
        {"count": "ten"},
        {"startIndex": True},
        {"filter": 5},
        {"sortBy": ["userName"]},
        {"attributes": 5},
        {"excludedAttributes": [1]},
        {"sortOrder": "up"},
    ],
)
def test_search_parameters_of_the_wrong_type_are_invalid_value(
    scim: Scim, parameters: dict[str, Any]
) -> None:
    response = scim.post("/Users/.search", {"schemas": [SEARCH_URN], **parameters})
    assert_scim_error(response, 400, "invalidValue")


def test_numbers_as_strings_are_read_like_url_parameters(
    scim: Scim, directory: dict[str, dict[str, Any]]
) -> None:
    found = search(scim, "/Users/.search", startIndex="2", count="1")
    assert found["startIndex"] == 2 and found["itemsPerPage"] == 1
