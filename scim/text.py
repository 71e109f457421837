"""What text the databases can store: no NUL characters (PostgreSQL refuses them), no lone
surrogates (not UTF-8: they would be stored by SQLite and break every later response), and
a bounded nesting depth (deeper documents only exhaust stacks). Checked on every request body
and on every resource document, whichever way it arrives (SCIM, Bulk, SSO claims)."""
from __future__ import annotations

from typing import Any

MAX_DEPTH = 32


class UnstorableText(ValueError):
    pass


def check_document(document: Any) -> None:
    """Iterative, so a hostile depth cannot exhaust the stack here either."""
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise UnstorableText(f"the document nests deeper than {MAX_DEPTH} levels")
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(str(key))
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise UnstorableText("text may not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UnstorableText("text must be valid Unicode (no lone surrogates)") from exc
