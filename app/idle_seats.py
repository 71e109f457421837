"""The idle-seat report that the admin API and the console both serve: seats held by
active users with no SSO sign-in and no SCIM change for N days.

It is a list for a person to act on in the IdP, never an action: the IdP is the source of
truth for who is active, and a seat the server freed on its own would be taken back at the
IdP's next sync (or fight it)."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from flask import Response

from app.exports import BATCH, csv_download, walk
from app.read_models import Position, UsersByCreation, idle_seat_page
from scim.tables import UserRow

HEADER = ("id", "userName", "displayName", "externalId", "lastModified", "lastSignIn")


def idle_since(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def cells(user: UserRow) -> Sequence[Any]:
    return (user.id, user.user_name, user.data.get("displayName"), user.external_id,
            user.last_modified_at, user.last_sign_in_at)


def _rows(org_id: str, since: datetime) -> Iterator[Sequence[Any]]:
    """Every idle seat in creation order, a keyset batch per read transaction."""
    first = UsersByCreation(after=None, size=BATCH)
    return walk(lambda session, last: idle_seat_page(
        session, org_id, first if last is None else replace(first, after=Position.of(last)),
        idle_since=since), lambda user: [cells(user)])


def download(org_id: str, days: int, now: datetime) -> Response:
    return csv_download(f"idle-seats-{days}d-{now.date().isoformat()}.csv", HEADER,
                        _rows(org_id, idle_since(now, days)))
