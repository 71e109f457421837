"""Request plumbing shared by the SCIM handlers (Users, Groups, search, Bulk): the body and
the URL's text, the write context of the current request and the cursor key."""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from flask import g, request
from sqlalchemy.orm import Session

from app import json_input
from app.context import current_db, current_settings
from scim import users
from scim.errors import ScimError, invalid_syntax, invalid_value
from scim.text import UnstorableText
from seats import audit
from seats.clock import utcnow

JSON_MEDIA_TYPES = ("application/json", "application/scim+json")


def cursor_key() -> bytes:
    """The key list cursors are signed with (scim.cursors): derived from the server secret
    for this one use, so a cursor's signature is worth nothing anywhere else."""
    secret = current_settings().secret_key.encode()
    return hmac.new(secret, b"scim-seats list cursors", hashlib.sha256).digest()


def request_body() -> Any:
    if request.mimetype not in JSON_MEDIA_TYPES:
        raise ScimError(415, "send the body as application/scim+json or application/json")
    try:
        return json_input.loads(request.get_data())
    except json_input.BadJson as exc:
        raise invalid_syntax(str(exc)) from exc
    except UnstorableText as exc:  # the depth limit included: it is about the values
        raise invalid_value(str(exc)) from exc


def check_url() -> None:
    """before_request hook, after authentication (a client without a token learns nothing):
    resource ids in the path and every query parameter pass the check bodies pass."""
    try:
        json_input.check_url()
    except UnstorableText as exc:
        raise invalid_value(str(exc)) from exc


def if_match() -> frozenset[str] | None:
    """The versions the client accepts; weak and strong tags alike, since meta.version is
    weak (RFC 7644 §3.14). None when there is no precondition or it is `*`."""
    tags = request.if_match
    if not request.headers.get("If-Match") or tags.star_tag:
        return None
    return frozenset(tags.as_set(include_weak=True))


def write_context() -> users.WriteContext:
    return users.WriteContext(org_id=g.org_id, actor=g.actor, now=utcnow(), if_match=if_match())


_HELD = "scim_request_transaction"


class _Unanswered(Exception):
    """Thrown into a request's transaction that its handler never reached: it rolls back."""


def open_read_transaction() -> Session:
    """Opens the read transaction the request's handler will use, so that authentication
    reads the bearer token in it rather than in one of its own: one BEGIN, COMMIT and
    connection checkout less per read, and the token is still read on every request (a
    revoked one is refused by the next request on every worker)."""
    stack = ExitStack()
    session = stack.enter_context(current_db().transaction(write=False))
    setattr(g, _HELD, (stack, session))
    return session


@contextmanager
def request_transaction() -> Iterator[Session]:
    """The handler's one transaction: commit when the block succeeds, roll back on any
    exception, as `Database.transaction`. A read takes the transaction authentication
    opened for it; a write begins its own here, after its body has been read, so that a
    client uploading slowly never holds SQLite's write lock (nor a PostgreSQL transaction)."""
    held = g.pop(_HELD, None)
    if held is None:
        with current_db().transaction() as session:
            yield name_actor(session)
        return
    stack, session = held
    with stack:
        yield name_actor(session)


def name_actor(session: Session) -> Session:
    """Gives the transaction the name authentication read with the credential, so that the
    audit entries of its writes need not read it again (seats.audit.name_actor)."""
    audit.name_actor(session, g.actor, g.actor_name)
    return session


def close_request_transaction(_exc: BaseException | None) -> None:
    """teardown_request: a request refused before its handler's `with` (a 400 for its body
    or URL, a 401) rolls back the transaction opened for it."""
    held = g.pop(_HELD, None)
    if held is not None:
        held[0].__exit__(_Unanswered, _Unanswered(), None)
