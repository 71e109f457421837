"""Opaque, tamper-proof cursors for cursor pagination (RFC 9865). A cursor is a position in
one query's order: the sort value and id of the row it follows (or, for a previousCursor,
precedes). Keyset positions need no state on the server, so a cursor does not expire.

Cursors are signed with a key the app derives from the server secret (scim knows no
settings). The signature also covers a digest of the query the cursor was issued for (org,
resource types, filter, sortBy, sortOrder): a cursor replayed on another query or org, or
altered, is refused with 400 invalidCursor rather than read as a position in another order.
The position is signed, not encrypted: it holds a value of a row the client was just sent."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from scim.errors import ScimError

_MAC_BYTES = 16
_QUERY_BYTES = 12


@dataclass(frozen=True)
class Position:
    """Just past the row with sort value `key` and id `row_id` in the query's order, or just
    before it when `backwards`. `key` is JSON: the caller turns it into the sort value."""

    key: Any
    row_id: str
    backwards: bool = False


def invalid_cursor(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidCursor")


def issue(position: Position, query: str, key: bytes) -> str:
    """Only RFC 3986 unreserved characters (RFC 9865 §2): base64url without padding, a dot."""
    payload = json.dumps(
        [position.key, position.row_id, position.backwards, _digest(query)],
        separators=(",", ":"),
    ).encode()
    return f"{_encode(payload)}.{_encode(_mac(payload, key))}"


def read(cursor: str, query: str, key: bytes) -> Position:
    """The position `cursor` holds, if this server issued it for this very query."""
    payload = _verified(cursor, key)
    try:
        row_key, row_id, backwards, digest = json.loads(payload)
    except (ValueError, TypeError):
        raise invalid_cursor("the cursor is not one this server issued") from None
    if digest != _digest(query):
        raise invalid_cursor(
            "the cursor belongs to another query: send the filter, sortBy and sortOrder of "
            "the request that returned it, to the same endpoint"
        )
    return Position(row_key, row_id, backwards)


def _verified(cursor: str, key: bytes) -> bytes:
    encoded, _, signature = cursor.partition(".")
    try:
        payload, mac = _decode(encoded), _decode(signature)
    except (ValueError, binascii.Error):
        raise invalid_cursor("the cursor is malformed; send nextCursor or previousCursor as "
                             "it was returned, or an empty cursor for the first page") from None
    if not hmac.compare_digest(mac, _mac(payload, key)):
        raise invalid_cursor("the cursor is not one this server issued, or it was altered")
    return payload


def _mac(payload: bytes, key: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]


def _digest(query: str) -> str:
    return _encode(hashlib.sha256(query.encode()).digest()[:_QUERY_BYTES])


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
