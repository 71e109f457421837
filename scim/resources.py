"""SCIM representations in and out: canonical attribute names, type checks (marshmallow,
built from the attribute table in schemas.py), and the rendered resource with its meta."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from marshmallow import EXCLUDE, Schema as MarshmallowSchema, ValidationError, fields

from scim.errors import invalid_value
from scim.schemas import RESOURCE_TYPES, USER, Attribute, ResourceType, Schema

_SCALAR_FIELDS: dict[str, type[fields.Field]] = {
    "string": fields.String,
    "reference": fields.String,
    "binary": fields.String,
    "dateTime": fields.String,
    "boolean": fields.Boolean,
    "integer": fields.Integer,
    "decimal": fields.Decimal,
}


def _field(attribute: Attribute, *, element: bool = False) -> fields.Field:
    if attribute.multi_valued and not element:
        return fields.List(_field(attribute, element=True), allow_none=True)
    if attribute.type == "complex":
        return fields.Nested(_marshmallow_schema(attribute.sub_attributes), allow_none=True)
    return _SCALAR_FIELDS[attribute.type](allow_none=True)


@lru_cache(maxsize=None)
def _marshmallow_schema(attributes: tuple[Attribute, ...]) -> MarshmallowSchema:
    writable = {a.name: _field(a) for a in attributes if a.mutability != "readOnly"}
    return MarshmallowSchema.from_dict(writable)(unknown=EXCLUDE)


def canonical_keys(value: Any, attributes: tuple[Attribute, ...]) -> Any:
    """Attribute names are case-insensitive (RFC 7643 §2.1): rename every known key to its
    canonical spelling so storage, filters and PATCH see one name. Unknown keys are dropped."""
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    by_lower = {a.name.lower(): a for a in attributes}
    for key, item in value.items():
        attribute = by_lower.get(key.lower()) if isinstance(key, str) else None
        if attribute is None:
            continue
        if attribute.type == "complex" and attribute.multi_valued and isinstance(item, list):
            item = [canonical_keys(element, attribute.sub_attributes) for element in item]
        elif attribute.type == "complex":
            item = canonical_keys(item, attribute.sub_attributes)
        out[attribute.name] = item
    return out


def _drop_empty(value: Any) -> Any:
    """null and [] mean "unassigned" (RFC 7643 §2.5): they are not stored."""
    if isinstance(value, dict):
        cleaned = {k: _drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [v for v in (_drop_empty(item) for item in value) if v not in (None, [], {})]
    return value


def _one_primary(document: dict[str, Any], schema: Schema) -> None:
    """At most one element of a multi-valued attribute is primary (RFC 7643 §2.4)."""
    for attribute in schema.attributes:
        elements = document.get(attribute.name)
        if not (attribute.multi_valued and isinstance(elements, list)):
            continue
        seen = False
        for element in elements:
            if isinstance(element, dict) and element.get("primary") is True:
                if seen:
                    element["primary"] = False
                seen = True


def _first_error(messages: Any, path: tuple[str, ...] = ()) -> str:
    """marshmallow's nested error dict → "emails.value: Not a valid string." (list indexes
    are left out: the client needs the attribute, not the position)."""
    if isinstance(messages, dict):
        key, inner = next(iter(messages.items()))
        return _first_error(inner, path if isinstance(key, int) else (*path, str(key)))
    if isinstance(messages, list) and messages:
        return _first_error(messages[0], path)
    return f"{'.'.join(path)}: {messages}"


def validate_document(raw: Any, schema: Schema) -> dict[str, Any]:
    """A client's resource body → the canonical, type-checked document that is stored."""
    if not isinstance(raw, dict):
        raise invalid_value("the request body must be a JSON object")
    schemas_claimed = raw.get("schemas")
    if schemas_claimed is not None and not isinstance(schemas_claimed, list):
        raise invalid_value("schemas must be a list of URNs")
    try:
        loaded = _marshmallow_schema(schema.attributes).load(
            canonical_keys(raw, schema.attributes)
        )
    except ValidationError as exc:
        raise invalid_value(f"invalid attribute {_first_error(exc.messages)}") from exc
    document = _drop_empty(loaded)
    _one_primary(document, schema)
    return document


@dataclass(frozen=True)
class UserInput:
    document: dict[str, Any]
    password: str | None

    @property
    def user_name(self) -> str:
        return self.document["userName"]


def user_input(raw: Any) -> UserInput:
    document = validate_document(raw, USER)
    password = document.pop("password", None)
    user_name = document.get("userName")
    if not isinstance(user_name, str) or not user_name.strip():
        raise invalid_value("userName is required and must be a non-empty string")
    return UserInput(document=document, password=password)


def format_datetime(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def etag(version: int) -> str:
    return f'W/"{version}"'


def render(
    *,
    schema_urn: str,
    resource_type: str,
    resource_id: str,
    document: dict[str, Any],
    created: datetime,
    last_modified: datetime,
    version: int,
    location: str,
) -> dict[str, Any]:
    return {
        "schemas": [schema_urn],
        "id": resource_id,
        **document,
        "meta": {
            "resourceType": resource_type,
            "created": format_datetime(created),
            "lastModified": format_datetime(last_modified),
            "location": location,
            "version": etag(version),
        },
    }


def _resource_type(name: str) -> ResourceType:
    return next(r for r in RESOURCE_TYPES if r.name == name)


def _render_row(row: Any, name: str, document: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A stored user or group: its document plus what is derived from the row."""
    resource_type = _resource_type(name)
    return render(
        schema_urn=resource_type.schema.id,
        resource_type=name,
        resource_id=row.id,
        document=document,
        created=row.created_at,
        last_modified=row.last_modified_at,
        version=row.version,
        location=f"{base_url}{resource_type.endpoint}/{row.id}",
    )


@dataclass(frozen=True)
class Reference:
    """A link to another resource: an element of a group's members or of a user's groups."""

    id: str
    resource: str  # the linked resource type: User | Group
    type: str  # User | Group in members; direct | indirect in a user's groups
    display: str | None


def _links(name: str, references: Sequence[Reference], base_url: str) -> dict[str, Any]:
    """No references render as no attribute at all: empty is unassigned (RFC 7643 §2.5)."""
    if not references:
        return {}
    endpoints = {t.name: f"{base_url}{t.endpoint}" for t in RESOURCE_TYPES}
    return {
        name: [
            {
                "value": r.id,
                "$ref": f"{endpoints[r.resource]}/{r.id}",
                **({} if r.display is None else {"display": r.display}),
                "type": r.type,
            }
            for r in references
        ]
    }


def render_user(row: Any, base_url: str, groups: Sequence[Reference] = ()) -> dict[str, Any]:
    return _render_row(row, "User", {**row.data, **_links("groups", groups, base_url)}, base_url)


def render_group(row: Any, base_url: str, members: Sequence[Reference] = ()) -> dict[str, Any]:
    return _render_row(
        row, "Group", {**row.data, **_links("members", members, base_url)}, base_url
    )


@dataclass(frozen=True)
class Projection:
    """RFC 7644 §3.9 `attributes` / `excludedAttributes` of one schema, as canonical paths
    ("members", "name.givenName"). Known before the query, so that an attribute that will
    not be returned is not loaded either (`wants`)."""

    schema: Schema
    only: frozenset[str] | None = None
    excluded: frozenset[str] = frozenset()

    def wants(self, name: str) -> bool:
        """Whether any of top-level attribute `name` is returned."""
        attribute = self.schema.attribute(name)
        if attribute is None or attribute.returned == "never":
            return False
        if attribute.returned == "always":
            return True
        if self.only is not None and not _covers(self.only, attribute.name):
            return False
        if self.only is None and attribute.returned == "request":
            return False
        return attribute.name not in self.excluded

    def apply(self, resource: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in resource.items():
            attribute = self.schema.attribute(key)
            if attribute is None:  # "schemas", and extensions are not projected yet
                out[key] = value
            elif self.wants(attribute.name):
                out[key] = self._subs(attribute, value)
        return out

    def _subs(self, attribute: Attribute, value: Any) -> Any:
        if attribute.returned == "always":
            return value
        keep = None
        if self.only is not None and attribute.name not in self.only:
            keep = _sub_names(self.only, attribute.name)
        drop = _sub_names(self.excluded, attribute.name)
        if keep is None and not drop:
            return value
        if isinstance(value, list):
            return [_pick(element, keep, drop) for element in value]
        return _pick(value, keep, drop)


def _covers(paths: frozenset[str], name: str) -> bool:
    return name in paths or bool(_sub_names(paths, name))


def _sub_names(paths: frozenset[str], name: str) -> set[str]:
    prefix = f"{name}."
    return {p.removeprefix(prefix) for p in paths if p.startswith(prefix)}


def _pick(element: Any, keep: set[str] | None, drop: set[str]) -> Any:
    if not isinstance(element, dict):
        return element
    return {k: v for k, v in element.items() if (keep is None or k in keep) and k not in drop}


def projection(schema: Schema, attributes: str | None, excluded: str | None) -> Projection:
    """Names are case-insensitive and may carry the schema URN; names the schema does not
    have are ignored, since they select nothing the server would return anyway."""
    only = _paths(schema, attributes) if attributes else None
    return Projection(schema, only, _paths(schema, excluded or ""))


def _paths(schema: Schema, text: str) -> frozenset[str]:
    paths = set()
    for raw in text.split(","):
        name = raw.strip()
        if name.lower().startswith(schema.id.lower() + ":"):
            name = name[len(schema.id) + 1 :]
        head, _, sub_name = name.partition(".")
        attribute = schema.attribute(head)
        sub = attribute.sub(sub_name) if attribute is not None and sub_name else None
        if attribute is not None and not sub_name:
            paths.add(attribute.name)
        elif attribute is not None and sub is not None:
            paths.add(f"{attribute.name}.{sub.name}")
    return frozenset(paths)
