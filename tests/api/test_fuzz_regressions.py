"""Requests a fuzzer answered with a 500, on both databases: a NUL in a resource id of the
path, NUL and lone-surrogate escapes in filter literals, values that outgrow their column
when lower-cased, substring literals too long for SQLite's LIKE, and a NUL in an admin API
query parameter; then the same NUL in the console's URLs and in OAuth client credentials.
Each is now a 4xx in the API's error format that changes nothing."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from app.db import Database
from scim.text import MAX_TEXT_LENGTH
from seats import credentials
from seats.models import OAuthClientRow
from tests.api.test_console import _sign_in
from tests.api.test_oauth import Client, assert_oauth_error, basic, request_token
from tests.conftest import NOW, OrgRef
from tests.support import (
    SCIM_JSON,
    Admin,
    Scim,
    assert_problem,
    assert_scim_error,
    patch_body,
    snapshot,
    user_body,
)

GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
DOTTED_I = "İ"  # lower-cases to two characters: "i" and U+0307 COMBINING DOT ABOVE


def _group(scim: Scim, name: str = "Ops") -> dict[str, Any]:
    response = scim.post("/Groups", {"schemas": [GROUP_URN], "displayName": name})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _groups(scim: Scim) -> list[dict[str, Any]]:
    listing = scim.get("/Groups", sortBy="displayName").get_json()
    return [{k: v for k, v in group.items() if k != "meta"} | {"version": group["meta"]["version"]}
            for group in listing["Resources"]]


def _send(scim: Scim, method: str, path: str, body: Any = None) -> Any:
    """`path` goes out as written, percent escapes and all."""
    return scim.client.open(f"/scim/v2{path}", method=method, json=body, content_type=SCIM_JSON,
                            headers={"Authorization": f"Bearer {scim.token}"})


# --- 1. NUL in a resource id of the path ----------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "DELETE", "PATCH", "PUT"])
@pytest.mark.parametrize("endpoint", ["/Users", "/Groups"])
def test_nul_in_a_path_id_is_invalid_value(
    scim: Scim, database: Database, method: str, endpoint: str
) -> None:
    scim.create("ada")
    _group(scim)
    before, groups_before = snapshot(database, scim.org_id), _groups(scim)
    body = {
        "PATCH": patch_body({"op": "replace", "path": "active", "value": False}),
        "PUT": user_body("ada2") if endpoint == "/Users" else {"schemas": [GROUP_URN],
                                                              "displayName": "x"},
    }.get(method)
    response = _send(scim, method, f"{endpoint}/a%00b", body)
    assert "NUL" in assert_scim_error(response, 400, "invalidValue")["detail"]
    assert snapshot(database, scim.org_id) == before and _groups(scim) == groups_before


# --- 2. and 3. NUL and lone surrogates escaped in a filter literal --------------------------


@pytest.mark.parametrize("filter_text", [
    r'id eq "a\u0000b"',
    r'userName sw "\u0000"',
    r'displayName eq "\ud800"',
    r'emails[value co "\udfff"]',
    r'not (title ew "x\ud83d")',
])
@pytest.mark.parametrize("endpoint", ["/Users", "/Groups", ""])
def test_filter_literals_a_database_cannot_compare_are_invalid_filter(
    scim: Scim, filter_text: str, endpoint: str
) -> None:
    scim.create("ada")
    detail = assert_scim_error(
        scim.get(endpoint or "/Users", filter=filter_text) if endpoint
        else scim.post("/.search", {"schemas": [SEARCH_URN], "filter": filter_text}),
        400, "invalidFilter")["detail"]
    assert "NUL" in detail or "surrogate" in detail


def test_an_escaped_surrogate_pair_is_one_character_and_filters(scim: Scim) -> None:
    """The check runs on the decoded literal: a pair is a valid character, not two halves."""
    ada = scim.create("ada", displayName="Ada \U0001F600")
    found = scim.get("/Users", filter=r'displayName ew "\ud83d\ude00"').get_json()
    assert [user["id"] for user in found["Resources"]] == [ada["id"]]


def test_a_nul_escape_in_a_patch_value_filter_is_invalid_filter(
    scim: Scim, database: Database
) -> None:
    ada = scim.create("ada", emails=[{"value": "ada@example.com", "type": "work"}])
    before = snapshot(database, scim.org_id)
    operation = {"op": "replace", "path": 'emails[type eq "w\\u0000"].value', "value": "x@y"}
    assert_scim_error(scim.patch(f"/Users/{ada['id']}", patch_body(operation)), 400,
                      "invalidFilter")
    assert snapshot(database, scim.org_id) == before


# --- 4. values that outgrow their column when lower-cased -----------------------------------


def test_user_name_is_measured_lower_cased(scim: Scim, database: Database) -> None:
    """user_name_norm keeps userName lower-cased in 255 characters; 255 × İ needs 510."""
    before = snapshot(database, scim.org_id)
    detail = assert_scim_error(scim.post("/Users", user_body(DOTTED_I * 255)), 400,
                               "invalidValue")["detail"]
    assert "userName" in detail and "255" in detail
    assert snapshot(database, scim.org_id) == before
    assert scim.create(DOTTED_I * 127)["userName"] == DOTTED_I * 127  # 254 lower-cased


def test_group_display_name_is_measured_lower_cased(scim: Scim) -> None:
    before = _groups(scim)
    response = scim.post("/Groups", {"schemas": [GROUP_URN], "displayName": DOTTED_I * 128})
    assert "displayName" in assert_scim_error(response, 400, "invalidValue")["detail"]
    assert _groups(scim) == before
    assert _group(scim, DOTTED_I * 127)["displayName"] == DOTTED_I * 127


def test_multi_valued_values_are_measured_lower_cased(scim: Scim, database: Database) -> None:
    ada = scim.create("ada")
    before = snapshot(database, scim.org_id)
    body = user_body("ada", emails=[{"value": DOTTED_I * 1100, "type": "work"}])
    response = scim.put(f"/Users/{ada['id']}", body)
    assert "emails.value" in assert_scim_error(response, 400, "invalidValue")["detail"]
    operation = {"op": "add", "path": "emails", "value": [{"value": DOTTED_I * 1100}]}
    assert_scim_error(scim.patch(f"/Users/{ada['id']}", patch_body(operation)), 400,
                      "invalidValue")
    assert snapshot(database, scim.org_id) == before


# --- 5. substring literals longer than SQLite's LIKE pattern limit --------------------------


@pytest.mark.parametrize("op", ["sw", "ew", "co", "eq"])
@pytest.mark.parametrize("attribute", ["userName", "title", "emails.value"])
def test_a_literal_longer_than_any_stored_value_is_invalid_filter(
    scim: Scim, op: str, attribute: str
) -> None:
    body = {"schemas": [SEARCH_URN], "filter": f'{attribute} {op} "{"%" * 50_000}"'}
    detail = assert_scim_error(scim.post("/Users/.search", body), 400, "invalidFilter")["detail"]
    assert str(MAX_TEXT_LENGTH) in detail


def test_a_literal_as_long_as_a_stored_value_still_matches(scim: Scim) -> None:
    """The bound is the widest value a client can store, so no match is lost to it; `%` is
    autoescaped, doubling the pattern, which stays far below SQLite's 50,000 bytes."""
    title = "%" * MAX_TEXT_LENGTH
    ada = scim.create("ada", title=title)
    body = {"schemas": [SEARCH_URN], "filter": f'title co "{title}"'}
    response = scim.post("/Users/.search", body)
    assert response.status_code == 200, response.get_json()
    assert [user["id"] for user in response.get_json()["Resources"]] == [ada["id"]]


# --- 6. the admin API -----------------------------------------------------------------------


def test_nul_in_an_admin_query_parameter_is_invalid_query(owner: Admin) -> None:
    owner.scim.create("ada")
    entries = owner.get("/audit").get_json()["entries"]
    body = assert_problem(owner.client.get("/admin/v1/audit?action=%00", headers={
        "Authorization": f"Bearer {owner.token}"}), 400, "INVALID_QUERY")
    assert "NUL" in body["detail"]
    assert owner.get("/audit").get_json()["entries"] == entries
    assert_problem(owner.client.get("/admin/v1/users?seat=held&cursor=%00", headers={
        "Authorization": f"Bearer {owner.token}"}), 400, "INVALID_QUERY")


def test_nul_in_an_admin_path_segment_is_invalid_path(owner: Admin) -> None:
    tokens = owner.get("/scim-tokens").get_json()
    assert_problem(owner.delete("/scim-tokens/a%00b"), 400, "INVALID_PATH")
    assert owner.get("/scim-tokens").get_json() == tokens


def test_urls_are_checked_only_after_authentication(scim: Scim, owner: Admin) -> None:
    """A client without a token learns nothing from the URL check, not even that it ran."""
    assert_scim_error(scim.client.get("/scim/v2/Users/%00"), 401)
    assert_problem(owner.client.get("/admin/v1/audit?action=%00"), 401, "UNAUTHENTICATED")


# --- the same check elsewhere: the console and the OAuth token endpoint -----------------------


@pytest.mark.parametrize("url", [
    "/console/users?q=%00", "/console/users?q=a%00b&seat=held", "/console/audit?action=%00",
    "/console/billing/quotes/%00", "/console/users?to=%00",
])
def test_nul_in_a_console_url_is_bad_request(app: Flask, owner: Admin, url: str) -> None:
    browser = app.test_client()
    assert _sign_in(browser, owner.token).status_code == 303
    response = browser.get(url)
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    assert browser.get(url.replace("%00", "x")).status_code in (200, 404)


@pytest.fixture
def oauth_client(database: Database, org: OrgRef) -> Client:
    with database.transaction() as session:
        row, secret = credentials.issue_client(session, org.id, "entra", NOW)
    return Client(id=row.id, secret=secret, org_id=org.id, org_slug=org.slug)


@pytest.mark.parametrize("method", ["basic", "form"])
@pytest.mark.parametrize("part", ["id", "secret"])
def test_nul_in_oauth_client_credentials_is_invalid_request(
    app: Flask, oauth_client: Client, database: Database, method: str, part: str
) -> None:
    client = oauth_client
    client_id = f"{client.id}\x00" if part == "id" else client.id
    secret = f"{client.secret}\x00" if part == "secret" else client.secret
    data = {"grant_type": "client_credentials"}
    response = (request_token(app, data, basic(client_id, secret)) if method == "basic"
                else request_token(app, {**data, "client_id": client_id, "client_secret": secret}))
    assert_oauth_error(response, 400, "invalid_request")
    with database.transaction(write=False) as session:
        assert session.get_one(OAuthClientRow, client.id).last_used_at is None
