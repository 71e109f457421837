"""List queries of one shape share their statements (scim.listing `Plans`): the page
statement is built for the first filter of a shape and later ones bind their own values into
it. These tests run queries of one shape one after another, in one process, so every query
after the first reuses a plan; each must still answer with its own values and its own org."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support import Scim

GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"


def listing(scim: Scim, path: str = "/Users", **params: Any) -> dict[str, Any]:
    response = scim.get(path, **params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def user_names(body: dict[str, Any]) -> list[str]:
    return [resource["userName"] for resource in body["Resources"]]


def test_lookups_by_user_name_each_find_their_own_user_in_their_own_org(
    make_scim: Callable[..., Scim],
) -> None:
    """GET /Users?filter=userName eq "<name>", name after name, in two orgs holding one
    userName each and one both: the org and the value are the request's, never the plan's."""
    first, second = make_scim(), make_scim()
    first.create("ada@example.com")
    first.create("shared@example.com", title="first")
    second.create("bob@example.com")
    second.create("shared@example.com", title="second")
    asked = [(first, "ADA@example.com", ["ada@example.com"]),
             (second, "ada@example.com", []),
             (second, "bob@example.com", ["bob@example.com"]),
             (first, "shared@example.com", ["shared@example.com"]),
             (second, "Shared@Example.com", ["shared@example.com"]),
             (first, "bob@example.com", [])]
    for scim, name, expected in asked:
        body = listing(scim, filter=f'userName eq "{name}"')
        assert (user_names(body), body["totalResults"]) == (expected, len(expected))
    titles = [listing(scim, filter='userName eq "shared@example.com"')["Resources"][0]["title"]
              for scim in (first, second)]
    assert titles == ["first", "second"]


def test_full_pages_count_and_cursors_walk_with_the_request_values(scim: Scim) -> None:
    """A full page is counted and a cursor page read past its position with the statement
    of the shape: `userName sw "a"` then `userName sw "b"`, by index and by cursor."""
    for name in ("a1", "b1", "a2", "b2", "a3", "c1"):
        scim.create(name)
    for prefix, expected in (("a", ["a1", "a2", "a3"]), ("b", ["b1", "b2"]), ("z", [])):
        text = f'userName sw "{prefix}"'
        first = listing(scim, filter=text, sortBy="userName", count=1)
        assert (user_names(first), first["totalResults"]) == (expected[:1], len(expected))
        walked: list[str] = []
        body = listing(scim, filter=text, sortBy="userName", count=2, cursor="")
        walked += user_names(body)
        while "nextCursor" in body:
            body = listing(scim, filter=text, sortBy="userName", count=2,
                           cursor=body["nextCursor"])
            walked += user_names(body)
        assert walked == expected and body["totalResults"] == len(expected)


def test_constants_and_values_of_other_types_get_statements_of_their_own(scim: Scim) -> None:
    """At the root, `meta.resourceType eq "User"` and `eq "Group"` differ by a constant the
    filter compiler decides (true or false), not by a bound value; `active eq true` and
    `eq false` differ by a value. Each answer is its own."""
    ada = scim.create("ada@example.com")
    off = scim.create("off@example.com", active=False)
    team = scim.post("/Groups", {"schemas": [GROUP_URN], "displayName": "Team"}).get_json()

    def ids(filter_text: str) -> set[str]:
        return {r["id"] for r in listing(scim, "/", filter=filter_text)["Resources"]}

    assert ids('meta.resourceType eq "User"') == {ada["id"], off["id"]}
    assert ids('meta.resourceType eq "Group"') == {team["id"]}
    assert ids("active eq true") == {ada["id"]}
    assert ids("active eq false") == {off["id"]}
    assert ids('meta.resourceType eq "User"') == {ada["id"], off["id"]}


def test_a_filter_on_a_unique_attribute_reads_its_match_alone_and_pages_like_any(
    scim: Scim,
) -> None:
    """`userName eq` and `id eq` match one resource at most, read in one statement on the
    first page: the same answers as any filter gives, for count=0 and past the first index."""
    ada = scim.create("ada@example.com")
    scim.create("bob@example.com")
    team = scim.post("/Groups", {"schemas": [GROUP_URN], "displayName": "Team"}).get_json()
    by_name = 'userName eq "Ada@Example.com"'
    body = listing(scim, filter=by_name)
    assert (user_names(body), body["totalResults"], body["startIndex"], body["itemsPerPage"]
            ) == (["ada@example.com"], 1, 1, 1)
    counted = listing(scim, filter=by_name, count=0)
    assert (counted["Resources"], counted["totalResults"]) == ([], 1)
    past = listing(scim, filter=by_name, startIndex=2)
    assert (past["Resources"], past["totalResults"], past["startIndex"]) == ([], 1, 2)
    assert listing(scim, filter='userName eq "nobody"')["totalResults"] == 0
    assert user_names(listing(scim, filter=f'id eq "{ada["id"]}"')) == ["ada@example.com"]
    groups = listing(scim, "/Groups", filter=f'id eq "{team["id"]}"', attributes="displayName")
    assert groups["Resources"] == [
        {"schemas": [GROUP_URN], "id": team["id"], "displayName": "Team"}
    ]
    at_root = listing(scim, "/", filter=f'id eq "{ada["id"]}"')
    assert [r["id"] for r in at_root["Resources"]] == [ada["id"]]
