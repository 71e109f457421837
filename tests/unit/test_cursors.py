"""Cursor tokens (scim.cursors) without a database: a position survives the round trip, and
anything but the untouched cursor of the same query under the same key is invalidCursor."""
from __future__ import annotations

import base64
import json
import re

import pytest

from scim import cursors
from scim.cursors import Position
from scim.errors import ScimError

KEY = b"k" * 32
QUERY = '["org-1", ["User"], null, "userName", false]'
UNRESERVED = re.compile(r"[A-Za-z0-9._~-]+")


def refused(cursor: str, query: str = QUERY, key: bytes = KEY) -> ScimError:
    with pytest.raises(ScimError) as caught:
        cursors.read(cursor, query, key)
    assert (caught.value.status, caught.value.scim_type) == (400, "invalidCursor")
    return caught.value


@pytest.mark.parametrize(
    "position",
    [
        Position("bjensen@example.com", "2819c223", False),
        Position(None, "2819c223", True),
        Position(42.5, "id", False),
        Position(True, "id", True),
        Position("2026-03-01T12:00:00+00:00", "id", False),
        Position("ünïcødé \" / + =", "id", False),
    ],
)
def test_a_position_survives_the_round_trip_in_unreserved_characters(
    position: Position,
) -> None:
    """RFC 9865 §2: a cursor holds only RFC 3986 unreserved characters."""
    cursor = cursors.issue(position, QUERY, KEY)
    assert UNRESERVED.fullmatch(cursor)
    assert cursors.read(cursor, QUERY, KEY) == position


def test_a_cursor_of_another_query_says_so() -> None:
    cursor = cursors.issue(Position("a", "1"), QUERY, KEY)
    other = '["org-2", ["User"], null, "userName", false]'
    assert "another query" in refused(cursor, query=other).detail


def test_a_cursor_signed_with_another_key_is_refused() -> None:
    cursor = cursors.issue(Position("a", "1"), QUERY, b"other key")
    assert "not one this server issued" in refused(cursor).detail


def test_a_rewritten_position_with_the_old_signature_is_refused() -> None:
    cursor = cursors.issue(Position("m", "1"), QUERY, KEY)
    payload, _, signature = cursor.partition(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded[0] = "a"  # move the position back, to read rows twice
    forged = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    refused(f"{forged}.{signature}")


@pytest.mark.parametrize("cursor", ["", ".", "no-dot", "a.b.c", "é.é", "!!!.???"])
def test_malformed_cursors_are_refused(cursor: str) -> None:
    refused(cursor)

