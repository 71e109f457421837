"""What authenticating a SCIM request with a bearer token costs the database: one read of the
token by its hash, and a write of `last_used_at` only when the recorded use is over a
minute old; the audit entries of the request's writes name the token from that read. A
revoked token is refused by the very next request (no caching)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import event, select

from app.db import Database
from seats import credentials
from seats.models import AuditEvent
from tests.conftest import NOW
from tests.support import Scim, assert_scim_error, patch_body, user_body


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


def test_audited_writes_name_the_token_from_authentications_read(
    app: Flask, scim: Scim, database: Database
) -> None:
    with time_machine.travel(NOW, tick=False):
        assert scim.get("/Users").status_code == 200  # records the token's use
        with token_statements(app) as statements:
            created = scim.post("/Users", user_body("ada@example.com"))
            assert created.status_code == 201
            deactivate = patch_body({"op": "replace", "path": "active", "value": False})
            assert scim.patch(f"/Users/{created.get_json()['id']}", deactivate).status_code == 200
    assert statements == ["SELECT", "SELECT"]  # one authentication each, no name lookup
    with database.transaction(write=False) as session:
        entries = session.execute(
            select(AuditEvent.action, AuditEvent.actor_name)
            .where(AuditEvent.org_id == scim.org_id).order_by(AuditEvent.id)
        ).all()
    assert [tuple(entry) for entry in entries] == [
        ("seat.claimed", "test"), ("seat.released", "test")]


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
