"""What authenticating a SCIM request with a bearer token costs the database: one read of the
token by its hash, and a write of `last_used_at` only when the recorded use is over a
minute old. A revoked token is refused by the very next request (no caching)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import event

from app.db import Database
from seats import credentials
from tests.conftest import NOW
from tests.support import Scim, assert_scim_error


@contextmanager
def token_statements(app: Flask) -> Iterator[list[str]]:
    """The first word (SELECT, UPDATE) of each statement the app sends about tokens."""
    engine = app.extensions["db"].engine
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "scim_tokens" in statement:
            seen.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_last_use_is_written_at_most_once_a_minute(app: Flask, scim: Scim) -> None:
    with token_statements(app) as statements, time_machine.travel(NOW, tick=False) as clock:
        assert scim.get("/Users").status_code == 200
        clock.move_to(NOW + timedelta(seconds=59))
        assert scim.get("/Users").status_code == 200
        clock.move_to(NOW + timedelta(seconds=61))
        assert scim.get("/Users").status_code == 200
    assert statements == ["SELECT", "UPDATE", "SELECT", "SELECT", "UPDATE"]


def test_a_revoked_token_is_refused_by_the_next_request(
    app: Flask, scim: Scim, database: Database
) -> None:
    assert scim.get("/Users").status_code == 200
    with database.transaction() as session:
        live = credentials.token_by_secret(session, scim.token)
        assert live is not None and live.org_id == scim.org_id
        assert credentials.revoke_token(session, scim.org_id, live.id, NOW)
    assert_scim_error(scim.get("/Users"), 401)
    with database.transaction(write=False) as session:
        assert credentials.token_by_secret(session, scim.token) is None
