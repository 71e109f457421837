"""scim.filter_syntax reads filter text as RFC 7644 §3.4.2.2 writes it, where the bare
scim2-filter-parser does not: JSON literals, `and` over `or`, bounded size, and syntax errors
that say where they are. Both search filters and PATCH value filters rely on it."""
from __future__ import annotations

from typing import Any

import pytest
from scim2_filter_parser import ast

from scim.errors import ScimError
from scim.filter_syntax import MAX_COMPARISONS, MAX_NESTING, or_of_ands, parse


def literal(text: str) -> Any:
    """The compValue of `x eq <text>` as the AST holds it."""
    return parse(f"x eq {text}").expr.comp_value.value


def invalid(filter_text: str) -> str:
    with pytest.raises(ScimError) as caught:
        parse(filter_text)
    assert (caught.value.status, caught.value.scim_type) == (400, "invalidFilter")
    assert caught.value.detail
    return caught.value.detail


def groups(filter_text: str) -> list[list[str]]:
    """or_of_ands of the filter, each operand shown by its attribute name or as "(...)"."""

    def name(operand: ast.Filter) -> str:
        expr = operand.expr
        return expr.attr_path.attr_name if isinstance(expr, ast.AttrExpr) else "(...)"

    return [[name(operand) for operand in group] for group in or_of_ands(parse(filter_text))]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("42", 42),
        ("-1", -1),
        ("-1.5", -1.5),
        ("4.2e1", 42.0),
        ("1E-2", 0.01),
        ("true", True),
        ("false", False),
        ("null", None),
        ('"true"', "true"),
        ('"42"', "42"),
        ('""', ""),
        (r'"a\"b"', 'a"b'),
        (r'"a\\"', "a\\"),
        (r'"50\u0025"', "50%"),
        (r'"x\ny"', "x\ny"),
        ('"a]b"', "a]b"),
    ],
)
def test_literals_are_the_json_values_they_spell(text: str, value: Any) -> None:
    parsed = literal(text)
    assert parsed == value
    assert type(parsed) is type(value)


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("a pr", [["a"]]),
        ("a pr and b pr", [["a", "b"]]),
        ("a pr or b pr", [["a"], ["b"]]),
        ("a pr or b pr and c pr", [["a"], ["b", "c"]]),
        ("a pr and b pr or c pr", [["a", "b"], ["c"]]),
        ("a pr or b pr and c pr or d pr", [["a"], ["b", "c"], ["d"]]),
        ("a pr AND b pr Or c pr", [["a", "b"], ["c"]]),
        ("(a pr or b pr) and c pr", [["(...)", "c"]]),
        ("a pr and not (b pr or c pr)", [["a", "(...)"]]),
        ('emails[type pr or value pr] and c pr', [["(...)", "c"]]),
    ],
)
def test_and_binds_tighter_than_or(filter_text: str, expected: list[list[str]]) -> None:
    assert groups(filter_text) == expected


def test_long_runs_group_without_recursion() -> None:
    run = " and ".join(["a pr"] * MAX_COMPARISONS)
    assert groups(run) == [["a"] * MAX_COMPARISONS]


@pytest.mark.parametrize(
    "filter_text",
    [
        "",
        "   ",
        "userName",
        "userName eq",
        'userName "bob"',
        'userName eq "bob" and',
        'userName eq "bob" extra',
        '(userName eq "bob"',
        'userName eq "bob")',
        "userName eq 'bob'",
        'userName eq "bob',
        'userName regex "b.*"',
        'userName eq bob',
        'userName eq TRUE',
        'not userName eq "bob"',
        'emails[type eq "work"',
        'emails[type eq "work"].value',
        'name.givenName.x eq "a"',
        r'userName eq "\q"',
        'userName eq 01',
        'userName eq 1.',
        "userName eq #",
        'and eq "x"',
    ],
)
def test_malformed_filters_are_invalid(filter_text: str) -> None:
    invalid(filter_text)


def test_syntax_errors_say_where() -> None:
    assert "'extra' (character 19)" in invalid('userName eq "bob" extra')
    assert "ends unexpectedly" in invalid('userName eq "bob" and')
    assert "Illegal character" in invalid("userName eq #")


def test_size_limits() -> None:
    deep = "(" * MAX_NESTING + "a pr" + ")" * MAX_NESTING
    assert isinstance(parse(deep), ast.Filter)
    assert "nests more than" in invalid("(" + deep + ")")
    assert "nests more than" in invalid("a" + "[b" * MAX_NESTING + "[c pr" + "]" * 17)
    wide = " or ".join(["a pr"] * MAX_COMPARISONS)
    assert isinstance(parse(wide), ast.Filter)
    assert "more than 100 comparisons" in invalid(wide + " or a pr")
