"""SCIM representations in and out: canonical attribute names, type checks (marshmallow,
built from the attribute table in schemas.py), and the rendered resource with its meta."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property, partial
from typing import Any

from marshmallow import EXCLUDE, ValidationError, fields
from marshmallow import Schema as MarshmallowSchema

from scim.errors import invalid_path, invalid_value
from scim.schemas import (
    GROUP_TYPE,
    SEAT_USER_SCHEMA,
    USER_TYPE,
    Attribute,
    AttributePath,
    ResourceType,
    Schema,
    UnknownAttribute,
    bare_value,
)
from scim.text import MAX_TEXT_LENGTH, UnstorableText, check_document, check_text

_SCALAR_FIELDS: dict[str, type[fields.Field[Any]]] = {
    "string": fields.String,
    "reference": fields.String,
    "binary": fields.String,
    "dateTime": fields.String,
    "boolean": fields.Boolean,
    "integer": fields.Integer,
    "decimal": fields.Decimal,
}


_INDEXED_LENGTHS = {"userName": 255, "externalId": 255, "displayName": 255, "type": 64}
"""Attributes kept in indexed columns of that width; any other text may be up to
MAX_TEXT_LENGTH characters (the width of the multi-valued value columns)."""


def _storable(limit: int) -> Callable[[str], None]:
    """A marshmallow validator applying scim.text's one check of client text, so the limit
    counts the lower-cased copy the indexes keep, not the text as sent."""

    def check(value: str) -> None:
        try:
            check_text(value, limit)
        except UnstorableText as exc:
            raise ValidationError(str(exc)) from exc

    return check


def _field(attribute: Attribute, *, element: bool = False) -> fields.Field[Any]:
    if attribute.multi_valued and not element:
        return fields.List(_field(attribute, element=True), allow_none=True)
    if attribute.type == "complex":
        return fields.Nested(_marshmallow_schema(attribute.sub_attributes), allow_none=True)
    kind = _SCALAR_FIELDS[attribute.type]
    if kind is fields.String:
        limit = _INDEXED_LENGTHS.get(attribute.name, MAX_TEXT_LENGTH)
        return kind(allow_none=True, validate=_storable(limit))
    return kind(allow_none=True)


@cache
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
            item = canonical_keys(bare_value(attribute, item), attribute.sub_attributes)
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


def _load(raw: dict[str, Any], schema: Schema, prefix: str = "") -> dict[str, Any]:
    """One schema's part of a body, canonical and type-checked; `prefix` names the
    extension in error messages."""
    try:
        loaded = _marshmallow_schema(schema.attributes).load(
            canonical_keys(raw, schema.attributes)
        )
    except ValidationError as exc:
        raise invalid_value(f"invalid attribute {prefix}{_first_error(exc.messages)}") from exc
    document: dict[str, Any] = _drop_empty(loaded)  # the schema loads an object
    _one_primary(document, schema)
    return document


def _extension_part(raw: dict[str, Any], extension: Schema) -> dict[str, Any]:
    """The extension's attributes, stored under its URN (RFC 7643 §3.3); null is none."""
    urn = extension.id.lower()
    given = [value for key, value in raw.items() if isinstance(key, str) and key.lower() == urn]
    if not given or given[-1] is None:
        return {}
    if not isinstance(given[-1], dict):
        raise invalid_value(f"{extension.id} must be an object of its attributes")
    return _load(given[-1], extension, prefix=f"{extension.id}:")


def validate_document(raw: Any, resource_type: ResourceType) -> dict[str, Any]:
    """A client's resource body → the canonical, type-checked document that is stored.
    Keys of schemas the resource type does not have are dropped like unknown attributes, so
    the extensions IdPs add on their own (Entra's `urn:ietf:params:scim:schemas:extension:
    ADSCIM:2.0:User`, Okta's custom ones) are accepted and ignored rather than refused."""
    if not isinstance(raw, dict):
        raise invalid_value("the request body must be a JSON object")
    try:
        check_document(raw)
    except UnstorableText as exc:
        raise invalid_value(str(exc)) from exc
    schemas_claimed = raw.get("schemas")
    if schemas_claimed is not None and not isinstance(schemas_claimed, list):
        raise invalid_value("schemas must be a list of URNs")
    document = _load(raw, resource_type.schema)
    for extension in resource_type.extension_schemas:
        part = _extension_part(raw, extension)
        if part:
            document[extension.id] = part
    return document


@dataclass(frozen=True)
class UserInput:
    document: dict[str, Any]
    password: str | None

    @property
    def user_name(self) -> str:
        name: str = self.document["userName"]  # user_input checked it is a string
        return name


def user_input(raw: Any) -> UserInput:
    document = validate_document(raw, USER_TYPE)
    password = document.pop("password", None)
    user_name = document.get("userName")
    if not isinstance(user_name, str) or not user_name.strip():
        raise invalid_value("userName is required and must be a non-empty string")
    return UserInput(document=document, password=password)


def format_datetime(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def etag(version: int) -> str:
    return f'W/"{version}"'


def _render_row(
    row: Any, resource_type: ResourceType, document: dict[str, Any], base_url: str
) -> dict[str, Any]:
    """A stored user or group: its document plus what is derived from the row. `schemas`
    lists the extensions the resource has attributes of (RFC 7643 §3)."""
    extensions = [s.id for s in resource_type.extension_schemas if s.id in document]
    return {
        "schemas": [resource_type.schema.id, *extensions],
        "id": row.id,
        **document,
        "meta": {
            "resourceType": resource_type.name,
            "created": format_datetime(row.created_at),
            "lastModified": format_datetime(row.last_modified_at),
            "location": f"{base_url}{resource_type.endpoint}/{row.id}",
            "version": etag(row.version),
        },
    }


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
    endpoints = {t.name: f"{base_url}{t.endpoint}" for t in (USER_TYPE, GROUP_TYPE)}
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
    document = {**row.data, **_links("groups", groups, base_url)} if groups else {**row.data}
    seat = _seat(row)
    if seat:
        document[SEAT_USER_SCHEMA] = seat
    return _render_row(row, USER_TYPE, document, base_url)


def _seat(row: Any) -> dict[str, Any]:
    """The seat extension, from the row's columns; empty for a user without a seat. Built
    for every user rendered, so without intermediate dicts."""
    seat: dict[str, Any] = {}
    if row.seat_type_key is not None:
        seat["seatType"] = row.seat_type_key
    if row.waiting_seat_type_key is not None:
        seat["waitingForSeatType"] = row.waiting_seat_type_key
    if row.waiting_since is not None:
        seat["waitingSince"] = format_datetime(row.waiting_since)
    return seat


def render_group(row: Any, base_url: str, members: Sequence[Reference] = ()) -> dict[str, Any]:
    document = {**row.data, **_links("members", members, base_url)}
    return _render_row(row, GROUP_TYPE, document, base_url)


@dataclass(frozen=True)
class Projection:
    """RFC 7644 §3.9 `attributes` / `excludedAttributes` of one resource type, as canonical
    names: attribute paths ("members", "name.givenName", "<enterprise URN>:department") and
    whole extensions (their URN). Known before the query, so that an attribute that will not
    be returned is not loaded either (`wants`)."""

    resource_type: ResourceType
    only: frozenset[str] | None = None
    excluded: frozenset[str] = frozenset()

    def wants(self, name: str) -> bool:
        """Whether any of core attribute `name` is returned."""
        attribute = self.resource_type.schema.attribute(name)
        return attribute is not None and self._returns(AttributePath(attribute))

    def apply(self, resource: dict[str, Any]) -> dict[str, Any]:
        """One pass over the resource's keys, each decided once per projection (`_picks`):
        this runs for every resource of a page. `schemas` keeps the core schema and the
        extensions that still have attributes in the result (RFC 7643 §3)."""
        out: dict[str, Any] = {}
        picks = self._picks
        for key, value in resource.items():
            pick = picks[key] if key in picks else self._decide(key)
            if pick is _WHOLE:
                out[key] = value
            elif pick is not None:
                out[key] = pick(value)
        for urn in self._extension_ids.intersection(out):
            if not out[urn]:
                del out[urn]
        core = self.resource_type.schema.id
        out["schemas"] = [u for u in resource.get("schemas", ()) if u == core or u in out]
        return out

    @cached_property
    def _picks(self) -> dict[str, Callable[[Any], Any] | None]:
        """How each top-level key of a rendered resource is returned: _WHOLE as it is (most
        keys, so no call is made for them), None not at all, else through the function."""
        return {}

    @cached_property
    def _extension_ids(self) -> frozenset[str]:
        return frozenset(s.id for s in self.resource_type.extension_schemas)

    def _decide(self, key: str) -> Callable[[Any], Any] | None:
        extension = self.resource_type.extension(key) if key in self._extension_ids else None
        pick: Callable[[Any], Any] | None
        if extension is not None:
            pick = partial(self._extension_part, extension)
        else:
            shown = self._key(self.resource_type.schema, None, key)
            pick = None if shown is None else _WHOLE if shown.whole else shown.pick
        self._picks[key] = pick
        return pick

    def _extension_part(self, extension: Schema, values: Any) -> dict[str, Any]:
        return self._part(values, extension, extension.id) if isinstance(values, dict) else {}

    @cached_property
    def _shown(self) -> dict[tuple[str | None, str], _Shown | None]:
        """How each key of a rendered resource is returned, by (extension URN, key); None
        when it is not. Worked out once per key and projection: every resource of a page
        has the same keys, and deciding anew took half the time of rendering a page."""
        return {}

    def _part(
        self, values: dict[str, Any], schema: Schema, extension: str | None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in values.items():
            shown = self._key(schema, extension, key)
            if shown is not None:
                out[key] = shown.pick(value)
        return out

    def _key(self, schema: Schema, extension: str | None, key: str) -> _Shown | None:
        """`schema` is the one `extension` names (the core schema for None)."""
        memo = self._shown
        if (extension, key) not in memo:
            attribute = schema.attribute(key)
            path = AttributePath(attribute, extension=extension) if attribute else None
            memo[(extension, key)] = self._how(path) if path and self._returns(path) else None
        return memo[(extension, key)]

    def _returns(self, path: AttributePath) -> bool:
        """`returned` decides first (RFC 7643 §2.2): "always" even when excluded or not
        asked for, "never" even when asked for, "request" only when asked for."""
        returned = path.attribute.returned
        if returned in ("always", "never"):
            return returned == "always"
        if self.only is None:
            return returned != "request" and not _named(self.excluded, path)
        asked = _named(self.only, path) or bool(_sub_names(self.only, path.name))
        return asked and not _named(self.excluded, path)

    def _how(self, path: AttributePath) -> _Shown:
        if path.attribute.returned == "always":
            return _Shown(None, frozenset())
        keep = None
        if self.only is not None and not _named(self.only, path):
            keep = _sub_names(self.only, path.name)
        return _Shown(keep, _sub_names(self.excluded, path.name))


def _whole(value: Any) -> Any:
    """The pick of a key returned as it is; `Projection.apply` recognises it and makes no
    call."""
    return value


_WHOLE: Callable[[Any], Any] = _whole


@dataclass(frozen=True)
class _Shown:
    """The sub-attributes of a returned attribute that are kept (None: all of them) and
    dropped."""

    keep: frozenset[str] | None
    drop: frozenset[str]

    @property
    def whole(self) -> bool:
        return self.keep is None and not self.drop

    def pick(self, value: Any) -> Any:
        if self.whole:
            return value
        if isinstance(value, list):
            return [_pick(element, self.keep, self.drop) for element in value]
        return _pick(value, self.keep, self.drop)


def _named(paths: frozenset[str], path: AttributePath) -> bool:
    """Whether `paths` names the attribute itself, or the whole extension holding it."""
    return path.name in paths or path.extension in paths


def _sub_names(paths: frozenset[str], name: str) -> frozenset[str]:
    prefix = f"{name}."
    return frozenset(p.removeprefix(prefix) for p in paths if p.startswith(prefix))


def _pick(element: Any, keep: frozenset[str] | None, drop: frozenset[str]) -> Any:
    if not isinstance(element, dict):
        return element
    return {k: v for k, v in element.items() if (keep is None or k in keep) and k not in drop}


Names = str | list[str] | None
"""`attributes` as a URL parameter (comma-separated) or in a SearchRequest (a list)."""


def projection(resource_type: ResourceType, attributes: Names, excluded: Names) -> Projection:
    """Names are case-insensitive and may carry the schema URN; names the resource type does
    not have are ignored, since they select nothing the server would return anyway (a root
    /.search applies one request to Users and Groups alike)."""
    wanted = _names(attributes, "attributes")
    only = _paths(resource_type, wanted) if wanted else None
    excluded_paths = _paths(resource_type, _names(excluded, "excludedAttributes"))
    key = (resource_type.name, only, excluded_paths)
    view = _VIEWS.get(key)
    if view is None:
        if len(_VIEWS) >= _MAX_VIEWS:
            _VIEWS.clear()
        view = _VIEWS[key] = Projection(resource_type, only, excluded_paths)
    return view


_VIEWS: dict[tuple[str, frozenset[str] | None, frozenset[str]], Projection] = {}
"""Projections shared between requests, so that a view's per-key decisions (`_picks`) are
made once per process, not once per request: a GET of one user otherwise decides each of
its keys anew. Keyed by the type's name, since hashing a ResourceType hashes its whole
attribute table (about 35 µs); cleared when full, as clients may combine names without end."""
_MAX_VIEWS = 256


def _paths(resource_type: ResourceType, names: list[str]) -> frozenset[str]:
    paths = set()
    for name in names:
        extension = resource_type.extension(name)
        if extension is not None:
            paths.add(extension.id)
            continue
        try:
            paths.add(resource_type.path(name).name)
        except UnknownAttribute:
            continue
    return frozenset(paths)


_NOT_A_NAME = re.compile(r'[\[\]"\s]')
"""What no attribute name contains (RFC 7643 §2.1 ATTRNAME, RFC 7644 §3.10 attrPath) but a
value filter (`emails[type eq "work"]`) or a filter expression does."""


def _names(names: Names, parameter: str) -> list[str]:
    """A filter in place of a name is refused (400 invalidPath), not skipped like an unknown
    name: RFC 7644 §3.9 takes attribute names only, and skipping it would silently answer
    with less (or other) than the client asked for."""
    if names is None:
        return []
    if isinstance(names, str):
        names = names.split(",")
    if not (isinstance(names, list) and all(isinstance(name, str) for name in names)):
        raise invalid_value(f"{parameter} is a list of attribute names")
    stripped = [name.strip() for name in names if name.strip()]
    for name in stripped:
        if _NOT_A_NAME.search(name):
            raise invalid_path(
                f"{parameter} takes attribute names, not filters: {name!r}; ask for the "
                "attribute (emails) or a sub-attribute (emails.value) and pick the elements "
                "from the response"
            )
    return stripped
