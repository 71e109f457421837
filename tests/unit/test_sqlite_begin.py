"""SQLite transactions as app.db begins them, on the driver's connection: a write takes the
write lock at BEGIN (IMMEDIATE), a read does not (DEFERRED), and a write lock held by another
connection past busy_timeout is SQLAlchemy's OperationalError, which app.errors answers 503."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import exc, text

from app import db as db_module
from app.db import Database


def _other_writer(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=0, isolation_level=None)


def test_a_write_holds_the_lock_from_begin_and_a_read_does_not(tmp_path: Path) -> None:
    path = tmp_path / "begin.db"
    database = Database(f"sqlite:///{path}")
    other = _other_writer(path)
    with database.transaction(write=False) as session:
        session.execute(text("SELECT 1"))
        other.execute("BEGIN IMMEDIATE")  # a read leaves the write lock free
        other.execute("ROLLBACK")
    with database.transaction() as session:
        session.execute(text("SELECT 1"))  # the session begins at its first statement
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.close()
    database.dispose()


def test_a_write_lock_held_past_the_busy_timeout_is_sqlalchemys_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "SQLITE_BUSY_TIMEOUT_MS", 20)
    path = tmp_path / "busy.db"
    database = Database(f"sqlite:///{path}")
    with database.transaction(write=False) as session:  # connected: WAL set, in the pool
        session.execute(text("SELECT 1"))
    other = _other_writer(path)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(exc.OperationalError, match="locked"):
        with database.transaction() as session:
            session.execute(text("SELECT 1"))
    other.execute("ROLLBACK")
    with database.transaction() as session:  # the lock free, the next write begins
        session.execute(text("SELECT 1"))
    other.close()
    database.dispose()


def test_a_read_opened_inside_a_write_begins_deferred(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the write's own BEGIN is IMMEDIATE: a read inside it would otherwise wait for
    the lock its own thread holds."""
    monkeypatch.setattr(db_module, "SQLITE_BUSY_TIMEOUT_MS", 20)
    database = Database(f"sqlite:///{tmp_path / 'nested.db'}")
    with database.transaction() as write:
        write.execute(text("SELECT 1"))
        with database.transaction(write=False) as read:
            assert read.execute(text("SELECT 1")).scalar() == 1
    database.dispose()
