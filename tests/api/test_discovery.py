"""Discovery (RFC 7644 §4) and /Me as an IdP sees them: readable without a token, SCIM errors,
and every /ServiceProviderConfig claim checked against what the API actually does."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from flask import Flask
from flask.testing import FlaskClient

from app.db import Database
from app.factory import create_app
from app.settings import Settings
from scim.tables import UserRow
from seats import credentials
from tests.conftest import NOW
from tests.support import SCIM_JSON, USER_URN, Scim, assert_scim_error, patch_body, user_body

LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
README = Path(__file__).resolve().parents[2] / "README.md"
ENDPOINTS = [
    "/ServiceProviderConfig",
    "/ResourceTypes",
    "/ResourceTypes/User",
    "/Schemas",
    f"/Schemas/{USER_URN}",
]
TYPE_AND_SCHEMA_PATHS = ["/ResourceTypes", "/ResourceTypes/User", "/Schemas", f"/Schemas/{USER_URN}"]


def _anonymous(client: FlaskClient, path: str, **params: Any) -> Any:
    return client.get(f"/scim/v2{path}", query_string=params)


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == SCIM_JSON
    return response.get_json()


def _path_of(location: str, settings: Settings) -> str:
    """meta.location is absolute; the test client wants the path below /scim/v2."""
    assert location.startswith(settings.scim_base_url)
    return location.removeprefix(settings.scim_base_url)


def _attribute(attributes: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(a for a in attributes if a["name"] == name)


def _sub_names(attribute: dict[str, Any]) -> set[str]:
    return {a["name"] for a in attribute["subAttributes"]}


def _verifies(stored_hash: str, password: str) -> bool:
    try:
        return PasswordHasher().verify(stored_hash, password)
    except VerifyMismatchError:
        return False


@pytest.fixture
def settings(app: Flask) -> Settings:
    return app.extensions["settings"]


@pytest.fixture
def config(scim: Scim) -> dict[str, Any]:
    return _ok(_anonymous(scim.client, "/ServiceProviderConfig"))


# --- reachable without a token, same answer with one ---------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
def test_discovery_needs_no_token_and_ignores_one(scim: Scim, path: str) -> None:
    anonymous = _ok(_anonymous(scim.client, path))
    assert _ok(scim.get(path)) == anonymous
    invalid = scim.client.get(f"/scim/v2{path}", headers={"Authorization": "Bearer scs_nope"})
    assert _ok(invalid) == anonymous


def test_users_still_require_a_token(scim: Scim) -> None:
    assert_scim_error(scim.client.get("/scim/v2/Users"), 401)


# --- shapes ------------------------------------------------------------------------


def test_service_provider_config_shape(config: dict[str, Any], settings: Settings) -> None:
    assert config["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert config["meta"] == {
        "resourceType": "ServiceProviderConfig",
        "location": f"{settings.scim_base_url}/ServiceProviderConfig",
    }
    for feature in ("patch", "bulk", "filter", "changePassword", "sort", "etag"):
        assert isinstance(config[feature]["supported"], bool)


def test_resource_types_list_and_each_entry_at_its_location(scim: Scim, settings: Settings) -> None:
    listing = _ok(_anonymous(scim.client, "/ResourceTypes"))
    assert listing["schemas"] == [LIST_URN]
    assert listing["startIndex"] == 1
    assert listing["totalResults"] == listing["itemsPerPage"] == len(listing["Resources"])
    for entry in listing["Resources"]:
        assert _ok(_anonymous(scim.client, _path_of(entry["meta"]["location"], settings))) == entry
    user = _ok(_anonymous(scim.client, "/ResourceTypes/User"))
    assert user in listing["Resources"]
    # schemaExtensions is left to the engineers who register extensions
    assert {k: v for k, v in user.items() if k != "schemaExtensions"} == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User Account",
        "schema": USER_URN,
        "meta": {
            "resourceType": "ResourceType",
            "location": f"{settings.scim_base_url}/ResourceTypes/User",
        },
    }


def test_every_schema_a_resource_type_names_is_listed(scim: Scim, settings: Settings) -> None:
    types = _ok(_anonymous(scim.client, "/ResourceTypes"))["Resources"]
    named = {t["schema"] for t in types} | {
        e["schema"] for t in types for e in t.get("schemaExtensions", [])
    }
    listing = _ok(_anonymous(scim.client, "/Schemas"))
    assert listing["schemas"] == [LIST_URN]
    assert listing["totalResults"] == listing["itemsPerPage"] == len(listing["Resources"])
    assert {s["id"] for s in listing["Resources"]} == named
    for entry in listing["Resources"]:
        assert entry["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:Schema"]
        assert entry["meta"]["resourceType"] == "Schema"
        assert _ok(_anonymous(scim.client, _path_of(entry["meta"]["location"], settings))) == entry


def test_user_schema_is_fully_described(scim: Scim, settings: Settings) -> None:
    schema = _ok(_anonymous(scim.client, f"/Schemas/{USER_URN}"))
    assert schema["id"] == USER_URN and schema["name"] == "User"
    assert schema["meta"]["location"] == f"{settings.scim_base_url}/Schemas/{USER_URN}"
    attributes = schema["attributes"]
    required_keys = {
        "name", "type", "multiValued", "description", "required", "caseExact",
        "mutability", "returned", "uniqueness",
    }
    for attribute in attributes:
        assert required_keys <= attribute.keys()
        for sub in attribute.get("subAttributes", []):
            assert required_keys <= sub.keys()

    identifier = _attribute(attributes, "id")
    assert (identifier["mutability"], identifier["returned"]) == ("readOnly", "always")
    password = _attribute(attributes, "password")
    assert (password["mutability"], password["returned"]) == ("writeOnly", "never")
    user_name = _attribute(attributes, "userName")
    assert (user_name["required"], user_name["uniqueness"]) == (True, "server")

    name = _attribute(attributes, "name")
    assert name["type"] == "complex" and not name["multiValued"]
    assert _sub_names(name) == {
        "formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix",
    }
    emails = _attribute(attributes, "emails")
    assert emails["type"] == "complex" and emails["multiValued"]
    assert _sub_names(emails) == {"value", "display", "type", "primary"}
    email_type = _attribute(emails["subAttributes"], "type")
    assert email_type["canonicalValues"] == ["work", "home", "other"]
    addresses = _attribute(attributes, "addresses")
    assert _sub_names(addresses) == {
        "formatted", "streetAddress", "locality", "region", "postalCode", "country",
        "type", "primary",
    }
    assert _attribute(attributes, "profileUrl")["referenceTypes"] == ["external"]


def test_schema_urn_is_matched_case_insensitively(scim: Scim) -> None:
    assert _ok(_anonymous(scim.client, f"/Schemas/{USER_URN.upper()}"))["id"] == USER_URN


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/Schemas/urn:unknown",
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Nope",
        "/ResourceTypes/Nope",
    ],
)
def test_unknown_discovery_resources_are_scim_404(scim: Scim, path: str) -> None:
    assert_scim_error(_anonymous(scim.client, path), 404)
    assert_scim_error(scim.get(path), 404)


def test_discovery_is_read_only(scim: Scim) -> None:
    assert_scim_error(scim.client.post("/scim/v2/Schemas", json={}), 405)
    assert_scim_error(scim.client.delete("/scim/v2/ServiceProviderConfig"), 405)


@pytest.mark.parametrize("path", TYPE_AND_SCHEMA_PATHS)
@pytest.mark.parametrize("filter_text", ['name eq "User"', ""])
def test_a_filter_on_discovery_is_403(scim: Scim, path: str, filter_text: str) -> None:
    assert_scim_error(_anonymous(scim.client, path, filter=filter_text), 403)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_me_is_not_implemented_with_or_without_a_token(scim: Scim, method: str) -> None:
    for headers in ({}, {"Authorization": f"Bearer {scim.token}"}):
        response = scim.client.open("/scim/v2/Me", method=method, headers=headers, json={})
        body = assert_scim_error(response, 501)
        assert body["detail"] == "the bearer is a machine credential, not a user"


# --- every claim against the behaviour ------------------------------------------------


def test_patch_claim(scim: Scim, config: dict[str, Any]) -> None:
    created = scim.create("patched")
    response = scim.patch(
        f"/Users/{created['id']}",
        patch_body({"op": "replace", "path": "displayName", "value": "P"}),
    )
    works = response.status_code == 200 and response.get_json().get("displayName") == "P"
    assert config["patch"]["supported"] is works


def test_change_password_claim(scim: Scim, config: dict[str, Any], database: Database) -> None:
    created = scim.create("changer", password="0ld-Secret")
    response = scim.patch(
        f"/Users/{created['id']}",
        patch_body({"op": "replace", "path": "password", "value": "n3w-Secret"}),
    )
    assert response.status_code == 200
    assert "password" not in response.get_json()
    assert "password" not in _ok(scim.get(f"/Users/{created['id']}"))
    with database.transaction(write=False) as session:
        stored = session.get_one(UserRow, created["id"]).password_hash
    changed = stored is not None and _verifies(stored, "n3w-Secret")
    assert config["changePassword"]["supported"] is changed


def test_filter_claim(scim: Scim, config: dict[str, Any], settings: Settings) -> None:
    wanted = scim.create("filtered@example.com")
    scim.create("other@example.com")
    page = _ok(scim.get("/Users", filter='userName eq "FILTERED@example.com"'))
    works = [r["id"] for r in page["Resources"]] == [wanted["id"]]
    assert config["filter"]["supported"] is works
    assert config["filter"]["maxResults"] == settings.max_results


@pytest.fixture
def capped_app(database_url: str) -> Iterator[Flask]:
    """The same database served with a small maxResults, to see the cap without 1001 users."""
    application = create_app(Settings(database_url=database_url, max_results=3))
    application.config["TESTING"] = True
    yield application
    application.extensions["db"].dispose()


def test_filter_max_results_is_the_cap_of_the_list_endpoint(
    capped_app: Flask, make_scim: Callable[..., Scim]
) -> None:
    scim = replace(make_scim(seats=10), client=capped_app.test_client())
    for i in range(5):
        scim.create(f"capped{i}@example.com")
    max_results = _ok(scim.get("/ServiceProviderConfig"))["filter"]["maxResults"]
    assert max_results == 3
    for params in ({}, {"count": max_results + 1}, {"count": 1000}):
        page = _ok(scim.get("/Users", **params))
        assert page["totalResults"] == 5
        assert page["itemsPerPage"] == len(page["Resources"]) == max_results


def test_sort_claim(scim: Scim, config: dict[str, Any]) -> None:
    """Created out of order, so that creation order is not mistaken for sorting."""
    for name in ("b-sort", "a-sort", "c-sort"):
        scim.create(name)

    def names(order: str) -> list[str]:
        page = _ok(scim.get("/Users", sortBy="userName", sortOrder=order))
        return [r["userName"] for r in page["Resources"]]

    works = names("ascending") == ["a-sort", "b-sort", "c-sort"] and names("descending") == [
        "c-sort", "b-sort", "a-sort",
    ]
    assert config["sort"]["supported"] is works


def test_etag_claim(scim: Scim, config: dict[str, Any]) -> None:
    """RFC 7644 §3.14: a current ETag in If-None-Match gives 304, a stale one in If-Match 412."""
    created = scim.create("versioned")
    path = f"/scim/v2/Users/{created['id']}"
    auth = {"Authorization": f"Bearer {scim.token}"}
    current = created["meta"]["version"]
    unchanged = scim.client.get(path, headers={**auth, "If-None-Match": current})
    stale = scim.client.patch(
        path,
        json=patch_body({"op": "replace", "path": "title", "value": "x"}),
        headers={**auth, "If-Match": 'W/"999999"'},
        content_type=SCIM_JSON,
    )
    works = unchanged.status_code == 304 and stale.status_code == 412
    assert config["etag"]["supported"] is works


def test_bulk_claim(scim: Scim, config: dict[str, Any]) -> None:
    request = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "one", "data": user_body("bulk-one")}
        ],
    }
    response = scim.post("/Bulk", request)
    works = response.status_code == 200 and response.get_json()["schemas"] == [
        "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
    ]
    assert config["bulk"]["supported"] is works
    if works:
        operations = request["Operations"] * (config["bulk"]["maxOperations"] + 1)
        assert_scim_error(scim.post("/Bulk", {**request, "Operations": operations}), 413)
    else:
        assert (config["bulk"]["maxOperations"], config["bulk"]["maxPayloadSize"]) == (0, 0)


def test_announced_bearer_scheme_is_how_clients_authenticate(
    scim: Scim, config: dict[str, Any]
) -> None:
    primary = [s for s in config["authenticationSchemes"] if s["primary"]]
    assert [s["type"] for s in primary] == ["oauthbearertoken"]
    assert _ok(scim.get("/Users"))["schemas"] == [LIST_URN]
    refused = scim.client.get("/scim/v2/Users")
    assert_scim_error(refused, 401)
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_documentation_uri_serves_the_readme(
    scim: Scim, config: dict[str, Any], settings: Settings
) -> None:
    response = scim.client.get(f"/scim/v2{_path_of(config['documentationUri'], settings)}")
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    assert response.get_data(as_text=True) == README.read_text(encoding="utf-8")


def test_announced_client_credentials_scheme_issues_working_tokens(
    scim: Scim, config: dict[str, Any], database: Database
) -> None:
    names = [s["name"] for s in config["authenticationSchemes"]]
    assert "OAuth 2.0 client credentials" in names
    with database.transaction() as session:
        client, secret = credentials.issue_client(session, scim.org_id, "entra", NOW)
    issued = scim.client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": client.id, "client_secret": secret,
    })
    assert issued.status_code == 200, issued.get_json()
    token = issued.get_json()["access_token"]
    listed = scim.client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200
