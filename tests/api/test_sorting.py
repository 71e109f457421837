"""sortBy / sortOrder (RFC 7644 §3.4.2.3): any singular attribute or sub-attribute, enterprise
attributes by URN path, a multi-valued attribute by its primary value; case-insensitive for
caseExact=false strings; missing values last ascending and first descending; ties broken by
id, so the order is total and pages never overlap. What cannot be sorted by is 400
invalidValue, never silently ignored."""
from __future__ import annotations

from typing import Any

import pytest

from tests.support import Scim, assert_scim_error

ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"


def _names(scim: Scim, path: str = "/Users", **params: Any) -> list[str]:
    response = scim.get(path, **params)
    assert response.status_code == 200, response.get_json()
    key = "userName" if path == "/Users" else "displayName"
    return [resource[key] for resource in response.get_json()["Resources"]]


def test_user_name_sorts_case_insensitively_both_ways(scim: Scim) -> None:
    """Created out of order, so that creation order is not taken for sorting."""
    for name in ("bob", "Carol", "alice", "Dave"):
        scim.create(name)
    assert _names(scim, sortBy="userName") == ["alice", "bob", "Carol", "Dave"]
    assert _names(scim, sortBy="userName", sortOrder="descending") == [
        "Dave", "Carol", "bob", "alice",
    ]
    assert _names(scim, sortBy="USERNAME", sortOrder="Ascending") == [
        "alice", "bob", "Carol", "Dave",
    ]


def test_sub_attribute_with_missing_values_last_ascending_first_descending(scim: Scim) -> None:
    """sortBy=name.familyName: users without one are "no data" (RFC 7644 §3.4.2.3)."""
    scim.create("no-name")
    scim.create("zed", name={"familyName": "Zed"})
    scim.create("abel", name={"familyName": "abel"})
    assert _names(scim, sortBy="name.familyName") == ["abel", "zed", "no-name"]
    assert _names(scim, sortBy="name.familyName", sortOrder="descending") == [
        "no-name", "zed", "abel",
    ]


def test_equal_values_are_ordered_by_id(scim: Scim) -> None:
    ids = sorted(scim.create(f"same-{i}", title="Same")["id"] for i in range(4))
    page = scim.get("/Users", sortBy="title").get_json()["Resources"]
    assert [r["id"] for r in page] == ids
    page = scim.get("/Users", sortBy="title", sortOrder="descending").get_json()["Resources"]
    assert [r["id"] for r in page] == ids[::-1]


def test_index_pages_of_a_sorted_list_neither_overlap_nor_skip(scim: Scim) -> None:
    for i in range(7):
        scim.create(f"user-{(i * 3) % 7}", title="Same" if i % 2 else None)
    whole = _names(scim, sortBy="title")
    pages = [_names(scim, sortBy="title", startIndex=start, count=3) for start in (1, 4, 7)]
    assert [name for page in pages for name in page] == whole
    assert len(set(whole)) == 7


def test_meta_last_modified_sorts_by_time(scim: Scim) -> None:
    first = scim.create("first")
    scim.create("second")
    scim.patch(f"/Users/{first['id']}", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "touched"}],
    })
    assert _names(scim, sortBy="meta.lastModified") == ["second", "first"]
    assert _names(scim, sortBy="meta.created") == ["first", "second"]


def test_enterprise_attribute_by_urn_path(scim: Scim) -> None:
    scim.create("tours", **{ENTERPRISE_URN: {"department": "Tours"}})
    scim.create("none")
    scim.create("admin", **{ENTERPRISE_URN: {"department": "administration"}})
    assert _names(scim, sortBy=f"{ENTERPRISE_URN}:department") == ["admin", "tours", "none"]


def test_emails_sort_by_the_primary_value_else_the_first(scim: Scim) -> None:
    """RFC 7644 §3.4.2.3: a multi-valued attribute sorts by its primary value, if any, else
    by its first; `emails` and `emails.value` alike."""
    scim.create("primary-b", emails=[{"value": "z@x.example"},
                                     {"value": "b@x.example", "primary": True}])
    scim.create("first-c", emails=[{"value": "C@x.example"}, {"value": "a@x.example"}])
    scim.create("only-a", emails=[{"value": "a@x.example"}])
    scim.create("no-email")
    expected = ["only-a", "primary-b", "first-c", "no-email"]
    assert _names(scim, sortBy="emails") == expected
    assert _names(scim, sortBy="emails.value") == expected


def test_booleans_sort_false_first(scim: Scim) -> None:
    active = scim.create("active")
    inactive = scim.create("inactive", active=False)
    ids = [r["id"] for r in scim.get("/Users", sortBy="active").get_json()["Resources"]]
    assert ids == [inactive["id"], active["id"]]


def test_sort_order_without_sort_by_reverses_creation_order(scim: Scim) -> None:
    for name in ("one", "two", "three"):
        scim.create(name)
    assert _names(scim, sortOrder="descending") == ["three", "two", "one"]


def test_sort_applies_before_the_filter_result_is_paged(scim: Scim) -> None:
    for name in ("x-b", "y-a", "x-a", "x-c"):
        scim.create(name)
    assert _names(scim, filter='userName sw "x"', sortBy="userName", sortOrder="descending",
                  count=2) == ["x-c", "x-b"]


def test_groups_sort_by_display_name(scim: Scim) -> None:
    for name in ("beta", "Alpha", "gamma"):
        scim.post("/Groups", {"schemas": [GROUP_URN], "displayName": name})
    assert _names(scim, "/Groups", sortBy="displayName") == ["Alpha", "beta", "gamma"]


@pytest.mark.parametrize(
    ("sort_by", "detail"),
    [
        ("nosuch", "Unknown attribute 'nosuch'"),
        ("name", "name is complex"),
        ("addresses", "addresses is complex"),
        ("groups", "groups cannot be used to sort"),
        ("password", "password cannot be used to sort"),
        ("meta.location", "meta.location cannot be used to sort"),
        ("name.nosuch", "Unknown sub-attribute 'nosuch' of name"),
        ("urn:ietf:params:scim:schemas:extension:ADSCIM:2.0:User:x", "Unknown schema"),
    ],
)
def test_what_cannot_be_sorted_by_is_invalid_value(scim: Scim, sort_by: str, detail: str) -> None:
    body = assert_scim_error(scim.get("/Users", sortBy=sort_by), 400, "invalidValue")
    assert detail in body["detail"]


def test_group_members_have_no_order_to_sort_by(scim: Scim) -> None:
    assert_scim_error(scim.get("/Groups", sortBy="members.value"), 400, "invalidValue")


def test_an_unknown_sort_order_is_invalid_value(scim: Scim) -> None:
    assert_scim_error(scim.get("/Users", sortBy="userName", sortOrder="sideways"), 400,
                      "invalidValue")
