"""Engine setup and the one transaction boundary. SQLite gets WAL, a busy timeout, foreign
keys and BEGIN IMMEDIATE for writes (it ignores FOR UPDATE), queued on a file lock; PostgreSQL
runs READ COMMITTED and relies on the pool row lock."""
from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5
"""An unreachable host (failover, dropped packets) fails a connection attempt within this
instead of the TCP timeout of minutes, so the request gets its 503 (app.errors) before
gunicorn's worker timeout kills it."""
_IMMEDIATE: ContextVar[bool] = ContextVar("scim_sqlite_immediate", default=False)
"""Set while a write transaction begins on SQLite: its BEGIN is then IMMEDIATE."""


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # The dialect's do_begin (a no-op for pysqlite, which begins implicitly and too late) is
    # where SQLAlchemy begins a transaction, wrapping its errors: a lock held past
    # busy_timeout is an OperationalError, which app.errors answers with 503. A "begin"
    # event did this before, but with any Connection event SQLAlchemy dispatches every
    # event point of every connection (GET of a user: 160 Python calls, 0.76 -> 0.71 ms of
    # CPU in-process; bench/README.md). The pool's "connect" event runs once a connection.
    engine.dialect.do_begin = _begin  # type: ignore[method-assign]


def _begin(dbapi_connection: Any) -> None:
    """BEGIN on the driver's connection, without SQLAlchemy's statement machinery
    (BEGIN has no parameters and no result; statement events do not see it)."""
    mode = "IMMEDIATE" if _IMMEDIATE.get() else "DEFERRED"
    dbapi_connection.driver_connection.execute(f"BEGIN {mode}")


def _begin_immediate(session: Session) -> None:
    """Begins the session's transaction now, with SQLite's write lock (BEGIN IMMEDIATE),
    rather than at its first statement: the flag is set only for this, so a read that the
    write's code opens inside it still begins DEFERRED."""
    flag = _IMMEDIATE.set(True)
    try:
        session.connection()
    finally:
        _IMMEDIATE.reset(flag)


class _WriterQueue:
    """Where SQLite writers wait for the write lock. SQLite lets one writer in at a time, and
    one that finds the lock taken sleeps in SQLite's busy handler, which polls with sleeps
    growing to 100 ms and serves no one first: under a burst a writer can lose round after
    round (p99 near a second at 16 clients, against a p50 of tens of ms). Writers of every
    thread and process on the file queue here instead, on a blocking flock(2) of a file
    beside the database, and the kernel wakes them the moment the holder's transaction ends.
    busy_timeout stays the backstop for writers that do not pass here (migrations, a sqlite3
    shell). A thread that already holds the lock passes through, so a write transaction
    opened inside another fails on busy_timeout as before rather than waiting for itself."""

    _held = threading.local()

    def __init__(self, database_path: str) -> None:
        self._path = f"{database_path}-writers"

    @contextmanager
    def turn(self) -> Iterator[None]:
        held: set[str] = self._held.__dict__.setdefault("paths", set())
        if self._path in held:
            yield
            return
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # one open file per turn: threads queue too
            held.add(self._path)
            try:
                yield
            finally:
                held.discard(self._path)
        finally:
            os.close(fd)  # releases the lock


def _sqlite_file(url: str) -> str | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                               hide_parameters=True)
        _configure_sqlite(engine)
        return engine
    # pool_pre_ping: a connection the database dropped (restart, failover) is replaced at
    # checkout, so service resumes with the first request after the database is back.
    connect_args = ({} if "connect_timeout" in parsed.query
                    else {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS})
    return create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=10, isolation_level="READ COMMITTED",
        hide_parameters=True,  # bound values (password hashes, personal data) stay out of logs
        connect_args=connect_args,
    )


class Database:
    """Owns the engine; `transaction()` is the only place a unit of work begins and ends."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        sqlite_file = _sqlite_file(url)
        self._writers = _WriterQueue(sqlite_file) if sqlite_file else None

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Session]:
        """Commit on success, roll back on any exception. Writes start with the write lock
        on SQLite so that two writers never both read a seat count and then upgrade."""
        with self._turn(write), self._sessions() as session, session.begin():
            if write and self.is_sqlite:
                _begin_immediate(session)
            yield session

    def _turn(self, write: bool) -> AbstractContextManager[None]:
        if write and self._writers is not None:
            return self._writers.turn()
        return nullcontext()

    def dispose(self) -> None:
        self.engine.dispose()
