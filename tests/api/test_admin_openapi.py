"""The generated OpenAPI document: served without a token, complete for every admin route
(whoever wrote it), internally consistent, and true to what the endpoints return."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask

from app.admin.blueprint import bp
from app.admin.openapi import BEARER_AUTH
from tests.support import Admin

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


def test_authenticated_operations_document_401(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if operation.get("security") != [] and operation.get("responses"):
                assert "401" in operation["responses"], f"{method.upper()} {path}"


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
