"""RFC 7644 §3.5.2 PATCH applied to a resource representation. Pure: it works on a deep
copy and either returns the whole new document or raises ScimError, so a request whose
third operation fails leaves nothing of the first two behind.

Tolerates what real clients send: capitalised ops and string booleans (Microsoft Entra),
dotted and URN-prefixed keys in a value without path, `id` echoed back inside a replace
value (Okta), and a manager given as a bare id. A path (or a key of a value without path)
in a schema the resource does not have is skipped, not refused: IdPs send their own
extensions, e.g. Entra's `urn:ietf:params:scim:schemas:extension:ADSCIM:2.0:User:...`."""
from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scim import valuefilter
from scim.errors import (
    ScimError,
    invalid_path,
    invalid_syntax,
    invalid_value,
    mutability,
    no_target,
)
from scim.schemas import PATCH_OP_SCHEMA, Attribute, Schema, bare_value, message, split_urn

_OPS = ("add", "replace", "remove")
_NAME = re.compile(r"\$?[A-Za-z][A-Za-z0-9_-]*")  # ATTRNAME of RFC 7643 §2.1, plus "$ref"
_SCHEMAS = Attribute(
    "schemas", type="reference", multi_valued=True, case_exact=True, mutability="readOnly"
)
"""`schemas` is in no schema's attribute list, yet clients may name it; it is not theirs
to change."""


@dataclass(frozen=True)
class _Whole:
    """A bare schema URN, or no path at all: the value is an object of paths."""

    schema: Schema
    extension: bool


@dataclass(frozen=True)
class _Target:
    schema: Schema
    extension: bool  # extension attributes live under their URN key, not at the top
    attr: Attribute
    filter: valuefilter.Node | None = None
    sub: Attribute | None = None


def apply_patch(
    resource: dict[str, Any],
    body: dict[str, Any],
    schema: Schema,
    extensions: tuple[Schema, ...] = (),
) -> dict[str, Any]:
    """The representation after `body`'s operations, in order. `resource` is not touched."""
    return parse_patch(body, schema, extensions).apply(resource)


def parse_operations(body: Any) -> list[dict[str, Any]]:
    """The operations of a PatchOp message (RFC 7644 §3.5.2), checked for shape only: the op
    and path of each are checked when it is applied, so an error names the operation it is in
    and the Group use cases can take out the member operations first."""
    operations = message(body, PATCH_OP_SCHEMA, "PATCH").get("Operations")
    if not isinstance(operations, list) or not operations:
        raise invalid_syntax("Operations must be a non-empty list")
    if not all(isinstance(operation, dict) for operation in operations):
        raise invalid_syntax("each operation is a JSON object")
    return operations


@dataclass(frozen=True)
class _Resolved:
    """One operation with its op and paths resolved: what it writes, in order, up to the
    first op or path that does not resolve (`error`). The error is raised when the operation
    is applied, after those writes, which is where resolving while applying raised it."""

    op: str
    removal: _Whole | _Target | None = None
    value: Any = None  # a removal's value (the elements to take out of a multi-valued one)
    assignments: tuple[tuple[_Target, Any], ...] = ()
    error: ScimError | None = None

    def targets(self) -> Iterator[_Whole | _Target]:
        if self.removal is not None:
            yield self.removal
        yield from (target for target, _ in self.assignments)

    def apply(self, doc: dict[str, Any]) -> None:
        if self.removal is not None:
            _remove(doc, self.removal, self.value)
        for target, value in self.assignments:
            if value is None:  # null means unassigned (RFC 7643 §2.5)
                _remove(doc, target, None)
            else:
                _set(doc, target, value, append=self.op == "add")
        if self.error is not None:
            raise self.error


@dataclass(frozen=True)
class Patch:
    """A PatchOp message parsed once per request, its paths resolved against the resource's
    schemas: a use case asks it which attributes it writes (to take only the locks it needs)
    and then applies it, without parsing the body twice. A message that does not parse writes
    nothing and is refused by `apply`, after the caller's own checks."""

    schemas: tuple[Schema, ...]
    operations: tuple[_Resolved, ...] = ()
    error: ScimError | None = None

    def writes(self, name: str) -> bool:
        """Whether applying it could assign or remove the core schema's attribute `name`, read
        from the targets `apply` writes, so that a write which decides on it (a user's
        `active` holds a seat) can take its lock first and the others need not."""
        if self.error is not None or any(op.error is not None for op in self.operations):
            return False
        schema = self.schemas[0]
        return any(
            _targets_attribute(target, schema, name)
            for operation in self.operations
            for target in operation.targets()
        )

    def apply(self, resource: dict[str, Any]) -> dict[str, Any]:
        """The representation after the operations, in order. `resource` is not touched:
        the work is on a deep copy, so a failing operation leaves nothing behind."""
        if self.error is not None:
            raise self.error
        doc = copy.deepcopy(resource)
        for index, operation in enumerate(self.operations):
            try:
                operation.apply(doc)
            except ScimError as exc:
                detail = f"Operations[{index}]: {exc.detail}"
                raise ScimError(exc.status, detail, exc.scim_type) from exc
        _check_required(resource, doc, self.schemas)
        _list_extensions(resource, doc, self.schemas[1:])
        return doc


def parse_patch(body: Any, schema: Schema, extensions: tuple[Schema, ...] = ()) -> Patch:
    schemas = (schema, *extensions)
    try:
        operations = parse_operations(body)
    except ScimError as exc:
        return Patch(schemas, error=exc)
    return Patch(schemas, tuple(_resolve(operation, schemas) for operation in operations))


def _resolve(operation: dict[str, Any], schemas: tuple[Schema, ...]) -> _Resolved:
    try:
        op = _op(operation)
    except ScimError as exc:
        return _Resolved("", error=exc)
    if op == "remove":
        try:
            return _Resolved(op, _removal(operation, schemas), value=operation.get("value"))
        except ScimError as exc:
            return _Resolved(op, error=exc)
    found: list[tuple[_Target, Any]] = []
    try:
        for target, value in _assignments(_root(operation, schemas), operation["value"], schemas):
            found.append((target, value))
    except ScimError as exc:
        return _Resolved(op, assignments=tuple(found), error=exc)
    return _Resolved(op, assignments=tuple(found))


def _targets_attribute(target: _Whole | _Target, schema: Schema, name: str) -> bool:
    if isinstance(target, _Whole):  # `remove` of a whole schema
        return target.schema is schema
    return target.schema is schema and target.attr is schema.attribute(name)


def _op(operation: dict[str, Any]) -> str:
    op = operation.get("op")
    if not isinstance(op, str) or op.lower() not in _OPS:
        raise invalid_syntax(f"op {op!r} is not add, replace or remove")
    return op.lower()


def _removal(operation: dict[str, Any], schemas: tuple[Schema, ...]) -> _Whole | _Target | None:
    path = operation.get("path")
    if path is None:
        raise no_target("remove needs a path")
    return _parse_path(path, schemas[0], schemas)


def _root(operation: dict[str, Any], schemas: tuple[Schema, ...]) -> _Whole | _Target | None:
    """Where an add or replace writes its value: without a path, the whole core schema."""
    if "value" not in operation:
        raise invalid_value(f"{_op(operation)} needs a value")
    path = operation.get("path")
    return _Whole(schemas[0], False) if path is None else _parse_path(path, schemas[0], schemas)


def _assignments(
    target: _Whole | _Target | None, value: Any, schemas: tuple[Schema, ...]
) -> Iterator[tuple[_Target, Any]]:
    """Unfolds a whole-schema value into one assignment per key, each key being a path."""
    if target is None:
        return
    if isinstance(target, _Target):
        yield target, value
        return
    if not isinstance(value, dict):
        raise invalid_value("without a path (or with a bare schema URN) the value is an object")
    for key, item in value.items():
        yield from _assignments(_parse_path(key, target.schema, schemas), item, schemas)


# --- paths (RFC 7644 §3.5.2: PATH = attrPath / valuePath [subAttr]) -----------------------


def _parse_path(
    path: Any, default: Schema, schemas: tuple[Schema, ...]
) -> _Whole | _Target | None:
    """None: the path is in a schema the resource does not have, or is an extension's
    `schemas`, and is skipped."""
    if not isinstance(path, str) or not path.strip():
        raise invalid_path("path must be a non-empty string")
    split = _path_schema(path.strip(), default, schemas)
    if split is None:
        return None
    schema, rest = split
    extension = schema is not schemas[0]
    if not rest:
        return _Whole(schema, extension)
    name, filter_text, sub_name = _split_attr_path(rest)
    attr = schema.attribute(name)
    if attr is None and name.lower() == "schemas":
        if extension:  # a whole extension value may list its own URN (scim2-models sends it)
            return None
        attr = _SCHEMAS
    if attr is None:
        raise invalid_path(f"{name!r} is not an attribute of {schema.id}")
    node = None
    if filter_text is not None:
        if not (attr.multi_valued and attr.type == "complex"):
            raise invalid_path(f"{attr.name} is not multi-valued and complex; it takes no filter")
        node = valuefilter.parse(filter_text, attr)
    sub = None
    if sub_name is not None:
        sub = attr.sub(sub_name)
        if sub is None:
            raise invalid_path(f"{attr.name} has no sub-attribute {sub_name!r}")
    return _Target(schema, extension, attr, node, sub)


def _path_schema(
    path: str, default: Schema, schemas: tuple[Schema, ...]
) -> tuple[Schema, str] | None:
    """The schema a path names and the rest of it; None for a URN of another schema. A bare
    schema URN names the whole schema."""
    bare = next((schema for schema in schemas if schema.id.lower() == path.lower()), None)
    if bare is not None:
        return bare, ""
    schema, rest = split_urn(schemas, path)
    if schema is not None:
        return schema, rest
    head = path.split("[", 1)[0].lower()
    if head.startswith("urn:"):
        return None
    if ":" in head:
        raise invalid_path(f"malformed path {path!r}")
    return default, path


def _split_attr_path(path: str) -> tuple[str, str | None, str | None]:
    """`name`, `name.sub`, `name[filter]` or `name[filter].sub` into its three parts."""
    match = _NAME.match(path)
    if match is None:
        raise invalid_path(f"malformed path {path!r}")
    name, tail = match.group(), path[match.end() :]
    filter_text = None
    if tail.startswith("["):
        close = _closing_bracket(tail)
        filter_text, tail = tail[1:close], tail[close + 1 :]
    if not tail:
        return name, filter_text, None
    if tail.startswith(".") and _NAME.fullmatch(tail[1:]):
        return name, filter_text, tail[1:]
    raise invalid_path(f"malformed path {path!r}")


def _closing_bracket(text: str) -> int:
    """Index of the `]` closing text[0]'s `[`; a `]` inside a quoted value does not count,
    and a quoted value ends where JSON ends it: `\\"` does not."""
    quoted = escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "]" and not quoted:
            return index
    raise invalid_path(f"unclosed '[' in {text!r}")


# --- add / replace ------------------------------------------------------------------------


def _set(doc: dict[str, Any], target: _Target, value: Any, append: bool) -> None:
    old = _read(doc, target)
    new: Any  # the attribute's new value: a list, a complex value, a scalar or None
    if _per_element(target):
        new = _set_elements(target, old or [], value)
    elif target.sub is not None:
        new = _merge(target.attr, old, {target.sub.name: _coerce(target.sub, value)})
    else:
        new = _whole(target.attr, old, value, append)
    _store(doc, target, old, new)


def _whole(attr: Attribute, old: Any, value: Any, append: bool) -> Any:
    """add and replace differ only on a multi-valued attribute: add appends, replace
    swaps the list; a complex value merges into the current one either way (§3.5.2.1/3)."""
    if attr.multi_valued:
        items = _coerce_many(attr, value)
        if not append:
            return items
        merged = list(old or [])
        for item in items:
            if item not in merged:
                merged.append(item)
        return merged
    if attr.type == "complex":
        return _merge(attr, old, _coerce_complex(attr, bare_value(attr, value)))
    return _coerce(attr, value)


def _set_elements(target: _Target, elements: list[dict[str, Any]], value: Any) -> list[Any]:
    """Sets the value (or sub-attribute) on every element the filter selects. When none is
    selected, an element is created if the filter spells one out by equalities, which is
    how Entra adds a first mobile number; otherwise there is no target."""
    attr = target.attr
    if target.sub is not None:
        patch = {target.sub.name: _coerce(target.sub, value)}
    else:
        patch = _coerce_complex(attr, value)
    hits = [i for i, element in enumerate(elements) if _selected(target, element)]
    if not hits:
        seed = {} if target.filter is None else valuefilter.equalities(target.filter)
        if seed is None:
            raise no_target(f"no {attr.name} value matches the filter")
        changed = [*elements, _merge(attr, None, {**seed, **patch})]
    else:
        changed = [_merge(attr, e, patch) if i in hits else e for i, e in enumerate(elements)]
    return [element for element in changed if element is not None]


# --- remove -------------------------------------------------------------------------------


def _remove(doc: dict[str, Any], target: _Whole | _Target, value: Any) -> None:
    if isinstance(target, _Whole):
        for attr in target.schema.attributes:
            _remove(doc, _Target(target.schema, target.extension, attr), None)
        return
    attr, old = target.attr, _read(doc, target)
    new: Any
    if _per_element(target):
        new = _remove_elements(target, old or [])
    elif target.sub is not None:
        new = _merge(attr, old, {target.sub.name: None})
    elif attr.multi_valued and value is not None:
        new = _without(attr, old, value)
    else:
        new = None
    _store(doc, target, old, new)


def _without(attr: Attribute, elements: list[Any] | None, value: Any) -> list[Any]:
    """Remove with a value list (Entra's member removal) drops only the listed elements,
    matched on the sub-attributes given; an element already gone is not an error."""
    listed = [_coerce_element(attr, item) for item in _as_list(value)]
    if any(want is None for want in listed):
        raise invalid_value(f"a remove value for {attr.name} lists the values to remove; "
                            "an empty one matches nothing")
    return [e for e in elements or [] if not any(_contains(attr, e, want) for want in listed)]


def _contains(attr: Attribute, element: Any, wanted: Any) -> bool:
    if attr.type != "complex":
        return valuefilter.same(attr, element, wanted)
    if not isinstance(wanted, dict):
        raise invalid_value(f"{attr.name} values are objects, not {wanted!r}")
    if not isinstance(element, dict):
        return False
    return all(
        valuefilter.same(_sub(attr, name), element.get(name), item)
        for name, item in wanted.items()
    )


def _remove_elements(target: _Target, elements: list[dict[str, Any]]) -> list[Any]:
    hits = [i for i, element in enumerate(elements) if _selected(target, element)]
    if not hits and target.filter is not None:
        raise no_target(f"no {target.attr.name} value matches the filter")
    if target.sub is None:
        return [element for i, element in enumerate(elements) if i not in hits]
    patch = {target.sub.name: None}
    changed = [_merge(target.attr, e, patch) if i in hits else e for i, e in enumerate(elements)]
    return [element for element in changed if element is not None]


def _per_element(target: _Target) -> bool:
    """`emails[...]`, `emails[...].sub` and `emails.sub` act on each selected element."""
    return target.attr.multi_valued and (target.filter is not None or target.sub is not None)


def _selected(target: _Target, element: dict[str, Any]) -> bool:
    return target.filter is None or valuefilter.matches(target.filter, element)


# --- values -------------------------------------------------------------------------------


def _coerce(attr: Attribute, value: Any) -> Any:
    """One value of simple `attr` in its schema type, taking booleans from Entra's
    "True"/"False" strings."""
    if isinstance(value, (dict, list)):
        raise invalid_value(f"{attr.name} takes a single {attr.type}, not {value!r}")
    if attr.type == "boolean":
        flag = valuefilter.as_bool(value)
        if flag is None:
            raise invalid_value(f"{attr.name} is a boolean, not {value!r}")
        return flag
    return value


def _coerce_complex(attr: Attribute, value: Any) -> dict[str, Any]:
    """Canonical sub-attribute names; a null sub-value stays, meaning "unassign it"."""
    if not isinstance(value, dict):
        raise invalid_value(f"{attr.name} takes an object, not {value!r}")
    out: dict[str, Any] = {}
    for name, item in value.items():
        sub = _sub(attr, name)
        out[sub.name] = None if item is None else _coerce(sub, item)
    return out


def _coerce_many(attr: Attribute, value: Any) -> list[Any]:
    elements = (_coerce_element(attr, item) for item in _as_list(value) if item is not None)
    return [element for element in elements if element is not None]


def _coerce_element(attr: Attribute, item: Any) -> Any:
    if attr.type == "complex":
        return _merge(attr, None, _coerce_complex(attr, item))
    return _coerce(attr, item)


def _merge(
    attr: Attribute, current: dict[str, Any] | None, patch: dict[str, Any]
) -> dict[str, Any] | None:
    """A new complex value: `patch`'s sub-attributes over `current`'s, null ones removed;
    None when nothing is left, since an empty object is an unassigned one."""
    merged = dict(current or {})
    for name, item in patch.items():
        _guard(_sub(attr, name), merged.get(name), item)
        if item is None:
            merged.pop(name, None)
        else:
            merged[name] = item
    return merged or None


def _sub(attr: Attribute, name: str) -> Attribute:
    sub = attr.sub(name)
    if sub is None:
        raise invalid_value(f"{attr.name} has no sub-attribute {name!r}")
    return sub


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _blank(value: Any) -> bool:
    """Unassigned, null and empty are one state (RFC 7643 §2.5)."""
    return value is None or value == [] or value == {}


# --- rules every change obeys -------------------------------------------------------------


def _store(doc: dict[str, Any], target: _Target, old: Any, new: Any) -> None:
    new = _one_primary(target.attr, old, new)
    _guard(target.attr, old, new)
    holder = doc.setdefault(target.schema.id, {}) if target.extension else doc
    if _blank(new):
        holder.pop(target.attr.name, None)
    else:
        holder[target.attr.name] = new
    if target.extension and not holder:
        del doc[target.schema.id]


def _read(doc: dict[str, Any], target: _Target) -> Any:
    holder = doc.get(target.schema.id) if target.extension else doc
    return holder.get(target.attr.name) if isinstance(holder, dict) else None


def _guard(attr: Attribute, old: Any, new: Any) -> None:
    """readOnly never changes and immutable only goes from unassigned to assigned (RFC 7643
    §2.2). Writing the current value back is no change: Okta echoes `id` in its values."""
    before, after = (None if _blank(old) else old), (None if _blank(new) else new)
    if before == after:
        return
    if attr.mutability == "readOnly" or (attr.mutability == "immutable" and before is not None):
        raise mutability(f"{attr.name} is {attr.mutability}")


def _one_primary(attr: Attribute, old: Any, new: Any) -> Any:
    """An element this operation wrote with primary=true takes primary from the others
    (RFC 7643 §2.4). Elements the operation left alone are the very objects of `old`."""
    if not (attr.multi_valued and attr.type == "complex" and new):
        return new
    untouched = {id(element) for element in old or []}
    claims = [e for e in new if id(e) not in untouched and e.get("primary") is True]
    if len(claims) > 1:
        raise invalid_value(f"only one {attr.name} value may be primary")
    if not claims:
        return new
    return [
        {**e, "primary": False} if e is not claims[0] and e.get("primary") is True else e
        for e in new
    ]


def _check_required(
    before: dict[str, Any], after: dict[str, Any], schemas: tuple[Schema, ...]
) -> None:
    """Checked once at the end, so removing a required attribute and adding it back in a
    later operation of the same request is fine."""
    for index, schema in enumerate(schemas):
        old_holder = before if index == 0 else before.get(schema.id) or {}
        new_holder = after if index == 0 else after.get(schema.id) or {}
        for attr in schema.attributes:
            lost = not _blank(old_holder.get(attr.name)) and _blank(new_holder.get(attr.name))
            if attr.required and lost:
                raise invalid_value(f"{attr.name} is required")


def _list_extensions(
    before: dict[str, Any], after: dict[str, Any], extensions: tuple[Schema, ...]
) -> None:
    """`schemas` lists the extensions whose attributes the resource carries (RFC 7643 §3),
    so a patch that brings one in or empties one out updates it."""
    listed = after.get("schemas")
    if not isinstance(listed, list):
        return
    for extension in extensions:
        had, has = extension.id in before, extension.id in after
        if has and not had and extension.id not in listed:
            listed.append(extension.id)
        elif had and not has and extension.id in listed:
            listed.remove(extension.id)
