"""The generated OpenAPI document: served without a token, complete for every admin route
(whoever wrote it), internally consistent, and true to what the endpoints return."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask

from app.admin.blueprint import bp
from app.admin.openapi import BEARER_AUTH
from app.admin.schemas import CURSOR_PATTERN, MAX_CURSOR_CHARS, MAX_LIMIT
from app.factory import create_app
from app.read_models import MAX_AUDIT_ID
from app.settings import Settings
from seats import idempotency
from tests.support import Admin, assert_problem

UNDOCUMENTED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def document(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/admin/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_document_is_public_and_declares_bearer_auth(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"][BEARER_AUTH] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert document["security"] == [{BEARER_AUTH: []}]
    assert document["paths"]["/admin/v1/openapi.json"]["get"]["security"] == []
    problem = document["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem)


def test_every_admin_route_is_documented_with_a_response(app: Flask,
                                                         document: dict[str, Any]) -> None:
    """Iterates the app's routes, not a list: a new admin view without docs fails here."""
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(f"{bp.name}."):
            continue
        path_item = document["paths"].get(FlaskPlugin.flaskpath2openapi(rule.rule), {})
        for method in sorted((rule.methods or set()) - UNDOCUMENTED_METHODS):
            if not path_item.get(method.lower(), {}).get("responses"):
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert missing == [], "admin routes without a documented response:\n" + "\n".join(missing)


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_authenticated_operations_document_401_and_403(document: dict[str, Any]) -> None:
    """Any token can be refused (401) or carry a role this server does not know (403)."""
    for name, operation in _operations(document):
        if operation.get("security") != []:
            assert {"401", "403"} <= operation["responses"].keys(), name


def test_401_documents_its_challenge_header(app: Flask, document: dict[str, Any]) -> None:
    documented = document["components"]["responses"]["Unauthenticated"]["headers"]
    response = app.test_client().get("/admin/v1/seats")
    assert response.status_code == 401
    assert set(documented) == {"WWW-Authenticate"} and response.headers["WWW-Authenticate"]


def test_operations_with_a_body_document_413(document: dict[str, Any]) -> None:
    with_body = [(name, op) for name, op in _operations(document) if "requestBody" in op]
    assert len(with_body) >= 6
    for _name, operation in with_body:
        assert operation["responses"]["413"] == {"$ref": "#/components/responses/PayloadTooLarge"}


def test_a_body_over_the_limit_is_the_documented_413(database_url: str, owner: Admin) -> None:
    small = create_app(Settings(database_url=database_url, max_request_bytes=64))
    response = small.test_client().post(
        "/admin/v1/scim-tokens", json={"name": "x" * 100},
        headers={"Authorization": f"Bearer {owner.token}"},
    )
    assert_problem(response, 413, "REQUEST_ENTITY_TOO_LARGE")
    small.extensions["db"].dispose()


def _parameter(document: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    parameters = document["paths"][f"/admin/v1{path}"][method]["parameters"]
    return next(p for p in parameters if p["name"] == name)


def test_idempotency_key_is_documented_as_the_view_checks_it(document: dict[str, Any]) -> None:
    key = _parameter(document, "/seats/purchases", "post", "Idempotency-Key")
    assert key["in"] == "header" and key["required"] is True
    assert key["schema"] == {"type": "string", "minLength": 1,
                             "maxLength": idempotency.MAX_KEY_LENGTH, "pattern": "\\S"}


def test_add_seats_bounds_follow_the_setting(database_url: str, make_admin: Callable[..., Admin]
                                            ) -> None:
    """The per-purchase maximum is a deployment setting; the document reads the running one."""
    capped = create_app(Settings(database_url=database_url, max_seats_per_purchase=7))
    client = capped.test_client()
    add_seats = client.get("/admin/v1/openapi.json").get_json()[
        "components"]["schemas"]["AddSeats"]["properties"]["add_seats"]
    assert (add_seats["type"], add_seats["minimum"], add_seats["maximum"]) == ("integer", 1, 7)
    owner = make_admin()
    headers = {"Authorization": f"Bearer {owner.token}"}
    assert client.post("/admin/v1/seats/quotes", json={"add_seats": 7}, headers=headers
                       ).status_code == 201
    assert_problem(client.post("/admin/v1/seats/quotes", json={"add_seats": 8}, headers=headers),
                   400, "INVALID_ADD_SEATS")
    capped.extensions["db"].dispose()


def test_cursor_is_documented_as_the_server_reads_it(document: dict[str, Any]) -> None:
    """No empty cursor: the first page is asked for by leaving `cursor` out."""
    cursor = _parameter(document, "/users", "get", "cursor")["schema"]
    assert cursor == {"type": "string", "pattern": CURSOR_PATTERN, "maxLength": MAX_CURSOR_CHARS}
    assert not re.search(CURSOR_PATTERN, "")


def test_audit_and_users_parameters_carry_their_bounds(document: dict[str, Any]) -> None:
    for path in ("/users", "/audit"):
        limit = _parameter(document, path, "get", "limit")["schema"]
        assert (limit["type"], limit["minimum"], limit["maximum"]) == ("integer", 1, MAX_LIMIT)
    assert _parameter(document, "/users", "get", "seat")["schema"]["enum"] == ["held", "free"]
    after = _parameter(document, "/audit", "get", "after")["schema"]
    assert (after["type"], after["minimum"], after["maximum"]) == ("integer", 0, MAX_AUDIT_ID)
    action = _parameter(document, "/audit", "get", "action")["schema"]
    assert (action["minLength"], action["maxLength"]) == (1, 64)


def test_operation_ids_are_unique_and_links_name_real_ones(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, operation in _operations(document)]
    assert len(ids) == len(set(ids))
    links = [link for _, operation in _operations(document)
             for response in operation["responses"].values() if isinstance(response, dict)
             for link in response.get("links", {}).values()]
    assert {link["operationId"] for link in links} == {
        "create_purchase", "revoke_scim_token", "get_invoice"}
    assert {link["operationId"] for link in links} <= set(ids)


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    for ref in set(_refs(document)):
        assert _resolve(document, ref), ref


@pytest.mark.parametrize(("path", "schema", "key"), [
    ("/scim-tokens", "TokenList", "tokens"),
    ("/users", "UserPage", "users"),
    ("/audit", "AuditPage", "entries"),
])
def test_documented_shapes_match_the_responses(owner: Admin, document: dict[str, Any],
                                               path: str, schema: str, key: str) -> None:
    owner.scim.create("someone", displayName="Some One")
    operation = document["paths"][f"/admin/v1{path}"]["get"]
    documented = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert documented == {"$ref": f"#/components/schemas/{schema}"}
    page_schema = _resolve(document, documented["$ref"])
    item_schema = _resolve(document, page_schema["properties"][key]["items"]["$ref"])
    body = owner.get(path).get_json()
    assert set(body) == set(page_schema["properties"])
    assert body[key] and all(set(item) == set(item_schema["properties"]) for item in body[key])


def _first_page_cursor(owner: Admin) -> str:
    for name in ("a", "b"):
        owner.scim.create(name)
    cursor = owner.get("/users", limit=1).get_json()["next_cursor"]
    assert re.fullmatch(CURSOR_PATTERN, cursor)
    return cursor


@pytest.mark.parametrize("spoil", [
    lambda cursor: cursor[:4] + "!" + cursor[4:],  # the decoder would skip the "!"
    lambda cursor: cursor + "=" * 2,
    lambda cursor: cursor + "A" * (MAX_CURSOR_CHARS - len(cursor) + 4),
])
def test_a_cursor_outside_the_documented_pattern_is_refused(
        owner: Admin, spoil: Callable[[str], str]) -> None:
    cursor = _first_page_cursor(owner)
    assert owner.get("/users", cursor=cursor).status_code == 200
    assert_problem(owner.get("/users", cursor=spoil(cursor)), 400, "INVALID_CURSOR")
