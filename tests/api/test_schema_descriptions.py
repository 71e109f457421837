"""RFC 7643 §7: a schema and each of its attributes MUST be described "when applicable", and
for a client building forms or models from /Schemas it always is. Walks what /Schemas
serves, not the Python table, so an attribute added without a description fails here."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.support import USER_URN, Scim

ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"


def _walk(attributes: list[dict[str, Any]], prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, definition) of every attribute and sub-attribute, at any depth."""
    for attribute in attributes:
        path = f"{prefix}{attribute['name']}"
        yield path, attribute
        yield from _walk(attribute.get("subAttributes", []), f"{path}.")


def _problem(path: str, document: dict[str, Any]) -> str | None:
    """What is wrong with `document`'s description: missing, empty, or only its name."""
    description = document.get("description")
    if not isinstance(description, str) or not description.strip():
        return f"{path}: no description"
    if len(description.split()) < 3 or description.strip().lower() == document["name"].lower():
        return f"{path}: {description!r} describes nothing"
    return None


def _schemas(scim: Scim) -> list[dict[str, Any]]:
    """Each schema as the list and as its own resource serve it."""
    listed = scim.client.get("/scim/v2/Schemas").get_json()["Resources"]
    return listed + [scim.client.get(f"/scim/v2/Schemas/{s['id']}").get_json() for s in listed]


def test_every_schema_attribute_and_sub_attribute_is_described(scim: Scim) -> None:
    schemas = _schemas(scim)
    described = [(s["id"], s) for s in schemas]
    described += [pair for s in schemas for pair in _walk(s["attributes"], f"{s['id']}:")]
    visited = {path for path, _ in described}
    assert {USER_URN, ENTERPRISE_URN, GROUP_URN} <= visited
    assert {f"{USER_URN}:emails.value", f"{USER_URN}:addresses.country",
            f"{ENTERPRISE_URN}:manager.displayName", f"{GROUP_URN}:members.type"} <= visited
    assert [p for p in (_problem(path, d) for path, d in described) if p] == []
