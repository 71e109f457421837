"""What a client sends in a request, checked to be text the databases can store (scim.text)
before anything reads it: the body as JSON (BadJson when it is not JSON), the path segments
and the query parameters as werkzeug decoded them. Text no database can keep raises
scim.text.UnstorableText; either is the client's error, never a 500. The SCIM and admin
blueprints, the console and the OAuth token endpoint each say how it reads in their error
format."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from flask import request

from scim.text import UnstorableText, check_document, check_text


class BadJson(ValueError):
    pass


def loads(raw: bytes) -> Any:
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BadJson("the request body is not valid JSON") from exc
    check_document(document)
    return document


def check_url() -> None:
    """The current request's path segments and query parameters."""
    check_path(request.view_args)
    check_query(request.args.items(multi=True))


def check_path(view_args: Mapping[str, Any] | None) -> None:
    """The variable segments of the matched route (`/Users/<user_id>`): a `%00` in the URL
    is a NUL once decoded, and an id is compared with stored ids."""
    _check_all((f"path segment {name}", value) for name, value in (view_args or {}).items()
               if isinstance(value, str))


def check_query(args: Iterable[tuple[str, str]]) -> None:
    """Every query parameter, names included, whether or not the endpoint reads it."""
    _check_all(item for name, value in args
               for item in (("a query parameter name", name), (f"query parameter {name!r}", value)))


def _check_all(texts: Iterable[tuple[str, str]]) -> None:
    for where, text in texts:
        try:
            check_text(text)
        except UnstorableText as exc:
            raise UnstorableText(f"{where}: {exc}") from exc
