"""SCIM filters (RFC 7644 §3.4.2.2) compiled into SQLAlchemy boolean expressions.

The text is parsed by scim.filter_syntax; this module only walks the AST, resolves every
attribute path through the schema and an explicit attribute map (`FilterTarget`), and builds
expressions with bound parameters. A filter that names something the map does not know is the
client's error (400 invalidFilter), never an empty result: an IdP that misspells an attribute
must not conclude that a user does not exist and create a duplicate.
"""
from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, cast

from scim2_filter_parser import ast
from sqlalchemy import (
    BinaryExpression,
    BindParameter,
    ColumnElement,
    SQLColumnExpression,
    and_,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
)

from scim import schemas
from scim.errors import ScimError, invalid_filter, invalid_value
from scim.filter_syntax import or_of_ands, parse
from scim.schemas import Attribute, AttributePath, Schema, UnknownAttribute
from scim.tables import GroupMemberRow, GroupRow, UserRow, UserValueRow

Column = SQLColumnExpression[Any]
Condition = ColumnElement[bool]

_STRING_TYPES = frozenset({"string", "reference", "binary"})
_NUMBER_TYPES = frozenset({"integer", "decimal"})
_SUBSTRING_OPS = frozenset({"co", "sw", "ew"})
_ORDERING_OPS = frozenset({"gt", "ge", "lt", "le"})


@dataclass(frozen=True)
class Stored:
    """A real column holding an attribute. `lowered` is a pre-lowercased copy kept for a
    case-insensitive attribute, so that comparisons on it can use its index."""

    column: Column
    lowered: Column | None = None


@dataclass(frozen=True)
class ValueRows:
    """The table with one row per element of a multi-valued attribute. `attribute` tells
    apart the attributes sharing the table (None: it holds one attribute). Sub-attributes not
    in `columns` are read from the element's JSON copy in `data` (None: there is no copy, so
    only `columns` can be filtered on). `order` puts the primary element first, then the
    others as listed (empty: the elements are a set, with no first one to sort by)."""

    org: Column
    owner: Column
    attribute: Column | None
    data: Column | None
    columns: Mapping[str, Stored]
    order: tuple[Column, ...] = ()


@dataclass(frozen=True)
class FilterTarget:
    """How one resource type is stored, as far as filters and sorting are concerned. Paths
    are canonical ("userName", "meta.lastModified"); attributes in none of the maps live in
    `data` under their canonical names, and an extension's under its URN."""

    schema: Schema
    id_column: Column
    org_column: Column
    data: Column
    values: ValueRows
    columns: Mapping[str, Stored]
    constants: Mapping[str, str] = field(default_factory=dict)
    unfilterable: frozenset[str] = frozenset()
    extensions: tuple[Schema, ...] = ()
    unique: tuple[Column, ...] = ()
    """Columns no two resources of an org share: `eq` on one matches at most one resource."""

    @property
    def schemas(self) -> tuple[Schema, ...]:
        return (self.schema, *self.extensions)


USER_TARGET = FilterTarget(
    schema=schemas.USER,
    id_column=UserRow.id,
    org_column=UserRow.org_id,
    data=UserRow.data,
    values=ValueRows(
        org=UserValueRow.org_id,
        owner=UserValueRow.user_id,
        attribute=UserValueRow.attribute,
        data=UserValueRow.data,
        columns={
            "value": Stored(UserValueRow.value, lowered=UserValueRow.value_norm),
            "type": Stored(UserValueRow.type),
            "primary": Stored(UserValueRow.primary),
            "display": Stored(UserValueRow.display),
        },
        order=(UserValueRow.primary.desc(), UserValueRow.id),
    ),
    columns={
        "id": Stored(UserRow.id),
        "userName": Stored(UserRow.user_name, lowered=UserRow.user_name_norm),
        "externalId": Stored(UserRow.external_id),
        "active": Stored(UserRow.active),
        "meta.created": Stored(UserRow.created_at),
        "meta.lastModified": Stored(UserRow.last_modified_at),
    },
    constants={"meta.resourceType": "User"},
    # Rendered from the request URL and the version counter, stored nowhere as text; groups
    # are computed from memberships when a user is rendered.
    unfilterable=frozenset({"meta.location", "meta.version", "groups"}),
    extensions=schemas.USER_TYPE.extension_schemas,
    # userName is unique per org without regard to case (RFC 7643 §4.1.1): its lowered copy
    # is under the unique index uq_scim_users_org_user_name.
    unique=(UserRow.id, UserRow.user_name_norm),
)

GROUP_TARGET = FilterTarget(
    schema=schemas.GROUP,
    id_column=GroupRow.id,
    org_column=GroupRow.org_id,
    data=GroupRow.data,
    values=ValueRows(
        org=GroupMemberRow.org_id,
        owner=GroupMemberRow.group_id,
        attribute=None,
        data=None,
        columns={
            "value": Stored(GroupMemberRow.member_id),
            "type": Stored(GroupMemberRow.member_type),
        },
    ),
    columns={
        "id": Stored(GroupRow.id),
        "displayName": Stored(GroupRow.display_name, lowered=GroupRow.display_name_norm),
        "externalId": Stored(GroupRow.external_id),
        "meta.created": Stored(GroupRow.created_at),
        "meta.lastModified": Stored(GroupRow.last_modified_at),
    },
    constants={"meta.resourceType": "Group"},
    unfilterable=frozenset({"meta.location", "meta.version"}),
    unique=(GroupRow.id,),
)


def compile_user_filter(filter_text: str) -> Condition:
    """The filter as a condition on `select(UserRow)`; the caller scopes it to one org."""
    return compile_filter(filter_text, USER_TARGET)


def compile_group_filter(filter_text: str) -> Condition:
    """The filter as a condition on `select(GroupRow)`; the caller scopes it to one org.
    `members.value eq "<id>"` is an EXISTS served by the (org, member) index."""
    return compile_filter(filter_text, GROUP_TARGET)


def compile_filter(filter_text: str, target: FilterTarget) -> Condition:
    """Raises ScimError(400, invalidFilter) for anything that is not a filter this target
    can answer exactly."""
    return _Compiler(target, _unfilterable).filter(parse(filter_text), None)


def matches_at_most_one(condition: Condition, target: FilterTarget) -> bool:
    """Whether the compiled filter is `eq` on one of the target's unique columns (`userName
    eq "..."`, the commonest IdP query, or `id eq "..."`), which one org's rows can match
    once at most."""
    return (
        isinstance(condition, BinaryExpression)
        and condition.operator is operator.eq
        and isinstance(condition.right, BindParameter)
        and any(condition.left.compare(column.__clause_element__())  # type: ignore[attr-defined]
                for column in target.unique)
    )


def _unfilterable(detail: str) -> ScimError:
    return invalid_filter(f"{detail} cannot be used in a filter")


def _unsortable(detail: str) -> ScimError:
    return invalid_value(f"{detail} cannot be used to sort")


def sort_key(sort_by: str, target: FilterTarget) -> tuple[AttributePath, Column]:
    """RFC 7644 §3.4.2.3 `sortBy` → the attribute and the SQL value to order rows by: what
    filters compare, so a case-insensitive string sorts by its lowered value. A complex
    attribute sorts by a sub-attribute; a multi-valued one by its primary value, else its
    first (`emails` means `emails.value`). Anything else is 400 invalidValue: ignoring it
    would hand back an order the client did not ask for."""
    try:
        path = schemas.attribute_path(target.schemas, sort_by.strip())
    except UnknownAttribute as exc:
        raise invalid_value(f"sortBy {sort_by!r}: {exc}") from None
    return _Compiler(target, _unsortable).sort_key(path)


# --- compiling -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Operand:
    """What one comparison reads: the attribute's definition and where its value is."""

    path: str
    attribute: Attribute
    column: Column | None = None
    lowered: Column | None = None
    constant: str | None = None

    @property
    def stored(self) -> Column:
        """The column of an operand that is not a constant (every caller checks that first)."""
        assert self.column is not None, f"{self.path} is a constant"
        return self.column


class _Compiler:
    """Walks the parser's AST, or finds the value a sortBy names. `parent` is the attribute
    whose `[...]` encloses the node (its names are sub-attributes of that attribute), None at
    the top level. `unusable` is the error for an attribute that exists but cannot be read:
    stored nowhere it could be read from, or never returned."""

    def __init__(self, target: FilterTarget, unusable: Callable[[str], ScimError]) -> None:
        self.target = target
        self.unusable = unusable

    def filter(self, node: ast.Filter, parent: AttributePath | None) -> Condition:
        condition = self._unnegated(node, parent)
        # NOT of an unknown (a comparison with a missing attribute) must be true, not unknown.
        return condition.is_not(true()) if node.negated else condition

    def sort_key(self, path: AttributePath) -> tuple[AttributePath, Column]:
        self._check(path)
        attribute = path.attribute
        if path.sub is None and attribute.type == "complex":
            sub = attribute.sub("value") if attribute.multi_valued else None
            if sub is None:
                raise invalid_value(f"{path.name} is complex; sort by one of its sub-attributes")
            path = replace(path, sub=sub)
        key = _ordering(self._operand(path))
        if attribute.multi_valued:
            key = self._first_element(path, key)
        return path, key

    def _unnegated(self, node: ast.Filter, parent: AttributePath | None) -> Condition:
        expr = node.expr
        if isinstance(expr, ast.LogExpr):
            groups = or_of_ands(node)
            return or_(*(and_(*(self.filter(item, parent) for item in group)) for group in groups))
        if isinstance(expr, ast.AttrExpr):
            return self._comparison(expr, parent)
        if isinstance(expr, ast.Filter) and isinstance(expr.namespace, ast.AttrPath):
            return self._value_path(expr.namespace, expr.expr, parent)
        if isinstance(expr, ast.Filter):  # parentheses
            return self.filter(expr, parent)
        raise invalid_filter(f"Unsupported filter construct {expr!r}")

    def _value_path(
        self, path: ast.AttrPath, inner: ast.Filter, parent: AttributePath | None
    ) -> Condition:
        """`emails[type eq "work"]`: one element must satisfy the whole bracket."""
        if parent is not None:
            raise invalid_filter(
                f"Value filters cannot be nested inside {parent.attribute.name}[...]"
            )
        attribute = self._resolve(path)
        if attribute.sub is not None:
            raise invalid_filter(
                f"A value filter applies to a complex attribute, not to {attribute.name}"
            )
        within = self._within(attribute, inner)
        return self._exists(attribute, within) if attribute.attribute.multi_valued else within

    def _comparison(self, expr: ast.AttrExpr, parent: AttributePath | None) -> Condition:
        op = str(expr.value).lower()
        value = expr.comp_value.value if expr.comp_value is not None else None
        if parent is not None:
            return self._compare(op, _bracketed(parent, expr.attr_path), value)
        path, within = expr.attr_path, None
        if isinstance(path.attr_name, ast.Filter):
            # `emails[type eq "work"].value`: the parser moves ".value" into the filter's
            # namespace and puts the filter where the attribute name would be.
            path, within = path.attr_name.namespace, path.attr_name.expr
        attribute = self._resolve(path)
        scope = [] if within is None else [self._within(replace(attribute, sub=None), within)]
        if attribute.attribute.multi_valued:
            return self._any_element(op, attribute, value, scope)
        return and_(*scope, self._compare(op, attribute, value))

    def _any_element(
        self, op: str, attribute: AttributePath, value: Any, scope: list[Condition]
    ) -> Condition:
        """A multi-valued attribute matches if any element does (RFC 7644 §3.4.2.2); with no
        sub-attribute, `pr` asks for any element and the other operators compare `value`."""
        if op == "pr" and attribute.sub is None:
            return self._exists(attribute, *scope)
        sub = attribute.sub or attribute.attribute.sub("value")
        if sub is None:
            raise invalid_filter(
                f"{attribute.name} has no value; compare one of its sub-attributes"
            )
        compared = self._compare(op, replace(attribute, sub=sub), value)
        matched = self._exists(attribute, *scope, compared)
        if op == "ne":  # like a missing singular attribute, no element at all is "not equal"
            return or_(matched, ~self._exists(attribute, *scope))
        return matched

    def _within(self, attribute: AttributePath, inner: ast.Filter) -> Condition:
        if attribute.attribute.type != "complex":
            raise invalid_filter(f"{attribute.name} is not complex and takes no [filter]")
        return self.filter(inner, attribute)

    def _exists(self, attribute: AttributePath, *conditions: Condition) -> Condition:
        return exists().where(*self._elements(attribute), *conditions)

    def _elements(self, attribute: AttributePath) -> list[Condition]:
        """The value rows of one resource's attribute. The org condition is implied by the
        owner one; it is spelled out so that lookups like `emails.value eq "x"` can use the
        (org, attribute, value) index."""
        rows, target = self.target.values, self.target
        shared = [] if rows.attribute is None else [rows.attribute == attribute.attribute.name]
        return [rows.org == target.org_column, rows.owner == target.id_column, *shared]

    def _first_element(self, attribute: AttributePath, key: Column) -> Column:
        """RFC 7644 §3.4.2.3: the primary element's value, else the first element's."""
        order = self.target.values.order
        if not order:
            raise self.unusable(attribute.name)
        elements = select(key).where(*self._elements(attribute)).order_by(*order).limit(1)
        return elements.scalar_subquery()

    def _resolve(self, path: ast.AttrPath) -> AttributePath:
        """A top-level path: [schema URN:]attribute[.subAttribute], names case-insensitive."""
        if not isinstance(path.attr_name, str):
            raise invalid_filter("Value filters cannot be nested")
        uri = None if path.uri is None else str(path.uri)
        sub = None if path.sub_attr is None else str(path.sub_attr.value)
        try:
            found = schemas.locate(self.target.schemas, uri, path.attr_name, sub)
        except UnknownAttribute as exc:
            raise invalid_filter(str(exc)) from None
        self._check(found)
        return found

    def _check(self, path: AttributePath) -> None:
        """Attributes rendered from elsewhere cannot be read; and a value the server never
        returns must not be probed through filters (or sorting) either."""
        whole = replace(path, sub=None)
        if whole.name in self.target.unfilterable:
            raise self.unusable(whole.name)
        for attribute in (path.attribute, path.sub):
            if attribute is not None and attribute.returned == "never":
                raise self.unusable(attribute.name)

    def _compare(self, op: str, attribute: AttributePath, value: Any) -> Condition:
        if attribute.sub is None and attribute.attribute.type == "complex":
            if op != "pr":
                raise invalid_filter(
                    f"{attribute.name} is complex; compare one of its sub-attributes"
                )
            return self._complex_present(attribute)
        operand = self._operand(attribute)
        if op == "pr":
            return _present(operand)
        return _predicate(op, operand, _literal(operand, op, value))

    def _complex_present(self, attribute: AttributePath) -> Condition:
        """A complex attribute is present when any of its sub-attributes is."""
        subs = (replace(attribute, sub=sub) for sub in attribute.attribute.sub_attributes)
        return or_(
            *(_present(self._operand(sub)) for sub in subs
              if sub.name not in self.target.unfilterable)
        )

    def _operand(self, attribute: AttributePath) -> _Operand:
        if attribute.attribute.multi_valued and attribute.sub is not None:
            return self._element_operand(attribute)
        path, definition = attribute.name, attribute.definition
        if path in self.target.constants:
            return _Operand(path, definition, constant=self.target.constants[path])
        if path in self.target.columns:
            stored = self.target.columns[path]
            return _Operand(path, definition, stored.column, stored.lowered)
        if path in self.target.unfilterable:
            raise self.unusable(path)
        column = self._json_value(self.target.data[attribute.keys], path, definition)
        return _Operand(path, definition, column)

    def _element_operand(self, attribute: AttributePath) -> _Operand:
        values, path, sub = self.target.values, attribute.name, attribute.definition
        stored = values.columns.get(sub.name)
        if stored is not None:
            return _Operand(path, sub, stored.column, stored.lowered)
        if values.data is None:
            raise self.unusable(path)
        return _Operand(path, sub, self._json_value(values.data[(sub.name,)], path, sub))

    def _json_value(self, element: Any, path: str, attribute: Attribute) -> Column:
        """The JSON value read as the attribute's type, so numbers compare as numbers. JSON
        keeps a dateTime as the text the client sent, in any offset, which does not order by
        time: a dateTime needs a real column to be filtered on or sorted by."""
        if attribute.type == "dateTime":
            raise self.unusable(path)
        # The JSON element's typed readers are untyped in SQLAlchemy's stubs.
        if attribute.type == "boolean":
            return cast(Column, element.as_boolean())
        if attribute.type == "integer":
            return cast(Column, element.as_integer())
        if attribute.type == "decimal":
            return cast(Column, element.as_float())
        return cast(Column, element.as_string())


def _bracketed(parent: AttributePath, path: ast.AttrPath) -> AttributePath:
    if not isinstance(path.attr_name, str) or path.uri is not None or path.sub_attr is not None:
        raise invalid_filter(
            f"Inside {parent.attribute.name}[...] only names of its sub-attributes are allowed"
        )
    try:
        sub = schemas.sub_attribute(parent.attribute, path.attr_name)
    except UnknownAttribute as exc:
        raise invalid_filter(str(exc)) from None
    if sub.returned == "never":
        raise _unfilterable(sub.name)
    return replace(parent, sub=sub)


def _ordering(operand: _Operand) -> Column:
    """The value rows are ordered by: what `eq` compares, so case-insensitive strings order
    without regard to case (RFC 7644 §3.4.2.3), within the database's collation."""
    if operand.constant is not None:
        return literal(operand.constant)
    caseless = operand.attribute.type in _STRING_TYPES and not operand.attribute.case_exact
    if caseless:
        return operand.lowered if operand.lowered is not None else func.lower(operand.stored)
    return operand.stored


# --- comparing -----------------------------------------------------------------------------


def _literal(operand: _Operand, op: str, value: Any) -> Any:
    """The comparison value, checked against the attribute's type and the operator."""
    kind = operand.attribute.type
    if op in _SUBSTRING_OPS and kind not in _STRING_TYPES:
        raise invalid_filter(f"{op} needs a string attribute; {operand.path} is a {kind}")
    if op in _ORDERING_OPS and kind in ("boolean", "binary"):
        raise invalid_filter(f"{op} cannot compare {operand.path}, a {kind}")
    if value is None:
        raise invalid_filter(
            f"{operand.path} cannot be compared with null; use 'not ({operand.path} pr)'"
        )
    if kind == "dateTime":
        return _datetime(operand.path, value)
    if kind == "boolean":
        valid = isinstance(value, bool)
    elif kind in _NUMBER_TYPES:
        valid = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        valid = isinstance(value, str)
    if not valid:
        raise invalid_filter(
            f"{operand.path} is a {kind} and cannot be compared with {json.dumps(value)}"
        )
    return value


def _datetime(path: str, value: Any) -> datetime:
    """xsd:dateTime as ISO 8601; a value without an offset is read as UTC."""
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, OverflowError):
        raise invalid_filter(
            f'{path} is a dateTime; {json.dumps(value)} is not one (e.g. "2011-05-13T04:42:34Z")'
        ) from None


_COMPARE: dict[str, Callable[[Any, Any], Condition]] = {
    "eq": operator.eq,
    # RFC 7644: `ne` matches resources without the attribute, so NULL is "not equal".
    "ne": lambda column, value: column.is_distinct_from(value),
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
    "co": lambda column, value: column.contains(value, autoescape=True),
    "sw": lambda column, value: column.startswith(value, autoescape=True),
    "ew": lambda column, value: column.endswith(value, autoescape=True),
}

_COMPARE_CASELESS: dict[str, Callable[[Any, Any], Condition]] = {
    "co": lambda column, value: column.icontains(value, autoescape=True),
    "sw": lambda column, value: column.istartswith(value, autoescape=True),
    "ew": lambda column, value: column.iendswith(value, autoescape=True),
}

_TEST_CONSTANT: dict[str, Callable[[str, str], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
    "co": operator.contains,
    "sw": str.startswith,
    "ew": str.endswith,
}


def _predicate(op: str, operand: _Operand, value: Any) -> Condition:
    attribute = operand.attribute
    if operand.constant is not None:
        return _constant_predicate(op, operand.constant, value, attribute.case_exact)
    if attribute.type not in _STRING_TYPES:
        return _COMPARE[op](operand.stored, value)
    if attribute.case_exact:
        return _exact_string(op, operand.stored, value)
    if operand.lowered is not None:
        return _COMPARE[op](operand.lowered, value.lower())
    return _caseless_string(op, operand.stored, value)


def _constant_predicate(op: str, constant: str, value: str, case_exact: bool) -> Condition:
    """An attribute every resource of the target has the same value of needs no SQL."""
    if not case_exact:
        constant, value = constant.lower(), value.lower()
    return true() if _TEST_CONSTANT[op](constant, value) else false()


def _caseless_string(op: str, column: Column, value: str) -> Condition:
    """lower() on both sides in SQL, so both are folded by the same rules (SQLite's lower()
    only folds ASCII; Python's would fold the literal further than the column)."""
    if op in _COMPARE_CASELESS:
        return _COMPARE_CASELESS[op](column, value)
    return _COMPARE[op](func.lower(column), func.lower(value))


def _exact_string(op: str, column: Column, value: str) -> Condition:
    """SQLite's LIKE ignores ASCII case, so a substring match on a case-exact attribute also
    compares the matched characters with replace()/substr(), which respect case on both
    databases. The LIKE stays in front because it is what an index can serve."""
    like = _COMPARE[op](column, value)
    if op not in _SUBSTRING_OPS or not value:
        return like
    if op == "co":
        return and_(like, func.replace(column, value, "") != column)
    if op == "sw":
        return and_(like, func.substr(column, 1, len(value)) == value)
    return and_(like, func.substr(column, func.length(column) - len(value) + 1) == value)


def _present(operand: _Operand) -> Condition:
    """RFC 7644 `pr`: not null and, for strings, not empty."""
    if operand.constant is not None:
        return true()
    column = operand.stored
    if operand.attribute.type in _STRING_TYPES:
        return and_(column.is_not(None), column != "")
    return column.is_not(None)
