"""SCIM filter text (RFC 7644 §3.4.2.2) into a scim2-filter-parser AST. Search filters
(scim.filters) and PATCH value filters (scim.valuefilter) both parse here, so the library's
defects are repaired once and the two read every filter alike."""
from __future__ import annotations

import json
from collections.abc import Iterator

from scim2_filter_parser import ast
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser, SCIMParserError
from sly.lex import Token

from scim.errors import invalid_filter
from scim.text import MAX_TEXT_LENGTH, UnstorableText, check_text

MAX_NESTING = 16
"""Deeper groupings are refused up front: the consumers and SQLAlchemy recurse per level."""
MAX_COMPARISONS = 100
"""More comparisons are refused up front: SQLite caps expression depth at 1000."""

_NESTING = {"LPAREN": 1, "LBRACKET": 1, "RPAREN": -1, "RBRACKET": -1}
_COMPARISON_TOKENS = frozenset({"EQ", "NE", "CO", "SW", "EW", "PR", "GT", "GE", "LT", "LE"})
_JSON_TOKENS = frozenset({"NUMBER", "COMP_VALUE", "TRUE", "FALSE", "NULL"})


class _Lexer(SCIMLexer):
    """The library lexer reads numbers one digit at a time and ends a string at `\\"`. These
    rules replace its own in place; `_Tokens` then decodes every literal as JSON."""

    tokens = SCIMLexer.tokens
    NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"

    @_(r'"(?:[^"\\]|\\.)*"')  # type: ignore[name-defined]  # noqa: F821 (sly's rule decorator)
    def COMP_VALUE(self, token: Token) -> Token:
        """Replaces the library's rule, which strips the quotes JSON decoding needs."""
        return token


class _Tokens:
    """The token stream handed to the parser. Literals become the JSON values they are, so
    `true` and `"true"` differ (RFC 7644 §3.4.2.2: compValue is JSON). It remembers the last
    token so that a syntax error can say where it is (the library's message is a token
    repr), and refuses filters too big to compile safely before the parser builds them."""

    def __init__(self, text: str) -> None:
        self._tokens: Iterator[Token] = _Lexer().tokenize(text)
        self.last: Token | None = None
        self._depth = 0
        self._comparisons = 0

    def __iter__(self) -> Iterator[Token]:
        return self

    def __next__(self) -> Token:
        self.last = None
        token = next(self._tokens)
        self.last = token
        self._depth += _NESTING.get(token.type, 0)
        self._comparisons += token.type in _COMPARISON_TOKENS
        if self._depth > MAX_NESTING:
            raise invalid_filter(f"Filter nests more than {MAX_NESTING} groups deep")
        if self._comparisons > MAX_COMPARISONS:
            raise invalid_filter(f"Filter has more than {MAX_COMPARISONS} comparisons")
        if token.type in _JSON_TOKENS:
            token.value = _literal(token)
        return token


def _literal(token: Token) -> object:
    """A compValue as the JSON value it is, checked as every client text is (scim.text) once
    its escapes are decoded: `"\\u0000"` is a NUL only now. No stored value is longer than
    MAX_TEXT_LENGTH, so a longer literal matches nothing; it is refused rather than sent,
    since SQLite refuses LIKE patterns of 50,000 bytes and more."""
    value = json.loads(token.value)
    if isinstance(value, str):
        try:
            check_text(value, MAX_TEXT_LENGTH)
        except UnstorableText as exc:
            raise invalid_filter(f"Filter value at character {token.index + 1}: {exc}") from None
    return value


def parse(text: str) -> ast.Filter:
    """Raises ScimError(400, invalidFilter) for text that is no filter, or one too large."""
    tokens = _Tokens(text)
    try:
        return SCIMParser().parse(tokens)
    except SCIMParserError:
        if tokens.last is None:
            raise invalid_filter(f"Filter {text!r} ends unexpectedly") from None
        raise invalid_filter(
            f"Filter {text!r} is malformed at {tokens.last.value!r} "
            f"(character {tokens.last.index + 1})"
        ) from None
    except ValueError as exc:  # the lexer's illegal characters and undecodable JSON strings
        raise invalid_filter(f"Filter {text!r} is malformed: {exc}") from None


def or_of_ands(node: ast.Filter) -> list[list[ast.Filter]]:
    """The operands of the unparenthesised and/or run `node` holds, as the `and` groups its
    `or`s join. The parser gives `and` and `or` one precedence, so `a or b and c` arrives as
    `(a or b) and c`; RFC 7644 binds `and` tighter, which this grouping restores.
    Parenthesised groups are separate Filter nodes and stay single operands. The parser
    associates to the left, so only the left side nests; walking it in a loop keeps long
    runs off the call stack. (A Filter holding a LogExpr is never negated: `not` always
    wraps a parenthesised group.)"""
    groups: list[list[ast.Filter]] = [[]]
    while isinstance(node.expr, ast.LogExpr):
        groups[-1].append(node.expr.expr2)
        if str(node.expr.op).lower() == "or":
            groups.append([])
        node = node.expr.expr1
    groups[-1].append(node)
    return [group[::-1] for group in groups[::-1]]
