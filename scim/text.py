"""What text the databases can store, checked once for every string a client sends: the
values of request bodies and resource documents (SCIM, Bulk, SSO claims), path segments,
query parameters and filter literals. Each is checked as the server will use it, after
every decoding: a `%00` in a URL or a `\\u0000` in a filter literal is a NUL only once it
has been decoded.

- No NUL characters: PostgreSQL refuses them in text.
- No lone surrogates: they are not UTF-8; SQLite would store them and every later response
  holding them would fail to encode.
- A bounded length where one applies, counted lower-cased: case-insensitive values are also
  stored and compared lower-cased (indexes of userName, displayName and multi-valued values),
  and lower-casing can make a text longer ("İ" becomes "i" + U+0307).
- A bounded nesting depth for documents: deeper ones only exhaust stacks."""
from __future__ import annotations

from typing import Any

MAX_DEPTH = 32
MAX_TEXT_LENGTH = 2048
"""The widest text column (multi-valued values); no stored text is longer."""


class UnstorableText(ValueError):
    pass


def check_document(document: Any) -> None:
    """Every string in a decoded JSON document, keys included. Iterative, so a hostile depth
    cannot exhaust the stack here either. Lengths are left to the schema, which knows each
    attribute's column: unknown attributes, however long, are ignored rather than stored."""
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise UnstorableText(f"the document nests deeper than {MAX_DEPTH} levels")
        if isinstance(value, str):
            check_text(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                check_text(str(key))
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)


def check_text(text: str, max_length: int | None = None) -> None:
    """Raises UnstorableText for text no database can keep or compare; `max_length` bounds
    its lower-cased form, the longest form in which it is stored."""
    if "\x00" in text:
        raise UnstorableText("text may not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UnstorableText("text must be valid Unicode (no lone surrogates)") from exc
    if max_length is not None and len(text.lower()) > max_length:
        raise UnstorableText(
            f"text may be at most {max_length} characters long, counted lower-cased"
        )
