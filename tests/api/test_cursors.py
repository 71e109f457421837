"""Cursor pagination (RFC 9865) on GET and POST /.search: `cursor=` starts, nextCursor and
previousCursor walk the pages, `count` is the page size. Pages are read by keyset from the
position a cursor holds, so rows inserted or deleted before it do not shift the pages after
it; a cursor is signed and bound to its query and org, so a changed or replayed one is 400
invalidCursor. /ServiceProviderConfig announces it in `pagination`."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask

from app.factory import create_app
from app.settings import Settings
from tests.support import Scim, assert_scim_error

SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
UNRESERVED = re.compile(r"[A-Za-z0-9._~-]+")


def page(scim: Scim, path: str = "/Users", **params: Any) -> dict[str, Any]:
    response = scim.get(path, **params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def names(listing: dict[str, Any]) -> list[str]:
    return [resource["userName"] for resource in listing["Resources"]]


def walk(fetch: Callable[[str], dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every page, from the empty cursor to the one without nextCursor."""
    listing = fetch("")
    yield listing
    while "nextCursor" in listing:
        listing = fetch(listing["nextCursor"])
        yield listing


@pytest.fixture
def seven(scim: Scim) -> list[str]:
    """Seven users created out of userName order; some without a title."""
    created = [f"user-{(i * 3) % 7}" for i in range(7)]
    for i, name in enumerate(created):
        scim.create(name, title=None if i % 3 == 0 else f"title-{i % 2}")
    return sorted(created)


# --- walking the pages ----------------------------------------------------------------------


def test_an_empty_cursor_starts_and_next_cursors_walk_every_row_once(
    scim: Scim, seven: list[str]
) -> None:
    """GET /Users?cursor=&count=3&sortBy=userName, then cursor=<nextCursor> until none."""
    pages = list(walk(lambda cursor: page(scim, cursor=cursor, count=3, sortBy="userName")))
    assert [names(p) for p in pages] == [seven[:3], seven[3:6], seven[6:]]
    assert all(p["totalResults"] == 7 and "startIndex" not in p for p in pages)
    assert [p["itemsPerPage"] for p in pages] == [3, 3, 1]
    assert "previousCursor" not in pages[0] and "nextCursor" not in pages[-1]
    assert all(UNRESERVED.fullmatch(p["nextCursor"]) for p in pages[:-1])


def test_without_sort_by_cursors_follow_creation_order(scim: Scim, seven: list[str]) -> None:
    by_index = names(page(scim, count=7))
    walked = [n for p in walk(lambda c: page(scim, cursor=c, count=2)) for n in names(p)]
    assert walked == by_index


@pytest.mark.parametrize("order", ["ascending", "descending"])
def test_cursors_walk_a_sort_with_missing_values_and_ties(
    scim: Scim, seven: list[str], order: str
) -> None:
    """sortBy=title: three users have none, the others share two titles, so the keyset
    crosses NULLs and ties; it must still give the index order, each row once."""
    by_index = [r["id"] for r in page(scim, sortBy="title", sortOrder=order)["Resources"]]
    walked = [
        r["id"]
        for p in walk(lambda c: page(scim, cursor=c, count=2, sortBy="title", sortOrder=order))
        for r in p["Resources"]
    ]
    assert walked == by_index and len(set(walked)) == 7


def test_previous_cursor_returns_the_page_before(scim: Scim, seven: list[str]) -> None:
    params = {"count": 3, "sortBy": "userName"}
    first = page(scim, cursor="", **params)
    second = page(scim, cursor=first["nextCursor"], **params)
    third = page(scim, cursor=second["nextCursor"], **params)
    back = page(scim, cursor=third["previousCursor"], **params)
    assert names(back) == names(second)
    start = page(scim, cursor=back["previousCursor"], **params)
    assert names(start) == names(first) and "previousCursor" not in start
    assert names(page(scim, cursor=start["nextCursor"], **params)) == names(second)


def test_a_cursor_page_of_a_filtered_descending_sort(scim: Scim, seven: list[str]) -> None:
    params = {"filter": 'userName sw "user-"', "sortBy": "userName",
              "sortOrder": "descending", "count": 4}
    first = page(scim, cursor="", **params)
    second = page(scim, cursor=first["nextCursor"], **params)
    assert names(first) + names(second) == seven[::-1]


# --- stable under concurrent writes ---------------------------------------------------------


def test_rows_inserted_before_the_cursor_do_not_shift_later_pages(
    scim: Scim, seven: list[str]
) -> None:
    params = {"count": 3, "sortBy": "userName"}
    first = page(scim, cursor="", **params)
    scim.create("user-0a")  # sorts inside the first page
    scim.create("aaa")  # sorts before everything
    scim.create("user-4a")  # sorts after the cursor: it is seen when reached
    second = page(scim, cursor=first["nextCursor"], **params)
    assert names(second) == ["user-3", "user-4", "user-4a"]
    assert second["totalResults"] == 10


def test_rows_deleted_before_the_cursor_do_not_make_later_pages_skip(
    scim: Scim, seven: list[str]
) -> None:
    params = {"count": 3, "sortBy": "userName"}
    first = page(scim, cursor="", **params)
    assert scim.delete(f"/Users/{first['Resources'][0]['id']}").status_code == 204
    assert names(page(scim, cursor=first["nextCursor"], **params)) == seven[3:6]


# --- POST /.search --------------------------------------------------------------------------


def test_search_requests_carry_the_cursor_in_the_body(scim: Scim, seven: list[str]) -> None:
    """POST /Users/.search {"cursor": "", "count": 4, ...} as in RFC 9865 §3."""
    def fetch(cursor: str) -> dict[str, Any]:
        body = {"schemas": [SEARCH_URN], "sortBy": "userName", "cursor": cursor, "count": 4,
                "attributes": ["userName"]}
        return scim.post("/Users/.search", body).get_json()

    assert [names(p) for p in walk(fetch)] == [seven[:4], seven[4:]]


def test_root_search_cursors_walk_users_and_groups(scim: Scim, seven: list[str]) -> None:
    for name in ("g-1", "g-2"):
        scim.post("/Groups", {"schemas": [GROUP_URN], "displayName": name})

    def fetch(cursor: str) -> dict[str, Any]:
        return scim.post("/.search", {"schemas": [SEARCH_URN], "cursor": cursor,
                                      "count": 4}).get_json()

    pages = list(walk(fetch))
    assert [len(p["Resources"]) for p in pages] == [4, 4, 1]
    kinds = [r["meta"]["resourceType"] for p in pages for r in p["Resources"]]
    assert kinds == ["User"] * 7 + ["Group"] * 2


# --- refused cursors ------------------------------------------------------------------------


def test_an_altered_cursor_is_invalid_cursor(scim: Scim, seven: list[str]) -> None:
    cursor = page(scim, cursor="", count=2)["nextCursor"]
    payload, _, signature = cursor.partition(".")
    forged = f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    for bad in (forged, "garbage", f"{payload}.", "not.base64!"):
        assert_scim_error(scim.get("/Users", cursor=bad, count=2), 400, "invalidCursor")


@pytest.mark.parametrize(
    "changed",
    [
        {"filter": 'userName sw "user"'},
        {"sortBy": "title"},
        {"sortOrder": "descending"},
    ],
)
def test_a_cursor_replayed_on_another_query_is_invalid_cursor(
    scim: Scim, seven: list[str], changed: dict[str, str]
) -> None:
    cursor = page(scim, cursor="", count=2, sortBy="userName")["nextCursor"]
    params = {"count": 2, "sortBy": "userName", **changed}
    body = assert_scim_error(scim.get("/Users", cursor=cursor, **params), 400, "invalidCursor")
    assert "another query" in body["detail"]


def test_a_cursor_replayed_on_another_endpoint_or_org_is_invalid_cursor(
    scim: Scim, make_scim: Callable[..., Scim], seven: list[str]
) -> None:
    cursor = page(scim, cursor="", count=2)["nextCursor"]
    assert_scim_error(scim.get("/Groups", cursor=cursor, count=2), 400, "invalidCursor")
    other = make_scim()
    other.create("other-org")
    assert_scim_error(other.get("/Users", cursor=cursor, count=2), 400, "invalidCursor")


def test_a_cursor_and_a_start_index_together_are_invalid_value(scim: Scim) -> None:
    assert_scim_error(scim.get("/Users", cursor="", startIndex=2), 400, "invalidValue")


@pytest.mark.parametrize("count", [0, -1])
def test_a_cursor_page_needs_a_count_of_at_least_one(scim: Scim, count: int) -> None:
    assert_scim_error(scim.get("/Users", cursor="", count=count), 400, "invalidCount")


# --- the announcement -----------------------------------------------------------------------


@pytest.fixture
def small_pages_app(database_url: str) -> Iterator[Flask]:
    """The same database served with small page sizes, to see them without 100 users."""
    application = create_app(Settings(database_url=database_url, default_count=2,
                                      max_results=3))
    application.config["TESTING"] = True
    yield application
    application.extensions["db"].dispose()


def test_pagination_claim_matches_the_behaviour(
    small_pages_app: Flask, make_scim: Callable[..., Scim]
) -> None:
    """RFC 9865 §4: cursor and index both work, index is what a request without either
    gets, and defaultPageSize and maxPageSize are the sizes the list endpoint applies."""
    scim = replace(make_scim(seats=10), client=small_pages_app.test_client())
    for i in range(5):
        scim.create(f"paged-{i}")
    claim = page(scim, "/ServiceProviderConfig")["pagination"]
    assert claim == {"cursor": True, "index": True, "defaultPaginationMethod": "index",
                     "defaultPageSize": 2, "maxPageSize": 3}
    default = page(scim)
    assert default["startIndex"] == 1 and "nextCursor" not in default
    assert default["itemsPerPage"] == claim["defaultPageSize"]
    assert page(scim, count=10)["itemsPerPage"] == claim["maxPageSize"]
    assert page(scim, cursor="", count=10)["itemsPerPage"] == claim["maxPageSize"]
    walked = list(walk(lambda cursor: page(scim, cursor=cursor)))
    assert [p["itemsPerPage"] for p in walked] == [2, 2, 1]
