"""A user's computed `groups` (RFC 7643 §4.1.2): exact for every user of a page, whether the
user is in nested groups, directly in a group that is also reached through nesting, or in
none; and not read at all when the response leaves it out (RFC 7644 §3.9)."""
from __future__ import annotations

from typing import Any

from flask import Flask

from tests.api.test_groups_api import create_group, member_queries
from tests.support import Scim


def group(scim: Scim, display_name: str, *member_ids: str) -> str:
    return create_group(scim, display_name, *member_ids)["id"]


def shown_groups(resource: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(id, display, type) in the order the response lists them."""
    return [(g["value"], g["display"], g["type"]) for g in resource.get("groups", [])]


def test_a_page_mixing_nested_and_ungrouped_users_gives_each_exactly_its_groups(
    app: Flask, scim: Scim
) -> None:
    deep, alone, both, none, other = (scim.create(f"mixed-{n}")["id"] for n in range(5))
    team = group(scim, "Team", deep, both)
    department = group(scim, "Department", team, both)
    company = group(scim, "Company", department)
    side = group(scim, "Side", other)
    group(scim, "Empty")
    expected = {
        deep: [(company, "Company", "indirect"), (department, "Department", "indirect"),
               (team, "Team", "direct")],
        alone: [],
        # direct in Department although Team also leads there: direct wins
        both: [(company, "Company", "indirect"), (department, "Department", "direct"),
               (team, "Team", "direct")],
        none: [],
        other: [(side, "Side", "direct")],
    }
    with member_queries(app) as queries:
        page = scim.get("/Users", filter='userName sw "mixed-"').get_json()["Resources"]
    assert len(queries) == 1
    assert {user["id"]: shown_groups(user) for user in page} == expected
    for user in page:
        assert shown_groups(scim.get(f"/Users/{user['id']}").get_json()) == expected[user["id"]]


def test_groups_follow_a_change_of_nesting_at_once(scim: Scim) -> None:
    user = scim.create("moving")["id"]
    team = group(scim, "Team", user)
    parent = group(scim, "Parent", team)
    assert shown_groups(scim.get(f"/Users/{user}").get_json()) == [
        (parent, "Parent", "indirect"), (team, "Team", "direct")]
    assert scim.delete(f"/Groups/{team}").status_code == 204
    assert "groups" not in scim.get(f"/Users/{user}").get_json()


def test_excluded_groups_are_not_read_for_one_user_or_a_page(app: Flask, scim: Scim) -> None:
    user = scim.create("excluded")["id"]
    group(scim, "Hidden", user)
    with member_queries(app) as queries:
        one = scim.get(f"/Users/{user}", excludedAttributes="groups").get_json()
        page = scim.get("/Users", excludedAttributes="groups").get_json()["Resources"]
        named = scim.get(f"/Users/{user}", attributes="userName").get_json()
    assert queries == []
    assert "groups" not in one and all("groups" not in u for u in page)
    assert named == {"schemas": one["schemas"], "id": user, "userName": "excluded"}
    assert shown_groups(scim.get(f"/Users/{user}").get_json())[0][1] == "Hidden"
