"""Value filters inside PATCH paths: the `type eq "work"` of `emails[type eq "work"].value`
(RFC 7644 §3.5.2). scim.filter_syntax parses the text; the tree is then compiled against
the parent attribute's sub-attributes, so every mistake surfaces once, as invalidFilter,
and judging an element afterwards cannot fail."""
from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scim2_filter_parser import ast

from scim import filter_syntax
from scim.errors import invalid_filter
from scim.schemas import Attribute


@dataclass(frozen=True)
class Compare:
    op: str  # eq ne co sw ew pr gt ge lt le
    attr: Attribute
    value: Any


@dataclass(frozen=True)
class Logical:
    op: str  # and or
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    inner: Node


Node = Compare | Logical | Not

_TEXT_OPS: dict[str, Callable[[str, str], bool]] = {
    "co": lambda actual, wanted: wanted in actual,
    "sw": str.startswith,
    "ew": str.endswith,
}
_ORDER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_TEXT_TYPES = ("string", "reference")
_UNORDERED_TYPES = ("boolean", "binary")
_LITERAL_TYPES: dict[str, tuple[type, ...]] = {
    "boolean": (bool,),
    "integer": (int,),
    "decimal": (int, float),
}


def parse(text: str, parent: Attribute) -> Node:
    """The filter of a valuePath whose attribute is `parent`."""
    return _compile(filter_syntax.parse(text), parent)


def matches(node: Node, element: dict[str, Any]) -> bool:
    if isinstance(node, Not):
        return not matches(node.inner, element)
    if isinstance(node, Logical):
        if node.op == "and":
            return matches(node.left, element) and matches(node.right, element)
        return matches(node.left, element) or matches(node.right, element)
    return _compare(node, element.get(node.attr.name))


def equalities(node: Node) -> dict[str, Any] | None:
    """The element a filter describes when it is only `eq`s joined by `and`, which is what
    Microsoft Entra means by adding to `phoneNumbers[type eq "mobile"].value` when no
    mobile number exists yet; None when the filter does not pin one element down."""
    if isinstance(node, Compare):
        return {node.attr.name: node.value} if node.op == "eq" else None
    if not isinstance(node, Logical) or node.op != "and":
        return None
    left, right = equalities(node.left), equalities(node.right)
    if left is None or right is None:
        return None
    if any(name in right and right[name] != value for name, value in left.items()):
        return None
    return {**left, **right}


def same(attr: Attribute, a: Any, b: Any) -> bool:
    """Equality as the attribute defines it: strings that are not caseExact ignore case."""
    return bool(_key(attr, a) == _key(attr, b))


def as_bool(value: object) -> bool | None:
    """Microsoft Entra sends booleans as the strings "True"/"False"; None if not a boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _compile(node: ast.Filter, parent: Attribute) -> Node:
    expr = node.expr
    if isinstance(expr, ast.LogExpr):
        groups = filter_syntax.or_of_ands(node)
        return _fold("or", [_fold("and", [_compile(f, parent) for f in g]) for g in groups])
    if isinstance(expr, ast.AttrExpr):
        inner: Node = _comparison(expr, parent)
    elif isinstance(expr, ast.Filter):  # parentheses, never a valuePath: the path ends at "]"
        inner = _compile(expr, parent)
    else:
        raise invalid_filter(f"unsupported filter expression {expr!r}")
    return Not(inner) if node.negated else inner


def _fold(op: str, nodes: list[Node]) -> Node:
    return functools.reduce(lambda left, right: Logical(op, left, right), nodes)


def _comparison(node: ast.AttrExpr, parent: Attribute) -> Compare:
    path = node.attr_path
    if not isinstance(path.attr_name, str) or path.uri or path.sub_attr:
        raise invalid_filter(f"a {parent.name} filter may only name its sub-attributes")
    attr = parent.sub(path.attr_name)
    if attr is None:
        raise invalid_filter(f"{parent.name} has no sub-attribute {path.attr_name!r}")
    op = node.value.lower()
    value = None if node.comp_value is None else _literal(op, attr, node.comp_value.value)
    return Compare(op, attr, value)


def _literal(op: str, attr: Attribute, value: Any) -> Any:
    """The comparison value, checked against the attribute type once, at parse time."""
    if op in _TEXT_OPS and attr.type not in _TEXT_TYPES:
        raise invalid_filter(f"'{op}' does not apply to {attr.type} attribute {attr.name}")
    if op in _ORDER_OPS and attr.type in _UNORDERED_TYPES:
        raise invalid_filter(f"'{op}' does not apply to {attr.type} attribute {attr.name}")
    if value is None:  # refused as search filters (scim.filters) refuse it
        raise invalid_filter(
            f"{attr.name} cannot be compared with null; use 'not ({attr.name} pr)'"
        )
    if attr.type == "boolean":
        value = as_bool(value)
    expected = _LITERAL_TYPES.get(attr.type, (str,))
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        raise invalid_filter(f"{attr.name} is a {attr.type}; cannot compare it with {value!r}")
    if attr.type != "dateTime":
        return value
    try:
        return _instant(str(value))  # a dateTime literal is a JSON string (_LITERAL_TYPES)
    except ValueError as exc:
        raise invalid_filter(f"{attr.name} is a dateTime; {value!r} is not one") from exc


def _compare(node: Compare, actual: Any) -> bool:
    if node.op == "pr":
        return actual not in (None, "", [], {})
    if node.op == "eq":
        return same(node.attr, actual, node.value)
    if node.op == "ne":
        return not same(node.attr, actual, node.value)
    if node.op in _TEXT_OPS:
        return isinstance(actual, str) and _TEXT_OPS[node.op](
            _key(node.attr, actual), _key(node.attr, node.value)
        )
    try:
        return actual is not None and _ORDER_OPS[node.op](
            _key(node.attr, actual), _key(node.attr, node.value)
        )
    except TypeError:  # a stored value of another type than the attribute's
        return False


def _key(attr: Attribute, value: Any) -> Any:
    """What comparisons see: dateTimes as instants, case-insensitive strings folded."""
    if not isinstance(value, str):
        return value
    if attr.type == "dateTime":
        try:
            return _instant(value)
        except ValueError:  # a stored value that is no dateTime equals no literal
            return value
    return value if attr.case_exact else value.casefold()


def _instant(text: str) -> datetime:
    """xsd:dateTime; without an offset it is read as UTC, as search filters read it."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
