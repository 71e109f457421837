"""Request bodies as JSON the databases can store (scim.text): a body that is not JSON raises
BadJson, one with text no database can keep raises scim.text.UnstorableText. Either is the
client's error, never a 500."""
from __future__ import annotations

import json
from typing import Any

from scim.text import check_document


class BadJson(ValueError):
    pass


def loads(raw: bytes) -> Any:
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BadJson("the request body is not valid JSON") from exc
    check_document(document)
    return document
